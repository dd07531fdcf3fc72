/*
 * test_lines: chunks to blocks of whole lines. CRLF passes through, the
 * held line is cut at max_line and the rest skipped but counted in
 * pending, a partial last line waits for lines_flush, reset drops it, and
 * a text cut into chunks of every size gives back exactly its lines.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "lines.h"

struct sink {
	struct buf	 out;		/* blocks, concatenated */
	struct buf	 log;		/* blocks, each then '|' */
	size_t		 calls;		/* blocks in this feed */
};

static void
block_cb(void *arg, const char *buf, size_t len)
{
	struct sink *s = arg;

	CHECK(len > 0);
	CHECK(buf[len - 1] == '\n');
	s->calls++;
	buf_append(&s->out, buf, len);
	buf_append(&s->log, buf, len);
	buf_puts(&s->log, "|");
}

static void
sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	buf_puts(&s->out, "");
	buf_puts(&s->log, "");
}

static void
sink_free(struct sink *s)
{
	buf_free(&s->out);
	buf_free(&s->log);
}

/* Feeds one chunk from a private copy (so ASan sees stray reads). */
static void
feed(struct lines *l, const char *text, size_t len, struct sink *s)
{
	char *copy = xmalloc(len > 0 ? len : 1);

	memcpy(copy, text, len);
	s->calls = 0;
	lines_feed(l, copy, len, block_cb, s);
	CHECK(s->calls <= 2);
	free(copy);
}

/* --- scripted cases ---------------------------------------------- */

#define MAX_CHUNKS	4

struct feed_case {
	size_t		 max_line;
	const char	*chunks[MAX_CHUNKS];
	const char	*want;		/* blocks, each then '|' */
	uint64_t	 pending;	/* before the flush */
	uint64_t	 longs;		/* before the flush */
	const char	*flushed;	/* what lines_flush gives */
	uint64_t	 longs_after;
};

static const struct feed_case feed_cases[] = {
	/* CRLF passes through: the '\r' is the matcher's business */
	{ 64, { "a\r\nb\r\n" }, "a\r\nb\r\n|", 0, 0, "", 0 },
	{ 64, { "a\r", "\nb\r\n" }, "a\r\n|b\r\n|", 0, 0, "", 0 },
	/* one call for the held line, one for the run of whole lines */
	{ 64, { "ab", "c\nd\ne\nf" }, "abc\n|d\ne\n|", 1, 0, "f\n|", 0 },
	{ 64, { "ab", "c", "d" }, "", 4, 0, "abcd\n|", 0 },
	{ 64, { "\n\n", "\n" }, "\n\n|\n|", 0, 0, "", 0 },
	{ 64, { "a\nbc" }, "a\n|", 2, 0, "bc\n|", 0 },
	/* overlong, split across chunks: cut, the rest skipped */
	{ 8, { "0123456789", "abcdef", "gh\nnext\n" },
	    "01234567\n|next\n|", 0, 1, "", 1 },
	{ 8, { "0123456789", "abcdef" }, "", 16, 0, "01234567\n|", 1 },
	{ 8, { "0123", "456789\nx" }, "01234567\n|", 1, 1, "x\n|", 1 },
	/* a whole overlong line inside one chunk goes as is */
	{ 8, { "0123456789\n" }, "0123456789\n|", 0, 0, "", 0 },
	/* exactly max_line plus '\r' is not overlong; one more byte is */
	{ 8, { "01234567\r", "\n" }, "01234567\r\n|", 0, 0, "", 0 },
	{ 8, { "012345678\r", "\n" }, "01234567\n|", 0, 1, "", 1 },
	{ 8, { "0123456", "7\r" }, "", 9, 0, "01234567\r\n|", 0 },
	{ 8, { "0123456", "78" }, "", 9, 0, "01234567\n|", 1 },
	/* empty chunks change nothing */
	{ 8, { "", "a", "", "\n" }, "a\n|", 0, 0, "", 0 },
};

static void
test_feed_cases(void)
{
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(feed_cases); i++) {
		const struct feed_case *c = &feed_cases[i];
		struct lines *l = lines_create(c->max_line);
		struct sink s;

		sink_init(&s);
		for (j = 0; j < MAX_CHUNKS && c->chunks[j] != NULL; j++)
			feed(l, c->chunks[j], strlen(c->chunks[j]), &s);
		if (strcmp(s.log.p, c->want) != 0)
			fprintf(stderr, "feed case %zu\n", i);
		CHECK_STR_EQ(s.log.p, c->want);
		CHECK_UINT_EQ(lines_pending(l), c->pending);
		CHECK_UINT_EQ(lines_long_count(l), c->longs);
		buf_reset(&s.log);
		buf_puts(&s.log, "");
		lines_flush(l, block_cb, &s);
		CHECK_STR_EQ(s.log.p, c->flushed);
		CHECK_UINT_EQ(lines_pending(l), 0);
		CHECK_UINT_EQ(lines_long_count(l), c->longs_after);
		lines_flush(l, block_cb, &s);	/* nothing left */
		CHECK_STR_EQ(s.log.p, c->flushed);
		sink_free(&s);
		lines_destroy(l);
	}
	lines_destroy(NULL);
}

/* --- every chunk size -------------------------------------------- */

