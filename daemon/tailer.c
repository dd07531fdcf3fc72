/*
 * tailer: one followed file. It owns the descriptor (or, suspended, just
 * the path and identity), the read offset, the held partial line (a struct
 * lines) and two hashes: the head fingerprint and the hash of the bytes
 * just before the committed offset. It never decides what an event means
 * and never touches a loop or a clock: the daemon calls tailer_check and
 * tailer_read when it chooses to.
 *
 * Invariants: committed = offset - lines_pending() is always just after a
 * '\n' (or 0, or a position the daemon sought to); win[] holds the last
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
	int		 fd;		/* -1 while suspended */
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 offset;	/* bytes read, held line included */
	uint64_t	 size;		/* bytes, at the last fstat */
	uint32_t	 fp_len;	/* bytes the fingerprint covers */
	uint64_t	 fp_hash;
	uint64_t	 tail_hash;	/* of the bytes before committed */
	char		 win[TAILER_TAIL_LEN];	/* before offset */
	size_t		 win_len;
	struct lines	*lines;
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
	t->fp_len = (uint32_t)n;
	t->fp_hash = ew_hash(b, (size_t)n);
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
	t->dev = (uint64_t)st.st_dev;
	t->ino = (uint64_t)st.st_ino;
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

uint64_t
tailer_dev(const struct tailer *t)
{
	return t->dev;
}

uint64_t
tailer_ino(const struct tailer *t)
{
	return t->ino;
}

uint64_t
tailer_offset(const struct tailer *t)
{
	return t->offset;
}

uint64_t
tailer_committed(const struct tailer *t)
{
	return t->offset - lines_pending(t->lines);
}

uint64_t
tailer_size(const struct tailer *t)
{
	return t->size;
}

uint32_t
tailer_fp_len(const struct tailer *t)
{
	return t->fp_len;
}

uint64_t
tailer_fp_hash(const struct tailer *t)
{
	return t->fp_hash;
}

bool
tailer_fp_matches(const struct tailer *t, uint32_t fp_len, uint64_t fp_hash)
{
	char b[TAILER_FP_LEN];
	ssize_t n;

	if (fp_len == 0 || fp_len > TAILER_FP_LEN || t->fd == -1)
		return false;
	n = pread_full(t->fd, b, fp_len, 0);
	if (n != (ssize_t)fp_len)
		return false;
	return ew_hash(b, fp_len) == fp_hash;
}

/* -ERANGE: the file is shorter than offset; nothing changes then. */
int
tailer_seek(struct tailer *t, uint64_t offset)
{
	size_t want = (size_t)EW_MIN(offset, (uint64_t)TAILER_TAIL_LEN);
	char b[TAILER_TAIL_LEN];
	ssize_t n;

	if (t->fd == -1)
		return -EBADF;
	n = pread_full(t->fd, b, want, offset - want);
	if (n < 0)
		return (int)n;
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
	return take_fingerprint(t);
}

/* A record with fp_len 0 was taken of an empty file (so its offset is 0):
 * dev and inode are all there is to compare. */
bool
tailer_verify(struct tailer *t, const struct offset_rec *rec)
{
	struct stat st;
	uint64_t h = 0;

	if (t->fd == -1 || rec->dev != t->dev || rec->ino != t->ino)
		return false;
	if (rec->fp_len > 0 && !tailer_fp_matches(t, rec->fp_len,
	    rec->fp_hash))
		return false;
	if (fstat(t->fd, &st) == -1 || (uint64_t)st.st_size < rec->offset)
		return false;
	if (hash_before(t->fd, rec->offset, &h) < 0)
		return false;
	return h == rec->tail_hash;
}

/* Feeds one chunk read at chunk_start and keeps win[] and tail_hash up to
 * date from the bytes themselves. */
static void
feed(struct tailer *t, const char *p, size_t n, lines_block_fn *block,
    void *arg)
{
	char tail[TAILER_TAIL_LEN];
	uint64_t start = t->offset, committed;
	size_t upto, from_chunk, from_win, keep;

	lines_feed(t->lines, p, n, block, arg);
	t->offset += n;
	committed = tailer_committed(t);
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

/* tailer_read's work; *eof: it found the bytes before the offset right
 * and nothing after them. */
static int64_t
read_on(struct tailer *t, char *buf, size_t cap, uint64_t max_bytes,
    lines_block_fn *block, void *arg, bool *eof)
{
	uint64_t total = 0;
	size_t want, back;
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
		want = (size_t)EW_MIN((uint64_t)(cap - back), max_bytes - total);
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
		feed(t, p, (size_t)n, block, arg);
		total += (uint64_t)n;
		/* a regular file: a short read means end of file */
		if ((size_t)n < want)
			break;
	}
	if (t->offset > t->size)
		t->size = t->offset;
	if (t->fp_len < TAILER_FP_LEN && t->offset > t->fp_len &&
	    (r = take_fingerprint(t)) < 0 && total == 0)
		return r;
	return (int64_t)total;
}

