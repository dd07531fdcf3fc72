/*
 * test_keys: bucket alignment, argv helpers, offset records, the flush
 * ARGV layout, and the flush script run by a real redis-server that this
 * test starts on a unix socket in a temporary directory (stopped, and the
 * directory removed, at exit or abort). The test talks to it with
 * hiredis's synchronous API; the daemon itself uses the async sink.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "agg.h"
#include "base.h"
#include "check.h"
#include "redisfix.h"
#include "config.h"
#include "keys.h"
#include "tally.h"


/* --- bucket starts ------------------------------------------------- */

struct bucket_case {
	uint64_t t_s;
	uint64_t res_s;
	uint64_t want;
};

static const struct bucket_case bucket_cases[] = {
	{ 0, 10, 0 },
	{ 9, 10, 0 },
	{ 10, 10, 10 },
	{ 59, 60, 0 },
	{ 60, 60, 60 },
	{ 1700000005, 10, 1700000000 },
	{ 1699999990, 60, 1699999980 },
	{ 1700000000, 3600, 1699999200 },
	{ 86399, 86400, 0 },
	{ 5, 1, 5 },
	{ 5, 0, 5 },		/* no width: unchanged */
};

static void
test_bucket_start(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bucket_cases); i++)
		CHECK_UINT_EQ(keys_bucket_start(bucket_cases[i].t_s,
		    bucket_cases[i].res_s), bucket_cases[i].want);
}

static void
test_argv_name(void)
{
	struct argv a = { 0 };
	struct buf b = { 0 };

	argv_add(&a, "a\0b", 3);
	argv_addstr(&a, "");
	argv_addu64(&a, UINT64_MAX);
	CHECK_UINT_EQ(a.n, 3);
	CHECK_MEM_EQ(a.v[0], a.len[0], "a\0b", 3);
	CHECK_UINT_EQ(a.len[1], 0);
	CHECK_STR_EQ(a.v[2], "18446744073709551615");
	argv_reset(&a);
	CHECK_UINT_EQ(a.n, 0);
	argv_addu64(&a, 0);
	CHECK_STR_EQ(a.v[0], "0");
	argv_free(&a);
	argv_free(&a);		/* twice: harmless */

	keys_name(&b, "errwatch:", "count:total");
	CHECK_STR_EQ(b.p, "errwatch:count:total");
	buf_free(&b);
}

/* --- offset records ------------------------------------------------ */

struct rec_case {
	uint64_t dev, ino, offset;
	uint32_t fp_len;
	uint64_t fp_hash, tail_hash, seen_s;
	const char *path;
	const char *field;	/* formatted */
	const char *value;
};

static const struct rec_case rec_cases[] = {
	{ 2049, 131073, 81920, 1024, 0x0123456789abcdefULL,
	    0xfedcba9876543210ULL, 1700000000,
	    "/var/log/platform/gateway.log", "2049:131073",
	    "81920 1024 0123456789abcdef fedcba9876543210 1700000000 "
	    "/var/log/platform/gateway.log" },
	{ 0, 0, 0, 0, 0, 0, 0, "/my logs/game server.log", "0:0",
	    "0 0 0000000000000000 0000000000000000 0 "
	    "/my logs/game server.log" },
	{ UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT32_MAX, UINT64_MAX, 1,
	    UINT64_MAX, " x ", "18446744073709551615:18446744073709551615",
	    "18446744073709551615 4294967295 ffffffffffffffff "
	    "0000000000000001 18446744073709551615  x " },
};

static void
test_offset_roundtrip(void)
{
	const struct rec_case *c;
	struct offset_rec r, back;
	struct buf f = { 0 }, v = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rec_cases); i++) {
		c = &rec_cases[i];
		memset(&r, 0, sizeof(r));
		r.dev = c->dev;
		r.ino = c->ino;
		r.offset = c->offset;
		r.fp_len = c->fp_len;
		r.fp_hash = c->fp_hash;
		r.tail_hash = c->tail_hash;
		r.seen_s = c->seen_s;
		snprintf(r.path, sizeof(r.path), "%s", c->path);
		buf_reset(&f);
		buf_reset(&v);
		keys_offset_field(&f, r.dev, r.ino);
		keys_offset_value(&v, &r);
		CHECK_STR_EQ(f.p, c->field);
		CHECK_STR_EQ(v.p, c->value);
		memset(&back, 0xa5, sizeof(back));
		CHECK_INT_EQ(keys_offset_parse(f.p, v.p, &back), 0);
		CHECK_UINT_EQ(back.dev, c->dev);
		CHECK_UINT_EQ(back.ino, c->ino);
		CHECK_UINT_EQ(back.offset, c->offset);
		CHECK_UINT_EQ(back.fp_len, c->fp_len);
		CHECK_UINT_EQ(back.fp_hash, c->fp_hash);
		CHECK_UINT_EQ(back.tail_hash, c->tail_hash);
		CHECK_UINT_EQ(back.seen_s, c->seen_s);
		CHECK_STR_EQ(back.path, c->path);
	}
	/* Upper-case hex is read too. */
	CHECK_INT_EQ(keys_offset_parse("1:2",
	    "1 2 ABCDEF0123456789 0000000000000000 3 /p", &back), 0);
	CHECK_UINT_EQ(back.fp_hash, 0xabcdef0123456789ULL);
	buf_free(&f);
	buf_free(&v);
}

#define H0	"0123456789abcdef"
#define OKV	"10 4 " H0 " " H0 " 5 /p"

struct bad_case {
	const char *field;
	const char *value;
};

