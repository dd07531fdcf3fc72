/*
 * test_tailer: one followed file in a real temp dir, through tailer_step:
 * reads across appends, fingerprints and identity, offset records,
 * rotation, deletion, truncation (plain and regrown, restarted at 0 by
 * the tailer), fresh lines after a seek back, overlong lines reported
 * when cut, symlink swaps, bad paths, NUL bytes and parking. The tailer
 * touches no loop, so neither does this test; it ends by checking that
 * no descriptor leaked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "hmap.h"
#include "check.h"
#include "fdcount.h"
#include "keys.h"
#include "tailer.h"

static char dir[64];

static char *
tpath(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
put(const char *path, const char *data, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);

	CHECK(fd != -1);
	CHECK_INT_EQ(write(fd, data, len), (long long)len);
	close(fd);
}

static void
put_str(const char *path, const char *s)
{
	put(path, s, strlen(s), O_TRUNC);
}

static void
append_str(const char *path, const char *s)
{
	put(path, s, strlen(s), O_APPEND);
}

static uint64_t fresh_bytes;	/* delivered as fresh */

static void
collect_cb(void *arg, const char *buf, size_t len, bool fresh)
{
	buf_append(arg, buf, len);
	if (fresh)
		fresh_bytes += len;
}

static struct tailer_step last;	/* of the last step below */

/* A read of up to max bytes through buf[cap] into got. Returns the bytes
 * read or the negative errno. */
static int64_t
rd_at(struct tailer *t, char *buf, size_t cap, uint64_t max,
    struct buf *got, uint64_t wall_ms)
{
	struct tailer_look look = { TAILER_READ, wall_ms, NULL, buf, cap, max,
	    collect_cb, got };
	int r = tailer_step(t, &look, &last);

	return r < 0 ? r : (int64_t)last.bytes;
}

static int64_t
rd(struct tailer *t, char *buf, size_t cap, uint64_t max, struct buf *got)
{
	return rd_at(t, buf, cap, max, got, 0);
}

/* A safety-net look; returns the events. */
static unsigned
chk_at(struct tailer *t, uint64_t wall_ms, const struct stat *seen)
{
	struct tailer_look look = { TAILER_CHECK, wall_ms, seen, NULL, 0, 0,
	    collect_cb, NULL };

	CHECK_INT_EQ(tailer_step(t, &look, &last), 0);
	return last.events;
}

static unsigned
chk(struct tailer *t)
{
	return chk_at(t, 0, NULL);
}

/* Where t stands: a step that looks at nothing makes no syscall. */
static struct tailer_step
pos(struct tailer *t)
{
	struct tailer_look look = { 0, 0, NULL, NULL, 0, 0, collect_cb, NULL };
	struct tailer_step out;

	(void)tailer_step(t, &look, &out);
	return out;
}

static void
finish(struct tailer *t, struct buf *got)
{
	struct tailer_look look = { 0, 0, NULL, NULL, 0, 0, collect_cb, got };

	tailer_finish(t, &look, &last);
}

static struct tailer *
open_ok(const char *path)
{
	struct ew_err err = { 0 };
	struct tailer *t = tailer_open(path, 4096, &err);

	if (t == NULL)
		fprintf(stderr, "%s: %s\n", path, err.msg);
	CHECK(t != NULL);
	return t;
}

static void
test_hash(void)
{
	/* pinned: the hash is stored in Redis, it must never change */
	CHECK_UINT_EQ(ew_hash("", 0), 0x9ca066f1a4ab2eeaULL);
	CHECK_UINT_EQ(ew_hash("abc", 3), 0x6213f46a24b18329ULL);
	CHECK_UINT_EQ(ew_hash("0123456789abcdefX", 17),
	    0xef1d4e2beff92bebULL);
	CHECK(ew_hash("abc", 3) != ew_hash("abd", 3));
	CHECK(ew_hash("abc", 3) != ew_hash("abc\0", 4));
	CHECK(ew_hash("", 0) != ew_hash("\0", 1));
}

