/*
 * fleetwatch: the lease, fleet-wide detection and silent hosts of SPEC
 * §13, for errwatch-alerts. It owns the lease's protocol (one state enum),
 * the fleet's spike detector and the set of silent hosts it reported; it
 * never writes a host's own alert, never reads `P alerts`, and writes
 * nothing while it is not the holder: every event goes through the event
 * script, which checks the lease in the same atomic step.
 *
 * Clocks. The detector runs on stream time: a bucket's counts are
 * observed at the bucket's start (its stream ID, unix ms), and the
 * detector is ticked to the bucket's end. Stream time never steps and
 * needs no conversion for `ts`, and a new holder replaying the last
 * baseline + window of the stream reaches exactly the state the old one
 * had. The loop clock only paces the timers. The wall clock says where the
 * replay starts and how old a heartbeat is (heartbeats are unix seconds).
 *
 * Invariants: sp, the classes and the silent set exist only while the
 * state is LOADING or LIVE, and belong to holding generation gen; a reply
 * of an older generation is dropped. Any failure while holding (a command
 * refused, a reply lost, the lease found elsewhere) drops the holding
 * whole; if the lease is still ours the next claim takes it back and
 * rebuilds everything from Redis, which repairs whatever was lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "config.h"
#include "fleetwatch.h"
#include "keys.h"
#include "log.h"
#include "sink.h"
#include "spike.h"
#include "table.h"

#define FLEET_HOST	"fleet"
#define SILENT_NAME	"HostSilent"

enum req_kind {
	REQ_LEASE,		/* the lease script */
	REQ_ACTIVE,		/* HGETALL P alerts:active */
	REQ_SERIES,		/* XRANGE P series:10s */
	REQ_HOSTS,		/* ZRANGE P hosts WITHSCORES */
	REQ_EVENT,		/* the event script */
};

struct req {
	struct fleetwatch *fw;
	enum req_kind	 kind;
	unsigned	 gen;
};

/* A class's code and category, copied from the table. */
struct known {
	char	*name;
	int	 code;
	char	*category;
};

/* The last event the replay produced for a class. */
struct replayed {
	bool	 has;
	bool	 firing;
	uint64_t window_s;
	uint64_t count;
	double	 baseline;
	double	 threshold;
	uint64_t ts_ms;
	char	 severity[16];
	char	*rule;		/* the kind: static, adaptive, drop */
	char	*match;		/* the rule's match, or "defaults" */
};

/* A class seen in the series, by the detector's id (its index). */
struct fclass {
	char		*name;
	int		 code;
	char		*category;
	char		*adopted;	/* `<class>@fleet` JSON at takeover */
	struct replayed	 last;
};

/* A host this holder reported silent, or found reported at takeover. */
struct silent {
	char	*host;
	bool	 firing;
	bool	 seen;		/* in this check's P hosts reply */
};

struct fleetwatch {
	uv_loop_t	*loop;
	struct sink	*sink;
	enum fleetwatch_state state;
	fleetwatch_state_fn *on_state;
	void		*arg;

	struct config_alerts rules;	/* deep copy */
	struct known	*known;
	size_t		 nknown;
	uint64_t	 silent_after_ms;
	char		*silent_severity;
	char		*prefix;
	char		*instance;
	char		*lease_key, *series_key, *hosts_key, *active_key;
	uint64_t	 lease_ms, renew_ms, poll_ms;

	/* the holding */
	unsigned	 gen;
	uint64_t	 run;		/* unix s it began: the event ids */
	uint64_t	 n;		/* events written in it */
	struct spike	*sp;
	struct fclass	*cls;
	size_t		 ncls;
	struct silent	*sil;
	size_t		 nsil;
	char		 from[48];	/* next XRANGE start */
	bool		 replaying;
	const char	*broken;	/* a write failed: lose after the
					 * callback chain unwinds */
	uint64_t	 stream_ms;	/* detector time: the last bucket end */

