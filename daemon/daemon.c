/*
 * daemon: wires errwatchd on one uv loop: follow (the files) counts into
 * agg, and every flush_interval one batch goes to Redis through the sink,
 * with the offsets of the files its lines came from, so Redis applies
 * counts and offsets together or not at all (SPEC §8). Signals stop and
 * reload.
 *
 * Invariants: no file is read before the offsets came back from Redis;
 * one batch is in flight at a time, and a batch whose reply never came is
 * re-sent byte for byte; counts are kept by class-name ids that survive a
 * reload, so a SIGHUP never mixes two tables' indexes.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "agg.h"
#include "base.h"
#include "config.h"
#include "daemon.h"
#include "keys.h"
#include "log.h"
#include "notify.h"
#include "setup.h"
#include "sink.h"
#include "spike.h"
#include "table.h"
#include "follow.h"

#define RESCAN_MS		1000		/* SPEC §6 safety net */
#define STOP_FLUSH_MS		5000		/* SPEC §10 */
#define ONCE_REDIS_WAIT_MS	10000		/* --once gives up after */
#define MAX_CLASSES		256

struct daemon {
	uv_loop_t	 loop;
	const char	*config_path;
	bool		 once;
	struct setup	*setup;
	struct follow	*follow;
	struct sink	*sink;
	struct agg	*agg;

	uv_timer_t	 flush_timer;
	uv_timer_t	 rescan_timer;
	uv_timer_t	 stop_timer;
	uv_signal_t	 sig_term, sig_int, sig_hup;

	bool		 offsets_loading;
	bool		 need_check;	/* compare offsets after a reconnect */
	bool		 checking;	/* that HGETALL is in flight */
	bool		 restore;	/* offsets:<host> to write back whole */
	bool		 restoring;	/* that HSET is in flight */
	bool		 codes_written;
	bool		 wiped_warned;
	bool		 refused_warned;	/* flushes refused since */

	/* Class names by stable id; a table's classes map onto them. */
	char		*class_names[MAX_CLASSES];
	size_t		 nclass_names;
	size_t		*class_map;	/* table class -> id */
	size_t		 uncl_id;
	uint64_t	 last_closed[CONFIG_MAX_BUCKETS];	/* start_s */

	struct argv	 inflight_argv;	/* the batch as first sent */
	bool		 inflight_sent;	/* awaiting its reply */

	uint64_t	 now_ms;
	uint64_t	 st_flushes, st_redis_errors;
	uint64_t	 started_s;
	char		*password;	/* the sink's, to see a reload change it */

	struct spike	*spike;		/* SPEC §9, this host only */
	uint64_t	 spike_seen[MAX_CLASSES];	/* agg totals fed */
	uint64_t	 alert_n;	/* alerts raised since start */

	bool		 stopping;
	struct notify	*notify;
	uint64_t	 status_lines, status_ms;
	bool		 once_read_done;
	uint64_t	 once_deadline;
	enum daemon_result result;
	struct ew_err	*err;
};

static void	flush_now(struct daemon *d);
static void	report_status(struct daemon *d);
static void	check_once_done(struct daemon *d);
static void	load_offsets(struct daemon *d);
static void	check_offsets(struct daemon *d);

/* Reads every file's growth now. */
static void
read_files(struct daemon *d)
{
	d->now_ms = ew_wall_ms();
	follow_read(d->follow, d->now_ms, d->once);
}

static uint64_t
gcd(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/* --- classes ----------------------------------------------------------- */

static size_t
class_id(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nclass_names; i++)
		if (strcmp(d->class_names[i], name) == 0)
			return i;
	if (d->nclass_names == MAX_CLASSES)
		return SIZE_MAX;
	d->class_names[d->nclass_names] = xstrdup(name);
	return d->nclass_names++;
}

/* Maps the setup's table onto the stable ids. -1 if it has too many. */
static int
map_classes(struct daemon *d, const struct table *t, size_t **map,
    size_t *uncl)
{
	size_t i, n = table_nclasses(t);
	size_t *m = xcalloc(n, sizeof(*m));

	for (i = 0; i < n; i++) {
		m[i] = class_id(d, table_class_name(t, i));
		if (m[i] == SIZE_MAX) {
			free(m);
			return -1;
		}
	}
	*uncl = m[table_unclassified(t)];
	*map = m;
	return 0;
}