/* Lines across appends, small chunks, a held partial line, max_bytes. */
static void
test_read(void)
{
	char *p = tpath("read.log");
	struct buf got = { 0 };
	struct offset_rec rec;
	struct tailer *t;
	char chunk[4];

	put_str(p, "a1\nb2\npar");
	t = open_ok(p);
	CHECK_UINT_EQ(pos(t).offset, 0);
	CHECK_INT_EQ(rd(t, chunk, sizeof(chunk), UINT64_MAX, &got), 9);
	CHECK_MEM_EQ(got.p, got.len, "a1\nb2\n", 6);
	CHECK_UINT_EQ(last.offset, 9);
	CHECK_UINT_EQ(last.committed, 6);
	CHECK_UINT_EQ(last.size, 9);
	CHECK_INT_EQ(tailer_record(t, 77, &rec), 0);
	CHECK_UINT_EQ(rec.offset, 6);
	CHECK_UINT_EQ(rec.tail_hash, ew_hash("a1\nb2\n", 6));
	CHECK_UINT_EQ(rec.seen_s, 77);
	CHECK_UINT_EQ(rec.dev, tailer_id(t)->dev);
	CHECK_UINT_EQ(rec.ino, tailer_id(t)->ino);
	CHECK_STR_EQ(rec.path, p);
	CHECK_INT_EQ(rd(t, chunk, sizeof(chunk), UINT64_MAX, &got), 0);

	append_str(p, "tial\nc\n");
	CHECK_UINT_EQ(chk(t), TAILER_GREW);
	CHECK_UINT_EQ(last.size, 16);
	CHECK_INT_EQ(rd(t, chunk, sizeof(chunk), UINT64_MAX, &got), 7);
	CHECK_MEM_EQ(got.p, got.len, "a1\nb2\npartial\nc\n", 16);
	CHECK_UINT_EQ(last.committed, 16);
	CHECK_UINT_EQ(chk(t), 0);
	CHECK_INT_EQ(tailer_record(t, 0, &rec), 0);
	CHECK_UINT_EQ(rec.tail_hash, ew_hash("a1\nb2\npartial\nc\n", 16));

	/* max_bytes stops mid-line; the rest comes next time */
	append_str(p, "0123456789\n");
	CHECK_INT_EQ(rd(t, chunk, sizeof(chunk), 3, &got), 3);
	CHECK_UINT_EQ(last.offset, 19);
	CHECK_UINT_EQ(last.committed, 16);
	CHECK_INT_EQ(rd(t, chunk, sizeof(chunk), 100, &got), 8);
	CHECK_MEM_EQ(got.p + 16, got.len - 16, "0123456789\n", 11);
	CHECK_INT_EQ(tailer_record(t, 0, &rec), 0);
	CHECK_UINT_EQ(rec.offset, 27);
	/* the tail spans more than one 4-byte chunk and the held line */
	CHECK_UINT_EQ(rec.tail_hash, ew_hash(got.p, 27));
	CHECK_INT_EQ(tailer_place(t, &rec), 0);

	/* a last line without '\n' counts at the end of the file's life */
	append_str(p, "end");
	buf_reset(&got);
	CHECK_INT_EQ(rd(t, chunk, sizeof(chunk), UINT64_MAX, &got), 3);
	CHECK_UINT_EQ(got.len, 0);
	finish(t, &got);
	CHECK_MEM_EQ(got.p, got.len, "end\n", 4);
	CHECK_UINT_EQ(last.committed, 30);
	CHECK_INT_EQ(tailer_record(t, 0, &rec), 0);
	CHECK_UINT_EQ(rec.offset, 30);
	CHECK_INT_EQ(tailer_place(t, &rec), 0);

	/* seek: back to a line start, and not past the end */
	CHECK_INT_EQ(tailer_seek(t, 31), -ERANGE);
	CHECK_UINT_EQ(pos(t).offset, 30);
	CHECK_INT_EQ(tailer_seek(t, 6), 6);
	CHECK_INT_EQ(tailer_record(t, 0, &rec), 0);
	CHECK_UINT_EQ(rec.tail_hash, ew_hash("a1\nb2\n", 6));
	CHECK_UINT_EQ(chk(t), TAILER_GREW);
	buf_reset(&got);
	CHECK_INT_EQ(rd(t, chunk, sizeof(chunk), UINT64_MAX, &got), 24);
	CHECK_MEM_EQ(got.p, got.len, "partial\nc\n0123456789\n", 21);
	CHECK_UINT_EQ(last.committed, 27);
	CHECK_INT_EQ(tailer_seek(t, TAILER_END), 30);

	tailer_destroy(t);
	buf_free(&got);
	free(p);
}

