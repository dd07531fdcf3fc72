/*
 * daemon: wires errwatchd on one uv loop: follow (the files) and journal
 * (the systemd journal inputs, SPEC §16) count into agg, and every
 * flush_interval the session (the SPEC §8 protocol over the
 * Redis link) sends one batch with the offsets of the files its lines came
 * from (a journal input's cursor is its offset). Signals stop and
 * reload; notify tells systemd.
 *
 * Invariants: no file is read before the session has loaded the offsets;
 * counts are kept by class-name ids that survive a reload, so a SIGHUP
 * never mixes two tables' indexes. Durations run on the loop's monotonic
 * clock; the wall clock only names buckets and stamps events (SPEC §6).
 */
#include <inttypes.h>
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
#include "redisurl.h"
#include "setup.h"
#include "session.h"
#include "sink.h"
#include "spike.h"
#include "table.h"
#include "follow.h"
#include "journal.h"

#define RESCAN_MS		1000		/* SPEC §6 safety net */
#define STOP_FLUSH_MS		5000		/* SPEC §10 */
#define ONCE_REDIS_WAIT_MS	10000		/* --once gives up after */

struct daemon {
	uv_loop_t	 loop;
	const char	*config_path;
	bool		 once;
	struct setup	*setup;
	struct follow	*follow;
	struct journal	*journal;
	struct session	*session;
	struct agg	*agg;

	uv_timer_t	 flush_timer;
	uv_timer_t	 rescan_timer;
	uv_timer_t	 stop_timer;
	uv_signal_t	 sig_term, sig_int, sig_hup;

	/* Class names by stable id; a table's classes map onto them. */
	char		*class_names[SETUP_MAX_CLASSES];
	size_t		 nclass_names;
	size_t		*class_map;	/* table class -> id */
	size_t		 uncl_id;

	struct spike	*spike;		/* SPEC §9, this host only */

	bool		 stopping;
	struct notify	*notify;
	uint64_t	 status_lines, status_ms;	/* ms: uv_now */
	bool		 once_read_done;
	uint64_t	 once_deadline;	/* uv_now, ms */
	enum daemon_result result;
	struct ew_err	*err;
};

static void	report_status(struct daemon *d);
static void	check_once_done(struct daemon *d);
static void	finish(struct daemon *d, enum daemon_result r);

/* Reads every file's growth now; agg files the counts under the wall
 * clock, which names the buckets (SPEC §6). */
static void
read_files(struct daemon *d)
{
	uint64_t wall = ew_wall_ms();

	follow_read(d->follow, uv_now(&d->loop), wall, d->once);
	journal_read(d->journal, wall, d->once);
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
	if (d->nclass_names == SETUP_MAX_CLASSES)
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
	uint64_t mono = uv_now(&d->loop), wall = ew_wall_ms(), ago;

	memset(&a, 0, sizeof(a));
	a.firing = ev->firing;
	a.name = ev->name;
	a.code = ev->code;
	a.category = ev->category;
	a.severity = ev->severity;
	a.rule = ev->rule;
	a.match = ev->match;
	a.scope = "host";
	a.window_s = ev->window_s;
	a.count = ev->count;
	a.baseline = ev->baseline;
	a.threshold = ev->threshold;
	ago = mono > ev->ts_ms ? mono - ev->ts_ms : 0;
	a.ts_ms = wall > ago ? wall - ago : 0;
	session_alert(d->session, &a);
	log_info("alert %s: %s on %s, %" PRIu64 " in %" PRIu64 " s (level "
	    "%.0f, baseline %.1f)", ev->firing ? "firing" : "resolved",
	    ev->name, a.host, ev->count, ev->window_s, ev->threshold,
	    ev->baseline);
}

/* Feeds the lines counted since the last call to the detector and lets
 * it close whole seconds; alerts go into the next batch, so a spike
 * reaches Redis within a flush of the line that crossed the level. Only
 * fresh lines count: a line re-read after a CONFLICT was seen already
 * (SPEC §8). */
static void
detect(struct daemon *d)
{
	uint64_t fresh[SETUP_MAX_CLASSES];
	size_t i;

	follow_take_fresh(d->follow, fresh, d->nclass_names);
	journal_take_fresh(d->journal, fresh, d->nclass_names);
	for (i = 0; i < d->nclass_names; i++)
		if (fresh[i] > 0)
			spike_observe(d->spike, i, uv_now(&d->loop),
			    fresh[i]);
	spike_tick(d->spike, uv_now(&d->loop), alert_cb, d);
}

/* --- the session's callbacks ------------------------------------------ */

static void
stats_cb(void *arg, struct session_stats *st)
{
	struct daemon *d = arg;
	const struct follow_stats *fs = follow_stats(d->follow);
	const struct journal_stats *js = journal_stats(d->journal);

	/* SPEC §16: the journal's entries are lines like the files' */
	st->files = follow_open_files(d->follow);
	st->lines = fs->lines + js->lines;
	st->bytes = fs->bytes + js->bytes;
	st->matched = fs->matched + js->matched;
	st->unclassified = fs->unclassified + js->unclassified;
	st->long_lines = fs->long_lines + js->long_lines;
	st->rotations = fs->rotations;
	st->truncations = fs->truncations;
}