/* Tells the detector what each class id is called now. */
static void
spike_classes(struct daemon *d, const struct table *t, const size_t *map)
{
	size_t i;

	for (i = 0; i < table_nclasses(t); i++)
		spike_set_class(d->spike, map[i], table_class_name(t, i),
		    table_class_code(t, i), table_class_category(t, i));
}

/* --- alerts ------------------------------------------------------------ */

/* One alert event into the next batch (SPEC §7 fields). The detector
 * runs on the monotonic clock; the event is stamped with the wall clock
 * (SPEC §6). */
static void
alert_cb(void *arg, const struct spike_event *ev)
{
	struct daemon *d = arg;
	struct keys_alert a;
	struct buf field = { 0 }, json = { 0 };
	struct argv kv = { 0 };
	uint64_t mono = uv_now(&d->loop), wall = ew_wall_ms(), ago;

	memset(&a, 0, sizeof(a));
	a.firing = ev->firing;
	a.host = d->setup->cfg->host;
	a.run = d->started_s;
	a.n = ++d->alert_n;
	a.name = ev->name;
	a.code = ev->code;
	a.category = ev->category;
	a.severity = ev->severity;
	a.rule = ev->rule;
	a.window_s = ev->window_s;
	a.count = ev->count;
	a.baseline = ev->baseline;
	a.threshold = ev->threshold;
	ago = mono > ev->ts_ms ? mono - ev->ts_ms : 0;
	a.ts_ms = wall > ago ? wall - ago : 0;
	keys_alert(&a, &field, &kv, &json);
	agg_alert(d->agg, field.p, ev->firing, json.p,
	    (const char *const *)kv.v, kv.n);
	log_info("alert %s: %s on %s, %" PRIu64 " in %" PRIu64 " s (level "
	    "%.0f, baseline %.1f)", ev->firing ? "firing" : "resolved",
	    ev->name, a.host, ev->count, ev->window_s, ev->threshold,
	    ev->baseline);
	buf_free(&field);
	buf_free(&json);
	argv_free(&kv);
}

/* Feeds the lines counted since the last call to the detector and lets
 * it close whole seconds; alerts go into the next batch, so a spike
 * reaches Redis within a flush of the line that crossed the level. */
static void
detect(struct daemon *d)
{
	const uint64_t *tot = agg_totals(d->agg);
	size_t i;

	for (i = 0; i < d->nclass_names; i++) {
		if (tot[i] == d->spike_seen[i])
			continue;
		spike_observe(d->spike, i, uv_now(&d->loop),
		    tot[i] - d->spike_seen[i]);
		d->spike_seen[i] = tot[i];
	}
	spike_tick(d->spike, uv_now(&d->loop), alert_cb, d);
}

/* --- Redis ------------------------------------------------------------- */

static void
stats_meta(struct daemon *d, struct flush_meta *m, const char **fields,
    uint64_t *values)
{
	static const char *names[] = { "files", "lines", "bytes", "matched",
	    "unclassified", "long_lines", "rotations", "truncations",
	    "flushes", "redis_errors" };
	const struct follow_stats *st = follow_stats(d->follow);
	size_t i;

	values[0] = follow_open_files(d->follow);
	values[1] = st->lines;
	values[2] = st->bytes;
	values[3] = st->matched;
	values[4] = st->unclassified;
	values[5] = st->long_lines;
	values[6] = st->rotations;
	values[7] = st->truncations;
	values[8] = d->st_flushes + 1;
	values[9] = d->st_redis_errors;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		fields[i] = names[i];
	m->prefix = d->setup->cfg->redis.prefix;
	m->host = d->setup->cfg->host;
	m->now_ms = d->now_ms;
	m->buckets = d->setup->cfg->redis.buckets;
	m->nbuckets = d->setup->cfg->redis.nbuckets;
	m->class_names = (const char *const *)d->class_names;
	m->stat_fields = fields;
	m->stat_values = values;
	m->nstats = ARRAY_SIZE(names);
}