static const struct bad_case bad_cases[] = {
	{ "1:2", OKV },				/* the control: accepted */
	{ "1:2", "" },
	{ "1:2", "10 4 " H0 " " H0 " 5" },	/* no path */
	{ "1:2", "10 4 " H0 " " H0 " 5 " },	/* empty path */
	{ "1:2", "-1 4 " H0 " " H0 " 5 /p" },
	{ "1:2", "+1 4 " H0 " " H0 " 5 /p" },
	{ "1:2", " 10 4 " H0 " " H0 " 5 /p" },
	{ "1:2", "10  4 " H0 " " H0 " 5 /p" },
	{ "1:2", "10 4 0123456789abcde " H0 " 5 /p" },	/* 15 digits */
	{ "1:2", "10 4 " H0 "0 " H0 " 5 /p" },		/* 17 digits */
	{ "1:2", "10 4 0123456789abcdeg " H0 " 5 /p" },
	{ "1:2", "10 4 " H0 " " H0 " x5 /p" },
	{ "1:2", "18446744073709551616 4 " H0 " " H0 " 5 /p" },
	{ "1:2", "10 4294967296 " H0 " " H0 " 5 /p" },
	{ "1:2", "10\t4 " H0 " " H0 " 5 /p" },
	{ "12", OKV },
	{ "1:2:3", OKV },
	{ "a:2", OKV },
	{ ":2", OKV },
	{ "1:", OKV },
	{ " 1:2", OKV },
	{ "1:2 ", OKV },
	{ "", OKV },
	{ NULL, OKV },
	{ "1:2", NULL },
};

static void
test_offset_malformed(void)
{
	struct offset_rec r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		memset(&r, 0, sizeof(r));
		CHECK_INT_EQ(keys_offset_parse(bad_cases[i].field,
		    bad_cases[i].value, &r), i == 0 ? 0 : -1);
		if (i > 0)		/* untouched on failure */
			CHECK_UINT_EQ(r.offset, 0);
	}
}

/* --- building batches ---------------------------------------------- */

#define NCLASSES	4

static const char *const class_names[NCLASSES] = {
	"Success", "Punishment", "406", "Unclassified",
};

static const struct config_bucket buckets[] = {
	{ 10000, 21600000, "10s" },		/* 6h */
	{ 60000, 172800000, "1m" },		/* 48h */
	{ 3600000, 7776000000ULL, "1h" },	/* 90d */
};

static const char *const stat_fields[] = { "lines", "matched" };
static const uint64_t stat_values[] = { 100, 7 };

#define NOW_MS	1700000000123ULL

static const struct flush_meta meta = {
	.prefix = "ew:",
	.host = "h1",
	.now_ms = NOW_MS,
	.buckets = buckets,
	.nbuckets = ARRAY_SIZE(buckets),
	.class_names = class_names,
	.stat_fields = stat_fields,
	.stat_values = stat_values,
	.nstats = ARRAY_SIZE(stat_fields),
	/* a flush that says everything: no TTL known, heartbeat due */
	.heartbeat = true,
	.stats_ttl = true,
};

struct move {
	const char *field, *expected, *next;
};

/* cells: 0 none; 1: two cells,
 *   1699999990: Success 3, Punishment 2
 *   1700000000: Punishment 1, Unclassified 1 (value "12345")
 * and an empty cell at 1700000010 that must not be sent. */
static struct batch *
batch_make(const struct move *mv, size_t nmv, int cells)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	size_t i;

	b->seq = 1;
	b->uncl = tally_create(NCLASSES);
	b->offsets = xcalloc(nmv, sizeof(*b->offsets));
	b->noffsets = nmv;
	for (i = 0; i < nmv; i++) {
		b->offsets[i].field = xstrdup(mv[i].field);
		b->offsets[i].expected = xstrdup(mv[i].expected);
		b->offsets[i].next = xstrdup(mv[i].next);
	}
	if (cells) {
		b->ncells = 3;
		b->cells = xcalloc(3, sizeof(*b->cells));
		for (i = 0; i < 3; i++) {
			b->cells[i].start_s = 1699999990 + 10 * i;
			b->cells[i].counts = tally_create(NCLASSES);
		}
		tally_add(b->cells[0].counts, 0, 3);
		tally_add(b->cells[0].counts, 1, 2);
		tally_add(b->cells[1].counts, 1, 1);
		tally_add(b->cells[1].counts, 3, 1);
		tally_add_uncl(b->uncl, "12345", 5, 1);
	}
	b->closes = xcalloc(8, sizeof(*b->closes));
	return b;
}

static void
batch_close_add(struct batch *b, size_t res, uint64_t start_s)
{
	b->closes[b->ncloses].res = res;
	b->closes[b->ncloses].start_s = start_s;
	b->ncloses++;
}


static void
test_flush_argv(void)
{
	static const struct move mv[] = { { "8:1", "", "A1" } };
	struct batch *b = batch_make(mv, 1, 1);
	struct argv a = { 0 };
	struct buf j = { 0 };
	size_t i;

	batch_close_add(b, 1, 1699999980);
	argv_addstr(&a, "left over");		/* dropped by the build */
	keys_flush_argv(&a, &meta, b);
	for (i = 0; i < a.n; i++)
		buf_printf(&j, "%s%s", i ? "|" : "", a.v[i]);
	CHECK_STR_EQ(j.p,
	    "ew:|h1|1700000000123|"
	    "1|8:1||A1|"
	    "3|10s|10|21600|0|1m|60|172800|0|1h|3600|7776000|0|"
	    "2|1699999990|2|Success|3|Punishment|2|"
	    "1700000000|2|Punishment|1|Unclassified|1|"
	    "1|12345|1|"
	    "1|2|1699999980|"
	    "2|lines|100|matched|7|"
	    "0|0|0|"
	    "1|1");
	argv_free(&a);
	buf_free(&j);
	agg_batch_destroy(b);
}