static void
flush_now(struct daemon *d)
{
	session_flush(d->session);
}

/* The stored offsets place the files; --once then reads everything, to
 * the end, and the session flushes at once. */
static void
loaded_cb(void *arg, const struct session_rec *recs, size_t n,
    struct argv *drop)
{
	struct daemon *d = arg;
	size_t i;

	follow_stored_begin(d->follow);
	journal_stored_begin(d->journal);
	for (i = 0; i < n; i++) {
		follow_stored_add(d->follow, recs[i].field, recs[i].flen,
		    recs[i].value, recs[i].vlen);
		journal_stored_add(d->journal, recs[i].field, recs[i].flen,
		    recs[i].value, recs[i].vlen);
	}
	follow_stored_done(d->follow);
	journal_stored_done(d->journal);
	/* SPEC §8: seen_s is wall time, kept across restarts */
	follow_gone_fields(d->follow, ew_wall_ms() / 1000, drop);
	journal_gone_fields(d->journal, ew_wall_ms() / 1000, drop);
	read_files(d);
	if (d->once)
		d->once_read_done = true;
}

static void
committed_cb(void *arg, const struct batch *b)
{
	struct daemon *d = arg;

	follow_committed(d->follow, b);
	journal_committed(d->journal, b);
}

static void
conflict_cb(void *arg)
{
	struct daemon *d = arg;

	follow_unplace(d->follow);
	journal_unplace(d->journal);
}

/* More may be pending already (an outage, --once, stop). */
static void
flushed_cb(void *arg)
{
	struct daemon *d = arg;

	if ((d->stopping || d->once) && !session_is_flushed(d->session))
		flush_now(d);
	if (d->stopping && session_is_flushed(d->session))
		finish(d, DAEMON_OK);
	check_once_done(d);
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
	if (d->once && d->once_read_done && session_is_flushed(d->session))
		finish(d, DAEMON_OK);
}

/* --once: everything read once is in Redis, or Redis stayed away for
 * ONCE_REDIS_WAIT_MS (on the monotonic clock). */
static void
once_tick(struct daemon *d)
{
	if ((!session_is_loaded(d->session) ||
	    session_link(d->session) != SINK_READY) &&
	    uv_now(&d->loop) > d->once_deadline) {
		char where[300];

		redisurl_where(&d->setup->cfg->redis.target, where,
		    sizeof(where));
		ew_err_set(d->err, NULL, 0, 0, "redis: unreachable at %s%s",
		    where, d->once_read_done ? ", counts not written" : "");
		finish(d, DAEMON_REDIS_DOWN);
		return;
	}
	flush_now(d);
	check_once_done(d);
}

static void
flush_timer_cb(uv_timer_t *h)
{
	struct daemon *d = container_of(h, struct daemon, flush_timer);

	if (d->stopping) {
		if (session_is_flushed(d->session))
			finish(d, DAEMON_OK);
		flush_now(d);
		return;
	}
	if (d->once) {
		once_tick(d);
		return;
	}
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
	uint64_t lines = follow_stats(d->follow)->lines +
	    journal_stats(d->journal)->lines;
	double rate = 0;

	if (now > d->status_ms)
		rate = (double)(lines - d->status_lines) * 1000 /
		    (double)(now - d->status_ms);
	if (journal_ninputs(d->journal) > 0)
		notify_status(d->notify, "%zu files, %zu journal inputs, "
		    "%.0f lines/s, redis %s", follow_open_files(d->follow),
		    journal_ninputs(d->journal), rate,
		    sink_state_name(session_link(d->session)));
	else
		notify_status(d->notify, "%zu files, %.0f lines/s, redis %s",
		    follow_open_files(d->follow), rate,
		    sink_state_name(session_link(d->session)));
	d->status_lines = lines;
	d->status_ms = now;
}

static void
rescan_timer_cb(uv_timer_t *h)
{
	struct daemon *d = container_of(h, struct daemon, rescan_timer);

	follow_rescan(d->follow, uv_now(h->loop), ew_wall_ms());
	journal_rescan(d->journal);
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
	if (session_is_loaded(d->session))
		read_files(d);
	flush_now(d);
	uv_timer_start(&d->stop_timer, stop_timer_cb, STOP_FLUSH_MS, 0);
	if (session_is_flushed(d->session))
		finish(d, DAEMON_OK);
}

static void
make_opts(struct daemon *d, const struct config *cfg,
    struct session_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->redis = &cfg->redis;
	o->host = cfg->host;
	o->class_names = (const char *const *)d->class_names;
	o->on_loaded = loaded_cb;
	o->on_committed = committed_cb;
	o->on_conflict = conflict_cb;
	o->on_flushed = flushed_cb;
	o->on_stats = stats_cb;
	o->arg = d;
}