/* SPEC §7: a bucket is closed into the stream 5 s after its end. */
static void
close_buckets(struct daemon *d)
{
	const struct config_redis *r = &d->setup->cfg->redis;
	uint64_t now_s = d->now_ms / 1000;
	size_t i;

	for (i = 0; i < r->nbuckets; i++) {
		uint64_t res = r->buckets[i].res_ms / 1000;
		uint64_t start = d->last_closed[i] + res;

		while (start + res + 5 <= now_s) {
			agg_close_bucket(d->agg, i, start);
			d->last_closed[i] = start;
			start += res;
		}
	}
}

static void
send_inflight(struct daemon *d);

/* Replies to housekeeping commands (codes, stats, HDEL): only errors
 * matter, and they are retried at the next connect or reload. */
static void
note_reply_cb(void *arg, const struct sink_reply *r)
{
	(void)arg;
	if (r != NULL && r->type == SINK_REPLY_ERROR)
		log_warn("redis: %s", r->str);
}

/* Sends a built argv as a command (eval: the flush script's ARGV). */
static int
send_argv(struct daemon *d, const struct argv *a, bool eval,
    sink_reply_fn *cb, void *arg)
{
	const char **v = xcalloc(a->n, sizeof(*v));
	size_t i;
	int r;

	for (i = 0; i < a->n; i++)
		v[i] = a->v[i];
	if (eval)
		r = sink_eval(d->sink, (int)a->n, v, a->len, cb, arg);
	else
		r = sink_command(d->sink, (int)a->n, v, a->len, cb, arg);
	free(v);
	return r;
}

static void
write_codes(struct daemon *d);
static bool	same_str(const char *a, const char *b);

static void
add_stored(void *arg, const char *field, const char *stored, const char *sent)
{
	struct argv *a = arg;

	(void)sent;
	if (stored == NULL)
		return;
	argv_addstr(a, field);
	argv_addstr(a, stored);
}

static void
restore_reply_cb(void *arg, const struct sink_reply *r)
{
	struct daemon *d = arg;

	d->restoring = false;
	if (r == NULL)
		return;		/* the next connect checks again */
	if (r->type == SINK_REPLY_ERROR) {
		log_warn("redis: writing offsets back failed: %s, retrying",
		    r->str);
		return;
	}
	d->restore = false;
	flush_now(d);
}

/* SPEC §8: after a wipe (FLUSHALL, a new instance) the offsets hash holds
 * only the files of the batch that found it gone. Every other file's
 * record goes back now, before any further batch: a later batch naming
 * one of them would otherwise find its record missing in an existing
 * hash, which is how a rollback looks (CONFLICT), and the file would be
 * counted again from 0. Returns true while that write is pending. */
static bool
restore_offsets(struct daemon *d)
{
	struct argv a = { 0 };
	struct buf key = { 0 };

	if (!d->restore)
		return false;
	if (d->restoring)
		return true;
	keys_name(&key, d->setup->cfg->redis.prefix, "offsets:");
	buf_puts(&key, d->setup->cfg->host);
	argv_addstr(&a, "HSET");
	argv_add(&a, key.p, key.len);
	agg_stored_foreach(d->agg, add_stored, &a);
	if (a.n == 2)
		d->restore = false;
	else if (send_argv(d, &a, false, restore_reply_cb, d) == 0)
		d->restoring = true;
	argv_free(&a);
	buf_free(&key);
	return d->restore;
}

/* Redis lost its state (SPEC §8): keep our positions, say so once. */
static void
wiped(struct daemon *d)
{
	if (!d->wiped_warned)
		log_warn("redis: offsets:%s was gone (FLUSHALL or a "
		    "new instance); keeping our positions, history "
		    "is not recounted", d->setup->cfg->host);
	d->wiped_warned = true;
	d->restore = true;
	write_codes(d);
}

/* SPEC §8: Redis holds other offsets than ours (a restore, a failover):
 * what we counted since is void; the files go back to what Redis holds
 * and are read again from there, so counts and offsets agree again. */
static void
conflict(struct daemon *d)
{
	agg_drop_all(d->agg);
	argv_reset(&d->inflight_argv);
	d->need_check = false;
	follow_unplace(d->follow);
	load_offsets(d);
}