	bool		 lease_busy, series_busy, hosts_busy;
	uint64_t	 claims;
	uv_timer_t	 lease_timer, poll_timer;
	int		 open_handles;
	size_t		 inflight;
	bool		 closing;
};

static const char *const state_name[] = {
	"standby", "loading", "live", "closed",
};

const char *
fleetwatch_state_name(enum fleetwatch_state st)
{
	return (size_t)st < ARRAY_SIZE(state_name) ? state_name[st] : "?";
}

static void
set_state(struct fleetwatch *fw, enum fleetwatch_state to, const char *why)
{
	if (fw->state == to)
		return;
	log_info("fleet: %s -> %s (%s)", state_name[fw->state],
	    state_name[to], why);
	fw->state = to;
	if (fw->on_state != NULL)
		fw->on_state(fw->arg, to);
}

/* --- options ------------------------------------------------------------ */

static void
free_rules(struct config_alerts *r)
{
	size_t i;

	for (i = 0; i < r->nrules; i++)
		free(r->rules[i].match);
	free(r->rules);
	memset(r, 0, sizeof(*r));
}

static void
copy_rules(struct config_alerts *to, const struct config_alerts *from)
{
	size_t i;

	to->defaults = from->defaults;
	to->nrules = from->nrules;
	to->rules = xcalloc(from->nrules + 1, sizeof(*to->rules));
	for (i = 0; i < from->nrules; i++) {
		to->rules[i] = from->rules[i];
		to->rules[i].match = xstrdup(from->rules[i].match);
	}
}

static void
free_known(struct fleetwatch *fw)
{
	size_t i;

	for (i = 0; i < fw->nknown; i++) {
		free(fw->known[i].name);
		free(fw->known[i].category);
	}
	free(fw->known);
	fw->known = NULL;
	fw->nknown = 0;
}

static void
copy_known(struct fleetwatch *fw, const struct table *t)
{
	size_t i;

	free_known(fw);
	if (t == NULL)
		return;
	fw->nknown = table_nclasses(t);
	fw->known = xcalloc(fw->nknown + 1, sizeof(*fw->known));
	for (i = 0; i < fw->nknown; i++) {
		fw->known[i].name = xstrdup(table_class_name(t, i));
		fw->known[i].code = table_class_code(t, i);
		fw->known[i].category = xstrdup(table_class_category(t, i));
	}
}

static void
take_opts(struct fleetwatch *fw, const struct fleetwatch_opts *o)
{
	free_rules(&fw->rules);
	copy_rules(&fw->rules, o->rules);
	copy_known(fw, o->table);
	fw->silent_after_ms = o->silent_after_ms;
	free(fw->silent_severity);
	fw->silent_severity = xstrdup(o->silent_severity != NULL ?
	    o->silent_severity : "warning");
	fw->lease_ms = o->lease_ms > 0 ? o->lease_ms : FLEETWATCH_LEASE_MS;
	fw->renew_ms = o->renew_ms > 0 ? o->renew_ms : FLEETWATCH_RENEW_MS;
	fw->poll_ms = o->poll_ms > 0 ? o->poll_ms : FLEETWATCH_POLL_MS;
	fw->on_state = o->on_state;
	fw->arg = o->arg;
}

/* How far back a new holder replays: the longest baseline + window. */
static uint64_t
replay_span_ms(const struct config_alerts *r)
{
	uint64_t span = r->defaults.baseline_ms + r->defaults.window_ms;
	size_t i;

	for (i = 0; i < r->nrules; i++)
		span = EW_MAX(span, r->rules[i].params.baseline_ms +
		    r->rules[i].params.window_ms);
	return span;
}

/* --- the holding ---------------------------------------------------------- */