/* What lines must deliver for text in chunks of size n: a line inside one
 * chunk as is, a line that crosses a chunk boundary cut to max_line. */
static void
model(const char *text, size_t len, size_t n, size_t max_line,
    struct buf *out, uint64_t *longs)
{
	size_t ls = 0, eol, content;
	const char *nl;

	*longs = 0;
	while ((nl = memchr(text + ls, '\n', len - ls)) != NULL) {
		eol = (size_t)(nl - text);
		content = eol - ls;
		if (content > 0 && text[eol - 1] == '\r')
			content--;
		if (ls / n != eol / n && content > max_line) {
			(*longs)++;
			buf_append(out, text + ls, max_line);
		} else
			buf_append(out, text + ls, eol - ls);
		buf_puts(out, "\n");
		ls = eol + 1;
	}
}

static void
test_every_size(void)
{
	static const char text[] =
	    "ts=1 code=461 name=Punishment\r\n"
	    "\n"
	    "short\n"
	    "0123456789abcdef\r\n"		/* max_line + '\r' */
	    "0123456789abcdefg\n"		/* max_line + 1 */
	    "a very long line, far over the sixteen bytes of max_line\n"
	    "\r\n"
	    "x\0y\xff\xfe\n"
	    "tail without newline";
	const size_t len = sizeof(text) - 1, max_line = 16;
	size_t n, off, k;
	uint64_t longs;

	for (n = 1; n <= len + 1; n++) {
		struct lines *l = lines_create(max_line);
		struct buf want = { 0 };
		struct sink s;

		sink_init(&s);
		buf_puts(&want, "");
		model(text, len, n, max_line, &want, &longs);
		for (off = 0; off < len; off += k) {
			k = EW_MIN(n, len - off);
			feed(l, text + off, k, &s);
		}
		CHECK_MEM_EQ(s.out.p, s.out.len, want.p, want.len);
		CHECK_UINT_EQ(lines_long_count(l), longs);
		CHECK_UINT_EQ(lines_pending(l), strlen("tail without newline"));
		lines_flush(l, block_cb, &s);
		buf_puts(&want, "tail without new\n");	/* 16 kept */
		CHECK_MEM_EQ(s.out.p, s.out.len, want.p, want.len);
		CHECK_UINT_EQ(lines_pending(l), 0);
		buf_free(&want);
		sink_free(&s);
		lines_destroy(l);
	}
	/* lines within max_line come back exactly, whatever the chunks */
	for (n = 1; n <= 40; n++) {
		static const char plain[] = "a\nbb\r\n\n0123456789abcdef\ncc\n";
		struct lines *l = lines_create(max_line);
		struct sink s;

		sink_init(&s);
		for (off = 0; off < sizeof(plain) - 1; off += k) {
			k = EW_MIN(n, sizeof(plain) - 1 - off);
			feed(l, plain + off, k, &s);
		}
		CHECK_STR_EQ(s.out.p, plain);
		CHECK_UINT_EQ(lines_pending(l), 0);
		CHECK_UINT_EQ(lines_long_count(l), 0);
		sink_free(&s);
		lines_destroy(l);
	}
}

/* --- reset and a huge line --------------------------------------- */

static void
test_reset(void)
{
	struct lines *l = lines_create(8);
	struct sink s;

	sink_init(&s);
	feed(l, "abc", 3, &s);
	CHECK_UINT_EQ(lines_pending(l), 3);
	lines_reset(l);
	CHECK_UINT_EQ(lines_pending(l), 0);
	feed(l, "d\n", 2, &s);
	CHECK_STR_EQ(s.log.p, "d\n|");
	/* reset in the skipped part of an overlong line */
	feed(l, "0123456789abcdefghij", 20, &s);
	CHECK_UINT_EQ(lines_pending(l), 20);
	lines_reset(l);
	feed(l, "x\n", 2, &s);
	CHECK_STR_EQ(s.log.p, "d\n|x\n|");
	CHECK_UINT_EQ(lines_long_count(l), 0);
	lines_flush(l, block_cb, &s);
	CHECK_STR_EQ(s.log.p, "d\n|x\n|");
	sink_free(&s);
	lines_destroy(l);
}

static void
test_huge_line(void)
{
	const size_t chunk = 4096, total = 100u << 20, max_line = 65536;
	struct lines *l = lines_create(max_line);
	char *p = xmalloc(chunk);
	struct sink s;
	size_t off;

	sink_init(&s);
	memset(p, 'z', chunk);
	for (off = 0; off < total; off += chunk)
		lines_feed(l, p, chunk, block_cb, &s);
	CHECK_UINT_EQ(lines_pending(l), total);
	CHECK_UINT_EQ(s.out.len, 0);
	lines_feed(l, "\nok\n", 4, block_cb, &s);
	CHECK_UINT_EQ(s.out.len, max_line + 1 + 3);
	CHECK(s.out.p[max_line] == '\n');
	CHECK_STR_EQ(s.out.p + max_line + 1, "ok\n");
	CHECK_UINT_EQ(lines_long_count(l), 1);
	CHECK_UINT_EQ(lines_pending(l), 0);
	free(p);
	sink_free(&s);
	lines_destroy(l);
}

int
main(void)
{
	test_feed_cases();
	test_every_size();
	test_reset();
	test_huge_line();
	CHECK_DONE();
}