/* A file shorter than the fingerprint, growing past it. */
static void
test_fingerprint(void)
{
	char *p = tpath("fp.log"), big[3000], buf[512];
	struct tailer_id id;
	struct buf got = { 0 };
	struct tailer *t;
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	big[99] = '\n';
	big[sizeof(big) - 1] = '\n';
	put(p, big, 10, O_TRUNC);
	t = open_ok(p);
	CHECK_UINT_EQ(tailer_id(t)->fp_len, 10);
	CHECK_UINT_EQ(tailer_id(t)->fp_hash, ew_hash(big, 10));
	CHECK(tailer_has_head(t, tailer_id(t)));

	put(p, big + 10, 300, O_APPEND);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 310);
	CHECK_UINT_EQ(tailer_id(t)->fp_len, 310);
	CHECK_UINT_EQ(tailer_id(t)->fp_hash, ew_hash(big, 310));

	put(p, big + 310, sizeof(big) - 310, O_APPEND);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got),
	    (long long)sizeof(big) - 310);
	CHECK_UINT_EQ(tailer_id(t)->fp_len, TAILER_FP_LEN);
	CHECK_UINT_EQ(tailer_id(t)->fp_hash, ew_hash(big, TAILER_FP_LEN));
	CHECK_MEM_EQ(got.p, got.len, big, sizeof(big));

	/* an older, shorter fingerprint of this file still matches */
	id = *tailer_id(t);
	id.fp_len = 10;
	id.fp_hash = ew_hash(big, 10);
	CHECK(tailer_has_head(t, &id));
	id.fp_len = 310;
	id.fp_hash = ew_hash(big, 310);
	CHECK(tailer_has_head(t, &id));
	id.fp_len = 10;
	id.fp_hash = ew_hash(big + 1, 10);
	CHECK(!tailer_has_head(t, &id));
	id.fp_len = 0;
	id.fp_hash = ew_hash(big, 0);
	CHECK(!tailer_has_head(t, &id));
	id.fp_len = TAILER_FP_LEN + 1;
	CHECK(!tailer_has_head(t, &id));

	tailer_destroy(t);
	buf_free(&got);
	free(p);
}

/* Identity: the inode decides, the head tells a reused inode. */
static const struct {
	struct tailer_id a, b;
	bool same;
} id_cases[] = {
	{ { 1, 2, 10, 7 }, { 1, 2, 10, 7 }, true },
	{ { 1, 2, 10, 7 }, { 1, 3, 10, 7 }, false },	/* another inode */
	{ { 1, 2, 10, 7 }, { 9, 2, 10, 7 }, false },	/* another device */
	{ { 1, 2, 10, 7 }, { 1, 2, 10, 8 }, false },	/* reused inode */
	{ { 1, 2, 10, 7 }, { 1, 2, 20, 8 }, true },	/* grown */
	{ { 1, 2, 0, 0 }, { 1, 2, 10, 7 }, true },	/* inode only */
	{ { 1, 2, 10, 7 }, { 1, 2, 0, 0 }, true },
};

static void
test_id(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(id_cases); i++) {
		CHECK_INT_EQ(tailer_id_same(&id_cases[i].a, &id_cases[i].b),
		    id_cases[i].same);
		CHECK_INT_EQ(tailer_id_same(&id_cases[i].b, &id_cases[i].a),
		    id_cases[i].same);
	}
}

/* Offset records: our own places; rewritten or replaced files don't. */
static void
test_place(void)
{
	char *p = tpath("verify.log"), *q = tpath("verify.new"), buf[64];
	struct ew_err err = { 0 };
	struct offset_rec rec, empty;
	struct tailer_id id;
	struct buf got = { 0 };
	struct tailer *t, *t2;
	int fd;

	put_str(p, "");
	t = open_ok(p);
	CHECK_INT_EQ(tailer_record(t, 1, &empty), 0);
	CHECK_UINT_EQ(empty.fp_len, 0);
	CHECK_INT_EQ(tailer_place(t, &empty), 0);

	put_str(p, "one\ntwo\nthree\n");
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 14);
	CHECK_INT_EQ(tailer_record(t, 1, &rec), 0);
	/* the empty file's record still describes this file at offset 0 */
	CHECK_INT_EQ(tailer_place(t, &empty), 0);
	CHECK_UINT_EQ(pos(t).offset, 0);
	CHECK_INT_EQ(tailer_place(t, &rec), 0);
	CHECK_UINT_EQ(pos(t).offset, 14);
	rec.ino++;
	CHECK_INT_EQ(tailer_place(t, &rec), -ESTALE);
	rec.ino--;
	rec.offset = 15;	/* past the end */
	CHECK_INT_EQ(tailer_place(t, &rec), -ESTALE);
	rec.offset = 14;
	CHECK_UINT_EQ(pos(t).offset, 14);

	/* same inode, same length, other bytes */
	fd = open(p, O_WRONLY | O_CLOEXEC);
	CHECK(fd != -1);
	CHECK_INT_EQ(pwrite(fd, "ONE\ntwo\nthreE\n", 14, 0), 14);
	close(fd);
	CHECK_INT_EQ(tailer_place(t, &rec), -ESTALE);
	tailer_destroy(t);

	/* a new file of the same content under the name: another inode */
	put_str(p, "one\ntwo\nthree\n");
	t = open_ok(p);
	CHECK_INT_EQ(tailer_place(t, &rec), 0);
	put_str(q, "one\ntwo\nthree\n");
	CHECK(rename(q, p) == 0);
	t2 = tailer_open(p, 4096, &err);
	CHECK(t2 != NULL);
	CHECK_INT_EQ(tailer_place(t2, &rec), -ESTALE);
	/* a copy: the same head */
	id = *tailer_id(t);
	CHECK(tailer_has_head(t2, &id));
	CHECK(!tailer_id_same(tailer_id(t2), &id));
	tailer_destroy(t2);
	tailer_destroy(t);
	buf_free(&got);
	free(p);
	free(q);
}