static void
drop_holding(struct fleetwatch *fw)
{
	size_t i;

	spike_destroy(fw->sp);
	fw->sp = NULL;
	for (i = 0; i < fw->ncls; i++) {
		free(fw->cls[i].name);
		free(fw->cls[i].category);
		free(fw->cls[i].adopted);
		free(fw->cls[i].last.rule);
		free(fw->cls[i].last.match);
	}
	free(fw->cls);
	fw->cls = NULL;
	fw->ncls = 0;
	for (i = 0; i < fw->nsil; i++)
		free(fw->sil[i].host);
	free(fw->sil);
	fw->sil = NULL;
	fw->nsil = 0;
	fw->gen++;		/* replies still due are for nobody */
	fw->series_busy = fw->hosts_busy = false;
	fw->replaying = false;
	fw->broken = NULL;
}

static void
lose(struct fleetwatch *fw, const char *why)
{
	if (fw->state != FLEETWATCH_LOADING && fw->state != FLEETWATCH_LIVE)
		return;
	drop_holding(fw);
	set_state(fw, FLEETWATCH_STANDBY, why);
}

/* Class i's code and category from the table, told to the detector. */
static void
name_class(struct fleetwatch *fw, size_t i)
{
	struct fclass *c = &fw->cls[i];
	size_t k;

	c->code = -1;
	free(c->category);
	c->category = xstrdup("");
	for (k = 0; k < fw->nknown; k++) {
		if (strcmp(fw->known[k].name, c->name) != 0)
			continue;
		c->code = fw->known[k].code;
		free(c->category);
		c->category = xstrdup(fw->known[k].category);
		break;
	}
	spike_set_class(fw->sp, i, c->name, c->code, c->category);
}

/* The class's id, naming it to the detector the first time. */
static size_t
class_id(struct fleetwatch *fw, const char *name, size_t len)
{
	struct fclass *c;
	size_t i;

	for (i = 0; i < fw->ncls; i++)
		if (strlen(fw->cls[i].name) == len &&
		    memcmp(fw->cls[i].name, name, len) == 0)
			return i;
	fw->cls = xrealloc(fw->cls, (fw->ncls + 1) * sizeof(*fw->cls));
	c = &fw->cls[fw->ncls];
	memset(c, 0, sizeof(*c));
	c->name = xstrndup(name, len);
	name_class(fw, fw->ncls);
	return fw->ncls++;
}

/* --- commands ------------------------------------------------------------- */

static void	reply_cb(void *arg, const struct sink_reply *r);

static int
send_argv(struct fleetwatch *fw, enum req_kind kind, const struct argv *a)
{
	struct req *q = xcalloc(1, sizeof(*q));
	const char **v = xcalloc(a->n + 1, sizeof(*v));
	size_t i;
	int r;

	q->fw = fw;
	q->kind = kind;
	q->gen = fw->gen;
	for (i = 0; i < a->n; i++)
		v[i] = a->v[i];
	r = sink_command(fw->sink, (int)a->n, v, a->len, reply_cb, q);
	free(v);
	if (r < 0) {
		free(q);
		return r;
	}
	fw->inflight++;
	return 0;
}

/* EVAL of script with numkeys 0 and args. */
static int
send_eval(struct fleetwatch *fw, enum req_kind kind, const char *script,
    const struct argv *args)
{
	struct argv a = { 0 };
	size_t i;
	int r;

	argv_addstr(&a, "EVAL");
	argv_addstr(&a, script);
	argv_addstr(&a, "0");
	for (i = 0; i < args->n; i++)
		argv_add(&a, args->v[i], args->len[i]);
	r = send_argv(fw, kind, &a);
	argv_free(&a);
	return r;
}

static void
write_event(struct fleetwatch *fw, const struct keys_alert *a)
{
	struct argv args = { 0 };

	if (fw->broken != NULL)	/* the retake will reconcile */
		return;
	keys_event_argv(&args, fw->prefix, fw->lease_key, fw->instance, a);
	if (send_eval(fw, REQ_EVENT, keys_event_script(), &args) < 0)
		fw->broken = "Redis link down: an event could not be sent";
	else
		log_info("fleet: %s %s@%s written", a->firing ? "firing" :
		    "resolved", a->name, a->host);
	argv_free(&args);
}

/* Drops the holding if a write failed meanwhile. Returns true if so. */
static bool
check_broken(struct fleetwatch *fw)
{
	if (fw->broken == NULL)
		return false;
	lose(fw, fw->broken);
	return true;
}

