/*
 * test_fleetwatch: the lease, fleet-wide detection and silent hosts of
 * SPEC §13 on a real uv loop, through real sinks, against a real
 * redis-server this test starts on a unix socket in a temporary directory
 * (killed and the directory removed at exit or abort). The test writes
 * `P series:10s` and `P hosts` as errwatchd's flushes would, with hiredis's
 * synchronous API, and runs the loop until the Redis state it awaits
 * appears or a deadline passes. Stream IDs are bucket starts near the
 * wall clock's now, since a new holder replays from there.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <uv.h>

#include "base.h"
#include "check.h"
#include "redisfix.h"
#include "config.h"
#include "fleetwatch.h"
#include "log.h"
#include "sink.h"
#include "table.h"

#define MIN_MS		60000ULL
#define BUCKET_MS	10000ULL

/* --- a real redis-server ------------------------------------------------ */

static redisContext *rc;

static void
redis_start(void)
{
	rfix_setup("fleetwatch");
	rc = rfix_start();
}

static long long
cmd_int(const char *fmt, const char *arg)
{
	redisReply *r = redisCommand(rc, fmt, arg);
	long long v;

	CHECK(r != NULL);
	CHECK_INT_EQ(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

static void
cmd_ok(const char *cmd)
{
	redisReply *r = redisCommand(rc, cmd);

	CHECK(r != NULL);
	CHECK(r->type != REDIS_REPLY_ERROR);
	freeReplyObject(r);
}

/* HGET into out; "(nil)" when missing. */
static void
hget(const char *key, const char *field, char *out, size_t len)
{
	redisReply *r = redisCommand(rc, "HGET %s %s", key, field);

	CHECK(r != NULL);
	snprintf(out, len, "%s", r->type == REDIS_REPLY_STRING ? r->str :
	    "(nil)");
	freeReplyObject(r);
}

/* One closed bucket of the fleet's sums, as a flush closes it. */
struct bucket {
	uint64_t	 start_ms;
	uint64_t	 success;	/* all hosts */
	uint64_t	 punishment;	/* all hosts; 0: not in the entry */
};

static void
xadd_bucket(const struct bucket *b)
{
	char id[32], s[24], p[24], t[24];
	const char *argv[10] = { "XADD", "ew:series:10s", id };
	int argc = 3;
	redisReply *r;

	snprintf(id, sizeof(id), "%" PRIu64 "-1", b->start_ms);
	snprintf(s, sizeof(s), "%" PRIu64, b->success);
	snprintf(p, sizeof(p), "%" PRIu64, b->punishment);
	snprintf(t, sizeof(t), "%" PRIu64, b->success + b->punishment);
	if (b->success > 0) {	/* a flush writes no zero count */
		argv[argc++] = "Success";
		argv[argc++] = s;
	}
	if (b->punishment > 0) {
		argv[argc++] = "Punishment";
		argv[argc++] = p;
	}
	argv[argc++] = "_total";
	argv[argc++] = t;
	r = redisCommandArgv(rc, argc, argv, NULL);
	CHECK(r != NULL);
	CHECK_INT_EQ(r->type, REDIS_REPLY_STRING);
	freeReplyObject(r);
}

/* Buckets [from, to) of success and punishment each. */
static void
xadd_run(uint64_t from, uint64_t to, uint64_t success, uint64_t pun)
{
	struct bucket b;

	for (b.start_ms = from; b.start_ms < to; b.start_ms += BUCKET_MS) {
		b.success = success;
		b.punishment = pun;
		xadd_bucket(&b);
	}
}

/* Field f of the n-th (0-based) entry of P alerts into out; "(none)". */
static void
event_field(size_t n, const char *f, char *out, size_t len)
{
	redisReply *r = redisCommand(rc, "XRANGE ew:alerts - +"), *kv;
	size_t i;

	CHECK(r != NULL);
	snprintf(out, len, "(none)");
	if (r->type == REDIS_REPLY_ARRAY && n < r->elements) {
		kv = r->element[n]->element[1];
		for (i = 0; i + 1 < kv->elements; i += 2)
			if (strcmp(kv->element[i]->str, f) == 0)
				snprintf(out, len, "%s",
				    kv->element[i + 1]->str);
	}
	freeReplyObject(r);
}

/* An event's fields, one row per field. */
struct want {
	const char	*field;
	const char	*value;
};

static void
check_event(size_t n, const struct want *w, size_t nw)
{
	char v[256];
	size_t i;

	for (i = 0; i < nw; i++) {
		event_field(n, w[i].field, v, sizeof(v));
		if (strcmp(v, w[i].value) != 0)
			fprintf(stderr, "event %zu, field %s\n", n,
			    w[i].field);
		CHECK_STR_EQ(v, w[i].value);
	}
}

/* --- the loop ------------------------------------------------------------- */

static uv_loop_t	 loop;
static uv_timer_t	 deadline_t, check_t;
static bool		 (*awaited)(void);

struct inst {
	const char		*name;		/* the lease's value */
	struct sink		*sink;
	struct fleetwatch	*fw;
	enum fleetwatch_state	 st;
	int			 nlive;		/* LIVE entries */
};

static struct inst	 inst_a = { "alerts-a:1", NULL, NULL, 0, 0 };
static struct inst	 inst_b = { "alerts-b:2", NULL, NULL, 0, 0 };
static struct table	*table;
static uint64_t		 renew_ms;	/* 0: SPEC's 2 s (the lease rows) */
static long long	 want_len;	/* XLEN P alerts awaited */

static void
check_cb(uv_timer_t *t)
{
	(void)t;
	if (awaited())
		uv_stop(&loop);
}

static void
deadline_cb(uv_timer_t *t)
{
	(void)t;
	uv_stop(&loop);
}

/* Runs the loop until pred holds (checked every 20 ms) or ms of loop
 * time pass. Returns pred's last word. */
static bool
run_until(bool (*pred)(void), uint64_t ms)
{
	awaited = pred;
	if (pred())
		return true;
	uv_timer_start(&deadline_t, deadline_cb, ms, 0);
	uv_timer_start(&check_t, check_cb, 20, 20);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_timer_stop(&deadline_t);
	uv_timer_stop(&check_t);
	return pred();
}

static bool
a_live(void)
{
	return inst_a.st == FLEETWATCH_LIVE;
}

static bool
a_standby(void)
{
	return inst_a.st == FLEETWATCH_STANDBY;
}

static bool
b_live(void)
{
	return inst_b.st == FLEETWATCH_LIVE;
}

static bool
b_claimed_twice(void)
{
	return fleetwatch_claims(inst_b.fw) >= 2;
}

/* A renewal of the lease by A after the one awaited: 2 s of polls (50
 * ms apart) passed, each a series read and a host check. */
static uint64_t		 claims_target;

static bool
a_claimed(void)
{
	return fleetwatch_claims(inst_a.fw) >= claims_target;
}

static bool
b_claimed(void)
{
	return fleetwatch_claims(inst_b.fw) >= claims_target;
}

static bool
alerts_len(void)
{
	return cmd_int("XLEN %s", "ew:alerts") >= want_len;
}

static void
state_cb(void *arg, enum fleetwatch_state st)
{
	struct inst *in = arg;

	in->st = st;
	if (st == FLEETWATCH_LIVE)
		in->nlive++;
}

/* The fleet rules of SPEC §13's example, by hand: the defaults, and a
 * static rule for Punishment at 50 in 60 s. */
static struct config_rule fleet_rule[2];
static struct config_alerts fleet_rules;

static void
rules_make(void)
{
	struct alert_params d = { 0 };

	d.window_ms = 60000;
	d.baseline_ms = 30 * MIN_MS;
	d.min_count = 50;
	d.factor = 4;
	d.p = 1e-6;
	d.cooldown_ms = 5 * MIN_MS;
	snprintf(d.severity, sizeof(d.severity), "warning");
	d.enabled = true;
	fleet_rules.defaults = d;
	fleet_rule[0].match = (char *)(uintptr_t)"Punishment";
	fleet_rule[0].params = d;
	fleet_rule[0].params.threshold = 50;
	snprintf(fleet_rule[0].params.severity, sizeof(d.severity),
	    "critical");
	fleet_rule[0].params.set = ALERT_F_THRESHOLD | ALERT_F_SEVERITY;
	fleet_rules.rules = fleet_rule;
	fleet_rules.nrules = 1;
	/* SPEC §13's example: {match: Success, drop: true, severity:
	 * critical} */
	fleet_rule[1].match = (char *)(uintptr_t)"Success";
	fleet_rule[1].drop = true;
	fleet_rule[1].params = d;
	snprintf(fleet_rule[1].params.severity, sizeof(d.severity),
	    "critical");
	fleet_rule[1].params.set = ALERT_F_SEVERITY;
	fleet_rules.nrules = 2;
}

static void
inst_opts(struct inst *in, uint64_t silent_after_ms,
    struct fleetwatch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rules = &fleet_rules;
	o->table = table;
	o->silent_after_ms = silent_after_ms;
	o->silent_severity = "warning";
	o->prefix = "ew:";
	o->instance = in->name;
	o->poll_ms = 50;	/* the series read: SPEC's 1 s, faster */
	o->renew_ms = renew_ms;
	o->on_state = state_cb;
	o->arg = in;
}

static void
inst_start(struct inst *in, uint64_t silent_after_ms)
{
	struct sink_opts so;
	struct fleetwatch_opts o;
	struct ew_err err;

	memset(&so, 0, sizeof(so));
	so.url = rfix_url;
	so.connect_timeout_ms = 2000;
	so.reply_timeout_ms = 5000;
	memset(&err, 0, sizeof(err));
	in->sink = sink_create(&loop, &so, &err);
	CHECK(in->sink != NULL);
	inst_opts(in, silent_after_ms, &o);
	in->st = FLEETWATCH_STANDBY;
	in->nlive = 0;
	in->fw = fleetwatch_create(&loop, in->sink, &o, &err);
	CHECK(in->fw != NULL);
}

/* Closed without releasing the lease: to the others, a death. */
static void
inst_stop(struct inst *in)
{
	fleetwatch_close(in->fw);
	sink_close(in->sink);
	in->fw = NULL;
	in->sink = NULL;
}

static uint64_t
align(uint64_t ms)
{
	return ms - ms % BUCKET_MS;
}

/* "fleet:<run>:<n>": checks the shape and n, returns run. */
static uint64_t
id_run(const char *id, uint64_t n)
{
	char tail[32];
	uint64_t run;
	size_t len;

	CHECK(strncmp(id, "fleet:", 6) == 0);
	len = ew_parse_dec(id + 6, SIZE_MAX, UINT64_MAX, &run);
	CHECK(len > 0);
	snprintf(tail, sizeof(tail), ":%" PRIu64, n);
	CHECK_STR_EQ(id + 6 + len, tail);
	return run;
}

/*
 * The worked example: ten hosts, each 2 Punishment per 10 s (12 a minute,
 * under a host rule of 50), together 20 per bucket. History: 30 min of
 * Success only (100 a bucket), ending at s1. From s1, three buckets of 20
 * Punishment: X over 60 s is 20, 40, 60: the static fleet rule (50) fires
 * at second s1 + 20 with count 60 and baseline (0 + 1) * 60 / 1800 =
 * 0.033. Then nothing: the first bucket leaves the window at s1 + 60 (X =
 * 40 < 50), and 60 seconds below later, at s1 + 119, it resolves with X =
 * 0. Success stays at its baseline and never fires.
 */
static void
spike_buckets(uint64_t s1)
{
	xadd_run(s1, s1 + 3 * BUCKET_MS, 100, 20);
}

static void
quiet_buckets(uint64_t s1)
{
	xadd_run(s1 + 3 * BUCKET_MS, s1 + 14 * BUCKET_MS, 100, 0);
}

static void
check_fleet_events(uint64_t s1, const char *firing_id, uint64_t n_resolved)
{
	char ts_f[32], ts_r[32], v[512];
	const struct want firing[] = {
		{ "event", "firing" }, { "name", "Punishment" },
		{ "code", "461" }, { "category", "account" },
		{ "severity", "critical" }, { "host", "fleet" },
		{ "rule", "static" }, { "match", "Punishment" },
		{ "window_s", "60" }, { "count", "60" },
		{ "baseline", "0.033" }, { "threshold", "50" },
		{ "ts", ts_f }, { "scope", "fleet" },
	};
	const struct want resolved[] = {
		{ "event", "resolved" }, { "name", "Punishment" },
		{ "host", "fleet" }, { "rule", "static" },
		{ "count", "0" }, { "threshold", "50" }, { "ts", ts_r },
		{ "scope", "fleet" },
	};

	snprintf(ts_f, sizeof(ts_f), "%" PRIu64, s1 + 20000);
	snprintf(ts_r, sizeof(ts_r), "%" PRIu64, s1 + 119000);
	check_event(0, firing, ARRAY_SIZE(firing));
	event_field(0, "id", v, sizeof(v));
	CHECK_STR_EQ(v, firing_id);
	check_event(1, resolved, ARRAY_SIZE(resolved));
	event_field(1, "id", v, sizeof(v));
	(void)id_run(v, n_resolved);
}

/* (a) one fleet alert, with the exact figures, then resolved. */
static void
test_fleet_spike(void)
{
	uint64_t t = align(ew_wall_ms()), s1 = t, t0, run;
	struct fleetwatch_opts o;
	char v[512], id[64];

	cmd_ok("FLUSHALL");
	xadd_run(s1 - 40 * MIN_MS, s1, 100, 0);
	t0 = ew_wall_ms() / 1000;
	inst_start(&inst_a, 0);
	CHECK(run_until(a_live, 10000));
	/* a SIGHUP with the same settings changes nothing below */
	inst_opts(&inst_a, 0, &o);
	fleetwatch_reload(inst_a.fw, &o);

	spike_buckets(s1);
	want_len = 1;
	CHECK(run_until(alerts_len, 10000));
	event_field(0, "id", id, sizeof(id));
	run = id_run(id, 1);
	CHECK(run >= t0 && run <= ew_wall_ms() / 1000);
	hget("ew:alerts:active", "Punishment@fleet", v, sizeof(v));
	CHECK(strstr(v, "\"count\":60,") != NULL);
	CHECK(strstr(v, "\"scope\":\"fleet\"}") != NULL);

	quiet_buckets(s1);
	want_len = 2;
	CHECK(run_until(alerts_len, 10000));
	check_fleet_events(s1, id, 2);
	event_field(1, "id", v, sizeof(v));
	CHECK_UINT_EQ(id_run(v, 2), run);
	hget("ew:alerts:active", "Punishment@fleet", v, sizeof(v));
	CHECK_STR_EQ(v, "(nil)");
	/* exactly one alert: nothing more once the stream is read */
	xadd_run(s1 + 14 * BUCKET_MS, s1 + 15 * BUCKET_MS, 100, 0);
	claims_target = fleetwatch_claims(inst_a.fw) + 2;
	CHECK(run_until(a_claimed, 10000));
	CHECK_INT_EQ(inst_a.st, FLEETWATCH_LIVE);
	CHECK_INT_EQ(cmd_int("XLEN %s", "ew:alerts"), 2);
	inst_stop(&inst_a);
}

/*
 * (b) SPEC §9's drop rule over the fleet: Success stops. History: 30 min
 * of 100 Success a bucket (mu = (18000 + 1) * 60 / 1800 = 600.033, D = 1).
 * From s1 no Success at all: X over 60 s falls by 100 a bucket, 500 at
 * s1 ... 100 at s1 + 40, the first X <= mu / 4 = 150.008 (and far below
 * what Poisson(600) allows): the drop fires at s1 + 40 with count 100.
 * Success is back at 100 a bucket from s1 + 60: X = 100 at s1 + 60, 200
 * from s1 + 70 on (>= 150.008), and 60 seconds at or above later, at
 * s1 + 129, it resolves with X = 600.
 */
static void
test_fleet_drop(void)
{
	uint64_t t = align(ew_wall_ms()), s1 = t;
	char ts_f[32], ts_r[32];
	const struct want firing[] = {
		{ "event", "firing" }, { "name", "Success" },
		{ "code", "200" }, { "category", "success" },
		{ "severity", "critical" }, { "host", "fleet" },
		{ "rule", "drop" }, { "match", "Success" },
		{ "window_s", "60" }, { "count", "100" },
		{ "baseline", "600.033" }, { "threshold", "150.008" },
		{ "ts", ts_f }, { "scope", "fleet" },
	};
	const struct want resolved[] = {
		{ "event", "resolved" }, { "name", "Success" },
		{ "rule", "drop" }, { "count", "600" }, { "ts", ts_r },
		{ "scope", "fleet" },
	};

	cmd_ok("FLUSHALL");
	xadd_run(s1 - 40 * MIN_MS, s1, 100, 0);
	inst_start(&inst_a, 0);
	CHECK(run_until(a_live, 10000));
	xadd_run(s1, s1 + 6 * BUCKET_MS, 0, 0);
	want_len = 1;
	CHECK(run_until(alerts_len, 10000));
	snprintf(ts_f, sizeof(ts_f), "%" PRIu64, s1 + 40000);
	check_event(0, firing, ARRAY_SIZE(firing));
	xadd_run(s1 + 6 * BUCKET_MS, s1 + 20 * BUCKET_MS, 100, 0);
	want_len = 2;
	CHECK(run_until(alerts_len, 10000));
	snprintf(ts_r, sizeof(ts_r), "%" PRIu64, s1 + 129000);
	check_event(1, resolved, ARRAY_SIZE(resolved));
	claims_target = fleetwatch_claims(inst_a.fw) + 1;
	CHECK(run_until(a_claimed, 10000));
	CHECK_INT_EQ(cmd_int("XLEN %s", "ew:alerts"), 2);
	inst_stop(&inst_a);
}

/* (c) two instances: one holds the lease and writes; the other takes
 * over within 15 s of the first's death, adopting its firing alert. */
static void
test_fleet_lease(void)
{
	uint64_t t = align(ew_wall_ms()), s1 = t, t_dead;
	char v[512], id[64];

	cmd_ok("FLUSHALL");
	xadd_run(s1 - 40 * MIN_MS, s1, 100, 0);
	inst_start(&inst_a, 0);
	CHECK(run_until(a_live, 10000));
	inst_start(&inst_b, 0);
	CHECK(run_until(b_claimed_twice, 10000));
	CHECK_INT_EQ(inst_a.st, FLEETWATCH_LIVE);
	CHECK_INT_EQ(inst_b.st, FLEETWATCH_STANDBY);
	CHECK_INT_EQ(inst_b.nlive, 0);
	{
		redisReply *r = redisCommand(rc, "GET ew:lease:fleet");

		CHECK_STR_EQ(r->str, inst_a.name);
		freeReplyObject(r);
	}

	spike_buckets(s1);
	want_len = 1;
	CHECK(run_until(alerts_len, 10000));
	event_field(0, "id", id, sizeof(id));
	(void)id_run(id, 1);

	inst_stop(&inst_a);
	t_dead = uv_now(&loop);
	CHECK(run_until(b_live, 15000));
	CHECK(uv_now(&loop) - t_dead <= 15000);
	/* adopted, not fired again: B's next renewal is answered after
	 * anything it sent while taking over */
	claims_target = fleetwatch_claims(inst_b.fw) + 1;
	CHECK(run_until(b_claimed, 10000));
	CHECK_INT_EQ(cmd_int("XLEN %s", "ew:alerts"), 1);
	hget("ew:alerts:active", "Punishment@fleet", v, sizeof(v));
	CHECK(strstr(v, id) != NULL);

	quiet_buckets(s1);
	want_len = 2;
	CHECK(run_until(alerts_len, 10000));
	check_fleet_events(s1, id, 1);	/* the new holder's first event */
	event_field(1, "id", v, sizeof(v));
	CHECK(strcmp(v, id) != 0);
	hget("ew:alerts:active", "Punishment@fleet", v, sizeof(v));
	CHECK_STR_EQ(v, "(nil)");
	inst_stop(&inst_b);
}

/* (d) a heartbeat older than silent_after: HostSilent once; the holder
 * dies and the next one adopts it (not fired again); it resolves when the
 * host reports again; the host's own alert stays. */
static void
test_silent(void)
{
	uint64_t now_s = ew_wall_ms() / 1000, back_s;
	char cmd[128], ts_f[32], ts_r[32], v[256];
	const struct want firing[] = {
		{ "event", "firing" }, { "name", "HostSilent" },
		{ "code", "null" }, { "category", "" },
		{ "severity", "warning" }, { "host", "h2" },
		{ "rule", "silent" }, { "match", "" },
		{ "window_s", "180" }, { "count", "0" },
		{ "baseline", "0" }, { "threshold", "180" },
		{ "ts", ts_f }, { "scope", "host" },
	};
	const struct want resolved[] = {
		{ "event", "resolved" }, { "name", "HostSilent" },
		{ "host", "h2" }, { "rule", "silent" }, { "ts", ts_r },
		{ "scope", "host" },
	};
	uint64_t run;

	cmd_ok("FLUSHALL");
	snprintf(cmd, sizeof(cmd), "ZADD ew:hosts %" PRIu64 " h0 %" PRIu64
	    " h1 %" PRIu64 " h2", now_s - 5, now_s - 5, now_s - 200);
	cmd_ok(cmd);
	cmd_ok("HSET ew:alerts:active Punishment@h2 {\"host\":\"h2\"}");
	snprintf(ts_f, sizeof(ts_f), "%" PRIu64, (now_s - 200 + 180) * 1000);

	inst_start(&inst_a, 180000);
	want_len = 1;
	CHECK(run_until(alerts_len, 10000));
	check_event(0, firing, ARRAY_SIZE(firing));
	event_field(0, "id", v, sizeof(v));
	run = id_run(v, 1);
	hget("ew:alerts:active", "HostSilent@h2", v, sizeof(v));
	CHECK(strstr(v, "\"rule\":\"silent\"") != NULL);

	/* the next checks see it still silent: no second event */
	claims_target = fleetwatch_claims(inst_a.fw) + 2;
	CHECK(run_until(a_claimed, 10000));
	CHECK_INT_EQ(cmd_int("XLEN %s", "ew:alerts"), 1);

	inst_stop(&inst_a);
	inst_start(&inst_b, 180000);
	CHECK(run_until(b_live, 15000));
	claims_target = fleetwatch_claims(inst_b.fw) + 1;
	CHECK(run_until(b_claimed, 10000));
	CHECK_INT_EQ(cmd_int("XLEN %s", "ew:alerts"), 1);

	back_s = ew_wall_ms() / 1000;
	snprintf(cmd, sizeof(cmd), "ZADD ew:hosts %" PRIu64 " h2", back_s);
	cmd_ok(cmd);
	snprintf(ts_r, sizeof(ts_r), "%" PRIu64, back_s * 1000);
	want_len = 2;
	CHECK(run_until(alerts_len, 10000));
	check_event(1, resolved, ARRAY_SIZE(resolved));
	event_field(1, "id", v, sizeof(v));
	CHECK(id_run(v, 1) >= run);	/* the new holder's first */
	CHECK_INT_EQ(cmd_int("XLEN %s", "ew:alerts"), 2);
	hget("ew:alerts:active", "HostSilent@h2", v, sizeof(v));
	CHECK_STR_EQ(v, "(nil)");
	hget("ew:alerts:active", "Punishment@h2", v, sizeof(v));
	CHECK_STR_EQ(v, "{\"host\":\"h2\"}");
	inst_stop(&inst_b);
}

/* (e) a fleet alert `P alerts:active` shows firing that the replay
 * does not (it ended while nobody held the lease): the new holder
 * resolves it with what its firing event said, at the end of the last
 * bucket it read. */
static void
test_fleet_stale(void)
{
	uint64_t t = align(ew_wall_ms()), s1 = t;
	char ts_r[32], v[512];
	const struct want resolved[] = {
		{ "event", "resolved" }, { "name", "Punishment" },
		{ "code", "461" }, { "category", "account" },
		{ "severity", "critical" }, { "host", "fleet" },
		{ "rule", "static" }, { "match", "Punishment" },
		{ "window_s", "60" }, { "count", "0" },
		{ "baseline", "0.033" }, { "threshold", "50" },
		{ "ts", ts_r }, { "scope", "fleet" },
	};

	cmd_ok("FLUSHALL");
	xadd_run(s1 - 40 * MIN_MS, s1, 100, 0);
	cmd_ok("HSET ew:alerts:active Punishment@fleet {\"event\":"
	    "\"firing\",\"id\":\"fleet:1:1\",\"name\":\"Punishment\","
	    "\"severity\":\"critical\",\"host\":\"fleet\",\"rule\":"
	    "\"static\",\"match\":\"Punishment\",\"window_s\":60,"
	    "\"count\":60,\"baseline\":0.033,\"threshold\":50}");
	snprintf(ts_r, sizeof(ts_r), "%" PRIu64, s1);
	inst_start(&inst_a, 0);
	CHECK(run_until(a_live, 10000));
	want_len = 1;
	CHECK(run_until(alerts_len, 10000));
	/* a renewal answered after it: nothing else was sent before */
	claims_target = fleetwatch_claims(inst_a.fw) + 1;
	CHECK(run_until(a_claimed, 10000));
	CHECK_INT_EQ(cmd_int("XLEN %s", "ew:alerts"), 1);
	check_event(0, resolved, ARRAY_SIZE(resolved));
	event_field(0, "id", v, sizeof(v));
	(void)id_run(v, 1);
	hget("ew:alerts:active", "Punishment@fleet", v, sizeof(v));
	CHECK_STR_EQ(v, "(nil)");
	inst_stop(&inst_a);
}

/* (f) the holder's renewal finds another holder: it stands by and
 * writes nothing; when the lease is free again it takes it back, replays,
 * and writes the alert the replay shows firing (Redis did not have it). */
static void
test_lease_lost(void)
{
	uint64_t t = align(ew_wall_ms()), s1 = t;
	const struct want firing[] = {
		{ "event", "firing" }, { "name", "Punishment" },
		{ "count", "60" }, { "ts", "" }, { "scope", "fleet" },
	};
	struct want w[ARRAY_SIZE(firing)];
	char ts_f[32];

	cmd_ok("FLUSHALL");
	xadd_run(s1 - 40 * MIN_MS, s1, 100, 0);
	inst_start(&inst_a, 0);
	CHECK(run_until(a_live, 10000));
	cmd_ok("SET ew:lease:fleet intruder:9 PX 60000");
	CHECK(run_until(a_standby, 10000));
	spike_buckets(s1);
	claims_target = fleetwatch_claims(inst_a.fw) + 2;
	CHECK(run_until(a_claimed, 10000));
	CHECK_INT_EQ(inst_a.st, FLEETWATCH_STANDBY);
	CHECK_INT_EQ(cmd_int("XLEN %s", "ew:alerts"), 0);

	cmd_ok("DEL ew:lease:fleet");
	want_len = 1;
	CHECK(run_until(alerts_len, 10000));
	CHECK_INT_EQ(inst_a.nlive, 2);
	memcpy(w, firing, sizeof(w));
	snprintf(ts_f, sizeof(ts_f), "%" PRIu64, s1 + 20000);
	w[3].value = ts_f;
	check_event(0, w, ARRAY_SIZE(w));
	claims_target = fleetwatch_claims(inst_a.fw) + 1;
	CHECK(run_until(a_claimed, 10000));
	CHECK_INT_EQ(cmd_int("XLEN %s", "ew:alerts"), 1);
	inst_stop(&inst_a);
}

int
main(void)
{
	struct ew_err err;
	char path[512];
	const char *src = getenv("EW_SRC");

	log_level = LOG_LEVEL_WARN;
	memset(&err, 0, sizeof(err));
	snprintf(path, sizeof(path), "%s/data/error-codes.tsv",
	    src != NULL ? src : ".");
	table = table_load(path, &err);
	CHECK(table != NULL);
	rules_make();
	redis_start();
	CHECK(uv_loop_init(&loop) == 0);
	uv_timer_init(&loop, &deadline_t);
	uv_timer_init(&loop, &check_t);

	renew_ms = 200;		/* faster renewals: quicker "nothing more" */
	test_fleet_spike();
	test_fleet_drop();
	test_fleet_stale();
	test_lease_lost();
	renew_ms = 0;		/* takeovers: the lease as SPEC §13 has it */
	test_fleet_lease();
	test_silent();

	uv_close((uv_handle_t *)&deadline_t, NULL);
	uv_close((uv_handle_t *)&check_t, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK_INT_EQ(uv_loop_close(&loop), 0);
	table_destroy(table);
	redisFree(rc);
	rc = NULL;
	rfix_cleanup();
	CHECK_DONE();
}
