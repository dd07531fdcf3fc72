/*
 * count: matcher hits to agg. Owns the fresh tally (one cell per agg
 * class id the class map names) and the line statistics; borrows agg,
 * the table and the class map. Never reads a file or the journal: its
 * callers hand it blocks of whole lines.
 */
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "base.h"
#include "count.h"
#include "match.h"
#include "table.h"

struct count {
	struct agg		*agg;
	const struct table	*table;
	const size_t		*class_map;	/* table class -> agg id */
	size_t			 uncl_id;
	uint64_t		 wall_ms;	/* of the block being counted */
	bool			 fresh_now;
	uint64_t		*fresh;		/* per agg id */
	size_t			 nfresh;
	struct count_stats	 st;
};

static void
hit_cb(void *arg, const char *code, size_t code_len, const char *name,
    size_t name_len)
{
	struct count *c = arg;
	size_t cls = table_classify(c->table, name, name_len, code, code_len);
	size_t id = c->class_map[cls];

	agg_count(c->agg, c->wall_ms, id, 1);
	/* SPEC §8: the detector sees each line once */
	if (c->fresh_now && id < c->nfresh)
		c->fresh[id]++;
	if (id == c->uncl_id) {
		c->st.unclassified++;
		if (code_len > 0)
			agg_count_uncl(c->agg, code, code_len);
		else
			agg_count_uncl(c->agg, name, name_len);
	}
}

/* The fresh tally covers every agg id the class map names. */
static void
size_fresh(struct count *c)
{
	size_t i, n = c->uncl_id + 1;

	for (i = 0; i < table_nclasses(c->table); i++)
		n = EW_MAX(n, c->class_map[i] + 1);
	if (n <= c->nfresh)
		return;
	c->fresh = xrealloc(c->fresh, n * sizeof(*c->fresh));
	memset(c->fresh + c->nfresh, 0, (n - c->nfresh) * sizeof(*c->fresh));
	c->nfresh = n;
}

struct count *
count_create(struct agg *agg, const struct table *t,
    const size_t *class_map, size_t uncl_id)
{
	struct count *c = xcalloc(1, sizeof(*c));

	c->agg = agg;
	count_reload(c, t, class_map, uncl_id);
	return c;
}

void
count_destroy(struct count *c)
{
	if (c == NULL)
		return;
	free(c->fresh);
	free(c);
}

void
count_reload(struct count *c, const struct table *t,
    const size_t *class_map, size_t uncl_id)
{
	c->table = t;
	c->class_map = class_map;
	c->uncl_id = uncl_id;
	size_fresh(c);
}

void
count_block(struct count *c, struct matcher *m, size_t max_line,
    const char *buf, size_t len, uint64_t wall_ms, bool fresh)
{
	struct match_stats st = { 0 };

	c->wall_ms = wall_ms;
	c->fresh_now = fresh;
	matcher_scan(m, buf, len, max_line, hit_cb, c, &st);
	c->st.lines += st.lines;
	c->st.matched += st.matched;
	c->st.long_lines += st.long_lines;
}

void
count_take_fresh(struct count *c, uint64_t *counts, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < c->nfresh; i++)
		counts[i] += c->fresh[i];
	if (c->nfresh > 0)
		memset(c->fresh, 0, c->nfresh * sizeof(*c->fresh));
}

const struct count_stats *
count_stats(const struct count *c)
{
	return &c->st;
}
