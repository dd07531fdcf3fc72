/*
 * redisurl: the Redis URL grammar and the credential rules of SPEC §7, in
 * one place. A core module: it reads a password file and the environment,
 * and never opens a socket. A failed parse leaves the struct all zero, so
 * nobody connects with half a URL; a message names the part that is wrong
 * and never repeats the URL, which may hold a password.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "redisurl.h"

#define URL_FORMS	"redis://[user:password@]host[:port][/db] or " \
	"unix:///path/redis.sock[?db=N]"

static void
wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
redisurl_free(struct redisurl *u)
{
	if (u == NULL)
		return;
	free(u->host);
	free(u->path);
	free(u->user);
	wipe(u->password);
	memset(u, 0, sizeof(*u));
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
redisurl_copy(struct redisurl *dst, const struct redisurl *src)
{
	*dst = *src;
	dst->host = dup_or_null(src->host);
	dst->path = dup_or_null(src->path);
	dst->user = dup_or_null(src->user);
	dst->password = dup_or_null(src->password);
}

static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

void
redisurl_where(const struct redisurl *u, char *out, size_t len)
{
	int n;

	if (u->scheme == REDISURL_UNIX)
		n = snprintf(out, len, "unix %s", u->path);
	else if (u->host != NULL && strchr(u->host, ':') != NULL)
		n = snprintf(out, len, "[%s]:%d", u->host, u->port);
	else
		n = snprintf(out, len, "%s:%d", u->host ? u->host : "",
		    u->port);
	if (u->db != 0 && n >= 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, ", db %d", u->db);
}

bool
redisurl_equal(const struct redisurl *a, const struct redisurl *b)
{
	return a->scheme == b->scheme && a->port == b->port &&
	    a->db == b->db && same(a->host, b->host) &&
	    same(a->path, b->path) && same(a->user, b->user) &&
	    same(a->password, b->password);
}

/* The n bytes at p, all digits, as a number from 0 to max. */
static bool
whole_number(const char *p, size_t n, uint64_t max, int *out)
{
	uint64_t v;

	if (n == 0 || ew_parse_dec(p, n, max, &v) != n)
		return false;
	*out = (int)v;
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX-decodes n bytes; NULL when an escape is bad or decodes to NUL. */
static char *
decode(const char *p, size_t n)
{
	char *out = xcalloc(1, n + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (p[i] != '%') {
			out[o++] = p[i];
			continue;
		}
		if (i + 2 >= n)
			goto fail;
		hi = hexval(p[i + 1]);
		lo = hexval(p[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			goto fail;
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	return out;
fail:
	wipe(out);
	return NULL;
}

static int
bad(struct redisurl *u, struct ew_err *err, const char *msg)
{
	redisurl_free(u);
	ew_err_set(err, NULL, 0, 0, "%s", msg);
	return -EINVAL;
}

/* "db=N" and nothing else. */
static int
parse_query(struct redisurl *u, const char *q, struct ew_err *err)
{
	if (strncmp(q, "db=", 3) != 0)
		return bad(u, err, "unknown query: only ?db=N is known");
	if (!whole_number(q + 3, strlen(q + 3), INT_MAX, &u->db))
		return bad(u, err, "bad db: expected a number after ?db=");
	return 0;
}

static int
parse_unix(struct redisurl *u, const char *p, struct ew_err *err)
{
	size_t n = strcspn(p, "?#");

	u->scheme = REDISURL_UNIX;
	if (n == 0 || p[0] != '/')
		return bad(u, err, "the socket path must be absolute, as in "
		    "unix:///run/redis/redis.sock");
	if (p[n] == '#')
		return bad(u, err, "unexpected '#'");
	u->path = xstrndup(p, n);
	if (p[n] == '?')
		return parse_query(u, p + n + 1, err);
	return 0;
}

/* user[:password]@ up to at; the last '@' ends it (a password may hold
 * '@', escaped or not). */
static int
parse_userinfo(struct redisurl *u, const char *p, const char *at,
    struct ew_err *err)
{
	const char *colon = memchr(p, ':', (size_t)(at - p));
	const char *uend = colon != NULL ? colon : at;

	if (uend > p && (u->user = decode(p, (size_t)(uend - p))) == NULL)
		goto bad_escape;
	if (colon == NULL)
		return 0;
	u->password = decode(colon + 1, (size_t)(at - colon - 1));
	if (u->password == NULL)
		goto bad_escape;
	if (u->password[0] == '\0') {	/* "user:@": no password */
		free(u->password);
		u->password = NULL;
	}
	return 0;
bad_escape:
	return bad(u, err, "bad %XX escape in the user or password");
}

static bool
is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static bool
is_ipv6_char(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
	    (c >= '0' && c <= '9') || c == ':' || c == '.';
}

/* host[:port] in [p, end). */
static int
parse_hostport(struct redisurl *u, const char *p, const char *end,
    struct ew_err *err)
{
	const char *h = p, *q;

	if (*h == '[') {
		q = memchr(h, ']', (size_t)(end - h));
		if (q == NULL)
			return bad(u, err, "bad IPv6 address: no closing ']'");
		for (p = h + 1; p < q && is_ipv6_char(*p); p++)
			;
		if (p < q || memchr(h, ':', (size_t)(q - h)) == NULL)
			return bad(u, err, "bad IPv6 address: write it in "
			    "brackets, as in [::1]");
		u->host = xstrndup(h + 1, (size_t)(q - h - 1));
		p = q + 1;
		if (p < end && *p != ':')
			return bad(u, err, "bad IPv6 address: expected ':' "
			    "or '/' after ']'");
	} else {
		for (p = h; p < end && *p != ':'; p++)
			if (!is_host_char(*p))
				return bad(u, err, "bad host: expected "
				    "letters, digits, '-', '.' or '_', or an "
				    "IPv6 address in brackets");
		if (p == h)
			return bad(u, err, "no host after redis://");
		u->host = xstrndup(h, (size_t)(p - h));
	}
	u->port = REDISURL_DEFAULT_PORT;
	if (p < end && (!whole_number(p + 1, (size_t)(end - p - 1), 65535,
	    &u->port) || u->port == 0))
		return bad(u, err, "bad port: expected a number from 1 to "
		    "65535 after ':'");
	return 0;
}

static int
parse_tcp(struct redisurl *u, const char *p, struct ew_err *err)
{
	const char *end = p + strcspn(p, "/?#");
	const char *at = NULL, *q;

	u->scheme = REDISURL_TCP;
	for (q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		if (parse_userinfo(u, p, at, err) < 0)
			return -EINVAL;
		p = at + 1;
	}
	if (parse_hostport(u, p, end, err) < 0)
		return -EINVAL;
	p = end;
	if (*p == '/') {
		q = p + 1 + strcspn(p + 1, "?#");
		if (q > p + 1 && !whole_number(p + 1, (size_t)(q - p - 1),
		    INT_MAX, &u->db))
			return bad(u, err, "bad db: expected a number after "
			    "'/'");
		p = q;
	}
	if (*p == '#')
		return bad(u, err, "unexpected '#'");
	if (*p == '?')
		return parse_query(u, p + 1, err);
	return 0;
}

int
redisurl_parse(struct redisurl *u, const char *s, struct ew_err *err)
{
	memset(u, 0, sizeof(*u));
	if (s == NULL || s[0] == '\0')
		return bad(u, err, "empty: expected " URL_FORMS);
	if (strncmp(s, "redis://", 8) == 0)
		return parse_tcp(u, s + 8, err);
	if (strncmp(s, "unix://", 7) == 0)
		return parse_unix(u, s + 7, err);
	if (strncmp(s, "rediss://", 9) == 0)
		return bad(u, err, "TLS (rediss://) is not supported: use "
		    "redis:// or unix://");
	return bad(u, err, "expected " URL_FORMS);
}

char *
redisurl_password_file(const char *file)
{
	const char *dir;
	char *f;

	if (file != NULL && file[0] != '\0')
		return xstrdup(file);
	/* SPEC §7: under systemd, LoadCredential=redis-password */
	dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir == NULL || dir[0] != '/')
		return NULL;
	f = xasprintf("%s/" REDISURL_CREDENTIAL, dir);
	if (access(f, F_OK) == 0)
		return f;
	free(f);
	return NULL;
}

char *
redisurl_read_password(const char *path, struct ew_err *err)
{
	char *line = NULL, *pw = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	f = fopen(path, "re");
	if (f == NULL) {
		ew_err_set(err, path, 0, 0, "cannot open password file: %s",
		    strerror(errno));
		return NULL;
	}
	n = getline(&line, &cap, f);
	if (n < 0 && ferror(f)) {
		ew_err_set(err, path, 0, 0, "cannot read password file: %s",
		    strerror(errno));
		goto out;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (n <= 0) {
		ew_err_set(err, path, 0, 0, "password file is empty");
		goto out;
	}
	if ((size_t)n != strlen(line)) {
		ew_err_set(err, path, 0, 0, "password file holds a NUL byte");
		goto out;
	}
	pw = xstrdup(line);
out:
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	fclose(f);
	return pw;
}

int
redisurl_credential(struct redisurl *u, const char *file,
    struct ew_err *err)
{
	char *path = redisurl_password_file(file), *pw;

	if (path == NULL)
		return 0;	/* the URL's password, or none */
	pw = redisurl_read_password(path, err);
	free(path);
	if (pw == NULL)
		return -1;
	wipe(u->password);
	u->password = pw;
	return 0;
}