/* Rename rotation, deletion, truncation, truncate-and-regrow: the step
 * restarts at 0 by itself. */
static void
test_events(void)
{
	char *p = tpath("ev.log"), *p1 = tpath("ev.log.1"), buf[4096];
	struct buf got = { 0 }, fill = { 0 };
	struct tailer_id before;
	struct tailer *t;
	int i, wfd;

	/* rename: the old file reads on, the name is someone else's */
	put_str(p, "x\n");
	t = open_ok(p);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 2);
	CHECK_UINT_EQ(chk(t), 0);
	CHECK(rename(p, p1) == 0);
	CHECK_UINT_EQ(chk(t), TAILER_MOVED);
	append_str(p1, "y\n");
	put_str(p, "new\n");
	CHECK_UINT_EQ(chk(t), TAILER_MOVED | TAILER_GREW);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 2);
	CHECK_MEM_EQ(got.p, got.len, "x\ny\n", 4);
	tailer_set_path(t, p1);
	CHECK_STR_EQ(tailer_path(t), p1);
	CHECK_UINT_EQ(chk(t), 0);
	tailer_destroy(t);

	/* delete: the descriptor still reads to the end */
	wfd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
	CHECK(wfd != -1);
	t = open_ok(p);
	CHECK(unlink(p) == 0);
	CHECK_INT_EQ(write(wfd, "last\n", 5), 5);
	close(wfd);
	CHECK_UINT_EQ(chk(t), TAILER_DELETED | TAILER_MOVED | TAILER_GREW);
	buf_reset(&got);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 9);
	CHECK_MEM_EQ(got.p, got.len, "new\nlast\n", 9);
	CHECK_UINT_EQ(chk(t), TAILER_DELETED | TAILER_MOVED);
	tailer_destroy(t);

	/* truncate to 0: restarted at 0 by the look that sees it */
	put_str(p, "abc\ndef\n");
	t = open_ok(p);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 8);
	before = *tailer_id(t);
	CHECK(truncate(p, 0) == 0);
	CHECK_UINT_EQ(chk(t), TAILER_TRUNCATED);
	CHECK_UINT_EQ(last.size, 0);
	CHECK_UINT_EQ(last.was, 8);
	CHECK(tailer_id_same(&last.was_id, &before));
	CHECK_UINT_EQ(last.offset, 0);
	CHECK_UINT_EQ(tailer_id(t)->fp_len, 0);
	CHECK_UINT_EQ(chk(t), 0);
	tailer_destroy(t);

	/* truncated and regrown past the old offset between two looks: only
	 * the bytes before the offset tell */
	for (i = 0; i < 20; i++)
		buf_puts(&fill, "aaaa\n");
	put_str(p, fill.p);
	t = open_ok(p);
	CHECK_INT_EQ(rd(t, buf, 7, UINT64_MAX, &got), 100);
	buf_reset(&fill);
	for (i = 0; i < 30; i++)
		buf_puts(&fill, "bbbb\n");
	put_str(p, fill.p);	/* O_TRUNC: same inode */
	/* a read sees it, reads nothing from the middle of the new content
	 * and restarts at 0 with the new head's fingerprint; through a
	 * small buffer and a large one alike */
	buf_reset(&got);
	CHECK_INT_EQ(rd(t, buf, 7, UINT64_MAX, &got), 150);
	CHECK_UINT_EQ(last.events, TAILER_TRUNCATED);
	CHECK_UINT_EQ(last.was, 100);
	CHECK_MEM_EQ(got.p, got.len, fill.p, fill.len);
	CHECK_UINT_EQ(tailer_id(t)->fp_hash, ew_hash(fill.p, fill.len));
	put_str(p, "cc\n");	/* shifts the period: another tail */
	buf_puts(&fill, "dddd\n");
	append_str(p, fill.p);
	buf_reset(&got);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 158);
	CHECK_UINT_EQ(last.events, TAILER_TRUNCATED);
	CHECK_UINT_EQ(last.was, 150);
	CHECK_UINT_EQ(got.len, 158);
	/* the safety net sees a regrown file too */
	buf_reset(&fill);
	for (i = 0; i < 40; i++)
		buf_puts(&fill, "eeee\n");
	put_str(p, fill.p);
	CHECK_UINT_EQ(chk(t), TAILER_GREW | TAILER_TRUNCATED);
	CHECK_UINT_EQ(last.was, 158);
	CHECK_UINT_EQ(last.offset, 0);
	/* truncated below the offset: a read says so as well */
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 200);
	CHECK(truncate(p, 10) == 0);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 10);
	CHECK_UINT_EQ(last.events, TAILER_TRUNCATED);
	CHECK_UINT_EQ(last.was, 200);
	CHECK_MEM_EQ(got.p + got.len - 10, 10, "eeee\neeee\n", 10);
	tailer_destroy(t);

	buf_free(&fill);
	buf_free(&got);
	free(p);
	free(p1);
}

