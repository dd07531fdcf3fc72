/*
 * lines: one stream's bytes, in chunks of any size, to blocks of whole
 * lines (SPEC §5, §6). It owns the held partial line and nothing else: it
 * reads no fd, never matches, and never copies the whole lines inside a
 * chunk (they go to the callback straight from the caller's buffer).
 *
 * The held line keeps at most max_line + 1 bytes: max_line of content
 * plus room for the '\r' of a CRLF line that is exactly max_line long, so
 * that line is not taken for an overlong one. Bytes past that are counted
 * in pending and dropped. The held buffer grows as needed and is given
 * back once a line that needed more than HELD_KEEP bytes completes: a
 * thousand quiet streams cost a few hundred bytes each, not max_line.
 *
 * Invariants: pending == 0 iff nothing is held; hlen <= pending;
 * hlen <= max_line + 1.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "lines.h"

#define HELD_MIN	256		/* bytes first allocated */
#define HELD_KEEP	4096		/* larger buffers go after use */

struct lines {
	size_t		 max_line;	/* bytes of content kept */
	char		*held;		/* the partial line, lazily */
	size_t		 hcap;		/* bytes allocated */
	size_t		 hlen;		/* bytes kept */
	uint64_t	 pending;	/* raw bytes since the last '\n' */
	char		 last;		/* the last of those bytes */
	uint64_t	 longs;		/* overlong lines it completed */
};

struct lines *
lines_create(size_t max_line)
{
	struct lines *l = xcalloc(1, sizeof(*l));

	l->max_line = max_line;
	return l;
}

void
lines_destroy(struct lines *l)
{
	if (l == NULL)
		return;
	free(l->held);
	free(l);
}

/* The last '\n' in p[0, n), or NULL (memrchr is a GNU extension). It
 * is near the end of a chunk of lines, so a plain loop does. */
static const char *
last_nl(const char *p, size_t n)
{
	while (n > 0)
		if (p[--n] == '\n')
			return p + n;
	return NULL;
}

/* Appends p[0, n) to the held line: what fits is kept, all is counted. */
static void
hold(struct lines *l, const char *p, size_t n)
{
	size_t keep, want;

	if (n == 0)
		return;
	l->pending += n;
	l->last = p[n - 1];
	keep = EW_MIN(n, l->max_line + 1 - l->hlen);
	if (keep == 0)
		return;		/* SPEC §5: the rest is skipped */
	want = l->hlen + keep + 1;	/* + the '\n' added on completion */
	if (want > l->hcap) {
		size_t cap = l->hcap > 0 ? l->hcap : HELD_MIN;

		while (cap < want)
			cap *= 2;
		cap = EW_MIN(cap, l->max_line + 2);
		l->held = xrealloc(l->held, cap);
		l->hcap = cap;
	}
	memcpy(l->held + l->hlen, p, keep);
	l->hlen += keep;
}

/* The held line's newline came (or the stream ended): passes it on. */
static void
complete(struct lines *l, lines_block_fn *block, void *arg)
{
	uint64_t content = l->pending;
	size_t len = l->hlen;

	if (l->last == '\r')
		content--;
	if (content > l->max_line) {
		l->longs++;
		len = l->max_line;
	}
	l->held[len] = '\n';
	block(arg, l->held, len + 1);
	if (l->hcap > HELD_KEEP) {
		free(l->held);
		l->held = NULL;
		l->hcap = 0;
	}
	l->hlen = 0;
	l->pending = 0;
	l->last = 0;
}

void
lines_feed(struct lines *l, const char *buf, size_t len,
    lines_block_fn *block, void *arg)
{
	const char *nl;
	size_t n;

	if (len == 0)
		return;
	nl = memchr(buf, '\n', len);
	if (nl == NULL) {
		hold(l, buf, len);
		return;
	}
	if (l->pending > 0) {
		n = (size_t)(nl - buf);
		hold(l, buf, n);
		complete(l, block, arg);
		buf += n + 1;
		len -= n + 1;
		nl = last_nl(buf, len);
	} else
		nl = last_nl(nl, len - (size_t)(nl - buf));
	if (nl != NULL) {
		n = (size_t)(nl - buf) + 1;
		block(arg, buf, n);
		buf += n;
		len -= n;
	}
	hold(l, buf, len);
}

void
lines_flush(struct lines *l, lines_block_fn *block, void *arg)
{
	if (l->pending > 0)
		complete(l, block, arg);
}

uint64_t
lines_pending(const struct lines *l)
{
	return l->pending;
}

void
lines_reset(struct lines *l)
{
	if (l->hcap > HELD_KEEP) {
		free(l->held);
		l->held = NULL;
		l->hcap = 0;
	}
	l->hlen = 0;
	l->pending = 0;
	l->last = 0;
}

uint64_t
lines_long_count(const struct lines *l)
{
	return l->longs;
}
