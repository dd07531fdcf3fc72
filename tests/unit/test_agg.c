/*
 * test_agg: cells, the cut/commit/in-flight rules, forgetting files,
 * drop_all, the unclassified bound and bounded memory.
 */
#include <stdio.h>
#include <string.h>

#include "agg.h"
#include "base.h"
#include "check.h"
#include "tally.h"

#define NCLASSES	5

struct count_case {
	uint64_t now_ms;
	size_t	 cls;
	uint64_t n;
};

static const struct count_case count_cases[] = {
	{ 9999, 0, 1 },		/* last ms of cell 0 */
	{ 10000, 0, 1 },	/* first ms of cell 10 */
	{ 10001, 1, 2 },
	{ 5000, 0, 3 },		/* the clock stepped back: cell 0 again */
	{ 25000, 2, 1 },
	{ 0, 0, 1 },
	{ 19999, 4, 7 },
};

struct cell_want {
	uint64_t start_s;
	uint64_t counts[NCLASSES];
};

static const struct cell_want cell_wants[] = {
	{ 0, { 5, 0, 0, 0, 0 } },
	{ 10, { 1, 2, 0, 0, 7 } },
	{ 20, { 0, 0, 1, 0, 0 } },
};

static void
test_cells(void)
{
	struct agg *a = agg_create(NCLASSES, 10);
	const struct batch *b;
	size_t i, j;

	CHECK(!agg_has_pending(a));
	CHECK(agg_cut(a, 0) == NULL);
	for (i = 0; i < ARRAY_SIZE(count_cases); i++)
		agg_count(a, count_cases[i].now_ms, count_cases[i].cls,
		    count_cases[i].n);
	CHECK(agg_has_pending(a));
	b = agg_cut(a, 30000);
	CHECK(b != NULL);
	CHECK_UINT_EQ(b->seq, 1);
	CHECK_UINT_EQ(b->cut_ms, 30000);
	CHECK_UINT_EQ(b->ncells, ARRAY_SIZE(cell_wants));
	CHECK_UINT_EQ(b->noffsets, 0);
	CHECK_UINT_EQ(b->ncloses, 0);
	for (i = 0; i < ARRAY_SIZE(cell_wants); i++) {
		CHECK_UINT_EQ(b->cells[i].start_s, cell_wants[i].start_s);
		for (j = 0; j < NCLASSES; j++)
			CHECK_UINT_EQ(tally_get(b->cells[i].counts, j),
			    cell_wants[i].counts[j]);
	}
	agg_commit(a);
	CHECK(agg_inflight(a) == NULL);
	CHECK(!agg_has_pending(a));
	agg_destroy(a);
}

/* The offset moves of a cut batch, as "field expected>next" lines. */
static void
moves(const struct batch *b, struct buf *out)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < b->noffsets; i++)
		buf_printf(out, "%s %s>%s\n", b->offsets[i].field,
		    b->offsets[i].expected, b->offsets[i].next);
}

static void
test_cut_commit(void)
{
	struct agg *a = agg_create(NCLASSES, 10);
	const struct batch *b;
	struct buf m = { 0 };

	agg_offset_stored(a, "1:1", "100 a");
	agg_offset(a, "1:1", "100 a");		/* unchanged: never sent */
	agg_offset(a, "1:2", "50 b");		/* new file, nothing stored */
	agg_offset(a, "1:3", "7 c");
	agg_offset(a, "1:3", "9 c");		/* only the latest counts */
	agg_count(a, 1000, 1, 4);
	b = agg_cut(a, 2000);
	CHECK(b != NULL);
	CHECK(agg_inflight(a) == b);
	CHECK(!agg_has_pending(a));		/* all of it is in flight */
	agg_offset(a, "1:3", "9 c");		/* the same again: no move */
	CHECK(!agg_has_pending(a));
	CHECK_UINT_EQ(b->seq, 1);
	moves(b, &m);
	CHECK_STR_EQ(m.p, "1:2 >50 b\n1:3 >9 c\n");
	CHECK_UINT_EQ(b->ncells, 1);
	CHECK_UINT_EQ(tally_get(b->cells[0].counts, 1), 4);

	/* In flight: no second cut; newer work waits for the next batch. */
	agg_offset(a, "1:2", "60 b");
	CHECK(agg_has_pending(a));		/* past the one in flight */
	agg_count(a, 12000, 2, 1);
	CHECK(agg_cut(a, 13000) == NULL);
	CHECK(agg_inflight(a) == b);
	CHECK_UINT_EQ(b->noffsets, 2);		/* unchanged by the above */
	CHECK_UINT_EQ(b->ncells, 1);

	agg_commit(a);
	CHECK(agg_inflight(a) == NULL);
	b = agg_cut(a, 14000);
	CHECK(b != NULL);
	CHECK_UINT_EQ(b->seq, 2);
	moves(b, &m);
	CHECK_STR_EQ(m.p, "1:2 50 b>60 b\n");	/* committed next is expected */
	CHECK_UINT_EQ(b->ncells, 1);
	CHECK_UINT_EQ(b->cells[0].start_s, 10);
	CHECK_UINT_EQ(tally_get(b->cells[0].counts, 2), 1);
	CHECK_UINT_EQ(tally_get(b->cells[0].counts, 1), 0);
	agg_commit(a);
	agg_commit(a);				/* nothing in flight: no-op */
	CHECK(!agg_has_pending(a));

	/* A move back to the stored value is no move. */
	agg_offset(a, "1:3", "12 c");
	agg_offset(a, "1:3", "9 c");
	CHECK(!agg_has_pending(a));

	buf_free(&m);
	agg_destroy(a);
}