static void
flush_reply_cb(void *arg, const struct sink_reply *r)
{
	struct daemon *d = arg;

	d->inflight_sent = false;
	if (r == NULL) {
		/* SPEC §8: re-sent identical once the link is back */
		return;
	}
	if (r->type == SINK_REPLY_ERROR) {
		d->st_redis_errors++;
		/* SPEC §7: -OOM, -BUSY... one line when it starts, not one
		 * per retry; the same batch goes again next tick */
		if (!d->refused_warned)
			log_warn("redis: flush refused: %s, retrying the same "
			    "batch", r->str);
		d->refused_warned = true;
		return;
	}
	if (d->refused_warned)
		log_info("redis: flush accepted again");
	d->refused_warned = false;
	if (r->str != NULL && strcmp(r->str, "CONFLICT") == 0) {
		log_warn("redis: stored offsets moved under us (a restore or "
		    "a failover), re-reading from them");
		conflict(d);
		return;
	}
	follow_committed(d->follow, agg_inflight(d->agg));
	agg_commit(d->agg);
	if (r->str != NULL && strcmp(r->str, "WIPED") == 0)
		wiped(d);	/* after the commit: its records are ours */
	else
		d->wiped_warned = false;
	argv_reset(&d->inflight_argv);
	d->st_flushes++;
	/* More may be pending already (an outage, --once, stop). */
	if (agg_has_pending(d->agg) && (d->stopping || d->once))
		flush_now(d);
	check_once_done(d);
}

static void
send_inflight(struct daemon *d)
{
	if (d->inflight_sent || d->inflight_argv.n == 0)
		return;
	if (send_argv(d, &d->inflight_argv, true, flush_reply_cb, d) == 0)
		d->inflight_sent = true;
}

static void
flush_now(struct daemon *d)
{
	struct flush_meta m;
	const char *fields[16];
	uint64_t values[16];
	const struct batch *b;

	if (!follow_is_placed(d->follow) || sink_state(d->sink) != SINK_READY)
		return;
	if (d->need_check) {		/* nothing goes out before it */
		check_offsets(d);
		return;
	}
	if (restore_offsets(d))
		return;
	if (d->inflight_argv.n > 0) {
		send_inflight(d);
		return;
	}
	close_buckets(d);
	b = agg_cut(d->agg, d->now_ms);
	if (b == NULL)
		return;
	memset(&m, 0, sizeof(m));
	stats_meta(d, &m, fields, values);
	keys_flush_argv(&d->inflight_argv, &m, b);
	send_inflight(d);
}

static void
write_codes(struct daemon *d)
{
	const struct table *t = d->setup->table;
	const char *prefix = d->setup->cfg->redis.prefix;
	struct argv a = { 0 };
	struct buf key = { 0 }, json = { 0 };
	size_t i;

	keys_name(&key, prefix, "codes");
	argv_addstr(&a, "HSET");
	argv_add(&a, key.p, key.len);
	for (i = 0; i < table_nclasses(t); i++) {
		buf_reset(&json);
		table_class_json(t, i, &json);
		argv_addstr(&a, table_class_name(t, i));
		argv_add(&a, json.p, json.len);
	}
	(void)send_argv(d, &a, false, note_reply_cb, d);
	argv_reset(&a);
	buf_reset(&key);
	keys_name(&key, prefix, "stats:");
	buf_puts(&key, d->setup->cfg->host);
	argv_addstr(&a, "HSET");
	argv_add(&a, key.p, key.len);
	argv_addstr(&a, "version");
	argv_addstr(&a, EW_VERSION);
	argv_addstr(&a, "started_at");
	argv_addu64(&a, d->started_s);
	(void)send_argv(d, &a, false, note_reply_cb, d);
	argv_free(&a);
	buf_free(&key);
	buf_free(&json);
	d->codes_written = true;
}

/* SPEC §8: entries of files gone for a day are dropped. */
static void
drop_gone_records(struct daemon *d)
{
	struct argv a = { 0 };
	struct buf key = { 0 };

	keys_name(&key, d->setup->cfg->redis.prefix, "offsets:");
	buf_puts(&key, d->setup->cfg->host);
	argv_addstr(&a, "HDEL");
	argv_add(&a, key.p, key.len);
	follow_gone_fields(d->follow, ew_wall_ms() / 1000, &a);
	if (a.n > 2)
		(void)send_argv(d, &a, false, note_reply_cb, d);
	argv_free(&a);
	buf_free(&key);
}