/* SPEC §10: a reload that changes how Redis is reached takes a new link
 * (the session decides). Returns 0, or -1 with err and nothing changed. */
static int
reload_session(struct daemon *d, const struct config *cfg,
    struct ew_err *err)
{
	struct session_opts o;

	make_opts(d, cfg, &o);
	if (session_reload(d->session, &o, err) < 0)
		return -1;
	if (d->setup->cfg->redis.flush_interval_ms !=
	    cfg->redis.flush_interval_ms)
		uv_timer_start(&d->flush_timer, flush_timer_cb,
		    cfg->redis.flush_interval_ms, cfg->redis.flush_interval_ms);
	return 0;
}

static int
reload_fn(void *arg, char *msg, size_t msglen)
{
	struct daemon *d = arg;
	struct ew_err err = { 0 };
	struct setup *s;
	size_t *map, uncl;

	log_info("reload: loading %s", d->config_path);
	s = setup_load(d->config_path, SETUP_INPUTS, &err);
	if (s == NULL) {
		ew_err_format(&err, msg, msglen);
		log_err("reload: %s; keeping the running config", msg);
		return -1;
	}
	if (map_classes(d, s->table, &map, &uncl) < 0) {
		log_err("reload: more than %d classes in all; keeping the "
		    "running config", SETUP_MAX_CLASSES);
		snprintf(msg, msglen, "more than %d classes", SETUP_MAX_CLASSES);
		setup_destroy(s);
		return -1;
	}
	if (reload_session(d, s->cfg, &err) < 0 ||
	    follow_reload(d->follow, s, map, uncl, &err) < 0) {
		ew_err_format(&err, msg, msglen);
		log_err("reload: %s; keeping the running config", msg);
		free(map);
		setup_destroy(s);
		return -1;
	}
	journal_reload(d->journal, s, map, uncl);
	spike_reload(d->spike, &s->cfg->alerts);
	spike_classes(d, s->table, map);
	session_set_table(d->session, s->table);
	setup_destroy(d->setup);
	d->setup = s;
	free(d->class_map);
	d->class_map = map;
	d->uncl_id = uncl;
	log_info("reload: %s in force", d->config_path);
	return 0;
}

static void
hup_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	(void)signum;
	notify_reload(d->notify, d->config_path, reload_fn, d);
}

/* --- set-up and tear-down ---------------------------------------------- */

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
	struct session_opts so;
	enum daemon_result res;
	uint64_t cell = 0;
	size_t i;

	d->config_path = config_path;
	d->once = once;
	d->err = err;
	d->result = DAEMON_FAIL;
	raise_nofile();
	uv_loop_init(&d->loop);
	d->setup = setup_load(config_path, SETUP_INPUTS, err);
	if (d->setup == NULL) {
		res = DAEMON_CONFIG;
		goto out;
	}
	if (map_classes(d, d->setup->table, &d->class_map, &d->uncl_id) < 0) {
		ew_err_set(err, config_path, 0, 0, "table: more than %d "
		    "classes", SETUP_MAX_CLASSES);
		res = DAEMON_CONFIG;
		goto out;
	}
	d->spike = spike_create(&d->setup->cfg->alerts);
	spike_classes(d, d->setup->table, d->class_map);
	rc = &d->setup->cfg->redis;
	for (i = 0; i < rc->nbuckets; i++)
		cell = gcd(cell, EW_MAX(rc->buckets[i].res_ms / 1000, 1));
	d->agg = agg_create(SETUP_MAX_CLASSES, cell ? cell : 1);

	/* config_load resolved the URL and the credential (SPEC §2: so
	 * --check-config sees every error) */
	make_opts(d, d->setup->cfg, &so);
	d->session = session_create(&d->loop, d->agg, &so, err);
	if (d->session == NULL) {
		res = DAEMON_CONFIG;
		goto out;
	}
	session_set_table(d->session, d->setup->table);
	d->follow = follow_create(&d->loop, d->setup, d->agg, d->class_map,
	    d->uncl_id, err);
	if (d->follow == NULL) {
		res = DAEMON_FAIL;
		goto out;
	}
	d->journal = journal_create(&d->loop, d->setup, d->agg, d->class_map,
	    d->uncl_id);
	follow_start(d->follow, !once);
	journal_start(d->journal, !once);

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
		    sink_state_name(session_link(d->session)));
		d->status_ms = uv_now(&d->loop);
	}

	uv_run(&d->loop, UV_RUN_DEFAULT);
	res = d->result;
out:
	notify_close(d->notify);
	session_close(d->session);
	follow_close(d->follow);
	journal_close(d->journal);
	uv_walk(&d->loop, close_walk_cb, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d->loop) != 0)
		log_warn("loop: handles left open at exit");
	for (i = 0; i < d->nclass_names; i++)
		free(d->class_names[i]);
	free(d->class_map);
	agg_destroy(d->agg);
	spike_destroy(d->spike);
	setup_destroy(d->setup);
	free(d);
	return res;
}
