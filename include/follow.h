/*
 * follow: the files errwatchd follows, one entry per file identity
 * (device, inode), and what their events mean (SPEC §6): a new file, a
 * rename rotation, a truncation, a copytruncate copy, a deleted file read
 * to its end. It reads growth when told (just before each flush), runs
 * the lines through the input's matcher and the table into agg, and gives
 * agg each moved file's offset record so counts and offsets travel
 * together (SPEC §8). It never talks to Redis: the daemon hands it the
 * stored offsets and tells it what Redis committed.
 */
#ifndef EW_FOLLOW_H
#define EW_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct agg;
struct argv;
struct batch;
struct ew_err;
struct follow;
struct setup;

/* Counters since this start (SPEC §7 stats), each counted when it
 * happens. */
struct follow_stats {
	uint64_t lines, bytes, matched, unclassified, long_lines;
	uint64_t rotations, truncations;
};

/* setup, agg and class_map (table class -> agg class id) are borrowed and
 * must outlive the follow, or be replaced through follow_reload. */
struct follow	*follow_create(uv_loop_t *loop, const struct setup *s,
		    struct agg *agg, const size_t *class_map, size_t uncl_id,
		    struct ew_err *err);
/* Adds the directory watches (unless watch is false: --once) and scans.
 * Files are opened but not read until follow_stored_done. */
void		 follow_start(struct follow *fl, bool watch);
/* The safety net (every second): rescan, and look at every open file
 * for truncation, rotation and deletion. mono_ms: the monotonic clock
 * (uv_now, durations); wall_ms: the wall clock (ms since the epoch: file
 * timestamps). Both must be > 0. */
void		 follow_rescan(struct follow *fl, uint64_t mono_ms,
		    uint64_t wall_ms);
/* Reads the growth of every open file, counting into agg in the bucket
 * of wall_ms; unlimited: to the end whatever the size (--once), else at
 * most a budget per file per call. Retires the files rotated away or
 * deleted that have been quiet for rotate_wait of mono_ms (SPEC §6). */
void		 follow_read(struct follow *fl, uint64_t mono_ms,
		    uint64_t wall_ms, bool unlimited);
/* The lines counted since the last call that no earlier read of their
 * file had counted (SPEC §8: re-read after a CONFLICT or a rollback,
 * they are not new), per agg class id: counts[0..n) are set, and the
 * tally starts again from 0. For the spike detector. */
void		 follow_take_fresh(struct follow *fl, uint64_t *counts,
		    size_t n);

/* Stored offsets from Redis, given as field/value pairs between begin and
 * done; done places every file (SPEC §8) and allows reading. A journal
 * cursor record (journal_is_field) is not a file's: it is ignored here,
 * and never among follow_gone_fields. */
void		 follow_stored_begin(struct follow *fl);
void		 follow_stored_add(struct follow *fl, const char *field,
		    size_t flen, const char *value, size_t vlen);
void		 follow_stored_done(struct follow *fl);
bool		 follow_is_placed(const struct follow *fl);
/* Redis holds batch b now: its offsets are the stored values. */
void		 follow_committed(struct follow *fl, const struct batch *b);
/* CONFLICT: forget every position; reading waits for new offsets. */
void		 follow_unplace(struct follow *fl);
/* Appends the fields of stored records whose file has been gone for a
 * day (SPEC §8). */
void		 follow_gone_fields(struct follow *fl, uint64_t now_s,
		    struct argv *out);

/* A reload: files are reassigned to the new inputs (a file no input
 * names any more is drained); the watcher is rebuilt. 0, or -1 with err
 * and nothing changed. */
int		 follow_reload(struct follow *fl, const struct setup *s,
		    const size_t *class_map, size_t uncl_id,
		    struct ew_err *err);
size_t		 follow_open_files(const struct follow *fl);
const struct follow_stats *follow_stats(const struct follow *fl);
/* Starts closing the watcher; frees the files. */
void		 follow_close(struct follow *fl);

#endif