/* SPEC §15: what Redis holds already goes as such: the buckets known to
 * have their TTL per resolution, no heartbeat or stats TTL. */
static void
test_flush_argv_told(void)
{
	static const uint64_t ttl[] = { 1700000000, 1699999980, 1699999200 };
	struct flush_meta m = meta;
	struct batch *b = batch_make(NULL, 0, 0);
	struct argv a = { 0 };
	struct buf j = { 0 };
	size_t i;

	m.ttl_start = ttl;
	m.heartbeat = false;
	m.stats_ttl = false;
	m.nstats = 0;
	keys_flush_argv(&a, &m, b);
	for (i = 0; i < a.n; i++)
		buf_printf(&j, "%s%s", i ? "|" : "", a.v[i]);
	CHECK_STR_EQ(j.p,
	    "ew:|h1|1700000000123|"
	    "0|"
	    "3|10s|10|21600|1700000000|1m|60|172800|1699999980|"
	    "1h|3600|7776000|1699999200|"
	    "0|0|0|0|0|0|0|0|0");
	argv_free(&a);
	buf_free(&j);
	agg_batch_destroy(b);
}

/* --- a real redis-server ------------------------------------------- */

static redisContext *rc;

static void
redis_start(void)
{
	rfix_setup("keys");
	rc = rfix_start();
}

static redisReply *
cmd_argv(int argc, const char **argv, const size_t *lens)
{
	redisReply *r = redisCommandArgv(rc, argc, argv, lens);

	CHECK(r != NULL);
	return r;
}

static void
cmd0(const char *a0)
{
	const char *argv[] = { a0 };

	freeReplyObject(cmd_argv(1, argv, NULL));
}

/* HGET as a number; -1 when the field is missing. */
static long long
hget(const char *key, const char *field)
{
	const char *argv[] = { "HGET", key, field };
	redisReply *r = cmd_argv(3, argv, NULL);
	long long v = -1;

	if (r->type == REDIS_REPLY_STRING)
		v = strtoll(r->str, NULL, 10);
	else
		CHECK_INT_EQ(r->type, REDIS_REPLY_NIL);
	freeReplyObject(r);
	return v;
}

/* HGET as a string into out; "(nil)" when missing. */
static void
hget_str(const char *key, const char *field, char *out, size_t len)
{
	const char *argv[] = { "HGET", key, field };
	redisReply *r = cmd_argv(3, argv, NULL);

	snprintf(out, len, "%s", r->type == REDIS_REPLY_STRING ? r->str :
	    "(nil)");
	freeReplyObject(r);
}

static long long
key_int(const char *c, const char *key)
{
	const char *argv[] = { c, key };
	redisReply *r = cmd_argv(2, argv, NULL);
	long long v;

	CHECK_INT_EQ(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* Runs the script with EVAL and returns its reply string in out. */
static void
flush_meta(const struct flush_meta *m, const struct batch *b, char *out,
    size_t len)
{
	struct argv a = { 0 };
	const char **argv;
	size_t *lens, i;
	redisReply *r;

	keys_flush_argv(&a, m, b);
	argv = xcalloc(a.n + 3, sizeof(*argv));
	lens = xcalloc(a.n + 3, sizeof(*lens));
	argv[0] = "EVAL";
	argv[1] = keys_flush_script();
	argv[2] = "0";
	for (i = 0; i < 3; i++)
		lens[i] = strlen(argv[i]);
	for (i = 0; i < a.n; i++) {
		argv[i + 3] = a.v[i];
		lens[i + 3] = a.len[i];
	}
	r = cmd_argv((int)(a.n + 3), argv, lens);
	if (r->type == REDIS_REPLY_ERROR)
		fprintf(stderr, "script error: %s\n", r->str);
	CHECK(r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING);
	snprintf(out, len, "%s", r->str);
	freeReplyObject(r);
	free(argv);
	free(lens);
	argv_free(&a);
}

static void
flush(const struct batch *b, char *out, size_t len)
{
	flush_meta(&meta, b, out, len);
}

struct hval {
	const char *key;
	const char *field;
	long long want;		/* -1: field missing */
};

static void
check_hvals(const struct hval *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (hget(h[i].key, h[i].field) != h[i].want)
			fprintf(stderr, "at %s %s\n", h[i].key, h[i].field);
		CHECK_INT_EQ(hget(h[i].key, h[i].field), h[i].want);
	}
}

/* The counts of one batch of batch_make(.., 1) times k. */
static void
check_counts(long long k)
{
	const struct hval h[] = {
		{ "ew:count:total", "Success", 3 * k },
		{ "ew:count:total", "Punishment", 3 * k },
		{ "ew:count:total", "Unclassified", 1 * k },
		{ "ew:count:total", "406", -1 },
		{ "ew:host:h1:count:total", "Success", 3 * k },
		{ "ew:host:h1:count:total", "Punishment", 3 * k },
		{ "ew:host:h1:count:total", "Unclassified", 1 * k },
		{ "ew:count:10s:1699999990", "Success", 3 * k },
		{ "ew:count:10s:1699999990", "Punishment", 2 * k },
		{ "ew:count:10s:1699999990", "Unclassified", -1 },
		{ "ew:count:10s:1700000000", "Success", -1 },
		{ "ew:count:10s:1700000000", "Punishment", 1 * k },
		{ "ew:count:10s:1700000000", "Unclassified", 1 * k },
		{ "ew:count:1m:1699999980", "Success", 3 * k },
		{ "ew:count:1m:1699999980", "Punishment", 3 * k },
		{ "ew:count:1m:1699999980", "Unclassified", 1 * k },
		{ "ew:count:1h:1699999200", "Success", 3 * k },
		{ "ew:count:1h:1699999200", "Punishment", 3 * k },
		{ "ew:count:1h:1699999200", "Unclassified", 1 * k },
		{ "ew:unclassified", "12345", 1 * k },
	};

	check_hvals(h, ARRAY_SIZE(h));
	/* The empty cell made no bucket. */
	CHECK_INT_EQ(key_int("EXISTS", "ew:count:10s:1700000010"), 0);
}

struct ttl_case {
	const char *key;
	long long max;		/* the retention, s */
};

static const struct ttl_case ttl_cases[] = {
	{ "ew:count:10s:1699999990", 21600 },
	{ "ew:count:10s:1700000000", 21600 },
	{ "ew:count:1m:1699999980", 172800 },
	{ "ew:count:1h:1699999200", 7776000 },
	{ "ew:stats:h1", 604800 },
};

static void
check_ttls(void)
{
	long long t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ttl_cases); i++) {
		t = key_int("TTL", ttl_cases[i].key);
		CHECK(t > 0);
		CHECK(t <= ttl_cases[i].max);
	}
	CHECK_INT_EQ(key_int("TTL", "ew:count:total"), -1);
}

