/*
 * tailer: one followed file. It owns the descriptor (or, parked, just the
 * path, identity and position), the read offset, the held partial line (a
 * struct lines) and two hashes: the head fingerprint and the hash of the
 * bytes just before the committed offset. It decides everything about its
 * one file: tailer_step looks, reads, and restarts at 0 on a truncation,
 * and reopens the path when the descriptor goes stale. It never decides
 * what an event means for other files and never touches a loop or a
 * clock: the caller steps it when it chooses to.
 *
 * Invariants: committed = offset - lines_pending() is always just after a
 * '\n' (or 0, or a position the caller sought to); win[] holds the last
 * win_len (<= TAILER_TAIL_LEN) bytes before offset as they were read, and
 * tail_hash is the hash of the up to TAILER_TAIL_LEN bytes before
 * committed, as they were read: never re-read, so a file rewritten under
 * us shows up as a mismatch (SPEC §6 truncation, §8 offsets).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "hmap.h"
#include "keys.h"
#include "lines.h"
#include "tailer.h"

struct tailer {
	char		*path;
	int		 fd;		/* -1 while parked */
	struct tailer_id id;		/* dev, ino and head fingerprint */
	uint64_t	 offset;	/* bytes read, held line included */
	uint64_t	 size;		/* bytes, at the last fstat */
	uint64_t	 tail_hash;	/* of the bytes before committed */
	char		 win[TAILER_TAIL_LEN];	/* before offset */
	size_t		 win_len;
	struct lines	*lines;
	uint64_t	 longs_told;	/* lines_long_count() reported */
	uint64_t	 high;		/* bytes: end of the furthest line
					 * delivered since the content began */
	/* The last tail check that read the bytes before committed and
	 * found them right, if its fstat may vouch for later ones: */
	bool		 vouched;
	uint64_t	 v_size;	/* bytes, st_size then */
	uint64_t	 v_committed;
	uint64_t	 v_offset;	/* bytes, held line included */
	uint64_t	 v_tail_hash;
	struct timespec	 v_mtim, v_ctim;
	/* The same for reads: the last read found win[] right at the end
	 * of file (r_offset), after an fstat that may vouch for later
	 * ones. */
	bool		 idle;		/* the last read found nothing */
	bool		 r_vouched;
	uint64_t	 r_offset;
	struct timespec	 r_mtim, r_ctim;
};

/* One chunk being fed: where it sits in the file, so each block of lines
 * can be given its end offset. */
struct feeding {
	struct tailer	*t;
	const struct tailer_look *look;
	const char	*p;		/* the chunk */
	size_t		 n;
	uint64_t	 start;		/* file offset of p[0] */
};

/* pread until len bytes or end of file. Returns the bytes read or a
 * negative errno. */
