/*
 * count: the one path from a block of whole lines to agg (SPEC §5): the
 * input's matcher over the block, the table's classification of each
 * hit, agg's cells and unclassified breakdown, the fresh tally for the
 * spike detector (SPEC §8: a line read again is not new) and the line
 * statistics. follow (files) and journal (the systemd journal, SPEC §16)
 * each own one, so a journal entry's MESSAGE counts exactly as a line of
 * a file does. Core module: time comes in as an argument.
 */
#ifndef EW_COUNT_H
#define EW_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct agg;
struct count;
struct matcher;
struct table;

/* Since count_create, each counted when it happens. */
struct count_stats {
	uint64_t lines, matched, unclassified, long_lines;
};

/* agg, t and class_map (table class -> agg class id) are borrowed and
 * must outlive the count, or be replaced through count_reload. */
struct count	*count_create(struct agg *agg, const struct table *t,
		    const size_t *class_map, size_t uncl_id);
void		 count_destroy(struct count *c);
void		 count_reload(struct count *c, const struct table *t,
		    const size_t *class_map, size_t uncl_id);
/* Counts buf[0..len), whole lines (matcher_scan's contract), scanned by
 * m, into agg's cell of wall_ms. fresh: the detector sees these lines. */
void		 count_block(struct count *c, struct matcher *m,
		    size_t max_line, const char *buf, size_t len,
		    uint64_t wall_ms, bool fresh);
/* Adds the fresh lines counted since the last call to counts[0..n) (by
 * agg class id) and starts again from 0. */
void		 count_take_fresh(struct count *c, uint64_t *counts,
		    size_t n);
const struct count_stats *count_stats(const struct count *c);

#endif
