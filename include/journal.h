/*
 * journal: the inputs that read the systemd journal (SPEC §16), one
 * reader per such input. It mirrors follow's role for files: placed at
 * the stored cursor (or start_at) once Redis gave the offsets, read on
 * the journal's own wake-up descriptor and just before each flush, each
 * entry's MESSAGE counted as a line through the same path as a file's
 * (count), the cursor of the last entry counted handed to agg as the
 * input's offset record so counts and cursor travel together (SPEC §8).
 * It never talks to Redis. sd-journal.h stays in journal.c.
 */
#ifndef EW_JOURNAL_H
#define EW_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct agg;
struct argv;
struct batch;
struct buf;
struct config_input;
struct ew_err;
struct journal;
struct setup;

/* A journal input's offset record lives in `P offsets:<host>` under
 * "journal:<input name>"; file records are "dev:ino", never this. */
#define JOURNAL_FIELD_PREFIX	"journal:"
#define JOURNAL_CURSOR_MAX	512	/* bytes; sd-journal's are ~130 */

/* --- the record (core: no journal, no loop) ---------------------------- */

/* The value "<seen_s> <cursor>": the cursor of the last entry counted,
 * and when the record was written (wall clock, unix s: a record of an
 * input gone from the config for a day is dropped, as for files). */
struct journal_rec {
	uint64_t seen_s;
	char	 cursor[JOURNAL_CURSOR_MAX];
};

bool		 journal_is_field(const char *field, size_t len);
void		 journal_rec_value(struct buf *out,
		    const struct journal_rec *r);
/* 0, or -EINVAL when value is not a record (no cursor, spaces in it, a
 * cursor too long). */
int		 journal_rec_parse(const char *value, size_t len,
		    struct journal_rec *r);
/* Copies MESSAGE's bytes to out as one line: a newline inside becomes a
 * space (SPEC §16: an entry is one line), and '\n' ends it. */
void		 journal_line(struct buf *out, const char *msg, size_t len);

/* --- the daemon's readers (shell) -------------------------------------- */

/* Counters since this start (SPEC §7 stats), over every journal input. */
struct journal_stats {
	uint64_t entries, bytes;	/* entries read, MESSAGE bytes */
	uint64_t lines, matched, unclassified, long_lines;
	uint64_t changes;	/* files added or removed under a reader */
};

/* setup, agg and class_map are borrowed like follow's. Opens nothing
 * yet. Never fails: a journal that cannot be opened is retried. */
struct journal	*journal_create(uv_loop_t *loop, const struct setup *s,
		    struct agg *agg, const size_t *class_map, size_t uncl_id);
/* Opens every journal input; watch: its wake-up descriptor goes on the
 * loop (not for --once). Entries are not read before journal_stored_done. */
void		 journal_start(struct journal *jn, bool watch);
/* About once a second: opens what could not be opened (a directory that
 * appears later) and checks new journal files (SPEC §16: a file the
 * library skips is named in a log line). */
void		 journal_rescan(struct journal *jn);
/* Reads what is new, counting into agg in the bucket of wall_ms;
 * unlimited: to the end (--once), else at most a budget per input. */
void		 journal_read(struct journal *jn, uint64_t wall_ms,
		    bool unlimited);
/* Adds the fresh lines counted since the last call to counts[0..n) per
 * agg class id (never lines read again after a CONFLICT). */
void		 journal_take_fresh(struct journal *jn, uint64_t *counts,
		    size_t n);

/* Stored records, as follow's: fields that are not journal records are
 * ignored. done places every reader at its cursor (the entry after it),
 * or per start_at when it has none yet. */
void		 journal_stored_begin(struct journal *jn);
void		 journal_stored_add(struct journal *jn, const char *field,
		    size_t flen, const char *value, size_t vlen);
void		 journal_stored_done(struct journal *jn);
/* Redis holds batch b now: its journal records are the stored values
 * (what a reconfigured input goes on from). */
void		 journal_committed(struct journal *jn, const struct batch *b);
/* CONFLICT: every position is void until the records come again. */
void		 journal_unplace(struct journal *jn);
/* Appends the fields of journal records of inputs that have not been
 * configured for a day. */
void		 journal_gone_fields(struct journal *jn, uint64_t now_s,
		    struct argv *out);

/* A reload: readers are matched to the new journal inputs by name,
 * directory and units (a kept input keeps its position); an input whose
 * units or directory changed goes on from its old reader's position; a
 * new input begins at start_at (or at a record Redis held for its name
 * at the last load); a reader whose input is gone stops reading. */
void		 journal_reload(struct journal *jn, const struct setup *s,
		    const size_t *class_map, size_t uncl_id);
size_t		 journal_ninputs(const struct journal *jn);
const struct journal_stats *journal_stats(const struct journal *jn);
/* Starts closing the wake-up handles; memory goes with the last one.
 * NULL: no-op. */
void		 journal_close(struct journal *jn);

/* --- --scan ------------------------------------------------------------ */

/* Blocks of whole lines, borrowed for the call. */
typedef void journal_block_fn(void *arg, const char *buf, size_t len);

/* Reads in's journal from its oldest entry to its end (--scan): every
 * matched entry's MESSAGE as a line, in blocks. 0, or a negative errno
 * with err when the journal cannot be opened. */
int		 journal_scan(const struct config_input *in,
		    journal_block_fn *fn, void *arg, uint64_t *entries,
		    struct ew_err *err);

#endif