static void
offsets_reply_cb(void *arg, const struct sink_reply *r)
{
	struct daemon *d = arg;
	size_t i;

	d->offsets_loading = false;
	if (r == NULL || r->type != SINK_REPLY_ARRAY) {
		if (r != NULL)
			log_warn("redis: loading offsets failed: %s",
			    r->str ? r->str : "unexpected reply");
		return;		/* retried on the next READY or tick */
	}
	follow_stored_begin(d->follow);
	for (i = 0; i + 1 < r->nelem; i += 2)
		follow_stored_add(d->follow, r->elem[i].str, r->elem[i].len,
		    r->elem[i + 1].str, r->elem[i + 1].len);
	follow_stored_done(d->follow);
	drop_gone_records(d);
	/* --once reads everything now, to the end, and flushes at once */
	read_files(d);
	if (d->once)
		d->once_read_done = true;
	flush_now(d);
}

/* HGETALL offsets:<host>, the reply to cb. 0 or -ENOTCONN. */
static int
get_offsets(struct daemon *d, sink_reply_fn *cb)
{
	struct buf key = { 0 };
	const char *argv[2];
	size_t len[2];
	int r;

	keys_name(&key, d->setup->cfg->redis.prefix, "offsets:");
	buf_puts(&key, d->setup->cfg->host);
	argv[0] = "HGETALL";
	len[0] = 7;
	argv[1] = key.p;
	len[1] = key.len;
	r = sink_command(d->sink, 2, argv, len, cb, d);
	buf_free(&key);
	return r;
}

static void
load_offsets(struct daemon *d)
{
	if (d->offsets_loading || sink_state(d->sink) != SINK_READY)
		return;
	if (get_offsets(d, offsets_reply_cb) == 0)
		d->offsets_loading = true;
}

struct check {
	const struct sink_reply	*r;	/* HGETALL offsets:<host> */
	bool			 moved;
	bool			 any;	/* we believe Redis holds some */
};

static const char *
reply_field(const struct sink_reply *r, const char *field)
{
	size_t i;

	for (i = 0; i + 1 < r->nelem; i += 2)
		if (r->elem[i].str != NULL && strcmp(r->elem[i].str, field) == 0)
			return r->elem[i + 1].str;
	return NULL;
}

static bool
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Redis may hold what we last saw acknowledged, or the value the batch
 * in flight moves it to (applied, its reply lost: DUP). */
static void
check_one(void *arg, const char *field, const char *stored, const char *sent)
{
	struct check *c = arg;
	const char *v = reply_field(c->r, field);

	c->any = true;
	if (same_str(v, stored) || (sent != NULL && same_str(v, sent)))
		return;
	c->moved = true;
}

static void
check_reply_cb(void *arg, const struct sink_reply *r)
{
	struct daemon *d = arg;
	struct check c = { r, false, false };

	d->checking = false;
	if (r == NULL || r->type != SINK_REPLY_ARRAY) {
		if (r != NULL)
			log_warn("redis: checking offsets failed: %s, retrying",
			    r->str ? r->str : "unexpected reply");
		return;		/* need_check stays: the next tick retries */
	}
	d->need_check = false;
	agg_stored_foreach(d->agg, check_one, &c);
	if (r->nelem == 0 && c.any) {
		/* SPEC §8: an empty hash is a wipe, not a rollback: keep our
		 * positions and write the records back */
		wiped(d);
		flush_now(d);
		return;
	}
	if (c.moved) {
		log_warn("redis: stored offsets differ from the ones we left "
		    "(restored from an older snapshot?), re-reading from them");
		conflict(d);
		return;
	}
	flush_now(d);
}

/* SPEC §8: Redis may have come back from an older snapshot while we were
 * away; a batch sent on top of it would only find CONFLICT if it named a
 * file that moved, and with nothing pending no batch would go at all, so
 * the counts would stay rolled back. Compare first, on every reconnect. */
static void
check_offsets(struct daemon *d)
{
	if (d->checking || sink_state(d->sink) != SINK_READY)
		return;
	if (get_offsets(d, check_reply_cb) == 0)
		d->checking = true;
}

