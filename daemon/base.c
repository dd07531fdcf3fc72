/*
 * base: error carrier, allocation that aborts on failure, byte buffers
 * with their JSON and number writers, the decimal parser, the clocks.
 * Nothing here logs except the out-of-memory abort.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"

void
ew_err_set(struct ew_err *err, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->msg[0] != '\0')
		return;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (err->msg[0] == '\0')
		snprintf(err->msg, sizeof(err->msg), "error");
}

void
ew_err_clear(struct ew_err *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

void
ew_err_format(const struct ew_err *err, char *out, size_t len)
{
	if (err->file[0] == '\0')
		snprintf(out, len, "%s", err->msg);
	else if (err->line <= 0)
		snprintf(out, len, "%s: %s", err->file, err->msg);
	else if (err->col <= 0)
		snprintf(out, len, "%s:%d: %s", err->file, err->line, err->msg);
	else
		snprintf(out, len, "%s:%d:%d: %s", err->file, err->line,
		    err->col, err->msg);
}

static void
oom(size_t size)
{
	fprintf(stderr, "errwatchd: out of memory allocating %zu bytes\n",
	    size);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		oom(size);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_reserve(&b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b.p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return b.p;
}

void
buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

void
buf_append(struct buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	if (len > 0)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

size_t
ew_utf8_len(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t len, i;
	uint32_t cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void
buf_json_str(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, n;

	buf_reserve(b, len + 2);
	b->p[b->len++] = '"';
	while (i < len) {
		unsigned char c = u[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			buf_append(b, s + run, i - run);
			buf_append(b, esc, 2);
			run = ++i;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == '<' || c == '>' ||
		    c == '&') {
			buf_append(b, s + run, i - run);
			buf_append(b, esc, 6);
			run = ++i;
			continue;
		}
		n = ew_utf8_len(u + i, len - i);
		if (n == 3 && c == 0xe2 && u[i + 1] == 0x80 &&
		    (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
			buf_append(b, s + run, i - run);
			buf_puts(b, u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
			run = i += 3;
		} else if (n == 0) {
			buf_append(b, s + run, i - run);
			buf_puts(b, "\\ufffd");
			run = ++i;
		} else {
			i += n;
		}
	}
	buf_append(b, s + run, i - run);
	buf_append(b, "\"", 1);
}

void
buf_num(struct buf *b, double v)
{
	char tmp[64];
	size_t n;

	if (v != v || v > 1e300 || v < -1e300)
		v = 0;
	if (v == (double)(int64_t)v && v < 9.2e18 && v > -9.2e18) {
		buf_printf(b, "%" PRId64, (int64_t)v);
		return;
	}
	n = (size_t)snprintf(tmp, sizeof(tmp), "%.3f", v);
	while (n > 0 && tmp[n - 1] == '0')
		n--;
	if (n > 0 && tmp[n - 1] == '.')
		n--;
	if (n == 2 && tmp[0] == '-' && tmp[1] == '0')
		n = 1, tmp[0] = '0';	/* -0.0001 rounds to 0, not -0 */
	buf_append(b, tmp, n);
}

size_t
ew_parse_dec(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0, d;
	size_t i;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		d = (uint64_t)(p[i] - '0');
		if (d > max || v > (max - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (i == 0)
		return 0;
	*out = v;
	return i;
}

static uint64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
ew_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t
ew_wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