static void
test_forget(void)
{
	struct agg *a = agg_create(NCLASSES, 10);
	const struct batch *b;
	struct buf m = { 0 };

	/* Forgotten with its move in flight: kept until the commit. */
	agg_offset(a, "2:1", "10 x");
	b = agg_cut(a, 0);
	CHECK(b != NULL);
	agg_offset_forget(a, "2:1");
	agg_commit(a);
	CHECK(!agg_has_pending(a));
	agg_offset(a, "2:1", "10 x");		/* gone: a new file now */
	b = agg_cut(a, 0);
	moves(b, &m);
	CHECK_STR_EQ(m.p, "2:1 >10 x\n");
	agg_commit(a);

	/* Forgotten with a move not yet cut: the move still goes out. */
	agg_offset(a, "2:1", "20 x");
	agg_offset_forget(a, "2:1");
	CHECK(agg_has_pending(a));
	b = agg_cut(a, 0);
	moves(b, &m);
	CHECK_STR_EQ(m.p, "2:1 10 x>20 x\n");
	agg_commit(a);
	agg_offset(a, "2:1", "20 x");
	b = agg_cut(a, 0);
	moves(b, &m);
	CHECK_STR_EQ(m.p, "2:1 >20 x\n");
	agg_commit(a);

	/* Nothing unacknowledged: forgotten at once. */
	agg_offset_forget(a, "2:1");
	agg_offset_forget(a, "9:9");		/* unknown: no-op */
	agg_offset_stored(a, "2:2", "5 y");
	agg_offset_forget(a, "2:2");
	agg_offset(a, "2:1", "20 x");
	agg_offset(a, "2:2", "5 y");
	b = agg_cut(a, 0);
	moves(b, &m);
	CHECK_STR_EQ(m.p, "2:1 >20 x\n2:2 >5 y\n");
	agg_commit(a);

	buf_free(&m);
	agg_destroy(a);
}

static void
test_drop_all(void)
{
	struct agg *a = agg_create(NCLASSES, 10);
	const struct batch *b;
	struct buf m = { 0 };

	agg_offset_stored(a, "3:1", "1 z");
	agg_offset(a, "3:1", "2 z");
	agg_count(a, 0, 0, 1);
	agg_count_uncl(a, "777", 3);
	agg_close_bucket(a, 0, 0);
	CHECK(agg_cut(a, 0) != NULL);
	agg_offset(a, "3:1", "3 z");
	agg_count(a, 0, 0, 1);
	agg_count_uncl(a, "778", 3);
	agg_close_bucket(a, 1, 60);

	agg_drop_all(a);
	CHECK(agg_inflight(a) == NULL);
	/* Closes carry no counts and survive; everything else is gone. */
	b = agg_cut(a, 0);
	CHECK(b != NULL);
	CHECK_UINT_EQ(b->ncells, 0);
	CHECK_UINT_EQ(b->noffsets, 0);
	CHECK_UINT_EQ(tally_uncl_count(b->uncl), 0);
	CHECK_UINT_EQ(b->ncloses, 2);
	CHECK_UINT_EQ(b->closes[0].res, 1);	/* pending first, then the */
	CHECK_UINT_EQ(b->closes[0].start_s, 60);	/* dropped batch's */
	CHECK_UINT_EQ(b->closes[1].res, 0);
	CHECK_UINT_EQ(b->closes[1].start_s, 0);
	agg_commit(a);
	CHECK(!agg_has_pending(a));

	/* Stored values forgotten: the reloaded one is the expected. */
	agg_offset(a, "3:1", "2 z");
	agg_offset_stored(a, "3:1", "1 z");
	b = agg_cut(a, 0);
	moves(b, &m);
	CHECK_STR_EQ(m.p, "3:1 1 z>2 z\n");
	agg_drop_all(a);
	agg_offset(a, "3:1", "2 z");
	b = agg_cut(a, 0);
	moves(b, &m);
	CHECK_STR_EQ(m.p, "3:1 >2 z\n");

	buf_free(&m);
	agg_destroy(a);
}

