/*
 * tailer: one followed file, and every decision about it alone. It owns
 * the descriptor (or, parked, just the path, identity and position), the
 * read offset, the held partial line and the hashes that tell a file
 * rewritten under it. One call, tailer_step, looks at the file (fstat,
 * stat of the path, the bytes before the offset), reads its growth, and
 * restarts at 0 by itself on a truncation; it reports what happened in a
 * struct tailer_step. What spans several files (copytruncate copies,
 * inode reuse, the open-files policy, placing stored offsets) is the
 * caller's. No libuv and no clock: the wall time of file timestamps
 * comes in through the look.
 */
#ifndef EW_TAILER_H
#define EW_TAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct ew_err;
struct offset_rec;
struct tailer;

#define TAILER_FP_LEN	1024	/* bytes of the head fingerprint */
#define TAILER_TAIL_LEN	64	/* bytes hashed before the offset */
#define TAILER_END	UINT64_MAX	/* tailer_seek: the size now */
/* Margin of the skips below: a file's timestamps must be older than the
 * look that read its bytes by this much (timestamps are as coarse as a
 * jiffy on ext4, 1 s on ext3 and some NFS servers, 2 s on FAT). */
#define TAILER_RACY_MS	3000

/* A file's identity: its inode and what its head held. fp_len grows with
 * the file until TAILER_FP_LEN; 0: the file was empty. */
struct tailer_id {
	uint64_t	 dev;
	uint64_t	 ino;
	uint32_t	 fp_len;	/* bytes the fingerprint covers */
	uint64_t	 fp_hash;	/* ew_hash of those bytes */
};

/* True if a and b are the same file: same device and inode, and, when
 * both fingerprints cover the same length, the same hash (a new file on a
 * reused inode is another file). fp_len 0 on either side: the inode
 * decides. */
bool		 tailer_id_same(const struct tailer_id *a,
		    const struct tailer_id *b);

/* Whole lines, each ending in '\n', borrowed until the call returns.
 * fresh: the lines lie past every line this file's content delivered
 * before (its high-water mark): false for lines delivered again after a
 * seek back (stored offsets placed anew after a CONFLICT), true again
 * after a truncation (new content from 0). A block never mixes both. */
typedef void tailer_lines_fn(void *arg, const char *buf, size_t len,
    bool fresh);

/* What tailer_step does; several may be set. */
enum tailer_look_flag {
	TAILER_CHECK = 1 << 0,	/* fstat, stat(path), the bytes before
				 * the offset: the safety net */
	TAILER_READ = 1 << 1,	/* read the growth */
};

/* How to look, lent for the call. */
struct tailer_look {
	unsigned	 flags;		/* TAILER_CHECK, TAILER_READ */
	/* The wall clock now (ms since the epoch, the clock of file
	 * timestamps; an older reading is safe), 0 when unknown: then no
	 * pread is skipped. Preads are skipped when size, mtime and ctime
	 * are those of a look that read the bytes and found them right
	 * TAILER_RACY_MS or more after both timestamps: any write since
	 * would have moved them. */
	uint64_t	 wall_ms;
	/* TAILER_CHECK: the caller's stat of the tailer's path a moment
	 * ago, or NULL. If it found this file (same dev and inode) it
	 * stands for the fstat and the stat(path): no syscall, no
	 * TAILER_MOVED. */
	const struct stat *seen;
	/* TAILER_READ: at most max_bytes, in chunks of cap bytes through
	 * buf (shared by all tailers); the lines go to lines(arg). */
	char		*buf;
	size_t		 cap;
	uint64_t	 max_bytes;
	tailer_lines_fn	*lines;
	void		*arg;
};

/* What tailer_step found; several may be set. */
enum tailer_event {
	TAILER_GREW = 1 << 0,		/* size > read offset */
	TAILER_TRUNCATED = 1 << 1,	/* size < offset, or the bytes before
					 * the offset changed: restarted
					 * at 0 (was, was_id) */
	TAILER_DELETED = 1 << 2,	/* st_nlink == 0 */
	TAILER_MOVED = 1 << 3,		/* path names another file now, or
					 * nothing (rename rotation) */
	TAILER_ERROR = 1 << 4,		/* fstat failed and reopening the path
					 * found no such file: parked */
};