static void
sink_state_cb(void *arg, enum sink_state st, const char *why)
{
	struct daemon *d = arg;

	(void)why;
	if (st != SINK_READY) {
		if (st == SINK_DOWN)
			d->st_redis_errors++;
		return;
	}
	if (!d->codes_written)
		write_codes(d);
	if (!follow_is_placed(d->follow)) {
		load_offsets(d);
		return;
	}
	d->need_check = true;
	check_offsets(d);
}

/* --- timers and signals ------------------------------------------------ */

static void
finish(struct daemon *d, enum daemon_result r)
{
	d->result = r;
	uv_stop(&d->loop);
}

static void
check_once_done(struct daemon *d)
{
	if (!d->once || !d->once_read_done)
		return;
	if (d->inflight_argv.n == 0 && !agg_has_pending(d->agg))
		finish(d, DAEMON_OK);
}

static void
flush_timer_cb(uv_timer_t *h)
{
	struct daemon *d = container_of(h, struct daemon, flush_timer);

	if (d->stopping) {
		if (d->inflight_argv.n == 0 && !agg_has_pending(d->agg))
			finish(d, DAEMON_OK);
		flush_now(d);
		return;
	}
	if (d->once) {
		if (!follow_is_placed(d->follow)) {
			if (uv_now(&d->loop) > d->once_deadline) {
				ew_err_set(d->err, NULL, 0, 0, "redis: "
				    "unreachable at %s", d->setup->cfg->redis.url);
				finish(d, DAEMON_REDIS_DOWN);
			}
			load_offsets(d);
			return;
		}
		if (!d->once_read_done) {
			read_files(d);
			d->once_read_done = true;
		}
		if (sink_state(d->sink) != SINK_READY &&
		    uv_now(&d->loop) > d->once_deadline) {
			ew_err_set(d->err, NULL, 0, 0, "redis: unreachable at "
			    "%s, counts not written", d->setup->cfg->redis.url);
			finish(d, DAEMON_REDIS_DOWN);
			return;
		}
		flush_now(d);
		check_once_done(d);
		return;
	}
	if (!follow_is_placed(d->follow))
		load_offsets(d);
	read_files(d);
	detect(d);
	flush_now(d);
	report_status(d);
}

/* STATUS= for systemctl status (notify rate-limits it). */
static void
report_status(struct daemon *d)
{
	uint64_t now = uv_now(&d->loop);
	uint64_t lines = follow_stats(d->follow)->lines;
	double rate = 0;

	if (now > d->status_ms)
		rate = (double)(lines - d->status_lines) * 1000 /
		    (double)(now - d->status_ms);
	notify_status(d->notify, "%zu files, %.0f lines/s, redis %s",
	    follow_open_files(d->follow), rate,
	    sink_state_name(sink_state(d->sink)));
	d->status_lines = lines;
	d->status_ms = now;
}

static void
rescan_timer_cb(uv_timer_t *h)
{
	struct daemon *d = container_of(h, struct daemon, rescan_timer);

	follow_rescan(d->follow);
}

static void
stop_timer_cb(uv_timer_t *h)
{
	struct daemon *d = container_of(h, struct daemon, stop_timer);

	log_warn("stop: Redis did not take everything within %d ms, "
	    "exiting anyway", STOP_FLUSH_MS);
	finish(d, DAEMON_OK);
}

static void
stop_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (d->stopping)
		return;
	log_info("signal %d: flushing and stopping", signum);
	d->stopping = true;
	notify_stopping(d->notify);
	notify_status_force(d->notify, "stopping: flushing to Redis");
	read_files(d);
	flush_now(d);
	uv_timer_start(&d->stop_timer, stop_timer_cb, STOP_FLUSH_MS, 0);
	if (d->inflight_argv.n == 0 && !agg_has_pending(d->agg))
		finish(d, DAEMON_OK);
}

static char	*redis_password(const struct config *cfg, struct ew_err *err);

static struct sink *
make_sink(struct daemon *d, const struct config_redis *rc,
    const char *password, struct ew_err *err)
{
	struct sink_opts so = { 0 };

	so.url = rc->url;
	so.password = password;
	so.connect_timeout_ms = rc->connect_timeout_ms;
	so.reply_timeout_ms = EW_MAX(5000, 4 * rc->flush_interval_ms);
	so.script = keys_flush_script();
	so.on_state = sink_state_cb;
	so.arg = d;
	return sink_create(&d->loop, &so, err);
}

