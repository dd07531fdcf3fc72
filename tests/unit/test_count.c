/*
 * test_count: the one path from a block of whole lines to agg. A table of
 * blocks, each counted fresh or not, against the class totals in agg, the
 * fresh tally the detector takes, the unclassified breakdown and the line
 * statistics; then a reload that maps the classes onto other agg ids.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"
#include "base.h"
#include "check.h"
#include "count.h"
#include "setup.h"
#include "table.h"

#define NIDS	SETUP_MAX_CLASSES

static const struct {
	const char	*block;
	bool		 fresh;
	uint64_t	 lines, matched, unclassified, long_lines;
	uint64_t	 c461, c473, c4010;	/* agg totals after the block */
	uint64_t	 f461;			/* fresh 461s taken after it */
} cases[] = {
	{ "code=461 a\n", true, 1, 1, 0, 0, 1, 0, 0, 1 },
	/* a line read again after a CONFLICT: agg, not the detector */
	{ "code=461 a\ncode=473 b\n", false, 3, 3, 0, 0, 2, 1, 0, 0 },
	{ "no code here\ncode=4010\ncode=4999\n", true, 6, 5, 1, 0, 2, 1, 1,
	    0 },
	/* longer than max_line (64): a long line, matched on its head */
	{ "code=461 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxx\n", true, 7, 6, 1, 1, 3, 1, 1, 1 },
	{ "", true, 7, 6, 1, 1, 3, 1, 1, 0 },
	{ "code=461\ncode=461\n", true, 9, 8, 1, 1, 5, 1, 1, 2 },
};

static struct setup *
load(char *dir)
{
	char *cfg = xasprintf("%s/c.yaml", dir);
	const char *src = getenv("EW_SRC");
	struct ew_err err = { 0 };
	struct setup *s;
	FILE *f = fopen(cfg, "w");

	CHECK(f != NULL);
	fprintf(f, "host: h\ntable: %s/data/error-codes.tsv\ninputs:\n"
	    "  - name: app\n    paths: [\"%s/*.log\"]\n",
	    src != NULL ? src : "..", dir);
	CHECK(fclose(f) == 0);
	s = setup_load(cfg, SETUP_INPUTS, &err);
	if (s == NULL)
		fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col,
		    err.msg);
	CHECK(s != NULL);
	unlink(cfg);
	free(cfg);
	return s;
}

static size_t
cls(const struct setup *s, const char *name)
{
	long c = table_find_class(s->table, name);

	CHECK(c >= 0);
	return (size_t)c;
}

static void
test_blocks(struct setup *s)
{
	size_t n = table_nclasses(s->table), i;
	size_t *map = xcalloc(n, sizeof(*map));
	struct agg *agg = agg_create(NIDS, 10);
	struct count *c;
	uint64_t fresh[NIDS];
	const struct batch *b;

	for (i = 0; i < n; i++)
		map[i] = i;
	c = count_create(agg, s->table, map, table_unclassified(s->table));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct count_stats *st;

		count_block(c, s->matchers[0], 64, cases[i].block,
		    strlen(cases[i].block), 1700000000000, cases[i].fresh);
		st = count_stats(c);
		CHECK_UINT_EQ(st->lines, cases[i].lines);
		CHECK_UINT_EQ(st->matched, cases[i].matched);
		CHECK_UINT_EQ(st->unclassified, cases[i].unclassified);
		CHECK_UINT_EQ(st->long_lines, cases[i].long_lines);
		CHECK_UINT_EQ(agg_totals(agg)[cls(s, "Punishment")],
		    cases[i].c461);
		CHECK_UINT_EQ(agg_totals(agg)[cls(s, "ServiceUnavailable")],
		    cases[i].c473);
		CHECK_UINT_EQ(agg_totals(agg)[cls(s, "IdpAuthFailure")],
		    cases[i].c4010);
		memset(fresh, 0, sizeof(fresh));
		count_take_fresh(c, fresh, NIDS);
		CHECK_UINT_EQ(fresh[cls(s, "Punishment")], cases[i].f461);
		/* taken: the tally starts again from 0 */
		memset(fresh, 0, sizeof(fresh));
		count_take_fresh(c, fresh, NIDS);
		CHECK_UINT_EQ(fresh[cls(s, "Punishment")], 0);
	}
	/* the unknown code went into the breakdown, by its code */
	b = agg_cut(agg, 1700000001000);
	CHECK(b != NULL);
	CHECK(b->uncl != NULL);

	/* A reload maps Punishment onto another id: counts follow the map */
	map[cls(s, "Punishment")] = n + 3;
	count_reload(c, s->table, map, table_unclassified(s->table));
	count_block(c, s->matchers[0], 64, "code=461\n", 9, 1700000002000,
	    true);
	CHECK_UINT_EQ(agg_totals(agg)[n + 3], 1);
	CHECK_UINT_EQ(agg_totals(agg)[cls(s, "Punishment")], 5);
	memset(fresh, 0, sizeof(fresh));
	count_take_fresh(c, fresh, NIDS);
	CHECK_UINT_EQ(fresh[n + 3], 1);

	count_destroy(c);
	count_destroy(NULL);
	agg_destroy(agg);
	free(map);
}

int
main(void)
{
	char dir[] = "/tmp/ew-test-count.XXXXXX";
	struct setup *s;

	CHECK(mkdtemp(dir) != NULL);
	s = load(dir);
	test_blocks(s);
	setup_destroy(s);
	rmdir(dir);
	CHECK_DONE();
}