/* A fleet event (SPEC §13: host and scope "fleet"). */
static void
fleet_event(struct fleetwatch *fw, const struct fclass *c, bool firing,
    const struct replayed *e)
{
	struct keys_alert a;

	memset(&a, 0, sizeof(a));
	a.firing = firing;
	a.host = FLEET_HOST;
	a.origin = FLEET_HOST;
	a.run = fw->run;
	a.n = ++fw->n;
	a.name = c->name;
	a.code = c->code;
	a.category = c->category;
	a.severity = e->severity;
	a.rule = e->rule;
	a.match = e->match;
	a.scope = FLEET_HOST;
	a.window_s = e->window_s;
	a.count = e->count;
	a.baseline = e->baseline;
	a.threshold = e->threshold;
	a.ts_ms = e->ts_ms;
	write_event(fw, &a);
}

static void
keep_event(struct replayed *e, const struct spike_event *ev)
{
	e->has = true;
	e->firing = ev->firing;
	e->window_s = ev->window_s;
	e->count = ev->count;
	e->baseline = ev->baseline;
	e->threshold = ev->threshold;
	e->ts_ms = ev->ts_ms;
	snprintf(e->severity, sizeof(e->severity), "%s", ev->severity);
	free(e->rule);
	e->rule = xstrdup(ev->rule);
	free(e->match);
	e->match = xstrdup(ev->match);
}

/* While replaying, an event only updates what the class shows at the
 * end; live, it is written. */
static void
spike_cb(void *arg, const struct spike_event *ev)
{
	struct fleetwatch *fw = arg;
	struct fclass *c = &fw->cls[ev->cls];
	struct replayed e = { 0 };

	if (fw->replaying) {
		keep_event(&c->last, ev);
		return;
	}
	keep_event(&e, ev);
	fleet_event(fw, c, ev->firing, &e);
	free(e.rule);
	free(e.match);
}

/* A string or number field of a JSON object keys_alert wrote (flat, no
 * nesting); "" when absent. Escapes \" and \\ are undone. */
static void
json_get(const char *json, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(json, pat)) == NULL)
		return;
	p += strlen(pat);
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"' && n + 1 < len; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			out[n++] = *p;
		}
	} else {
		for (; *p != '\0' && *p != ',' && *p != '}' && n + 1 < len;
		    p++)
			out[n++] = *p;
	}
	out[n] = '\0';
}

/* An alert `P alerts:active` showed firing that the replay does not:
 * it ended while nobody held the lease. Resolved with what its firing
 * event said, at the detector's time. */
static void
resolve_adopted(struct fleetwatch *fw, struct fclass *c)
{
	struct replayed e = { 0 };
	char v[128];

	e.has = true;
	json_get(c->adopted, "severity", e.severity, sizeof(e.severity));
	json_get(c->adopted, "rule", v, sizeof(v));
	e.rule = xstrdup(v);
	json_get(c->adopted, "match", v, sizeof(v));
	e.match = xstrdup(v);
	json_get(c->adopted, "window_s", v, sizeof(v));
	e.window_s = strtoull(v, NULL, 10);
	json_get(c->adopted, "baseline", v, sizeof(v));
	e.baseline = strtod(v, NULL);
	json_get(c->adopted, "threshold", v, sizeof(v));
	e.threshold = strtod(v, NULL);
	e.ts_ms = fw->stream_ms;
	fleet_event(fw, c, false, &e);
	free(e.rule);
	free(e.match);
}

/* SPEC §13: the new holder takes over what `P alerts:active` shows
 * firing without firing it again; the replay's verdict wins otherwise. */