static void
free_password(char *pw)
{
	if (pw == NULL)
		return;
	explicit_bzero(pw, strlen(pw));
	free(pw);
}

/* SPEC §10: a reload that changes how Redis is reached (url, password,
 * time-outs) takes a new link; the old one is closed, its callbacks get
 * NULL and the batch in flight goes again, identical, on the new one
 * (SPEC §8). Returns 0, or -1 with err and nothing changed. */
static int
reload_sink(struct daemon *d, const struct config *cfg, struct ew_err *err)
{
	const struct config_redis *old = &d->setup->cfg->redis;
	const struct config_redis *rc = &cfg->redis;
	struct sink *s, *prev;
	char *pw;

	pw = redis_password(cfg, err);
	if (err->msg[0] != '\0')
		return -1;
	if (strcmp(old->url, rc->url) == 0 && same_str(pw, d->password) &&
	    old->connect_timeout_ms == rc->connect_timeout_ms &&
	    old->flush_interval_ms == rc->flush_interval_ms) {
		free_password(pw);
		return 0;
	}
	s = make_sink(d, rc, pw, err);
	if (s == NULL) {
		free_password(pw);
		return -1;
	}
	log_info("reload: new Redis settings, reconnecting");
	prev = d->sink;
	d->sink = s;		/* NULL replies from prev see the new one */
	d->offsets_loading = false;
	d->checking = false;
	sink_close(prev);
	free_password(d->password);
	d->password = pw;
	if (old->flush_interval_ms != rc->flush_interval_ms)
		uv_timer_start(&d->flush_timer, flush_timer_cb,
		    rc->flush_interval_ms, rc->flush_interval_ms);
	return 0;
}

static int
reload_config(struct daemon *d, char *msg, size_t msglen)
{
	struct ew_err err = { 0 };
	struct setup *s;
	size_t *map, uncl;

	log_info("reload: loading %s", d->config_path);
	s = setup_load(d->config_path, &err);
	if (s == NULL) {
		ew_err_format(&err, msg, msglen);
		log_err("reload: %s; keeping the running config", msg);
		return -1;
	}
	if (map_classes(d, s->table, &map, &uncl) < 0) {
		log_err("reload: more than %d classes in all; keeping the "
		    "running config", MAX_CLASSES);
		snprintf(msg, msglen, "more than %d classes", MAX_CLASSES);
		setup_destroy(s);
		return -1;
	}
	if (reload_sink(d, s->cfg, &err) < 0) {
		ew_err_format(&err, msg, msglen);
		log_err("reload: %s; keeping the running config", msg);
		free(map);
		setup_destroy(s);
		return -1;
	}
	if (follow_reload(d->follow, s, map, uncl, &err) < 0) {
		ew_err_format(&err, msg, msglen);
		log_err("reload: %s; keeping the running config", msg);
		free(map);
		setup_destroy(s);
		return -1;
	}
	spike_reload(d->spike, &s->cfg->alerts);
	spike_classes(d, s->table, map);
	setup_destroy(d->setup);
	d->setup = s;
	free(d->class_map);
	d->class_map = map;
	d->uncl_id = uncl;
	d->codes_written = false;
	if (sink_state(d->sink) == SINK_READY)
		write_codes(d);
	log_info("reload: %s in force", d->config_path);
	return 0;
}

static void
hup_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	char msg[EW_ERR_MSG + EW_ERR_FILE + 32];

	(void)signum;
	notify_reloading(d->notify);
	if (reload_config(d, msg, sizeof(msg)) < 0)
		notify_status_force(d->notify, "new config rejected (%s); "
		    "still running the previous one", msg);
	else
		notify_status_force(d->notify, "reloaded %s", d->config_path);
	notify_ready(d->notify);
}

/* --- set-up and tear-down ---------------------------------------------- */

