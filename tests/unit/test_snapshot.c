/*
 * test_snapshot: the windows' buckets, and a snapshot filled from replies
 * (numbers that are not counts read as 0, classes merged by name).
 */
#include <string.h>

#include "base.h"
#include "check.h"
#include "config.h"
#include "snapshot.h"

static const struct config_bucket buckets[] = {
	{ 10000, 21600000, "10s" },
	{ 60000, 172800000, "1m" },
	{ 3600000, 7776000000ULL, "1h" },
};

static const struct {
	unsigned	 w;
	uint64_t	 now_s;
	size_t		 n;
	size_t		 res;
	uint64_t	 first, last;
} wins[] = {
	{ 0, 1700000005, 10, 1, 1699999440, 1699999980 },	/* 1m x 10 */
	{ 1, 1700000005, 60, 1, 1699996440, 1699999980 },	/* 1m x 60 */
	{ 2, 1700000005, 24, 2, 1699916400, 1699999200 },	/* 1h x 24 */
	{ 3, 1700000005, 0, 0, 0, 0 },				/* no such */
};

int
main(void)
{
	uint64_t starts[SNAPSHOT_WINDOW_BUCKETS];
	struct snapshot *f;
	struct snapshot_kv kv[3];
	size_t i, n, res;

	for (i = 0; i < ARRAY_SIZE(wins); i++) {
		res = 99;
		n = snapshot_window_buckets(buckets, ARRAY_SIZE(buckets),
		    wins[i].w, wins[i].now_s, starts, &res);
		CHECK_UINT_EQ(n, wins[i].n);
		if (n == 0)
			continue;
		CHECK_UINT_EQ(res, wins[i].res);
		CHECK_UINT_EQ(starts[0], wins[i].first);
		CHECK_UINT_EQ(starts[n - 1], wins[i].last);
	}
	/* only 1h buckets: the 10 min window cannot be had */
	CHECK_UINT_EQ(snapshot_window_buckets(&buckets[2], 1, 0, 1700000005,
	    starts, &res), 0);

	f = snapshot_create(1700000000000ULL, 60);
	kv[0] = (struct snapshot_kv){ "A", 1, "5", 1 };
	kv[1] = (struct snapshot_kv){ "B", 1, "x7", 2 };	/* not a count */
	kv[2] = (struct snapshot_kv){ "C", 1, "18446744073709551615", 20 };
	snapshot_add_totals(f, kv, 3);
	kv[0] = (struct snapshot_kv){ "D", 1, "20.000", 6 };	/* events' */
	kv[1] = (struct snapshot_kv){ "E", 1, "20.5", 4 };
	snapshot_add_totals(f, kv, 2);
	CHECK_UINT_EQ(snapshot_class(f, "D", 1)->total, 20);
	CHECK_UINT_EQ(snapshot_class(f, "E", 1)->total, 0);
	kv[0] = (struct snapshot_kv){ "A", 1, "5", 1 };
	snapshot_add_window(f, 1, kv, 1);
	snapshot_add_window(f, 1, kv, 1);
	kv[0] = (struct snapshot_kv){ "A", 1, "not json", 8 };
	snapshot_add_codes(f, kv, 1);
	snapshot_finish(f);
	CHECK_UINT_EQ(f->nclasses, 5);
	CHECK_STR_EQ(f->classes[0].name.p, "C");	/* largest first */
	CHECK_UINT_EQ(f->classes[0].total, UINT64_MAX);
	CHECK_STR_EQ(f->classes[1].name.p, "D");
	CHECK_STR_EQ(f->classes[2].name.p, "A");
	CHECK_UINT_EQ(f->classes[2].window[1], 10);
	CHECK_STR_EQ(f->classes[2].code.p, "");
	CHECK_UINT_EQ(snapshot_class(f, "B", 1)->total, 0);
	CHECK(snapshot_class(f, "F", 1) == NULL);
	snapshot_destroy(f);

	/* stats kept as text: a version is not a count */
	f = snapshot_create(1700000100000ULL, 60);
	kv[0] = (struct snapshot_kv){ "h", 1, "1700000090", 10 };
	snapshot_add_hosts(f, kv, 1);
	kv[0] = (struct snapshot_kv){ "version", 7, "0.1.0", 5 };
	kv[1] = (struct snapshot_kv){ "lines", 5, "500", 3 };
	kv[2] = (struct snapshot_kv){ "started_at", 10, "1700000000", 10 };
	snapshot_add_host_stats(f, 0, kv, 3);
	CHECK_STR_EQ(f->hosts[0].stats[0].val.p, "0.1.0");
	CHECK_UINT_EQ(f->hosts[0].lines, 500);
	CHECK_UINT_EQ(snapshot_host_age_s(f, &f->hosts[0]), 10);
	CHECK(snapshot_host_rate(f, &f->hosts[0]) == 5.0);
	snapshot_destroy(f);

	/* series points: one count per class, _total skipped */
	f = snapshot_create(0, 60);
	kv[0] = (struct snapshot_kv){ "A", 1, "2", 1 };
	kv[1] = (struct snapshot_kv){ "_total", 6, "2", 1 };
	snapshot_add_point(f, "1000-1", 6, kv, 2);
	kv[0] = (struct snapshot_kv){ "B", 1, "3", 1 };
	snapshot_add_point(f, "2000-1", 6, kv, 1);
	CHECK_UINT_EQ(f->nclasses, 2);
	CHECK_UINT_EQ(f->points[0].ts_ms, 1000);
	CHECK_UINT_EQ(f->points[0].n[0], 2);
	CHECK_UINT_EQ(f->points[0].n[1], 0);
	CHECK_UINT_EQ(f->points[1].n[1], 3);
	snapshot_destroy(f);
	CHECK_DONE();
}