static void
check_offset(const char *field, const char *want)
{
	char v[64];

	hget_str("ew:offsets:h1", field, v, sizeof(v));
	CHECK_STR_EQ(v, want);
}

static void
test_script_cas(void)
{
	static const struct move first[] = {
		{ "8:1", "", "A1" }, { "8:2", "", "B1" } };
	static const struct move wrong[] = {
		{ "8:1", "A1", "A2" }, { "8:2", "B0", "B2" } };
	static const struct move second[] = { { "8:1", "A1", "A2" } };
	static const struct move third[] = { { "8:1", "A2", "A3" } };
	const struct hval stats[] = {
		{ "ew:stats:h1", "lines", 100 },
		{ "ew:stats:h1", "matched", 7 },
		{ "ew:stats:h1", "last_flush_ms", (long long)NOW_MS },
	};
	struct batch *b;
	redisReply *r;
	char reply[32];
	const char *zs[] = { "ZSCORE", "ew:hosts", "h1" };

	cmd0("FLUSHALL");
	b = batch_make(first, 2, 1);
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "OK");
	check_counts(1);
	check_ttls();
	check_offset("8:1", "A1");
	check_offset("8:2", "B1");
	check_hvals(stats, ARRAY_SIZE(stats));
	r = cmd_argv(3, zs, NULL);
	CHECK_INT_EQ(r->type, REDIS_REPLY_STRING);
	CHECK_STR_EQ(r->str, "1700000000");
	freeReplyObject(r);

	/* The reply was lost and the batch re-sent: nothing twice. */
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "DUP");
	check_counts(1);
	agg_batch_destroy(b);

	/* One stored offset is not what we expect: nothing applied. */
	b = batch_make(wrong, 2, 1);
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "CONFLICT");
	check_counts(1);
	check_offset("8:1", "A1");
	check_offset("8:2", "B1");
	agg_batch_destroy(b);

	b = batch_make(second, 1, 1);
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "OK");
	check_counts(2);
	check_offset("8:1", "A2");
	check_offset("8:2", "B1");
	agg_batch_destroy(b);

	/* A wiped Redis: applied, positions kept, no recount. */
	cmd0("FLUSHALL");
	b = batch_make(third, 1, 1);
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "WIPED");
	check_counts(1);
	check_offset("8:1", "A3");
	check_offset("8:2", "(nil)");
	/* Now the offsets hash exists again: the same batch is a DUP. */
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "DUP");
	check_counts(1);
	agg_batch_destroy(b);

	/* No files: always applied. */
	b = batch_make(NULL, 0, 1);
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "OK");
	check_counts(2);
	agg_batch_destroy(b);
}

/* SPEC §15: a bucket gets EXPIRE NX only when it is not the one the
 * caller knows has its TTL; the stats TTL and `P hosts` only when asked,
 * or when Redis turns out wiped (everything was lost with it). */
static void
test_script_told(void)
{
	static const struct move first[] = { { "8:1", "", "A1" } };
	static const struct move second[] = { { "8:1", "A1", "A2" } };
	static const struct move third[] = { { "8:1", "A2", "A3" } };
	static const uint64_t ttl[] = { 1700000000, 1699999980, 1699999200 };
	static const char *const bucket_keys[] = { "ew:count:10s:1699999990",
	    "ew:count:10s:1700000000", "ew:count:1m:1699999980",
	    "ew:count:1h:1699999200", "ew:stats:h1" };
	struct flush_meta m = meta;
	struct batch *b;
	char reply[32];
	size_t i;

	cmd0("FLUSHALL");
	b = batch_make(first, 1, 1);
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "OK");
	agg_batch_destroy(b);
	check_ttls();
	/* TTLs taken away behind the caller's back show what it skips */
	for (i = 0; i < ARRAY_SIZE(bucket_keys); i++)
		CHECK_INT_EQ(key_int("PERSIST", bucket_keys[i]), 1);
	CHECK_INT_EQ(key_int("DEL", "ew:hosts"), 1);

	m.ttl_start = ttl;
	m.heartbeat = false;
	m.stats_ttl = false;
	b = batch_make(second, 1, 1);
	flush_meta(&m, b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "OK");
	agg_batch_destroy(b);
	check_counts(2);
	/* 10s:1699999990 is not the known one: it gets its TTL again */
	CHECK(key_int("TTL", "ew:count:10s:1699999990") > 0);
	CHECK_INT_EQ(key_int("TTL", "ew:count:10s:1700000000"), -1);
	CHECK_INT_EQ(key_int("TTL", "ew:count:1m:1699999980"), -1);
	CHECK_INT_EQ(key_int("TTL", "ew:count:1h:1699999200"), -1);
	CHECK_INT_EQ(key_int("TTL", "ew:stats:h1"), -1);
	CHECK_INT_EQ(key_int("EXISTS", "ew:hosts"), 0);
	CHECK_INT_EQ(hget("ew:stats:h1", "last_flush_ms"), (long long)NOW_MS);

	/* WIPED: every TTL, the heartbeat, whatever the caller said */
	cmd0("FLUSHALL");
	b = batch_make(third, 1, 1);
	flush_meta(&m, b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "WIPED");
	agg_batch_destroy(b);
	check_ttls();
	CHECK_INT_EQ(key_int("ZCARD", "ew:hosts"), 1);
}

