/*
 * agg: what this host has counted and not yet seen acknowledged by Redis.
 * Counts are kept per cell (a time slot as wide as the greatest common
 * divisor of the bucket resolutions) and class, never per line, so memory
 * stays small whatever the outage. Offsets of the files the counts came
 * from travel with them (SPEC §8). At most one batch is in flight; a batch
 * whose reply never came is re-sent identical, never merged with newer
 * counts. Core module: time comes in as an argument.
 */
#ifndef EW_AGG_H
#define EW_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tally;
struct agg;

struct batch_cell {
	uint64_t	 start_s;	/* unix s, aligned to the cell width */
	struct tally	*counts;	/* per class */
};

/* A file's offset record moving from expected (what Redis holds now, ""
 * when absent) to next. */
struct batch_offset {
	char	*field;			/* file identity */
	char	*expected;
	char	*next;
};

/* A bucket to close into `P series:<res>` (SPEC §7). */
struct batch_close {
	size_t	 res;			/* index into the configured buckets */
	uint64_t start_s;
};

/* An alert event (SPEC §7, §9), written with the counts of its batch:
 * a `P alerts` stream entry of kv, the same JSON published, and
 * `P alerts:active` field set (firing) or removed (resolved). */
struct batch_alert {
	char	 *field;		/* "<class>@<host>" */
	bool	  firing;
	char	 *json;
	char	**kv;			/* stream fields: name, value, ... */
	size_t	  nkv;
};

struct batch {
	uint64_t		 seq;		/* 1, 2, ... per agg */
	uint64_t		 cut_ms;
	struct batch_cell	*cells;		/* ascending start_s */
	size_t			 ncells;
	struct tally		*uncl;		/* unclassified breakdown only */
	struct batch_offset	*offsets;
	size_t			 noffsets;
	struct batch_close	*closes;
	size_t			 ncloses;
	struct batch_alert	*alerts;
	size_t			 nalerts;
};

/* Frees a batch and everything it owns (agg's own, or one a test built
 * from heap parts the same way). NULL: no-op. */
void		 agg_batch_destroy(struct batch *b);

/* cell_s: the cell width in seconds (>= 1). */
struct agg	*agg_create(size_t nclasses, uint64_t cell_s);
void		 agg_destroy(struct agg *a);

/* Counts n lines of class cls read at now_ms. */
void		 agg_count(struct agg *a, uint64_t now_ms, size_t cls,
		    uint64_t n);
/* Records the value of an unclassified line (the class count is
 * agg_count's). */
void		 agg_count_uncl(struct agg *a, const char *v, size_t len);
/* The file's record after everything counted so far. Copies both. */
void		 agg_offset(struct agg *a, const char *field,
		    const char *value);
/* What Redis holds for a file (after loading offsets); becomes the
 * expected value of the file's next move. value NULL: absent. */
void		 agg_offset_stored(struct agg *a, const char *field,
		    const char *value);
/* Forgets a file (closed and its last move acknowledged). */
void		 agg_offset_forget(struct agg *a, const char *field);
/* Adds a bucket to close with the next cut. */
void		 agg_close_bucket(struct agg *a, size_t res, uint64_t start_s);

/* Adds an alert event to the next cut; everything is copied. */
void		 agg_alert(struct agg *a, const char *field, bool firing,
		    const char *json, const char *const *kv, size_t nkv);
/* Lines counted per class since agg_create, never dropped (the spike
 * detector takes its per-second counts from their growth). */
const uint64_t	*agg_totals(const struct agg *a);

/* Anything counted, moved or to close since the last cut? */
bool		 agg_has_pending(const struct agg *a);
/* The batch in flight, or NULL. */
const struct batch *agg_inflight(const struct agg *a);
/* Moves everything pending into a new in-flight batch and returns it.
 * Only when nothing is in flight; returns NULL when there is nothing
 * pending or a batch is already in flight. */
const struct batch *agg_cut(struct agg *a, uint64_t now_ms);
/* Redis applied the in-flight batch (OK) or had applied it before (DUP):
 * its offsets become the stored values; the batch is freed. */
void		 agg_commit(struct agg *a);
/* CONFLICT: drops the batch in flight and everything pending, and
 * forgets every stored value; the caller reloads offsets and re-reads. */
void		 agg_drop_all(struct agg *a);
/* What this host believes Redis holds, for a check after a reconnect
 * (SPEC §8: a restore rolls offsets back while we were away): fn gets
 * every file with a stored value (NULL: absent) or a move in flight, and
 * the value the batch in flight moves it to (NULL: none). Strings are
 * borrowed for the call. */
typedef void agg_stored_fn(void *arg, const char *field, const char *stored,
    const char *sent);
void		 agg_stored_foreach(const struct agg *a, agg_stored_fn *fn,
		    void *arg);
/* Bytes of memory held (for the outage figure in the README). */
size_t		 agg_memory(const struct agg *a);

#endif