static char *
redis_password(const struct config *cfg, struct ew_err *err)
{
	/* config.c already made $CREDENTIALS_DIRECTORY/redis-password the
	 * password_file under systemd when the config names none */
	if (cfg->redis.password_file[0] == '\0')
		return NULL;
	return sink_read_password(cfg->redis.password_file, err);
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

enum daemon_result
daemon_run(const char *config_path, bool once, struct ew_err *err)
{
	struct daemon *d = xcalloc(1, sizeof(*d));
	const struct config_redis *rc;
	enum daemon_result res;
	uint64_t cell = 0, now_s;
	size_t i;

	d->config_path = config_path;
	d->once = once;
	d->err = err;
	d->result = DAEMON_FAIL;
	d->started_s = ew_wall_ms() / 1000;
	raise_nofile();
	uv_loop_init(&d->loop);
	d->setup = setup_load(config_path, err);
	if (d->setup == NULL) {
		res = DAEMON_CONFIG;
		goto out;
	}
	if (map_classes(d, d->setup->table, &d->class_map, &d->uncl_id) < 0) {
		ew_err_set(err, config_path, 0, 0, "table: more than %d "
		    "classes", MAX_CLASSES);
		res = DAEMON_CONFIG;
		goto out;
	}
	d->spike = spike_create(&d->setup->cfg->alerts);
	spike_classes(d, d->setup->table, d->class_map);
	rc = &d->setup->cfg->redis;
	now_s = d->started_s;
	for (i = 0; i < rc->nbuckets; i++) {
		uint64_t res_s = EW_MAX(rc->buckets[i].res_ms / 1000, 1);

		cell = gcd(cell, res_s);
		/* buckets before this start are not closed by us */
		d->last_closed[i] = keys_bucket_start(now_s, res_s) - res_s;
	}
	d->agg = agg_create(MAX_CLASSES, cell ? cell : 1);

	d->password = redis_password(d->setup->cfg, err);
	if (err->msg[0] != '\0') {
		res = DAEMON_CONFIG;
		goto out;
	}
	d->sink = make_sink(d, rc, d->password, err);
	if (d->sink == NULL) {
		res = DAEMON_CONFIG;
		goto out;
	}
	d->follow = follow_create(&d->loop, d->setup, d->agg, d->class_map,
	    d->uncl_id, err);
	if (d->follow == NULL) {
		res = DAEMON_FAIL;
		goto out;
	}
	follow_start(d->follow, !once);

	uv_timer_init(&d->loop, &d->flush_timer);
	uv_timer_init(&d->loop, &d->rescan_timer);
	uv_timer_init(&d->loop, &d->stop_timer);
	uv_timer_start(&d->flush_timer, flush_timer_cb,
	    rc->flush_interval_ms, rc->flush_interval_ms);
	if (!once)
		uv_timer_start(&d->rescan_timer, rescan_timer_cb, RESCAN_MS,
		    RESCAN_MS);
	d->once_deadline = uv_now(&d->loop) + ONCE_REDIS_WAIT_MS;
	uv_signal_init(&d->loop, &d->sig_term);
	uv_signal_init(&d->loop, &d->sig_int);
	uv_signal_init(&d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	uv_signal_start(&d->sig_term, stop_cb, SIGTERM);
	uv_signal_start(&d->sig_int, stop_cb, SIGINT);
	uv_signal_start(&d->sig_hup, hup_cb, SIGHUP);
	log_info("errwatchd %s: %zu files, host %s, redis %s", EW_VERSION,
	    follow_open_files(d->follow), d->setup->cfg->host, rc->url);
	if (!once) {
		d->notify = notify_create(&d->loop);
		notify_ready(d->notify);
		notify_status_force(d->notify, "%zu files, redis %s",
		    follow_open_files(d->follow),
		    sink_state_name(sink_state(d->sink)));
		d->status_ms = uv_now(&d->loop);
	}

	uv_run(&d->loop, UV_RUN_DEFAULT);
	res = d->result;
out:
	notify_close(d->notify);
	sink_close(d->sink);
	follow_close(d->follow);
	uv_walk(&d->loop, close_walk_cb, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d->loop) != 0)
		log_warn("loop: handles left open at exit");
	for (i = 0; i < d->nclass_names; i++)
		free(d->class_names[i]);
	free(d->class_map);
	argv_free(&d->inflight_argv);
	agg_destroy(d->agg);
	spike_destroy(d->spike);
	free_password(d->password);
	setup_destroy(d->setup);
	free(d);
	return res;
}