static void
test_uncl_closes(void)
{
	struct agg *a = agg_create(NCLASSES, 10);
	const struct batch *b;
	char v[16];
	uint64_t n;
	size_t i;
	int len;

	for (i = 0; i < 300; i++) {
		len = snprintf(v, sizeof(v), "%zu", 10000 + i);
		agg_count_uncl(a, v, (size_t)len);
	}
	agg_count_uncl(a, "10000", 5);		/* known value: own field */
	agg_close_bucket(a, 0, 100);
	agg_close_bucket(a, 0, 100);		/* the same close once */
	agg_close_bucket(a, 1, 60);
	CHECK(agg_has_pending(a));
	b = agg_cut(a, 0);
	CHECK(b != NULL);
	CHECK_UINT_EQ(tally_uncl_count(b->uncl), TALLY_UNCL_MAX + 1);
	CHECK_STR_EQ(tally_uncl_at(b->uncl, 0, &n), "10000");
	CHECK_UINT_EQ(n, 2);
	CHECK_STR_EQ(tally_uncl_at(b->uncl, 255, &n), "10255");
	CHECK_UINT_EQ(n, 1);
	CHECK_STR_EQ(tally_uncl_at(b->uncl, 256, &n), TALLY_UNCL_OTHER);
	CHECK_UINT_EQ(n, 300 - TALLY_UNCL_MAX);
	CHECK_UINT_EQ(b->ncloses, 2);
	CHECK_UINT_EQ(b->closes[0].res, 0);
	CHECK_UINT_EQ(b->closes[0].start_s, 100);
	CHECK_UINT_EQ(b->closes[1].res, 1);
	CHECK_UINT_EQ(b->closes[1].start_s, 60);
	agg_commit(a);

	/* Carried once: the next batch has none. */
	agg_count(a, 0, 0, 1);
	b = agg_cut(a, 0);
	CHECK_UINT_EQ(b->ncloses, 0);
	CHECK_UINT_EQ(tally_uncl_count(b->uncl), 0);
	agg_commit(a);
	agg_destroy(a);
}

static void
test_memory(void)
{
	struct agg *a = agg_create(NCLASSES, 10);
	const struct batch *b;
	size_t before, after, i;
	char v[16];
	int len;

	for (i = 0; i < 100000; i++)
		agg_count(a, i, i % NCLASSES, 1);	/* cells 0..90 */
	before = agg_memory(a);
	for (i = 0; i < 1000000; i++) {
		agg_count(a, i / 10, i % NCLASSES, 1);
		len = snprintf(v, sizeof(v), "%zu", i % 1000);
		agg_count_uncl(a, v, (size_t)len);
	}
	after = agg_memory(a);
	CHECK(after < 64 * 1024);
	CHECK(after - before < 32 * 1024);	/* the uncl entries, bounded */
	b = agg_cut(a, 100000);
	CHECK_UINT_EQ(b->ncells, 10);
	CHECK_UINT_EQ(b->cells[9].start_s, 90);
	CHECK_UINT_EQ(tally_total(b->cells[0].counts), 10000 + 100000);
	CHECK_UINT_EQ(tally_uncl_count(b->uncl), TALLY_UNCL_MAX + 1);
	CHECK(agg_memory(a) >= after - 1024);	/* in flight still counts */
	agg_commit(a);
	CHECK(agg_memory(a) < before);
	agg_destroy(a);
}

static void
stored_cb(void *arg, const char *field, const char *stored, const char *sent)
{
	buf_printf(arg, "%s %s>%s\n", field, stored ? stored : "-",
	    sent ? sent : "-");
}

/* What the daemon compares with Redis after a reconnect (SPEC §8). */
static void
test_stored_foreach(void)
{
	struct agg *a = agg_create(NCLASSES, 10);
	struct buf out = { 0 };

	agg_offset_stored(a, "1:1", "10 r");
	agg_offset(a, "1:1", "20 r");
	agg_offset(a, "1:2", "5 r");	/* new: nothing stored yet */
	agg_stored_foreach(a, stored_cb, &out);
	CHECK_STR_EQ(out.p, "1:1 10 r>-\n");
	buf_reset(&out);
	CHECK(agg_cut(a, 0) != NULL);
	agg_stored_foreach(a, stored_cb, &out);
	CHECK_STR_EQ(out.p, "1:1 10 r>20 r\n1:2 ->5 r\n");
	agg_commit(a);
	buf_reset(&out);
	agg_stored_foreach(a, stored_cb, &out);
	CHECK_STR_EQ(out.p, "1:1 20 r>-\n1:2 5 r>-\n");
	buf_free(&out);
	agg_destroy(a);
}

int
main(void)
{
	test_cells();
	test_cut_commit();
	test_forget();
	test_drop_all();
	test_uncl_closes();
	test_memory();
	test_stored_foreach();
	CHECK_DONE();
}