struct tailer_step {
	unsigned	 events;	/* TAILER_* bits */
	uint64_t	 bytes;		/* read by this step */
	uint64_t	 offset;	/* bytes read, held line included */
	uint64_t	 committed;	/* bytes whose lines were delivered */
	uint64_t	 size;		/* bytes, at the last fstat */
	uint64_t	 long_lines;	/* overlong lines cut by this step */
	uint64_t	 was;		/* TRUNCATED: committed before */
	struct tailer_id was_id;	/* TRUNCATED: the identity before */
	int		 error;		/* ERROR: the negative errno */
};

/* Opens path read-only (O_CLOEXEC | O_NONBLOCK), fstats it (a directory
 * or other non-regular file is an error) and takes its fingerprint.
 * Offset 0. On failure NULL with err, and errno left at the cause
 * (ENOENT, EACCES, EISDIR, EINVAL for other types). */
struct tailer	*tailer_open(const char *path, size_t max_line,
		    struct ew_err *err);
/* Closes the descriptor and frees everything. NULL: no-op. */
void		 tailer_destroy(struct tailer *t);

/* The path, borrowed until the next tailer_set_path. */
const char	*tailer_path(const struct tailer *t);
/* A rotated file found again under another followed name. */
void		 tailer_set_path(struct tailer *t, const char *path);
/* The identity as last read, valid until the next call on t. */
const struct tailer_id *tailer_id(const struct tailer *t);
/* True if t's file begins with the id->fp_len bytes id's fingerprint was
 * taken of (a copy, or the same file); fp_len 0 matches nothing. */
bool		 tailer_has_head(struct tailer *t, const struct tailer_id *id);

/* Sets the read position (TAILER_END: the size now), drops any held
 * partial line and retakes the fingerprint. Returns the offset, or a
 * negative errno: -ERANGE, the file is shorter than offset (nothing
 * changes then); -EBADF, parked. */
int64_t		 tailer_seek(struct tailer *t, uint64_t offset);
/* Resumes at a stored record if rec describes this file (same dev and
 * inode, fingerprint matching, at least rec->offset long and the bytes
 * before rec->offset hash to rec->tail_hash; a record of an empty file,
 * fp_len 0, proves the inode only). Returns 0, or -ESTALE: not this file
 * (nothing changes), or another negative errno. */
int		 tailer_place(struct tailer *t, const struct offset_rec *rec);

/* One look at the file, as look->flags say: TAILER_CHECK first, then
 * TAILER_READ. A truncation (or a rewrite of the bytes before the
 * offset, SPEC §6) found by either restarts at 0 (the held line is
 * dropped, the fingerprint retaken) and the read goes on from there.
 * Fills *out. Returns 0, or a negative errno: -EBADF, parked; a read
 * error. Harmless to repeat. */
int		 tailer_step(struct tailer *t, const struct tailer_look *look,
		    struct tailer_step *out);
/* End of the file's life (rotated away or deleted, and quiet for
 * rotate_wait): the held partial line counts as a line, given to
 * look->lines. Fills *out (committed == offset after). */
void		 tailer_finish(struct tailer *t, const struct tailer_look *look,
		    struct tailer_step *out);
/* Describes the committed position as an offset record (no syscall).
 * Returns 0 or -ENAMETOOLONG. */
int		 tailer_record(const struct tailer *t, uint64_t seen_s,
		    struct offset_rec *rec);

/* For max_open_files and closed files: closes the descriptor, keeping
 * path, identity and position (no-op when parked). tailer_unpark reopens
 * the path: 0, the same inode (parked no more); -ESTALE, another inode
 * or not a regular file; another negative errno (-ENOENT). */
void		 tailer_park(struct tailer *t);
int		 tailer_unpark(struct tailer *t);
bool		 tailer_is_parked(const struct tailer *t);

#endif