/* A malformed ARGV fails before the first write, wherever it is cut
 * short: the script checks the whole layout first (Redis keeps what a
 * script wrote before an error). */
static void
test_script_short(void)
{
	static const struct move mv[] = { { "8:1", "", "A1" } };
	const char *dbsize[] = { "DBSIZE" };
	struct batch *b = batch_make(mv, 1, 1);
	struct batch_alert *al;
	struct argv a = { 0 };
	const char **argv;
	size_t *lens, i, k;
	redisReply *r;

	batch_close_add(b, 0, 1699999980);
	b->alerts = xcalloc(1, sizeof(*b->alerts));
	b->nalerts = 1;
	al = &b->alerts[0];
	al->field = xstrdup("Success@h1");
	al->firing = true;
	al->json = xstrdup("{}");
	al->kv = xcalloc(2, sizeof(*al->kv));
	al->kv[0] = xstrdup("event");
	al->kv[1] = xstrdup("firing");
	al->nkv = 2;
	keys_flush_argv(&a, &meta, b);
	argv = xcalloc(a.n + 3, sizeof(*argv));
	lens = xcalloc(a.n + 3, sizeof(*lens));
	argv[0] = "EVAL";
	argv[1] = keys_flush_script();
	argv[2] = "0";
	for (i = 0; i < 3; i++)
		lens[i] = strlen(argv[i]);
	for (i = 0; i < a.n; i++) {
		argv[i + 3] = a.v[i];
		lens[i + 3] = a.len[i];
	}
	for (k = 3; k < a.n; k++) {
		cmd0("FLUSHALL");
		r = cmd_argv((int)(k + 3), argv, lens);
		if (r->type != REDIS_REPLY_ERROR)
			fprintf(stderr, "cut at %zu: no error\n", k);
		CHECK_INT_EQ(r->type, REDIS_REPLY_ERROR);
		freeReplyObject(r);
		r = cmd_argv(1, dbsize, NULL);
		CHECK_INT_EQ(r->integer, 0);
		freeReplyObject(r);
	}
	/* and whole, it goes */
	cmd0("FLUSHALL");
	r = cmd_argv((int)(a.n + 3), argv, lens);
	CHECK_INT_EQ(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	CHECK_INT_EQ(key_int("XLEN", "ew:alerts"), 1);
	free(argv);
	free(lens);
	argv_free(&a);
	agg_batch_destroy(b);
}

static void
test_script_uncl(void)
{
	const struct hval h[] = {
		{ "ew:unclassified", "20000", 2 },
		{ "ew:unclassified", "20199", 1 },
		{ "ew:unclassified", "30000", 1 },
		{ "ew:unclassified", "30055", 1 },
		{ "ew:unclassified", "30056", -1 },
		{ "ew:unclassified", "other", 44 },
	};
	struct batch *b;
	char reply[32], v[16];
	size_t i;
	int len;

	cmd0("FLUSHALL");
	b = batch_make(NULL, 0, 0);
	for (i = 0; i < 200; i++) {
		len = snprintf(v, sizeof(v), "%zu", 20000 + i);
		tally_add_uncl(b->uncl, v, (size_t)len, 1);
	}
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "OK");
	CHECK_INT_EQ(key_int("HLEN", "ew:unclassified"), 200);
	agg_batch_destroy(b);

	/* 56 new values still get a field; the 44 after them do not. */
	b = batch_make(NULL, 0, 0);
	for (i = 0; i < 100; i++) {
		len = snprintf(v, sizeof(v), "%zu", 30000 + i);
		tally_add_uncl(b->uncl, v, (size_t)len, 1);
	}
	tally_add_uncl(b->uncl, "20000", 5, 1);	/* known: keeps its field */
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "OK");
	CHECK_INT_EQ(key_int("HLEN", "ew:unclassified"), 257);
	check_hvals(h, ARRAY_SIZE(h));
	agg_batch_destroy(b);
}

/* The field of a flat [f, v, f, v...] reply as a number; -1 if absent. */
static long long
entry_field(const redisReply *kv, const char *f)
{
	size_t i;

	for (i = 0; i + 1 < kv->elements; i += 2)
		if (strcmp(kv->element[i]->str, f) == 0)
			return strtoll(kv->element[i + 1]->str, NULL, 10);
	return -1;
}