/* Lines delivered again after a seek back are not fresh; a truncation
 * makes every line fresh again; a block that straddles the mark is cut at
 * it. */
static void
test_fresh(void)
{
	char *p = tpath("fresh.log"), buf[4096];
	struct buf got = { 0 };
	struct tailer *t;

	put_str(p, "a1\nb2\n");
	t = open_ok(p);
	fresh_bytes = 0;
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 6);
	CHECK_UINT_EQ(fresh_bytes, 6);
	CHECK_INT_EQ(tailer_seek(t, 3), 3);
	append_str(p, "c3\n");
	buf_reset(&got);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 6);
	CHECK_MEM_EQ(got.p, got.len, "b2\nc3\n", 6);
	CHECK_UINT_EQ(fresh_bytes, 9);		/* only "c3\n" */
	/* through a small buffer: a held line completed past the mark */
	CHECK_INT_EQ(tailer_seek(t, 0), 0);
	append_str(p, "d4\n");
	CHECK_INT_EQ(rd(t, buf, 2, UINT64_MAX, &got), 12);
	CHECK_UINT_EQ(fresh_bytes, 12);
	/* the held last line at the end of its life */
	CHECK_INT_EQ(tailer_seek(t, 12), 12);
	append_str(p, "e5");
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 2);
	finish(t, &got);
	CHECK_UINT_EQ(fresh_bytes, 15);
	/* truncated: new content, new lines */
	put_str(p, "f6\n");
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 3);
	CHECK_UINT_EQ(last.events, TAILER_TRUNCATED);
	CHECK_UINT_EQ(fresh_bytes, 18);
	tailer_destroy(t);
	buf_free(&got);
	free(p);
}

/* Overlong lines cut in the held path are reported by the step that cuts
 * them, not at the end of the file's life. */
static void
test_long_lines(void)
{
	char *p = tpath("long.log"), buf[8], line[40];
	struct ew_err err = { 0 };
	struct buf got = { 0 };
	struct tailer *t;

	memset(line, 'x', sizeof(line));
	put(p, line, sizeof(line), O_TRUNC);
	t = tailer_open(p, 16, &err);
	CHECK(t != NULL);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 40);
	CHECK_UINT_EQ(last.long_lines, 0);	/* not ended yet */
	append_str(p, "\nshort\n");
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 7);
	CHECK_UINT_EQ(last.long_lines, 1);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 0);
	CHECK_UINT_EQ(last.long_lines, 0);
	put(p, line, sizeof(line), O_APPEND);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 40);
	finish(t, &got);
	CHECK_UINT_EQ(last.long_lines, 1);
	tailer_destroy(t);
	buf_free(&got);
	free(p);
}