static void
reconcile(struct fleetwatch *fw)
{
	struct fclass *c;
	size_t i;
	bool firing;

	for (i = 0; i < fw->ncls && fw->sp != NULL; i++) {
		c = &fw->cls[i];
		firing = spike_is_firing(fw->sp, i);
		if (firing && c->adopted == NULL && c->last.has)
			fleet_event(fw, c, true, &c->last);
		else if (!firing && c->adopted != NULL) {
			if (c->last.has && !c->last.firing)
				fleet_event(fw, c, false, &c->last);
			else
				resolve_adopted(fw, c);
		}
		free(c->adopted);
		c->adopted = NULL;
	}
}

/* --- replies -------------------------------------------------------------- */

static void
read_series(struct fleetwatch *fw)
{
	struct argv a = { 0 };

	if (fw->series_busy)
		return;
	argv_addstr(&a, "XRANGE");
	argv_addstr(&a, fw->series_key);
	argv_addstr(&a, fw->from);
	argv_addstr(&a, "+");
	argv_addstr(&a, "COUNT");
	argv_addu64(&a, FLEETWATCH_PAGE);
	if (send_argv(fw, REQ_SERIES, &a) < 0)
		lose(fw, "Redis link down: the series could not be read");
	else
		fw->series_busy = true;
	argv_free(&a);
}

static void
become_holder(struct fleetwatch *fw, const char *why)
{
	struct argv a = { 0 };

	drop_holding(fw);
	fw->run = ew_wall_ms() / 1000;
	fw->n = 0;
	fw->sp = spike_create(&fw->rules);
	set_state(fw, FLEETWATCH_LOADING, why);
	argv_addstr(&a, "HGETALL");
	argv_addstr(&a, fw->active_key);
	if (send_argv(fw, REQ_ACTIVE, &a) < 0)
		lose(fw, "Redis link down: alerts:active could not be read");
	argv_free(&a);
}

static void
on_lease(struct fleetwatch *fw, const struct sink_reply *r)
{
	bool holding = fw->state == FLEETWATCH_LOADING ||
	    fw->state == FLEETWATCH_LIVE;

	fw->lease_busy = false;
	if (r != NULL)
		fw->claims++;
	if (r == NULL || r->type != SINK_REPLY_INTEGER) {
		if (r != NULL && r->type == SINK_REPLY_ERROR)
			log_warn("fleet: lease refused: %s", r->str);
		lose(fw, "the lease could not be renewed");
		return;
	}
	if (r->integer == 0)
		lose(fw, "another instance holds the lease");
	else if (r->integer == 2 && holding)	/* it lapsed meanwhile */
		become_holder(fw, "the lease lapsed and was taken again");
	else if (!holding)
		become_holder(fw, "lease taken");
}

static void
on_active(struct fleetwatch *fw, const struct sink_reply *r)
{
	static const char silent_pfx[] = SILENT_NAME "@";
	static const char fleet_sfx[] = "@" FLEET_HOST;
	const struct sink_reply *f, *v;
	struct silent *s;
	size_t i, id, flen, sl = sizeof(fleet_sfx) - 1;
	int64_t start;

	if (r == NULL || r->type != SINK_REPLY_ARRAY) {
		lose(fw, "alerts:active could not be read");
		return;
	}
	for (i = 0; i + 1 < r->nelem; i += 2) {
		f = &r->elem[i];
		v = &r->elem[i + 1];
		if (f->str == NULL || v->str == NULL)
			continue;
		flen = f->len;
		if (flen > sl && memcmp(f->str + flen - sl, fleet_sfx,
		    sl) == 0) {
			/* the id first: naming a class moves fw->cls */
			id = class_id(fw, f->str, flen - sl);
			free(fw->cls[id].adopted);
			fw->cls[id].adopted = xstrdup(v->str);
		} else if (flen > sizeof(silent_pfx) - 1 &&
		    memcmp(f->str, silent_pfx, sizeof(silent_pfx) - 1) == 0) {
			fw->sil = xrealloc(fw->sil,
			    (fw->nsil + 1) * sizeof(*fw->sil));
			s = &fw->sil[fw->nsil++];
			s->host = xstrdup(f->str + sizeof(silent_pfx) - 1);
			s->firing = true;
			s->seen = false;
		}
	}
	/* SPEC §13: the baselines come back from the stream: the longest
	 * baseline + window before now, from a bucket start on */
	start = (int64_t)ew_wall_ms() - (int64_t)replay_span_ms(&fw->rules);
	if (start < 0)
		start = 0;
	start -= start % FLEETWATCH_BUCKET_MS;
	snprintf(fw->from, sizeof(fw->from), "%" PRId64, start);
	fw->replaying = true;
	read_series(fw);
}