static void
test_script_close(void)
{
	const char *xr1[] = { "XRANGE", "ew:series:1m", "-", "+" };
	const char *xr10[] = { "XRANGE", "ew:series:10s", "-", "+" };
	struct batch *b;
	redisReply *r, *kv;
	char reply[32];

	cmd0("FLUSHALL");
	b = batch_make(NULL, 0, 1);
	batch_close_add(b, 1, 1699999980);	/* holds this batch's counts */
	batch_close_add(b, 0, 1699999000);	/* an empty bucket */
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "OK");
	agg_batch_destroy(b);

	r = cmd_argv(4, xr1, NULL);
	CHECK_INT_EQ(r->type, REDIS_REPLY_ARRAY);
	CHECK_UINT_EQ(r->elements, 1);
	CHECK_STR_EQ(r->element[0]->element[0]->str, "1699999980000-1");
	kv = r->element[0]->element[1];
	CHECK_UINT_EQ(kv->elements, 8);
	CHECK_INT_EQ(entry_field(kv, "Success"), 3);
	CHECK_INT_EQ(entry_field(kv, "Punishment"), 3);
	CHECK_INT_EQ(entry_field(kv, "Unclassified"), 1);
	CHECK_INT_EQ(entry_field(kv, "_total"), 7);
	freeReplyObject(r);

	r = cmd_argv(4, xr10, NULL);
	CHECK_UINT_EQ(r->elements, 1);
	CHECK_STR_EQ(r->element[0]->element[0]->str, "1699999000000-1");
	kv = r->element[0]->element[1];
	CHECK_UINT_EQ(kv->elements, 2);
	CHECK_INT_EQ(entry_field(kv, "_total"), 0);
	freeReplyObject(r);

	/* The same close again, and an older one: both skipped. A newer
	 * one goes in. */
	b = batch_make(NULL, 0, 1);
	batch_close_add(b, 1, 1699999980);
	batch_close_add(b, 0, 1699998990);
	batch_close_add(b, 0, 1699999990);
	flush(b, reply, sizeof(reply));
	CHECK_STR_EQ(reply, "OK");
	agg_batch_destroy(b);

	CHECK_INT_EQ(key_int("XLEN", "ew:series:1m"), 1);
	r = cmd_argv(4, xr1, NULL);
	kv = r->element[0]->element[1];
	CHECK_INT_EQ(entry_field(kv, "_total"), 7);	/* not rewritten */
	freeReplyObject(r);
	r = cmd_argv(4, xr10, NULL);
	CHECK_UINT_EQ(r->elements, 2);
	CHECK_STR_EQ(r->element[1]->element[0]->str, "1699999990000-1");
	kv = r->element[1]->element[1];
	CHECK_INT_EQ(entry_field(kv, "Success"), 6);	/* two batches */
	CHECK_INT_EQ(entry_field(kv, "Punishment"), 4);
	CHECK_INT_EQ(entry_field(kv, "_total"), 10);
	freeReplyObject(r);
}

/* Alerts ride in the batch: applied with it (OK), never repeated (DUP);
 * firing sets alerts:active, resolved removes it (SPEC §7). */
static void
test_script_alerts(void)
{
	static const struct move first[] = { { "9:1", "", "B1" } };
	static const struct move second[] = { { "9:1", "B1", "B2" } };
	static const char *kv[] = { "event", "firing", "name", "Punishment" };
	static const char *kv2[] = { "event", "resolved", "name",
	    "Punishment" };
	const char *json = "{\"event\":\"firing\",\"name\":\"Punishment\"}";
	struct batch *b = batch_make(first, 1, 0);
	struct batch_alert al = { (char *)(uintptr_t)"Punishment@h1", true,
	    (char *)(uintptr_t)json, (char **)(uintptr_t)kv, 4 };
	char out[64], v[256];

	b->alerts = &al;
	b->nalerts = 1;
	flush(b, out, sizeof(out));
	CHECK_STR_EQ(out, "OK");
	CHECK_INT_EQ(key_int("XLEN", "ew:alerts"), 1);
	hget_str("ew:alerts:active", "Punishment@h1", v, sizeof(v));
	CHECK_STR_EQ(v, json);
	flush(b, out, sizeof(out));
	CHECK_STR_EQ(out, "DUP");
	CHECK_INT_EQ(key_int("XLEN", "ew:alerts"), 1);
	b->alerts = NULL;
	b->nalerts = 0;
	agg_batch_destroy(b);

	b = batch_make(second, 1, 0);
	al.firing = false;
	al.kv = (char **)(uintptr_t)kv2;
	b->alerts = &al;
	b->nalerts = 1;
	flush(b, out, sizeof(out));
	CHECK_STR_EQ(out, "OK");
	CHECK_INT_EQ(key_int("XLEN", "ew:alerts"), 2);
	hget_str("ew:alerts:active", "Punishment@h1", v, sizeof(v));
	CHECK_STR_EQ(v, "(nil)");
	b->alerts = NULL;
	b->nalerts = 0;
	agg_batch_destroy(b);
}

/* --- alert events (SPEC §7) --------------------------------------------- */

struct alert_case {
	struct keys_alert	 a;
	const char		*field;
	const char		*json;
	const char		*baseline;	/* the stream's values */
	const char		*threshold;
};