/* A symlinked path follows its target; a new target is a rotation. */
static void
test_symlink(void)
{
	char *link = tpath("sym.log"), *a = tpath("target-a"),
	    *b = tpath("target-b"), *tmp = tpath("sym.tmp"), buf[64];
	struct buf got = { 0 };
	struct tailer *t;

	put_str(a, "from a\n");
	put_str(b, "from b\n");
	CHECK(symlink(a, link) == 0);
	t = open_ok(link);
	CHECK_UINT_EQ(chk(t), TAILER_GREW);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 7);
	CHECK_MEM_EQ(got.p, got.len, "from a\n", 7);
	CHECK_UINT_EQ(chk(t), 0);
	CHECK(symlink(b, tmp) == 0);
	CHECK(rename(tmp, link) == 0);	/* ln -sfn */
	CHECK_UINT_EQ(chk(t), TAILER_MOVED);
	tailer_destroy(t);
	buf_free(&got);
	free(link);
	free(a);
	free(b);
	free(tmp);
}

/* Bad paths, NUL bytes. */
static void
test_bad_input(void)
{
	static const char nul[] = "a\0b\nc\0\n\0";
	char *p = tpath("nul.log"), *gone = tpath("vanished.log"), buf[64];
	struct ew_err err = { 0 };
	struct buf got = { 0 };
	struct tailer *t;

	errno = 0;
	CHECK(tailer_open(dir, 4096, &err) == NULL);
	CHECK_INT_EQ(errno, EISDIR);
	CHECK_STR_EQ(err.msg, "is a directory");
	CHECK_STR_EQ(err.file, dir);

	/* found by a scan, gone before the open */
	put_str(gone, "x\n");
	CHECK(unlink(gone) == 0);
	ew_err_clear(&err);
	CHECK(tailer_open(gone, 4096, &err) == NULL);
	CHECK_INT_EQ(errno, ENOENT);
	CHECK(strstr(err.msg, strerror(ENOENT)) != NULL);

	ew_err_clear(&err);
	CHECK(tailer_open("/dev/null", 4096, &err) == NULL);
	CHECK_INT_EQ(errno, EINVAL);
	CHECK_STR_EQ(err.msg, "not a regular file");

	put(p, nul, sizeof(nul) - 1, O_TRUNC);
	t = open_ok(p);
	CHECK_INT_EQ(rd(t, buf, 3, UINT64_MAX, &got), 8);
	CHECK_MEM_EQ(got.p, got.len, "a\0b\nc\0\n", 7);
	CHECK_UINT_EQ(last.committed, 7);
	finish(t, &got);
	CHECK_MEM_EQ(got.p, got.len, "a\0b\nc\0\n\0\n", 9);
	tailer_destroy(t);
	tailer_destroy(NULL);
	buf_free(&got);
	free(p);
	free(gone);
}

/* max_open_files and closed files: park the descriptor, keep the place. */
static void
test_park(void)
{
	char *p = tpath("susp.log"), *q = tpath("susp.new"), buf[64];
	struct tailer_look look = { TAILER_CHECK | TAILER_READ, 0, NULL, buf,
	    sizeof(buf), UINT64_MAX, collect_cb, NULL };
	struct buf got = { 0 };
	struct tailer_step out;
	struct tailer *t;

	look.arg = &got;
	put_str(p, "1\n");
	t = open_ok(p);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 2);
	CHECK(!tailer_is_parked(t));
	tailer_park(t);
	tailer_park(t);
	CHECK(tailer_is_parked(t));
	CHECK_INT_EQ(tailer_step(t, &look, &out), -EBADF);
	CHECK_INT_EQ(tailer_seek(t, 0), -EBADF);
	append_str(p, "2\n");
	CHECK_INT_EQ(tailer_unpark(t), 0);
	CHECK(!tailer_is_parked(t));
	CHECK_INT_EQ(tailer_unpark(t), 0);
	CHECK_UINT_EQ(pos(t).offset, 2);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 2);
	CHECK_MEM_EQ(got.p, got.len, "1\n2\n", 4);

	tailer_park(t);
	put_str(q, "1\n2\n");
	CHECK(rename(q, p) == 0);
	CHECK_INT_EQ(tailer_unpark(t), -ESTALE);
	CHECK(tailer_is_parked(t));
	CHECK(unlink(p) == 0);
	CHECK_INT_EQ(tailer_unpark(t), -ENOENT);
	tailer_destroy(t);	/* parked: nothing to close */
	buf_free(&got);
	free(p);
	free(q);
}

/* read(2)/pread(2) calls made so far by this process (/proc/self/io
 * syscr), or -1 if the kernel does not count them. Each call of this
 * makes one read of its own. */