/* One entry of the series: [id, [class, count, ..., _total, n]]. */
static void
take_bucket(struct fleetwatch *fw, const struct sink_reply *e)
{
	const struct sink_reply *kv;
	uint64_t ms, n;
	size_t i, len;

	if (e->type != SINK_REPLY_ARRAY || e->nelem < 2 ||
	    e->elem[0].str == NULL)
		return;
	len = ew_parse_dec(e->elem[0].str, e->elem[0].len, UINT64_MAX, &ms);
	if (len == 0)
		return;
	snprintf(fw->from, sizeof(fw->from), "(%s", e->elem[0].str);
	kv = &e->elem[1];
	if (kv->type != SINK_REPLY_ARRAY)
		return;
	for (i = 0; i + 1 < kv->nelem; i += 2) {
		if (kv->elem[i].str == NULL || kv->elem[i + 1].str == NULL ||
		    strcmp(kv->elem[i].str, "_total") == 0)
			continue;
		if (ew_parse_dec(kv->elem[i + 1].str, kv->elem[i + 1].len,
		    UINT64_MAX, &n) != kv->elem[i + 1].len)
			continue;
		spike_observe(fw->sp, class_id(fw, kv->elem[i].str,
		    kv->elem[i].len), ms, n);
	}
	/* the bucket is closed: its seconds are evaluated now */
	fw->stream_ms = ms + FLEETWATCH_BUCKET_MS;
	spike_tick(fw->sp, fw->stream_ms, spike_cb, fw);
}

static void
on_series(struct fleetwatch *fw, const struct sink_reply *r)
{
	size_t i;

	fw->series_busy = false;
	if (r == NULL || r->type != SINK_REPLY_ARRAY) {
		lose(fw, "the series could not be read");
		return;
	}
	for (i = 0; i < r->nelem; i++)
		take_bucket(fw, &r->elem[i]);
	if (check_broken(fw))
		return;
	if (r->nelem >= FLEETWATCH_PAGE) {
		read_series(fw);
		return;
	}
	if (fw->replaying) {
		fw->replaying = false;
		reconcile(fw);
		if (!check_broken(fw))
			set_state(fw, FLEETWATCH_LIVE, "baselines rebuilt");
	}
}

static void
silent_event(struct fleetwatch *fw, const char *host, bool firing,
    uint64_t ts_ms)
{
	struct keys_alert a;

	memset(&a, 0, sizeof(a));
	a.firing = firing;
	a.host = host;
	a.origin = FLEET_HOST;
	a.run = fw->run;
	a.n = ++fw->n;
	a.name = SILENT_NAME;
	a.code = -1;
	a.category = "";
	a.severity = fw->silent_severity;
	a.rule = "silent";
	a.match = "";
	a.scope = "host";
	a.window_s = fw->silent_after_ms / 1000;
	a.count = 0;
	a.baseline = 0;
	a.threshold = (double)(fw->silent_after_ms / 1000);
	a.ts_ms = ts_ms;
	write_event(fw, &a);
}

static struct silent *
find_silent(struct fleetwatch *fw, const char *host)
{
	size_t i;

	for (i = 0; i < fw->nsil; i++)
		if (strcmp(fw->sil[i].host, host) == 0)
			return &fw->sil[i];
	return NULL;
}

/* SPEC §13: a heartbeat older than silent_after fires HostSilent once
 * (ts: when it became silent); a fresh one resolves it (ts: the new
 * heartbeat). The host's own alerts are not touched. */
