/*
 * tailer: one followed file: its descriptor, identity, read offset and
 * held partial line. It reads, it notices truncation, deletion and
 * rotation from fstat/stat, and it describes its position as an offset
 * record; what to do about an event (drain, re-read, hand over) is the
 * daemon's call. No libuv: time comes in as now_ms, reading happens when
 * the daemon says so (a timer just before each flush, SPEC §6).
 */
#ifndef EW_TAILER_H
#define EW_TAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "lines.h"

struct ew_err;
struct offset_rec;
struct tailer;

#define TAILER_FP_LEN	1024	/* bytes of the head fingerprint */
#define TAILER_TAIL_LEN	64	/* bytes hashed before the offset */

/* What tailer_check found; several may be set. */
enum tailer_event {
	TAILER_GREW = 1 << 0,		/* size > read offset */
	TAILER_TRUNCATED = 1 << 1,	/* size < offset, or the bytes before
					 * the offset changed */
	TAILER_DELETED = 1 << 2,	/* st_nlink == 0 */
	TAILER_MOVED = 1 << 3,		/* path names another file now, or
					 * nothing (rename rotation) */
	TAILER_ERROR = 1 << 4,		/* fstat/pread failed (ESTALE, EIO) */
};

/* Opens path read-only (O_CLOEXEC | O_NONBLOCK), fstats it (a directory
 * or other non-regular file is an error) and takes its fingerprint.
 * Offset 0. On failure NULL with err (err->msg names the errno; the
 * caller logs EACCES once). */
struct tailer	*tailer_open(const char *path, size_t max_line,
		    struct ew_err *err);
/* Closes the descriptor and frees everything. NULL: no-op. */
void		 tailer_destroy(struct tailer *t);

const char	*tailer_path(const struct tailer *t);
/* A rotated file found again under another followed name. */
void		 tailer_set_path(struct tailer *t, const char *path);
uint64_t	 tailer_dev(const struct tailer *t);
uint64_t	 tailer_ino(const struct tailer *t);
/* Bytes read so far (the held partial line included). */
uint64_t	 tailer_offset(const struct tailer *t);
/* Bytes whose lines have all been delivered: offset - held bytes. */
uint64_t	 tailer_committed(const struct tailer *t);
uint64_t	 tailer_size(const struct tailer *t);	/* at the last fstat */
/* Fingerprint: hash of the first fp_len bytes (fp_len = min(size,
 * TAILER_FP_LEN), growing with the file until TAILER_FP_LEN). */
uint32_t	 tailer_fp_len(const struct tailer *t);
uint64_t	 tailer_fp_hash(const struct tailer *t);
/* True if this file's first fp_len bytes hash to fp_hash (a copy or the
 * same file); fp_len 0 matches nothing. */
bool		 tailer_fp_matches(const struct tailer *t, uint32_t fp_len,
		    uint64_t fp_hash);

/* Sets the read position (start_at end: the size; a stored offset),
 * drops any held partial line and retakes the fingerprint. Returns 0 or
 * a negative errno (-ERANGE: the file is shorter than offset; the
 * position is unchanged then). */
int		 tailer_seek(struct tailer *t, uint64_t offset);
/* True if rec describes this file: same dev and inode, fingerprint
 * matches, the file is at least rec->offset long and the bytes before
 * rec->offset hash to rec->tail_hash. */
bool		 tailer_verify(struct tailer *t, const struct offset_rec *rec);

/* Reads from the offset towards the end of file, at most max_bytes, in
 * chunks of cap bytes through buf (shared by all tailers), feeding the
 * lines to block. Returns the bytes read (0 at EOF) or a negative errno;
 * -ERANGE: the file is shorter than the offset or the bytes before it are
 * not those read there (truncated, maybe regrown): nothing was read, the
 * caller treats it as a truncation. Updates the fingerprint while the
 * file is shorter than TAILER_FP_LEN. */
int64_t		 tailer_read(struct tailer *t, char *buf, size_t cap,
		    uint64_t max_bytes, lines_block_fn *block, void *arg);
/* End of the file's life (rotated away or deleted, and quiet for
 * rotate_wait): the held partial line counts as a line. */
void		 tailer_finish(struct tailer *t, lines_block_fn *block,
		    void *arg);
/* Overlong lines seen through the held path (see lines.h). */
uint64_t	 tailer_long_lines(const struct tailer *t);

/* fstat the descriptor and stat the path; with verify_tail, also check
 * the bytes before the offset (a pread; done by the safety-net rescan,
 * not every flush). Returns TAILER_* bits. Updates the size. */
unsigned	 tailer_check(struct tailer *t, bool verify_tail);

/* tailer_check_at's flags. */
enum tailer_check_flag {
	TAILER_VERIFY_TAIL = 1 << 0,	/* as verify_tail */
};
/* Margin of the skips below: a file's timestamps must be older than the
 * look that read its bytes by this much (timestamps are as coarse as a
 * jiffy on ext4, 1 s on ext3 and some NFS servers, 2 s on FAT). */
#define TAILER_RACY_MS	3000

/* tailer_check for the safety net. wall_ms is the wall clock now (ms
 * since the epoch, the clock of file timestamps; an older reading is
 * safe), 0 when unknown (then nothing is skipped). seen, if not NULL, is
 * the caller's stat of the tailer's path a moment ago, which found this
 * file (same dev and inode) there: it stands for the fstat and the
 * stat(path) (no TAILER_MOVED, no syscall). TAILER_VERIFY_TAIL checks
 * the bytes before the committed offset and, past a held partial line,
 * those before the read offset (SPEC §6); the preads are skipped when
 * size, mtime and ctime are those of a look that read them and found them
 * right, neither offset has moved since, and that look came
 * TAILER_RACY_MS or more after both timestamps: any write since would
 * have moved them.
 * tailer_check(t, v) is tailer_check_at(t, v ? TAILER_VERIFY_TAIL : 0,
 * 0, NULL). */
unsigned	 tailer_check_at(struct tailer *t, unsigned flags,
		    uint64_t wall_ms, const struct stat *seen);
/* tailer_read with the wall clock (as for tailer_check_at; 0: unknown,
 * nothing is skipped).
 * When the last read found nothing new, an fstat comes first: the same
 * size as the offset, and the same mtime and ctime as at a read that
 * found the bytes before the offset right TAILER_RACY_MS or more after
 * both, means nothing to read and nothing rewritten: 0 without a pread
 * (an fstat costs a quarter of a pread of a cached page). tailer_read(...)
 * is tailer_read_at(..., 0). */
int64_t		 tailer_read_at(struct tailer *t, char *buf, size_t cap,
		    uint64_t max_bytes, lines_block_fn *block, void *arg,
		    uint64_t wall_ms);
/* Describes the committed position as an offset record (a pread of the
 * tail bytes). seen_s is the caller's. Returns 0 or a negative errno. */
int		 tailer_record(struct tailer *t, uint64_t seen_s,
		    struct offset_rec *rec);

/* For max_open_files: closes the descriptor, keeping identity and
 * position; tailer_resume reopens path and checks it is the same file
 * (dev, inode): -ESTALE if not. tailer_read/check on a suspended tailer
 * return -EBADF / TAILER_ERROR. */
void		 tailer_suspend(struct tailer *t);
int		 tailer_resume(struct tailer *t);
bool		 tailer_is_suspended(const struct tailer *t);

#endif