static const struct alert_case alert_cases[] = {
	{ { true, "h1", 1700000000, 3, "Punishment", 461, "Account",
	    "warning", "adaptive", "defaults", "host", 60, 57, 48.1, 10,
	    1700000123000, NULL },
	  "Punishment@h1",
	  "{\"event\":\"firing\",\"id\":\"h1:1700000000:3\","
	  "\"name\":\"Punishment\",\"code\":461,\"category\":"
	  "\"Account\",\"severity\":\"warning\",\"host\":\"h1\","
	  "\"rule\":\"adaptive\",\"match\":\"defaults\","
	  "\"window_s\":60,\"count\":57,\"baseline\":48.1,"
	  "\"threshold\":10,\"ts\":1700000123000,\"scope\":\"host\"}",
	  "48.1", "10" },
	/* no code: JSON null; a rounded baseline loses its zeros */
	{ { false, "web-2", 5, 1, "Odd \"x\"", -1, "", "critical",
	    "static", "category:Net", "host", 300, 0, 0.12349, 20.5, 42,
	    NULL },
	  "Odd \"x\"@web-2",
	  "{\"event\":\"resolved\",\"id\":\"web-2:5:1\","
	  "\"name\":\"Odd \\\"x\\\"\",\"code\":null,\"category\":"
	  "\"\",\"severity\":\"critical\",\"host\":\"web-2\","
	  "\"rule\":\"static\",\"match\":\"category:Net\","
	  "\"window_s\":300,\"count\":0,\"baseline\":0.123,"
	  "\"threshold\":20.5,\"ts\":42,\"scope\":\"host\"}",
	  "0.123", "20.5" },
	/* SPEC §13: a fleet drop, host and scope "fleet"; the drop's
	 * threshold is mu / factor */
	{ { true, "fleet", 1700000000, 9, "Success", 200, "success",
	    "critical", "drop", "Success", "fleet", 60, 0, 3000.0333333,
	    750.00833333, 1700000456000, NULL },
	  "Success@fleet",
	  "{\"event\":\"firing\",\"id\":\"fleet:1700000000:9\","
	  "\"name\":\"Success\",\"code\":200,\"category\":"
	  "\"success\",\"severity\":\"critical\",\"host\":\"fleet\","
	  "\"rule\":\"drop\",\"match\":\"Success\","
	  "\"window_s\":60,\"count\":0,\"baseline\":3000.033,"
	  "\"threshold\":750.008,\"ts\":1700000456000,"
	  "\"scope\":\"fleet\"}",
	  "3000.033", "750.008" },
	/* SPEC §13: errwatch-alerts numbers its own events "fleet:..." */
	{ { true, "h7", 1700000100, 2, "HostSilent", -1, "", "warning",
	    "silent", "", "host", 180, 0, 0, 180, 1700000280000,
	    "fleet" },
	  "HostSilent@h7",
	  "{\"event\":\"firing\",\"id\":\"fleet:1700000100:2\","
	  "\"name\":\"HostSilent\",\"code\":null,\"category\":\"\","
	  "\"severity\":\"warning\",\"host\":\"h7\","
	  "\"rule\":\"silent\",\"match\":\"\",\"window_s\":180,"
	  "\"count\":0,\"baseline\":0,\"threshold\":180,"
	  "\"ts\":1700000280000,\"scope\":\"host\"}",
	  "0", "180" },
};

static void
test_alert(void)
{
	static const char *const names[] = { "event", "id", "name", "code",
	    "category", "severity", "host", "rule", "match", "window_s",
	    "count", "baseline", "threshold", "ts", "scope" };
	struct buf field = { 0 }, json = { 0 };
	struct argv kv = { 0 };
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(alert_cases); i++) {
		const struct alert_case *c = &alert_cases[i];

		keys_alert(&c->a, &field, &kv, &json);
		CHECK_STR_EQ(field.p, c->field);
		CHECK_STR_EQ(json.p, c->json);
		CHECK_UINT_EQ(kv.n, 2 * ARRAY_SIZE(names));
		for (j = 0; j < ARRAY_SIZE(names); j++)
			CHECK_STR_EQ(kv.v[2 * j], names[j]);
		CHECK_STR_EQ(kv.v[1], c->a.firing ? "firing" : "resolved");
		CHECK_STR_EQ(kv.v[15], c->a.rule);
		CHECK_STR_EQ(kv.v[17], c->a.match);
		CHECK_STR_EQ(kv.v[23], c->baseline);
		CHECK_STR_EQ(kv.v[25], c->threshold);
		CHECK_STR_EQ(kv.v[29], c->a.scope);
	}
	buf_free(&field);
	buf_free(&json);
	argv_free(&kv);
}

/* SPEC §8: with resync, this host's alerts:active fields become exactly
 * the active ones; other hosts' fields stay. */
struct resync_case {
	const char	*field;
	const char	*before;	/* NULL: absent */
	const char	*after;		/* NULL: absent */
};

static const struct resync_case resync_cases[] = {
	{ "A@h1", "{\"a\":1}", "{\"a\":2}" },	/* still firing: new JSON */
	{ "B@h1", "{\"b\":1}", NULL },	/* resolved in a lost flush */
	{ "D@h1", NULL, "{\"d\":1}" },	/* fired in a lost flush */
	{ "C@h2", "{\"c\":1}", "{\"c\":1}" },	/* another host's */
	{ "E@h12", "{\"e\":1}", "{\"e\":1}" },	/* a longer host name */
};

static void
test_script_resync(void)
{
	static const struct move mv[] = { { "9:7", "", "R1" } };
	static const struct move mv2[] = { { "9:7", "R1", "R2" } };
	static const char *const active[] = { "A@h1", "{\"a\":2}", "D@h1",
	    "{\"d\":1}" };
	struct flush_meta m = meta;
	struct batch *b = batch_make(mv, 1, 0);
	char out[64], v[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(resync_cases); i++)
		if (resync_cases[i].before != NULL)
			freeReplyObject(redisCommand(rc, "HSET %s %s %s",
			    "ew:alerts:active", resync_cases[i].field,
			    resync_cases[i].before));
	/* without resync nothing changes */
	flush(b, out, sizeof(out));
	CHECK_STR_EQ(out, "OK");
	CHECK_INT_EQ(key_int("HLEN", "ew:alerts:active"), 4);
	agg_batch_destroy(b);

	m.resync = true;
	m.active = active;
	m.nactive = 2;
	b = batch_make(mv2, 1, 0);
	flush_meta(&m, b, out, sizeof(out));
	CHECK_STR_EQ(out, "OK");
	for (i = 0; i < ARRAY_SIZE(resync_cases); i++) {
		hget_str("ew:alerts:active", resync_cases[i].field, v,
		    sizeof(v));
		CHECK_STR_EQ(v, resync_cases[i].after != NULL ?
		    resync_cases[i].after : "(nil)");
	}
	CHECK_INT_EQ(key_int("HLEN", "ew:alerts:active"), 4);
	agg_batch_destroy(b);
}