static void
on_hosts(struct fleetwatch *fw, const struct sink_reply *r)
{
	uint64_t now = ew_wall_ms(), seen_ms;
	struct silent *s;
	const char *host;
	size_t i;

	fw->hosts_busy = false;
	if (r == NULL || r->type != SINK_REPLY_ARRAY) {
		lose(fw, "the hosts could not be read");
		return;
	}
	for (i = 0; i < fw->nsil; i++)
		fw->sil[i].seen = false;
	for (i = 0; i + 1 < r->nelem; i += 2) {
		host = r->elem[i].str;
		if (host == NULL || r->elem[i + 1].str == NULL)
			continue;
		seen_ms = (uint64_t)strtod(r->elem[i + 1].str, NULL) * 1000;
		s = find_silent(fw, host);
		if (s != NULL)
			s->seen = true;
		if (seen_ms + fw->silent_after_ms < now) {
			if (s != NULL && s->firing)
				continue;
			if (s == NULL) {
				fw->sil = xrealloc(fw->sil,
				    (fw->nsil + 1) * sizeof(*fw->sil));
				s = &fw->sil[fw->nsil++];
				s->host = xstrdup(host);
				s->seen = true;
			}
			s->firing = true;
			silent_event(fw, host, true,
			    seen_ms + fw->silent_after_ms);
		} else if (s != NULL && s->firing) {
			s->firing = false;
			silent_event(fw, host, false, seen_ms);
		}
	}
	/* a silent host gone from P hosts: nothing more will come of it */
	for (i = 0; i < fw->nsil; i++)
		if (fw->sil[i].firing && !fw->sil[i].seen) {
			fw->sil[i].firing = false;
			silent_event(fw, fw->sil[i].host, false, now);
		}
	check_broken(fw);
}

static void
on_event(struct fleetwatch *fw, const struct sink_reply *r)
{
	if (r == NULL || r->type != SINK_REPLY_INTEGER) {
		if (r != NULL && r->type == SINK_REPLY_ERROR)
			log_warn("fleet: event refused: %s", r->str);
		lose(fw, "an event was not written");
	} else if (r->integer != 1)
		lose(fw, "another instance holds the lease");
}

static void
maybe_free(struct fleetwatch *fw)
{
	if (!fw->closing || fw->open_handles > 0 || fw->inflight > 0)
		return;
	drop_holding(fw);
	free_rules(&fw->rules);
	free_known(fw);
	free(fw->silent_severity);
	free(fw->prefix);
	free(fw->instance);
	free(fw->lease_key);
	free(fw->series_key);
	free(fw->hosts_key);
	free(fw->active_key);
	free(fw);
}

static void
reply_cb(void *arg, const struct sink_reply *r)
{
	struct req *q = arg;
	struct fleetwatch *fw = q->fw;
	bool stale = q->gen != fw->gen;
	enum req_kind kind = q->kind;

	free(q);
	fw->inflight--;
	if (fw->closing) {
		maybe_free(fw);
		return;
	}
	if (kind == REQ_LEASE) {
		on_lease(fw, r);
		return;
	}
	if (stale)		/* for a holding that is over */
		return;
	switch (kind) {
	case REQ_ACTIVE:
		on_active(fw, r);
		break;
	case REQ_SERIES:
		on_series(fw, r);
		break;
	case REQ_HOSTS:
		on_hosts(fw, r);
		break;
	case REQ_EVENT:
		on_event(fw, r);
		break;
	case REQ_LEASE:
		break;
	}
}

/* --- timers --------------------------------------------------------------- */

static void
lease_cb(uv_timer_t *t)
{
	struct fleetwatch *fw = container_of(t, struct fleetwatch,
	    lease_timer);
	struct argv a = { 0 };

	if (fw->closing || fw->lease_busy)
		return;
	argv_addstr(&a, fw->lease_key);
	argv_addstr(&a, fw->instance);
	argv_addu64(&a, fw->lease_ms);
	if (send_eval(fw, REQ_LEASE, keys_lease_script(), &a) < 0)
		lose(fw, "Redis link down: the lease cannot be renewed");
	else
		fw->lease_busy = true;
	argv_free(&a);
}