static ssize_t
pread_full(int fd, void *p, size_t len, uint64_t off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, (char *)p + got, len - got, (off_t)(off + got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return errno == EAGAIN ? (ssize_t)got : -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Hash of the up to TAILER_TAIL_LEN bytes before off, read now. Returns
 * 0 and the hash, or a negative errno (-ERANGE: the file ends before
 * off). */
static int
hash_before(int fd, uint64_t off, uint64_t *hash)
{
	char b[TAILER_TAIL_LEN];
	size_t want = (size_t)EW_MIN(off, (uint64_t)TAILER_TAIL_LEN);
	ssize_t n;

	n = pread_full(fd, b, want, off - want);
	if (n < 0)
		return (int)n;
	if ((size_t)n < want)
		return -ERANGE;
	*hash = ew_hash(b, want);
	return 0;
}

/* Hashes the first min(file, TAILER_FP_LEN) bytes. */
static int
take_fingerprint(struct tailer *t)
{
	char b[TAILER_FP_LEN];
	ssize_t n;

	n = pread_full(t->fd, b, sizeof(b), 0);
	if (n < 0)
		return (int)n;
	t->id.fp_len = (uint32_t)n;
	t->id.fp_hash = ew_hash(b, (size_t)n);
	return 0;
}

static void
destroy(struct tailer *t)
{
	if (t == NULL)
		return;
	if (t->fd != -1)
		close(t->fd);
	lines_destroy(t->lines);
	free(t->path);
	free(t);
}

/* Opens path for reading and checks it is a regular file. Returns the
 * descriptor or -1 with errno set (EISDIR, EINVAL for other types). */
static int
open_regular(const char *path, struct stat *st)
{
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		goto fail;
	if (S_ISDIR(st->st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* On failure errno is left at the cause (ENOENT, EACCES, EISDIR, ...), so
 * the caller can tell EACCES apart without parsing err. */
struct tailer *
tailer_open(const char *path, size_t max_line, struct ew_err *err)
{
	struct tailer *t = xcalloc(1, sizeof(*t));
	struct stat st;
	int r, e = 0;

	t->fd = -1;
	t->path = xstrdup(path);
	t->lines = lines_create(max_line);
	t->fd = open_regular(path, &st);
	if (t->fd == -1) {
		e = errno;
		if (e == EISDIR)
			ew_err_set(err, path, 0, 0, "is a directory");
		else if (e == EINVAL)
			ew_err_set(err, path, 0, 0, "not a regular file");
		else
			ew_err_set(err, path, 0, 0, "open: %s", strerror(e));
		goto fail;
	}
	t->id.dev = (uint64_t)st.st_dev;
	t->id.ino = (uint64_t)st.st_ino;
	t->size = (uint64_t)st.st_size;
	if ((r = take_fingerprint(t)) < 0) {
		e = -r;
		ew_err_set(err, path, 0, 0, "read: %s", strerror(e));
		goto fail;
	}
	t->tail_hash = ew_hash("", 0);
	return t;
fail:
	destroy(t);
	errno = e;
	return NULL;
}

void
tailer_destroy(struct tailer *t)
{
	destroy(t);
}

bool
tailer_id_same(const struct tailer_id *a, const struct tailer_id *b)
{
	if (a->dev != b->dev || a->ino != b->ino)
		return false;
	if (a->fp_len == 0 || b->fp_len == 0 || a->fp_len != b->fp_len)
		return true;
	return a->fp_hash == b->fp_hash;
}

const char *
tailer_path(const struct tailer *t)
{
	return t->path;
}

void
tailer_set_path(struct tailer *t, const char *path)
{
	char *p = xstrdup(path);	/* path may be t->path itself */

	free(t->path);
	t->path = p;
}

const struct tailer_id *
tailer_id(const struct tailer *t)
{
	return &t->id;
}

static uint64_t
committed_of(const struct tailer *t)
{
	return t->offset - lines_pending(t->lines);
}

bool
tailer_has_head(struct tailer *t, const struct tailer_id *id)
{
	char b[TAILER_FP_LEN];
	uint32_t len = id->fp_len;
	uint64_t hash = id->fp_hash;	/* id may be t's own */
	ssize_t n;

	if (len == 0 || len > TAILER_FP_LEN || t->fd == -1)
		return false;
	n = pread_full(t->fd, b, len, 0);
	if (n != (ssize_t)len)
		return false;
	return ew_hash(b, len) == hash;
}

int64_t
tailer_seek(struct tailer *t, uint64_t offset)
{
	char b[TAILER_TAIL_LEN];
	struct stat st;
	size_t want;
	ssize_t n;
	int r;

	if (t->fd == -1)
		return -EBADF;
	if (offset == TAILER_END) {
		if (fstat(t->fd, &st) == -1)
			return -errno;
		offset = t->size = (uint64_t)st.st_size;
	}
	want = (size_t)EW_MIN(offset, (uint64_t)TAILER_TAIL_LEN);
	n = pread_full(t->fd, b, want, offset - want);
	if (n < 0)
		return (int64_t)n;
	if ((size_t)n < want)
		return -ERANGE;
	lines_reset(t->lines);
	t->vouched = false;
	t->r_vouched = false;
	t->idle = false;
	t->offset = offset;
	memcpy(t->win, b, want);
	t->win_len = want;
	t->tail_hash = ew_hash(b, want);
	/* The head may have changed (a truncation seeks to 0): a record
	 * must carry the fingerprint of what the file holds now, or a
	 * restart would not know the file again (SPEC §8). */
	if ((r = take_fingerprint(t)) < 0)
		return r;
	return (int64_t)offset;
}

/* A record with fp_len 0 was taken of an empty file (so its offset is 0):
 * dev and inode are all there is to compare. */
int
tailer_place(struct tailer *t, const struct offset_rec *rec)
{
	struct tailer_id id = { rec->dev, rec->ino, rec->fp_len,
	    rec->fp_hash };
	struct stat st;
	uint64_t h = 0;
	int64_t r;

	if (t->fd == -1)
		return -EBADF;
	if (id.dev != t->id.dev || id.ino != t->id.ino)
		return -ESTALE;
	if (id.fp_len > 0 && !tailer_has_head(t, &id))
		return -ESTALE;
	if (fstat(t->fd, &st) == -1)
		return -errno;
	if ((uint64_t)st.st_size < rec->offset ||
	    hash_before(t->fd, rec->offset, &h) < 0 || h != rec->tail_hash)
		return -ESTALE;
	r = tailer_seek(t, rec->offset);
	return r < 0 ? (int)r : 0;
}

/* Delivers the lines of buf ending at file offset end, split at the
 * high-water mark: lines up to it were delivered before. */
static void
deliver(struct tailer *t, const struct tailer_look *look, const char *buf,
    size_t len, uint64_t end)
{
	uint64_t start = end > len ? end - len : 0, old;

	if (end <= t->high) {
		look->lines(look->arg, buf, len, false);
		return;
	}
	/* the mark falls inside: split at it if it is a line start (a cut
	 * overlong line is one line, and new) */
	if (start < t->high && t->high - start < len) {
		old = t->high - start;
		if (buf[old - 1] == '\n') {
			look->lines(look->arg, buf, (size_t)old, false);
			buf += old;
			len -= (size_t)old;
		}
	}
	look->lines(look->arg, buf, len, true);
	t->high = end;
}

/* The block of lines lines_feed passes ends at a '\n' of the chunk: the
 * run of whole lines comes straight from the chunk, the held line it
 * completes ends at the chunk's first '\n'. */
static void
block_cb(void *arg, const char *buf, size_t len)
{
	const struct feeding *fd = arg;
	uintptr_t b = (uintptr_t)buf, p = (uintptr_t)fd->p;
	const char *nl;
	uint64_t end;

	if (b >= p && b < p + fd->n) {
		end = fd->start + (uint64_t)(b - p) + len;
	} else {
		nl = memchr(fd->p, '\n', fd->n);
		end = fd->start + (uint64_t)(nl - fd->p) + 1;
	}
	deliver(fd->t, fd->look, buf, len, end);
}

/* Feeds one chunk read at the offset and keeps win[] and tail_hash up to
 * date from the bytes themselves. */
static void
feed(struct tailer *t, const char *p, size_t n, const struct tailer_look *look)
{
	struct feeding fd = { t, look, p, n, t->offset };
	char tail[TAILER_TAIL_LEN];
	uint64_t start = t->offset, committed;
	size_t upto, from_chunk, from_win, keep;

	lines_feed(t->lines, p, n, block_cb, &fd);
	t->offset += n;
	committed = committed_of(t);
	if (committed > start) {
		/* a '\n' in this chunk: the tail ends inside it */
		upto = (size_t)(committed - start);
		from_chunk = EW_MIN(upto, (size_t)TAILER_TAIL_LEN);
		from_win = EW_MIN(t->win_len, TAILER_TAIL_LEN - from_chunk);
		memcpy(tail, t->win + t->win_len - from_win, from_win);
		memcpy(tail + from_win, p + upto - from_chunk, from_chunk);
		t->tail_hash = ew_hash(tail, from_win + from_chunk);
	}
	if (n >= TAILER_TAIL_LEN) {
		memcpy(t->win, p + n - TAILER_TAIL_LEN, TAILER_TAIL_LEN);
		t->win_len = TAILER_TAIL_LEN;
	} else {
		keep = EW_MIN(t->win_len, TAILER_TAIL_LEN - n);
		memmove(t->win, t->win + t->win_len - keep, keep);
		memcpy(t->win + keep, p, n);
		t->win_len = keep + n;
	}
}

/* Are the win_len bytes before the read offset still those read there?
 * 0 if so; -ERANGE if not (or the file ends before the offset); another
 * negative errno if the pread failed. */
static int
win_check(struct tailer *t)
{
	char w[TAILER_TAIL_LEN];
	ssize_t n;

	n = pread_full(t->fd, w, t->win_len, t->offset - t->win_len);
	if (n < 0)
		return (int)n;
	if ((size_t)n < t->win_len || memcmp(w, t->win, t->win_len) != 0)
		return -ERANGE;
	return 0;
}

static bool
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* True if ts is older than wall_ms by TAILER_RACY_MS or more. */
static bool
is_settled(const struct timespec *ts, uint64_t wall_ms)
{
	int64_t ms = (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;

	return wall_ms > TAILER_RACY_MS &&
	    ms <= (int64_t)(wall_ms - TAILER_RACY_MS);
}

/* The read's work; *eof: it found the bytes before the offset right and
 * nothing after them. Returns the bytes read or a negative errno;
 * -ERANGE: the bytes before the offset are not those read there (or the
 * file ends before it): nothing was read. */
static int64_t
read_on(struct tailer *t, const struct tailer_look *look, bool *eof)
{
	uint64_t total = 0, max_bytes = look->max_bytes;
	size_t want, back, cap = look->cap;
	char *buf = look->buf;
	const char *p;
	ssize_t n;
	int r;

	*eof = false;
	/* SPEC §6: growth is only read after the bytes before the offset
	 * are seen to be those read there, else a file truncated and
	 * regrown past the offset between two looks would be read from the
	 * middle of its new content. The first pread takes them along with
	 * the growth: no syscall more than a plain read. */
	back = t->win_len;
	if (back > 0 && cap <= back) {
		/* a buffer too small to take them along: a pread of their
		 * own (unit tests read through a few bytes) */
		if ((r = win_check(t)) < 0)
			return r;
		back = 0;
	}
	while (total < max_bytes) {
		want = (size_t)EW_MIN((uint64_t)(cap - back),
		    max_bytes - total);
		n = pread(t->fd, buf, want + back, (off_t)(t->offset - back));
		p = buf;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			/* after some bytes: the error comes back next time */
			if (total > 0)
				break;
			return -errno;
		}
		if (back > 0) {
			if ((size_t)n < back || memcmp(buf, t->win, back) != 0)
				return -ERANGE;		/* nothing read */
			p += back;
			n -= (ssize_t)back;
			back = 0;
		}
		if (n == 0) {
			*eof = total == 0;
			break;
		}
		feed(t, p, (size_t)n, look);
		total += (uint64_t)n;
		/* a regular file: a short read means end of file */
		if ((size_t)n < want)
			break;
	}
	if (t->offset > t->size)
		t->size = t->offset;
	if (t->id.fp_len < TAILER_FP_LEN && t->offset > t->id.fp_len &&
	    (r = take_fingerprint(t)) < 0 && total == 0)
		return r;
	return (int64_t)total;
}

/* An idle file costs an fstat per read instead of a pread. The skip is
 * sound for the reason given at is_vouched: if the fstat before a read
 * that found win[] right and nothing more showed timestamps already
 * TAILER_RACY_MS old, a later fstat with the same size and timestamps
 * means nothing was written since that fstat, so the bytes are still
 * those the read compared. A same-size rewrite within a timestamp tick of
 * the last write is still caught: the look that follows it does not
 * vouch (its timestamps are too fresh), so the next read preads and
 * compares. */
static int64_t
read_idle(struct tailer *t, const struct tailer_look *look)
{
	uint64_t wall_ms = look->wall_ms;
	struct stat st;
	bool looked = false, eof;
	int64_t n;

	if (wall_ms != 0 && t->idle && fstat(t->fd, &st) == 0) {
		looked = true;
		if ((uint64_t)st.st_size == t->offset && t->r_vouched &&
		    t->r_offset == t->offset &&
		    same_time(&st.st_mtim, &t->r_mtim) &&
		    same_time(&st.st_ctim, &t->r_ctim)) {
			t->size = t->offset;
			return 0;
		}
	}
	n = read_on(t, look, &eof);
	t->idle = n == 0;
	t->r_vouched = looked && eof && (uint64_t)st.st_size == t->offset &&
	    is_settled(&st.st_mtim, wall_ms) &&
	    is_settled(&st.st_ctim, wall_ms);
	if (t->r_vouched) {
		t->r_offset = t->offset;
		t->r_mtim = st.st_mtim;
		t->r_ctim = st.st_ctim;
	}
	return n;
}

/* Can st (an fstat now) vouch that the bytes before committed are still
 * those the last tail check read? Every write or truncation sets mtime
 * and ctime to the time it happens (ctime cannot be set back from user
 * space), so if both equal what they were at that check, and that check
 * came TAILER_RACY_MS or more after them, nothing was written since: a
 * write after the check would carry a later time than a timestamp that
 * was already old then, however coarse the ticks. A check that came
 * sooner (the file written within a tick or two of it) vouches for
 * nothing: a same-size rewrite in the same tick would keep both stamps
 * (git's racily clean entries). A clock skewed by more than the margin
 * (an NFS server) errs the safe way when it runs ahead of ours; one
 * behind ours could let a same-size rewrite within one coarse tick of the
 * last write go unseen here, but a read still compares the bytes before
 * the offset on its first pread of every read (twice a second) and
 * restarts before it reads any growth. */
static bool
is_vouched(const struct tailer *t, const struct stat *st, uint64_t committed)
{
	return t->vouched && (uint64_t)st->st_size == t->v_size &&
	    committed == t->v_committed && t->offset == t->v_offset &&
	    t->tail_hash == t->v_tail_hash &&
	    same_time(&st->st_mtim, &t->v_mtim) &&
	    same_time(&st->st_ctim, &t->v_ctim);
}

/* fstat the descriptor (or trust seen), stat the path and, with verify,
 * check the bytes before the offsets. Returns TAILER_* bits; -1 if the
 * fstat failed. */
static int
look_at(struct tailer *t, bool verify, uint64_t wall_ms,
    const struct stat *seen)
{
	struct stat st, pst;
	unsigned ev = 0;
	uint64_t committed, h = 0;
	int r;

	if (seen != NULL && ((uint64_t)seen->st_dev != t->id.dev ||
	    (uint64_t)seen->st_ino != t->id.ino))
		seen = NULL;	/* not this file: look for ourselves */
	/* the path names this inode: its stat is the descriptor's */
	if (seen != NULL)
		st = *seen;
	else if (fstat(t->fd, &st) == -1)
		return -1;
	t->size = (uint64_t)st.st_size;
	if (st.st_nlink == 0)
		ev |= TAILER_DELETED;
	if (t->size < t->offset)
		ev |= TAILER_TRUNCATED;
	else if (t->size > t->offset)
		ev |= TAILER_GREW;
	if (seen != NULL) {
		/* the caller's stat of the path just said so */
	} else if (stat(t->path, &pst) == -1) {
		/* EACCES and the like say nothing about rotation */
		if (errno == ENOENT || errno == ENOTDIR)
			ev |= TAILER_MOVED;
	} else if ((uint64_t)pst.st_dev != t->id.dev ||
	    (uint64_t)pst.st_ino != t->id.ino) {
		ev |= TAILER_MOVED;
	}
	if (!verify)
		return (int)ev;
	if (ev & TAILER_TRUNCATED) {
		t->vouched = false;
		return (int)ev;
	}
	/* SPEC §6: truncated and regrown between two looks */
	committed = committed_of(t);
	if (wall_ms != 0 && is_vouched(t, &st, committed))
		return (int)ev;	/* untouched since the bytes were read */
	r = hash_before(t->fd, committed, &h);
	/* SPEC §6 "bytes just before the offset": the read offset, past a
	 * held partial line too. A file whose only new bytes are held
	 * (committed 0) and that is copytruncated and regrown past them
	 * hashes right before committed; win[] tells it. */
	if (r == 0 && h == t->tail_hash && t->offset > committed)
		r = win_check(t);
	if (r == -ERANGE || (r == 0 && h != t->tail_hash))
		ev |= TAILER_TRUNCATED;
	else if (r < 0)
		return -1;
	t->vouched = r == 0 && h == t->tail_hash &&
	    is_settled(&st.st_mtim, wall_ms) &&
	    is_settled(&st.st_ctim, wall_ms);
	t->v_size = (uint64_t)st.st_size;
	t->v_committed = committed;
	t->v_offset = t->offset;
	t->v_tail_hash = t->tail_hash;
	t->v_mtim = st.st_mtim;
	t->v_ctim = st.st_ctim;
	return (int)ev;
}

/* SPEC §6 truncation: reading restarts at 0. */
static void
restart(struct tailer *t, struct tailer_step *out)
{
	out->events |= TAILER_TRUNCATED;
	out->was = committed_of(t);
	out->was_id = t->id;
	(void)tailer_seek(t, 0);
	t->high = 0;		/* new content: every line of it is new */
}

/* The position and the counters of a step. */
static void
report(struct tailer *t, struct tailer_step *out)
{
	uint64_t longs = lines_long_count(t->lines);

	out->offset = t->offset;
	out->committed = committed_of(t);
	out->size = t->size;
	out->long_lines += longs - t->longs_told;
	t->longs_told = longs;
}

int
tailer_step(struct tailer *t, const struct tailer_look *look,
    struct tailer_step *out)
{
	int64_t n = 0;
	int ev, r;

	memset(out, 0, sizeof(*out));
	if (t->fd == -1)
		return -EBADF;
	if (look->flags & TAILER_CHECK) {
		ev = look_at(t, true, look->wall_ms, look->seen);
		if (ev < 0) {
			/* ESTALE on NFS, EIO: the path may give it back */
			tailer_park(t);
			if ((r = tailer_unpark(t)) < 0) {
				out->events |= TAILER_ERROR;
				out->error = r;
				report(t, out);
				return 0;
			}
			ev = look_at(t, true, look->wall_ms, NULL);
			if (ev < 0)
				ev = 0;
		}
		out->events |= (unsigned)ev & ~TAILER_TRUNCATED;
		if (ev & TAILER_TRUNCATED)
			restart(t, out);
	}
	if (look->flags & TAILER_READ) {
		n = read_idle(t, look);
		if (n == -ERANGE) {
			/* truncated, maybe regrown, since the last read */
			(void)look_at(t, false, 0, NULL);
			restart(t, out);
			n = read_idle(t, look);
		}
		if (n > 0)
			out->bytes = (uint64_t)n;
	}
	report(t, out);
	return n < 0 ? (int)n : 0;
}

/* lines_flush's one line ends at the read offset. */
static void
finish_cb(void *arg, const char *buf, size_t len)
{
	const struct feeding *fd = arg;

	deliver(fd->t, fd->look, buf, len, fd->start);
}

void
tailer_finish(struct tailer *t, const struct tailer_look *look,
    struct tailer_step *out)
{
	struct feeding fd = { t, look, NULL, 0, t->offset };

	memset(out, 0, sizeof(*out));
	lines_flush(t->lines, finish_cb, &fd);
	/* committed == offset now: win[] holds the bytes before it */
	t->tail_hash = ew_hash(t->win, t->win_len);
	report(t, out);
}

int
tailer_record(const struct tailer *t, uint64_t seen_s, struct offset_rec *rec)
{
	size_t len = strlen(t->path);

	if (len >= sizeof(rec->path))
		return -ENAMETOOLONG;
	rec->dev = t->id.dev;
	rec->ino = t->id.ino;
	rec->offset = committed_of(t);
	rec->fp_len = t->id.fp_len;
	rec->fp_hash = t->id.fp_hash;
	rec->tail_hash = t->tail_hash;	/* as read, not re-read now */
	rec->seen_s = seen_s;
	memcpy(rec->path, t->path, len + 1);
	return 0;
}

void
tailer_park(struct tailer *t)
{
	if (t->fd == -1)
		return;
	close(t->fd);
	t->fd = -1;
	t->vouched = false;
	t->r_vouched = false;
	t->idle = false;
}

int
tailer_unpark(struct tailer *t)
{
	struct stat st;
	int fd;

	if (t->fd != -1)
		return 0;
	fd = open_regular(t->path, &st);
	if (fd == -1)	/* a directory or a fifo now: not our file */
		return errno == EINVAL || errno == EISDIR ? -ESTALE : -errno;
	if ((uint64_t)st.st_dev != t->id.dev ||
	    (uint64_t)st.st_ino != t->id.ino) {
		close(fd);
		return -ESTALE;
	}
	t->fd = fd;
	t->size = (uint64_t)st.st_size;
	return 0;
}

bool
tailer_is_parked(const struct tailer *t)
{
	return t->fd == -1;
}