int64_t
tailer_read(struct tailer *t, char *buf, size_t cap, uint64_t max_bytes,
    lines_block_fn *block, void *arg)
{
	return tailer_read_at(t, buf, cap, max_bytes, block, arg, 0);
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
int64_t
tailer_read_at(struct tailer *t, char *buf, size_t cap, uint64_t max_bytes,
    lines_block_fn *block, void *arg, uint64_t wall_ms)
{
	struct stat st;
	bool looked = false, eof;
	int64_t n;

	if (t->fd == -1)
		return -EBADF;
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
	n = read_on(t, buf, cap, max_bytes, block, arg, &eof);
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

void
tailer_finish(struct tailer *t, lines_block_fn *block, void *arg)
{
	lines_flush(t->lines, block, arg);
	/* committed == offset now: win[] holds the bytes before it */
	t->tail_hash = ew_hash(t->win, t->win_len);
}

uint64_t
tailer_long_lines(const struct tailer *t)
{
	return lines_long_count(t->lines);
}

unsigned
tailer_check(struct tailer *t, bool verify_tail)
{
	return tailer_check_at(t, verify_tail ? TAILER_VERIFY_TAIL : 0, 0,
	    NULL);
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
 * last write go unseen here, but tailer_read still compares the bytes
 * before the offset on its first pread of every read (twice a second)
 * and reports -ERANGE before it reads any growth. */
static bool
is_vouched(const struct tailer *t, const struct stat *st, uint64_t committed)
{
	return t->vouched && (uint64_t)st->st_size == t->v_size &&
	    committed == t->v_committed && t->offset == t->v_offset &&
	    t->tail_hash == t->v_tail_hash &&
	    same_time(&st->st_mtim, &t->v_mtim) &&
	    same_time(&st->st_ctim, &t->v_ctim);
}

unsigned
tailer_check_at(struct tailer *t, unsigned flags, uint64_t wall_ms,
    const struct stat *seen)
{
	struct stat st, pst;
	unsigned ev = 0;
	uint64_t committed, h = 0;
	int r;

	if (seen != NULL && ((uint64_t)seen->st_dev != t->dev ||
	    (uint64_t)seen->st_ino != t->ino))
		seen = NULL;	/* not this file: look for ourselves */
	if (t->fd == -1)
		return TAILER_ERROR;
	/* the path names this inode: its stat is the descriptor's */
	if (seen != NULL)
		st = *seen;
	else if (fstat(t->fd, &st) == -1)
		return TAILER_ERROR;
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
	} else if ((uint64_t)pst.st_dev != t->dev ||
	    (uint64_t)pst.st_ino != t->ino) {
		ev |= TAILER_MOVED;
	}
	if (!(flags & TAILER_VERIFY_TAIL))
		return ev;
	if (ev & TAILER_TRUNCATED) {
		t->vouched = false;
		return ev;
	}
	/* SPEC §6: truncated and regrown between two looks */
	committed = tailer_committed(t);
	if (wall_ms != 0 && is_vouched(t, &st, committed))
		return ev;	/* untouched since the bytes were read */
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
		ev |= TAILER_ERROR;
	t->vouched = r == 0 && h == t->tail_hash &&
	    is_settled(&st.st_mtim, wall_ms) &&
	    is_settled(&st.st_ctim, wall_ms);
	t->v_size = (uint64_t)st.st_size;
	t->v_committed = committed;
	t->v_offset = t->offset;
	t->v_tail_hash = t->tail_hash;
	t->v_mtim = st.st_mtim;
	t->v_ctim = st.st_ctim;
	return ev;
}

int
tailer_record(struct tailer *t, uint64_t seen_s, struct offset_rec *rec)
{
	size_t len = strlen(t->path);

	if (len >= sizeof(rec->path))
		return -ENAMETOOLONG;
	rec->dev = t->dev;
	rec->ino = t->ino;
	rec->offset = tailer_committed(t);
	rec->fp_len = t->fp_len;
	rec->fp_hash = t->fp_hash;
	rec->tail_hash = t->tail_hash;	/* as read, not re-read now */
	rec->seen_s = seen_s;
	memcpy(rec->path, t->path, len + 1);
	return 0;
}

void
tailer_suspend(struct tailer *t)
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
tailer_resume(struct tailer *t)
{
	struct stat st;
	int fd;

	if (t->fd != -1)
		return 0;
	fd = open_regular(t->path, &st);
	if (fd == -1)	/* a directory or a fifo now: not our file */
		return errno == EINVAL || errno == EISDIR ? -ESTALE : -errno;
	if ((uint64_t)st.st_dev != t->dev || (uint64_t)st.st_ino != t->ino) {
		close(fd);
		return -ESTALE;
	}
	t->fd = fd;
	t->size = (uint64_t)st.st_size;
	return 0;
}

bool
tailer_is_suspended(const struct tailer *t)
{
	return t->fd == -1;
}