static void
poll_cb(uv_timer_t *t)
{
	struct fleetwatch *fw = container_of(t, struct fleetwatch,
	    poll_timer);
	struct argv a = { 0 };

	if (fw->closing || fw->state != FLEETWATCH_LIVE)
		return;
	read_series(fw);
	if (fw->state != FLEETWATCH_LIVE || fw->silent_after_ms == 0 ||
	    fw->hosts_busy)
		return;
	argv_addstr(&a, "ZRANGE");
	argv_addstr(&a, fw->hosts_key);
	argv_addstr(&a, "0");
	argv_addstr(&a, "-1");
	argv_addstr(&a, "WITHSCORES");
	if (send_argv(fw, REQ_HOSTS, &a) < 0)
		lose(fw, "Redis link down: the hosts could not be read");
	else
		fw->hosts_busy = true;
	argv_free(&a);
}

static void
close_cb(uv_handle_t *h)
{
	struct fleetwatch *fw = h->data;

	fw->open_handles--;
	maybe_free(fw);
}

/* --- the face ------------------------------------------------------------- */

static char *
key(const char *prefix, const char *name)
{
	struct buf b = { 0 };

	keys_name(&b, prefix, name);
	return b.p;
}

struct fleetwatch *
fleetwatch_create(uv_loop_t *loop, struct sink *sink,
    const struct fleetwatch_opts *o, struct ew_err *err)
{
	struct fleetwatch *fw;

	if (o->rules == NULL || o->prefix == NULL || o->instance == NULL ||
	    o->instance[0] == '\0') {
		ew_err_set(err, NULL, 0, 0,
		    "fleet: rules, prefix and instance are required");
		return NULL;
	}
	fw = xcalloc(1, sizeof(*fw));
	fw->loop = loop;
	fw->sink = sink;
	fw->state = FLEETWATCH_STANDBY;
	take_opts(fw, o);
	fw->prefix = xstrdup(o->prefix);
	fw->instance = xstrdup(o->instance);
	fw->lease_key = key(o->prefix, "lease:fleet");
	fw->series_key = key(o->prefix, "series:10s");
	fw->hosts_key = key(o->prefix, "hosts");
	fw->active_key = key(o->prefix, "alerts:active");
	uv_timer_init(loop, &fw->lease_timer);
	uv_timer_init(loop, &fw->poll_timer);
	fw->lease_timer.data = fw;
	fw->poll_timer.data = fw;
	fw->open_handles = 2;
	uv_timer_start(&fw->lease_timer, lease_cb, 0, fw->renew_ms);
	uv_timer_start(&fw->poll_timer, poll_cb, fw->poll_ms, fw->poll_ms);
	return fw;
}

void
fleetwatch_reload(struct fleetwatch *fw, const struct fleetwatch_opts *o)
{
	size_t i;

	if (o->rules == NULL)
		return;
	take_opts(fw, o);
	if (fw->sp != NULL) {
		spike_reload(fw->sp, &fw->rules);
		for (i = 0; i < fw->ncls; i++)	/* a new table */
			name_class(fw, i);
	}
	uv_timer_set_repeat(&fw->lease_timer, fw->renew_ms);
	uv_timer_set_repeat(&fw->poll_timer, fw->poll_ms);
}

enum fleetwatch_state
fleetwatch_state(const struct fleetwatch *fw)
{
	return fw->state;
}

uint64_t
fleetwatch_claims(const struct fleetwatch *fw)
{
	return fw->claims;
}

void
fleetwatch_close(struct fleetwatch *fw)
{
	if (fw == NULL || fw->closing)
		return;
	set_state(fw, FLEETWATCH_CLOSED, "closing");
	fw->closing = true;
	uv_timer_stop(&fw->lease_timer);
	uv_timer_stop(&fw->poll_timer);
	uv_close((uv_handle_t *)&fw->lease_timer, close_cb);
	uv_close((uv_handle_t *)&fw->poll_timer, close_cb);
}