/* SPEC §13: the lease script, one step per row, in order. */
struct lease_case {
	const char	*inst;
	long long	 reply;		/* 2 taken, 1 renewed, 0 another's */
	const char	*holder;	/* GET afterwards */
};

static const struct lease_case lease_cases[] = {
	{ "a:1", 2, "a:1" },		/* free: SET NX PX */
	{ "b:2", 0, "a:1" },		/* another holds it */
	{ "a:1", 1, "a:1" },		/* ours: renewed */
	{ NULL, 0, NULL },		/* the lease runs out (DEL) */
	{ "b:2", 2, "b:2" },		/* the next holder takes it */
	{ "a:1", 0, "b:2" },		/* the old one finds another holder */
};

static long long
eval_int(const char *script, const struct argv *a)
{
	const char **argv = xcalloc(a->n + 3, sizeof(*argv));
	size_t *lens = xcalloc(a->n + 3, sizeof(*lens)), i;
	redisReply *r;
	long long v;

	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = "0";
	for (i = 0; i < 3; i++)
		lens[i] = strlen(argv[i]);
	for (i = 0; i < a->n; i++) {
		argv[i + 3] = a->v[i];
		lens[i + 3] = a->len[i];
	}
	r = cmd_argv((int)(a->n + 3), argv, lens);
	if (r->type == REDIS_REPLY_ERROR)
		fprintf(stderr, "script error: %s\n", r->str);
	CHECK_INT_EQ(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	free(argv);
	free(lens);
	return v;
}

static void
test_script_lease(void)
{
	struct argv a = { 0 };
	redisReply *r;
	char v[64];
	size_t i;

	cmd0("FLUSHALL");
	for (i = 0; i < ARRAY_SIZE(lease_cases); i++) {
		const struct lease_case *c = &lease_cases[i];

		if (c->inst == NULL) {
			freeReplyObject(redisCommand(rc, "DEL ew:lease:fleet"));
			continue;
		}
		argv_reset(&a);
		argv_addstr(&a, "ew:lease:fleet");
		argv_addstr(&a, c->inst);
		argv_addstr(&a, "10000");
		CHECK_INT_EQ(eval_int(keys_lease_script(), &a), c->reply);
		r = redisCommand(rc, "GET ew:lease:fleet");
		snprintf(v, sizeof(v), "%s", r->str);
		freeReplyObject(r);
		CHECK_STR_EQ(v, c->holder);
		/* PX 10000 set or renewed: a TTL, never persistent */
		CHECK(key_int("PTTL", "ew:lease:fleet") > 9000);
	}
	argv_free(&a);
}

/* The lone event: written whole while the lease is ours, not at all
 * otherwise; a resolve removes the active field. */
static void
test_script_event(void)
{
	struct keys_alert al = alert_cases[3].a;
	struct argv a = { 0 };
	redisReply *r;
	char v[512];

	cmd0("FLUSHALL");
	freeReplyObject(redisCommand(rc, "SET ew:lease:fleet a:1"));
	keys_event_argv(&a, "ew:", "ew:lease:fleet", "b:2", &al);
	CHECK_INT_EQ(eval_int(keys_event_script(), &a), 0);
	CHECK_INT_EQ(key_int("EXISTS", "ew:alerts"), 0);
	CHECK_INT_EQ(key_int("EXISTS", "ew:alerts:active"), 0);

	keys_event_argv(&a, "ew:", "ew:lease:fleet", "a:1", &al);
	CHECK_STR_EQ(a.v[3], "HostSilent@h7");
	CHECK_STR_EQ(a.v[4], "firing");
	CHECK_STR_EQ(a.v[5], alert_cases[3].json);
	CHECK_UINT_EQ(a.n, 6 + 30);
	CHECK_INT_EQ(eval_int(keys_event_script(), &a), 1);
	CHECK_INT_EQ(key_int("XLEN", "ew:alerts"), 1);
	hget_str("ew:alerts:active", "HostSilent@h7", v, sizeof(v));
	CHECK_STR_EQ(v, alert_cases[3].json);
	r = redisCommand(rc, "XRANGE ew:alerts - +");
	CHECK_UINT_EQ(r->element[0]->element[1]->elements, 30);
	CHECK_STR_EQ(r->element[0]->element[1]->element[3]->str,
	    "fleet:1700000100:2");
	CHECK_STR_EQ(r->element[0]->element[1]->element[29]->str, "host");
	freeReplyObject(r);

	al.firing = false;
	keys_event_argv(&a, "ew:", "ew:lease:fleet", "a:1", &al);
	CHECK_INT_EQ(eval_int(keys_event_script(), &a), 1);
	CHECK_INT_EQ(key_int("XLEN", "ew:alerts"), 2);
	CHECK_INT_EQ(key_int("EXISTS", "ew:alerts:active"), 0);
	argv_free(&a);
}

int
main(void)
{
	test_bucket_start();
	test_argv_name();
	test_offset_roundtrip();
	test_offset_malformed();
	test_flush_argv();
	test_flush_argv_told();
	test_alert();

	redis_start();
	test_script_cas();
	test_script_told();
	test_script_short();
	test_script_uncl();
	test_script_close();
	test_script_alerts();
	test_script_resync();
	test_script_lease();
	test_script_event();
	redisFree(rc);
	rc = NULL;
	rfix_cleanup();
	CHECK_DONE();
}