static long long
read_calls(void)
{
	char b[512], *p;
	ssize_t n;
	int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	p = strstr(b, "syscr:");
	return p == NULL ? -1 : strtoll(p + 6, NULL, 10);
}

/* The preads op made: the calls between two read_calls(), less the
 * one read_calls() makes itself. */
#define PREADS(op, out) do { \
	long long r0_ = read_calls(); \
	op; \
	(out) = read_calls() - r0_ - 1; \
	if (r0_ < 0) \
		(out) = -1; \
} while (0)

static uint64_t
wall_now_ms(void)
{
	struct timespec ts;

	CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* An idle file is looked at with fstat alone once its timestamps are
 * older than the last look by TAILER_RACY_MS; any write after that look
 * moves them, so a rewrite of the same size is still seen. A wall clock
 * TAILER_RACY_MS ahead stands in for waiting. */
static void
test_settled(void)
{
	char *p = tpath("settled.log"), *p1 = tpath("settled.log.1"),
	    buf[4096];
	uint64_t later = wall_now_ms() + TAILER_RACY_MS + 1000;
	struct buf got = { 0 };
	struct stat st;
	struct tailer *t;
	long long n;
	int64_t r;

	put_str(p, "aaaa\nbbbb\n");
	t = open_ok(p);
	CHECK_INT_EQ(rd_at(t, buf, sizeof(buf), UINT64_MAX, &got, later), 10);
	/* the first empty read preads; the next one fstats first and
	 * preads (nothing vouched yet); then fstat alone */
	CHECK_INT_EQ(rd_at(t, buf, sizeof(buf), UINT64_MAX, &got, later), 0);
	CHECK_INT_EQ(rd_at(t, buf, sizeof(buf), UINT64_MAX, &got, later), 0);
	PREADS(r = rd_at(t, buf, sizeof(buf), UINT64_MAX, &got, later), n);
	CHECK_INT_EQ(r, 0);
	if (n >= 0)
		CHECK_INT_EQ(n, 0);
	/* the clock unknown or the timestamps fresh: a pread each time */
	PREADS(r = rd(t, buf, sizeof(buf), UINT64_MAX, &got), n);
	CHECK_INT_EQ(r, 0);
	if (n >= 0)
		CHECK_INT_EQ(n, 1);
	/* growth is read, and the next empty reads pread again */
	append_str(p, "cc\n");
	CHECK_INT_EQ(rd_at(t, buf, sizeof(buf), UINT64_MAX, &got, later), 3);
	CHECK_MEM_EQ(got.p, got.len, "aaaa\nbbbb\ncc\n", 13);
	CHECK_INT_EQ(rd_at(t, buf, sizeof(buf), UINT64_MAX, &got,
	    wall_now_ms()), 0);
	PREADS(r = rd_at(t, buf, sizeof(buf), UINT64_MAX, &got,
	    wall_now_ms()), n);
	CHECK_INT_EQ(r, 0);
	if (n >= 0)
		CHECK_INT_EQ(n, 1);	/* just written: not settled */
	CHECK_INT_EQ(rd_at(t, buf, sizeof(buf), UINT64_MAX, &got, later), 0);
	PREADS(r = rd_at(t, buf, sizeof(buf), UINT64_MAX, &got, later), n);
	if (n >= 0)
		CHECK_INT_EQ(n, 0);

	/* the tail check: the first reads, vouches, the next only fstats */
	CHECK_UINT_EQ(chk_at(t, later, NULL), 0);
	PREADS(r = chk_at(t, later, NULL), n);
	CHECK_INT_EQ(r, 0);
	if (n >= 0)
		CHECK_INT_EQ(n, 0);
	PREADS(r = chk(t), n);
	CHECK_INT_EQ(r, 0);
	if (n >= 0)
		CHECK_INT_EQ(n, 1);

	/* rewritten in place to the same size: the check sees it and
	 * restarts; so does a read */
	put_str(p, "AAAA\nBBBB\nCC\n");
	CHECK_UINT_EQ(chk_at(t, later, NULL), TAILER_TRUNCATED);
	buf_reset(&got);
	CHECK_INT_EQ(rd_at(t, buf, sizeof(buf), UINT64_MAX, &got, later), 13);
	CHECK_MEM_EQ(got.p, got.len, "AAAA\nBBBB\nCC\n", 13);
	put_str(p, "aaaa\nbbbb\ncc\n");
	buf_reset(&got);
	CHECK_INT_EQ(rd_at(t, buf, sizeof(buf), UINT64_MAX, &got, later), 13);
	CHECK_UINT_EQ(last.events, TAILER_TRUNCATED);
	CHECK_MEM_EQ(got.p, got.len, "aaaa\nbbbb\ncc\n", 13);

	/* seen: the caller's stat of the path stands for fstat and stat */
	CHECK(stat(p, &st) == 0);
	CHECK_UINT_EQ(chk_at(t, later, &st), 0);
	CHECK(rename(p, p1) == 0);
	CHECK_UINT_EQ(chk_at(t, later, &st), 0);	/* trusted */
	CHECK_UINT_EQ(chk_at(t, later, NULL), TAILER_MOVED);
	put_str(p, "other\n");
	CHECK(stat(p, &st) == 0);	/* another inode: ignored */
	CHECK_UINT_EQ(chk_at(t, later, &st), TAILER_MOVED);
	CHECK(stat(p1, &st) == 0);
	st.st_size = 20;		/* as if the path showed it longer */
	CHECK_UINT_EQ(chk_at(t, later, &st), TAILER_GREW);
	CHECK_UINT_EQ(last.size, 20);
	st.st_size = 5;			/* and shorter */
	CHECK_UINT_EQ(chk_at(t, later, &st), TAILER_TRUNCATED);
	CHECK_UINT_EQ(last.was, 13);

	tailer_destroy(t);
	buf_free(&got);
	free(p);
	free(p1);
}

/* SPEC §6: a file whose only bytes past the committed offset are a held
 * partial line, copytruncated and regrown past the read offset before the
 * next look: the bytes before committed (none) still hash right, so the
 * held bytes before the read offset must be checked too. */
static void
test_held_truncated(void)
{
	const char *head = "ts=1764010000000000000 level=error code=500 ";
	const char *next =
	    "ts=1764010000000000001 level=error code=461 name=P n=1\n";
	char *p = tpath("held.log"), *c = tpath("held.log.1"), buf[4096];
	struct buf got = { 0 };
	struct tailer_id before;
	struct tailer *t, *copy;

	CHECK_UINT_EQ(strlen(head), 44);
	put_str(p, "");
	t = open_ok(p);
	append_str(p, head);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 44);
	CHECK_UINT_EQ(got.len, 0);		/* held: no newline yet */
	CHECK_UINT_EQ(last.offset, 44);
	CHECK_UINT_EQ(last.committed, 0);
	CHECK_UINT_EQ(chk(t), 0);
	CHECK_UINT_EQ(chk_at(t, wall_now_ms(), NULL), 0);
	before = *tailer_id(t);
	CHECK_UINT_EQ(before.fp_len, 44);
	/* copytruncate, then the writer goes on past 44 bytes */
	put_str(c, head);
	put_str(p, next);
	CHECK_UINT_EQ(chk_at(t, wall_now_ms(), NULL),
	    TAILER_GREW | TAILER_TRUNCATED);
	CHECK_UINT_EQ(last.was, 0);
	CHECK(tailer_id_same(&last.was_id, &before));
	/* the copy is known by the fingerprint the held bytes gave */
	copy = open_ok(c);
	CHECK(tailer_has_head(copy, &last.was_id));
	tailer_destroy(copy);
	/* and the read reads the new line whole, nothing glued onto the
	 * held bytes */
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 55);
	CHECK_MEM_EQ(got.p, got.len, next, 55);
	/* the same through a read alone */
	append_str(p, head);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 44);
	put_str(p, next);
	append_str(p, next);
	buf_reset(&got);
	CHECK_INT_EQ(rd(t, buf, sizeof(buf), UINT64_MAX, &got), 110);
	CHECK_UINT_EQ(last.events, TAILER_TRUNCATED);
	CHECK_UINT_EQ(got.len, 110);
	tailer_destroy(t);

	buf_free(&got);
	free(p);
	free(c);
}

int
main(void)
{
	int fds = count_fds();
	char *rm;

	snprintf(dir, sizeof(dir), "/tmp/ew-tailer-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	test_hash();
	test_read();
	test_fingerprint();
	test_id();
	test_place();
	test_events();
	test_fresh();
	test_long_lines();
	test_symlink();
	test_bad_input();
	test_park();
	test_settled();
	test_held_truncated();
	CHECK_INT_EQ(count_fds(), fds);
	rm = xasprintf("rm -rf '%s'", dir);
	CHECK(system(rm) == 0);
	free(rm);
	CHECK_DONE();
}
