/*
 * alertd: errwatch-alerts' wiring (SPEC §13) on one uv loop. Two Redis
 * links through the sink: the reader, which only ever waits in
 * XREADGROUP ... BLOCK (a blocked link holds every command queued behind
 * it), and the writer, for XACK, XAUTOCLAIM and the HGETALL of
 * P alerts:active. The consumer is one enum: the group is created (from
 * the stream's start, MKSTREAM), this consumer's own pending entries are
 * read back (a restart under the same name), then new entries are read
 * as they come. deliver decides what each target gets; httpc sends it;
 * an entry is acknowledged once deliver says every target is done with
 * it. Signals stop (bounded by STOP_MS) and reload (a bad new config is
 * logged and the old one kept). It never writes an event itself.
 */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "alertd.h"
#include "amapi.h"
#include "base.h"
#include "config.h"
#include "deliver.h"
#include "fleetwatch.h"
#include "httpc.h"
#include "keys.h"
#include "log.h"
#include "notify.h"
#include "setup.h"
#include "sink.h"

#define READ_COUNT	"100"	/* entries per XREADGROUP */
#define READ_BLOCK_MS	"1000"	/* how long one XREADGROUP waits */
#define HELD_MAX	1000	/* entries held before reading pauses */
#define CLAIM_IDLE_MS	"60000"	/* SPEC §13: a dead instance's entries */
#define CLAIM_EVERY_MS	15000
#define PAUSE_MS	200	/* a full table or a refused read, retried */
#define STOP_MS		5000	/* SPEC §10: bounded stop */
#define CONNECT_MS	2000	/* SPEC §13: HTTP time-outs */
#define REQUEST_MS	10000

enum cons_state {
	CONS_WAIT,		/* the reader is not READY */
	CONS_GROUP,		/* XGROUP CREATE in flight */
	CONS_BACKLOG,		/* reading our own pending entries (id 0) */
	CONS_READ,		/* XREADGROUP > in flight */
	CONS_PAUSE,		/* read_timer armed: table full or error */
	CONS_STOPPED,
};

static const char *const cons_name[] = {
	"waiting for Redis", "creating the group", "reading back pending",
	"reading", "paused", "stopped",
};

struct target {
	char		 *url;		/* what is POSTed to */
	char *const	 *headers;	/* the config's, for webhooks */
	size_t		  nheaders;
	bool		  failing;	/* logged once per change */
};

struct alertd {
	uv_loop_t	 loop;
	const char	*config_path;
	struct setup	*setup;
	struct sink	*rd, *wr;
	struct httpc	*http;
	struct deliver	*dl;
	struct fleetwatch *fleet;	/* SPEC §13: lease, fleet, silence */
	struct notify	*notify;
	struct target	*t;
	size_t		 nt;
	char		*stream;	/* P alerts */
	char		*active;	/* P alerts:active */
	char		 consumer[300];	/* host name + pid */
	enum cons_state	 cons;
	char		 backlog_from[64];
	char		 claim_from[64];
	bool		 claiming;
	bool		 resending;
	size_t		 acks;		/* XACKs in flight */
	uv_timer_t	 kick_timer, read_timer, claim_timer, resend_timer;
	uv_timer_t	 stop_timer;
	uv_signal_t	 sig_term, sig_int, sig_hup;
	bool		 stopping;
	struct buf	 body;
};

/* One HTTP request: to which target, of which generation. */
struct req {
	struct alertd	*d;
	size_t		 target;
	unsigned	 gen;
	bool		 resend;	/* the re-send: nothing waits on it */
};

static void	pump(struct alertd *d);
static void	read_more(struct alertd *d);
static void	take_over_siblings(struct alertd *d);
static void	maybe_finish(struct alertd *d);

static void
set_cons(struct alertd *d, enum cons_state to)
{
	if (d->cons != to)
		log_debug("alerts: %s -> %s", cons_name[d->cons],
		    cons_name[to]);
	d->cons = to;
}

/* --- the stream entries -------------------------------------------------- */

/* One [id, [field, value, ...]] of a reply, handed to deliver. */
static void
take_entry(struct alertd *d, const struct sink_reply *e)
{
	const char *kv[2 * AMAPI_MAX_FIELDS + 2];
	size_t lens[2 * AMAPI_MAX_FIELDS + 2], i, n;
	const struct sink_reply *f;
	struct amapi_event *ev = NULL;
	const char *why = "no fields (deleted from the stream)";
	struct buf shown = { NULL, 0, 0 };

	if (e->type != SINK_REPLY_ARRAY || e->nelem < 2 ||
	    e->elem[0].type != SINK_REPLY_STRING)
		return;
	f = &e->elem[1];
	if (f->type == SINK_REPLY_ARRAY) {
		n = EW_MIN(f->nelem, ARRAY_SIZE(kv));
		for (i = 0; i < n; i++) {
			kv[i] = f->elem[i].str != NULL ? f->elem[i].str : "";
			lens[i] = f->elem[i].str != NULL ? f->elem[i].len : 0;
		}
		if (f->nelem > ARRAY_SIZE(kv))
			why = "too many fields";
		else
			ev = amapi_event_parse(kv, lens, n, &why);
	}
	if (ev == NULL) {	/* SPEC §13: logged and acked */
		buf_json_str(&shown, e->elem[0].str, e->elem[0].len);
		log_warn("alerts: entry %s is not an alert event (%s); "
		    "acknowledging it unsent", shown.p, why);
		buf_free(&shown);
	}
	deliver_add(d->dl, e->elem[0].str, ev);
}

/* The entries of an XREADGROUP reply, [[stream, [entry, ...]]]; returns
 * how many, and the last id in last. */
static size_t
take_read(struct alertd *d, const struct sink_reply *r, char *last,
    size_t lastlen)
{
	const struct sink_reply *entries;
	size_t i;

	if (r->type != SINK_REPLY_ARRAY || r->nelem < 1 ||
	    r->elem[0].type != SINK_REPLY_ARRAY || r->elem[0].nelem < 2)
		return 0;
	entries = &r->elem[0].elem[1];
	if (entries->type != SINK_REPLY_ARRAY)
		return 0;
	for (i = 0; i < entries->nelem; i++) {
		take_entry(d, &entries->elem[i]);
		if (entries->elem[i].type == SINK_REPLY_ARRAY &&
		    entries->elem[i].nelem > 0 &&
		    entries->elem[i].elem[0].str != NULL)
			snprintf(last, lastlen, "%s",
			    entries->elem[i].elem[0].str);
	}
	return entries->nelem;
}

static bool
is_error(const struct sink_reply *r, const char *code)
{
	return r->type == SINK_REPLY_ERROR &&
	    strncmp(r->str, code, strlen(code)) == 0;
}

static void
pause_reading(struct alertd *d, const char *why)
{
	if (why != NULL)
		log_warn("alerts: reading %s: %s; again in %d ms", d->stream,
		    why, PAUSE_MS);
	set_cons(d, CONS_PAUSE);
}

static void	read_timer_cb(uv_timer_t *h);

static void
pause_for(struct alertd *d, const char *why)
{
	pause_reading(d, why);
	uv_timer_start(&d->read_timer, read_timer_cb, PAUSE_MS, 0);
}

static void
read_reply_cb(void *arg, const struct sink_reply *r)
{
	struct alertd *d = arg;
	char last[64] = "";
	size_t n;

	if (d->stopping) {
		set_cons(d, CONS_STOPPED);
		maybe_finish(d);
		return;
	}
	if (r == NULL) {	/* link lost: the READY state starts over */
		set_cons(d, CONS_WAIT);
		return;
	}
	if (is_error(r, "NOGROUP")) {	/* the stream or group was wiped */
		log_warn("alerts: group %s on %s is gone; creating it again",
		    d->setup->cfg->delivery.group, d->stream);
		set_cons(d, CONS_WAIT);
		read_more(d);
		return;
	}
	if (r->type == SINK_REPLY_ERROR) {
		pause_for(d, r->str);
		return;
	}
	n = take_read(d, r, last, sizeof(last));
	if (n > 0)
		log_debug("alerts: read %zu entries", n);
	if (d->cons == CONS_BACKLOG) {
		if (n > 0 && last[0] != '\0')
			snprintf(d->backlog_from, sizeof(d->backlog_from),
			    "%s", last);
		else
			set_cons(d, CONS_READ);
	}
	pump(d);
	read_more(d);
}

static void
group_reply_cb(void *arg, const struct sink_reply *r)
{
	struct alertd *d = arg;

	if (d->stopping) {
		set_cons(d, CONS_STOPPED);
		maybe_finish(d);
		return;
	}
	if (r == NULL) {
		set_cons(d, CONS_WAIT);
		return;
	}
	if (r->type == SINK_REPLY_ERROR && !is_error(r, "BUSYGROUP")) {
		set_cons(d, CONS_WAIT);
		pause_for(d, r->str);
		return;
	}
	if (r->type != SINK_REPLY_ERROR)
		log_info("alerts: created group %s on %s",
		    d->setup->cfg->delivery.group, d->stream);
	snprintf(d->backlog_from, sizeof(d->backlog_from), "0");
	set_cons(d, CONS_BACKLOG);
	read_more(d);
	take_over_siblings(d);
}

/* The next read, as the consumer's state says. */
static void
read_more(struct alertd *d)
{
	const char *group = d->setup->cfg->delivery.group;
	const char *argv[12];
	int r;

	if (d->stopping || sink_state(d->rd) != SINK_READY)
		return;
	switch (d->cons) {
	case CONS_WAIT:
		argv[0] = "XGROUP";
		argv[1] = "CREATE";
		argv[2] = d->stream;
		argv[3] = group;
		argv[4] = "0";		/* SPEC §13: from the start */
		argv[5] = "MKSTREAM";
		if (sink_command(d->rd, 6, argv, NULL, group_reply_cb, d) == 0)
			set_cons(d, CONS_GROUP);
		return;
	case CONS_BACKLOG:
	case CONS_READ:
	case CONS_PAUSE:
		break;
	default:
		return;
	}
	if (deliver_held(d->dl) >= HELD_MAX) {
		pause_for(d, NULL);
		return;
	}
	if (d->cons == CONS_PAUSE)
		set_cons(d, d->backlog_from[0] != '\0' ? CONS_BACKLOG :
		    CONS_READ);
	argv[0] = "XREADGROUP";
	argv[1] = "GROUP";
	argv[2] = group;
	argv[3] = d->consumer;
	argv[4] = "COUNT";
	argv[5] = READ_COUNT;
	if (d->cons == CONS_BACKLOG) {
		argv[6] = "STREAMS";
		argv[7] = d->stream;
		argv[8] = d->backlog_from;
		r = sink_command(d->rd, 9, argv, NULL, read_reply_cb, d);
	} else {
		argv[6] = "BLOCK";
		argv[7] = READ_BLOCK_MS;
		argv[8] = "STREAMS";
		argv[9] = d->stream;
		argv[10] = ">";
		r = sink_command(d->rd, 11, argv, NULL, read_reply_cb, d);
	}
	if (r < 0)
		set_cons(d, CONS_WAIT);
}

static void
read_timer_cb(uv_timer_t *h)
{
	struct alertd *d = container_of(h, struct alertd, read_timer);

	if (d->cons == CONS_PAUSE && d->backlog_from[0] == '\0')
		set_cons(d, CONS_READ);
	read_more(d);
}

static void
reader_state_cb(void *arg, enum sink_state st, const char *why)
{
	struct alertd *d = arg;

	(void)why;
	if (st != SINK_READY) {
		if (d->cons != CONS_STOPPED)
			set_cons(d, CONS_WAIT);
		return;
	}
	d->backlog_from[0] = '\0';
	set_cons(d, CONS_WAIT);
	read_more(d);
}

/* --- acknowledgements, take-over, re-send (the writer) ----------------- */

struct ack {
	struct alertd	*d;
	char		*id;
};

static void
ack_reply_cb(void *arg, const struct sink_reply *r)
{
	struct ack *a = arg;
	struct alertd *d = a->d;

	d->acks--;
	deliver_acked(d->dl, a->id, r != NULL &&
	    r->type == SINK_REPLY_INTEGER);
	free(a->id);
	free(a);
	if (r != NULL && r->type == SINK_REPLY_INTEGER) {
		read_more(d);	/* room again, maybe */
		maybe_finish(d);
	}
}

static void
send_acks(struct alertd *d)
{
	const char *argv[4], *id;
	struct ack *a;

	while (sink_state(d->wr) == SINK_READY &&
	    (id = deliver_next_ack(d->dl)) != NULL) {
		a = xcalloc(1, sizeof(*a));
		a->d = d;
		a->id = xstrdup(id);
		argv[0] = "XACK";
		argv[1] = d->stream;
		argv[2] = d->setup->cfg->delivery.group;
		argv[3] = a->id;
		if (sink_command(d->wr, 4, argv, NULL, ack_reply_cb, a) < 0) {
			deliver_acked(d->dl, a->id, false);
			free(a->id);
			free(a);
			return;
		}
		d->acks++;
	}
}

static void	claim(struct alertd *d);

static void
claim_reply_cb(void *arg, const struct sink_reply *r)
{
	struct alertd *d = arg;
	const struct sink_reply *entries;
	size_t i, n = 0;

	d->claiming = false;
	if (r == NULL || d->stopping)
		return;
	if (r->type != SINK_REPLY_ARRAY || r->nelem < 2 ||
	    r->elem[0].type != SINK_REPLY_STRING) {
		if (r->type == SINK_REPLY_ERROR && !is_error(r, "NOGROUP"))
			log_warn("alerts: XAUTOCLAIM: %s", r->str);
		snprintf(d->claim_from, sizeof(d->claim_from), "0-0");
		return;
	}
	entries = &r->elem[1];
	for (i = 0; entries->type == SINK_REPLY_ARRAY &&
	    i < entries->nelem; i++) {
		if (entries->elem[i].type != SINK_REPLY_ARRAY)
			continue;
		take_entry(d, &entries->elem[i]);
		n++;
	}
	if (n > 0)
		log_info("alerts: took over %zu entries idle for %s ms", n,
		    CLAIM_IDLE_MS);
	snprintf(d->claim_from, sizeof(d->claim_from), "%s", r->elem[0].str);
	pump(d);
	if (strcmp(d->claim_from, "0-0") != 0 &&
	    deliver_held(d->dl) < HELD_MAX)
		claim(d);	/* more to look at */
}

/* SPEC §13: entries left pending by a dead instance, after 60 s. */
static void
claim(struct alertd *d)
{
	const char *argv[9];

	if (d->claiming || d->stopping || sink_state(d->wr) != SINK_READY)
		return;
	argv[0] = "XAUTOCLAIM";
	argv[1] = d->stream;
	argv[2] = d->setup->cfg->delivery.group;
	argv[3] = d->consumer;
	argv[4] = CLAIM_IDLE_MS;
	argv[5] = d->claim_from;
	argv[6] = "COUNT";
	argv[7] = READ_COUNT;
	if (sink_command(d->wr, 8, argv, NULL, claim_reply_cb, d) == 0)
		d->claiming = true;
}

/*
 * A predecessor on this host (same host name, another pid that no longer
 * runs: a crash or SIGKILL, then a restart) left entries pending: they
 * are taken over at once rather than after CLAIM_IDLE_MS, and the dead
 * consumer is deleted from the group. A live pid, or one of another user
 * (EPERM), is left alone.
 */
static bool
is_dead_sibling(const struct alertd *d, const char *name)
{
	const char *dash = strrchr(name, '-');
	uint64_t pid;

	if (dash == NULL || strcmp(name, d->consumer) == 0 ||
	    strncmp(name, d->consumer, (size_t)(dash - name)) != 0 ||
	    d->consumer[dash - name] != '-' ||
	    ew_parse_dec(dash + 1, SIZE_MAX, INT32_MAX, &pid) !=
	    strlen(dash + 1) || pid == 0)
		return false;
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

struct sibling {
	struct alertd	*d;
	char		*name;
};

static void	sibling_pending(struct sibling *sb);

static void
ignore_reply_cb(void *arg, const struct sink_reply *r)
{
	(void)arg;
	(void)r;
}

/* The dead consumer is gone from the group; sb is freed. */
static void
sibling_delete(struct sibling *sb)
{
	struct alertd *d = sb->d;
	const char *argv[5] = { "XGROUP", "DELCONSUMER", d->stream,
	    d->setup->cfg->delivery.group, sb->name };

	sink_command(d->wr, 5, argv, NULL, ignore_reply_cb, NULL);
	free(sb->name);
	free(sb);
}

static void
sibling_free(struct sibling *sb)
{
	free(sb->name);
	free(sb);
}

static void
sibling_claim_cb(void *arg, const struct sink_reply *r)
{
	struct sibling *sb = arg;
	struct alertd *d = sb->d;
	size_t i, n = 0;

	if (r == NULL || d->stopping || r->type != SINK_REPLY_ARRAY) {
		sibling_free(sb);
		return;
	}
	for (i = 0; i < r->nelem; i++) {
		if (r->elem[i].type != SINK_REPLY_ARRAY)
			continue;
		take_entry(d, &r->elem[i]);
		n++;
	}
	if (n > 0)
		log_info("alerts: took over %zu pending entries of %s, which "
		    "no longer runs", n, sb->name);
	pump(d);
	sibling_pending(sb);	/* maybe more: look again */
}

static void
sibling_ids_cb(void *arg, const struct sink_reply *r)
{
	struct sibling *sb = arg;
	struct alertd *d = sb->d;
	const char **argv;
	size_t i, n = 0;

	if (r == NULL || d->stopping || r->type != SINK_REPLY_ARRAY) {
		sibling_free(sb);
		return;
	}
	if (r->nelem == 0) {	/* nothing (left) to take */
		sibling_delete(sb);
		return;
	}
	argv = xcalloc(r->nelem + 6, sizeof(*argv));
	argv[n++] = "XCLAIM";
	argv[n++] = d->stream;
	argv[n++] = d->setup->cfg->delivery.group;
	argv[n++] = d->consumer;
	argv[n++] = "0";
	for (i = 0; i < r->nelem; i++)
		if (r->elem[i].type == SINK_REPLY_ARRAY &&
		    r->elem[i].nelem > 0 && r->elem[i].elem[0].str != NULL)
			argv[n++] = r->elem[i].elem[0].str;
	if (sink_command(d->wr, (int)n, argv, NULL, sibling_claim_cb,
	    sb) < 0)
		sibling_free(sb);
	free(argv);
}

static void
sibling_pending(struct sibling *sb)
{
	struct alertd *d = sb->d;
	const char *argv[7] = { "XPENDING", d->stream,
	    d->setup->cfg->delivery.group, "-", "+", READ_COUNT, sb->name };

	if (sink_command(d->wr, 7, argv, NULL, sibling_ids_cb, sb) < 0)
		sibling_free(sb);
}

static void
consumers_cb(void *arg, const struct sink_reply *r)
{
	struct alertd *d = arg;
	const struct sink_reply *c;
	const char *name;
	long long pending;
	struct sibling *sb;
	size_t i, j;

	if (r == NULL || d->stopping || r->type != SINK_REPLY_ARRAY)
		return;
	for (i = 0; i < r->nelem; i++) {
		c = &r->elem[i];
		name = NULL;
		pending = 0;
		for (j = 0; c->type == SINK_REPLY_ARRAY && j + 1 < c->nelem;
		    j += 2) {
			if (c->elem[j].str == NULL)
				continue;
			if (strcmp(c->elem[j].str, "name") == 0)
				name = c->elem[j + 1].str;
			else if (strcmp(c->elem[j].str, "pending") == 0)
				pending = c->elem[j + 1].integer;
		}
		if (name == NULL || !is_dead_sibling(d, name))
			continue;
		sb = xcalloc(1, sizeof(*sb));
		sb->d = d;
		sb->name = xstrdup(name);
		if (pending == 0)	/* nothing to take: just tidy up */
			sibling_delete(sb);
		else
			sibling_pending(sb);
	}
}

static void
take_over_siblings(struct alertd *d)
{
	const char *argv[4] = { "XINFO", "CONSUMERS", d->stream,
	    d->setup->cfg->delivery.group };

	if (sink_state(d->wr) == SINK_READY)
		sink_command(d->wr, 4, argv, NULL, consumers_cb, d);
}

static void
claim_timer_cb(uv_timer_t *h)
{
	claim(container_of(h, struct alertd, claim_timer));
}

static void	http_done_cb(void *arg, const struct httpc_result *r);

static void
resend_reply_cb(void *arg, const struct sink_reply *r)
{
	struct alertd *d = arg;
	struct amapi_event **ev = NULL;
	struct req *q;
	const char *why;
	size_t i, n = 0, count;

	d->resending = false;
	if (r == NULL || d->stopping || r->type != SINK_REPLY_ARRAY)
		return;
	ev = xcalloc(r->nelem / 2 + 1, sizeof(*ev));
	for (i = 0; i + 1 < r->nelem; i += 2) {
		if (r->elem[i + 1].str == NULL)
			continue;
		ev[n] = amapi_event_from_json(r->elem[i + 1].str,
		    r->elem[i + 1].len, &why);
		if (ev[n] != NULL)
			n++;
	}
	count = deliver_resend(d->dl, ev, n, ew_wall_ms(), &d->body);
	for (i = 0; i < n; i++)
		amapi_event_destroy(ev[i]);
	free(ev);
	if (count == 0)
		return;
	log_debug("alerts: re-sending %zu alerts to each Alertmanager",
	    count);
	for (i = 0; i < d->nt; i++) {
		if (deliver_kind(d->dl, i) != DELIVER_ALERTMANAGER)
			continue;
		q = xcalloc(1, sizeof(*q));
		q->d = d;
		q->target = i;
		q->gen = deliver_generation(d->dl);
		q->resend = true;
		if (httpc_post(d->http, d->t[i].url, NULL, 0, d->body.p,
		    d->body.len, http_done_cb, q) < 0)
			free(q);
	}
}

/* SPEC §13: every firing alert of P alerts:active, every resend. */
static void
resend_timer_cb(uv_timer_t *h)
{
	struct alertd *d = container_of(h, struct alertd, resend_timer);
	const char *argv[2];

	if (d->resending || d->stopping || sink_state(d->wr) != SINK_READY)
		return;
	argv[0] = "HGETALL";
	argv[1] = d->active;
	if (sink_command(d->wr, 2, argv, NULL, resend_reply_cb, d) == 0)
		d->resending = true;
}

static void
writer_state_cb(void *arg, enum sink_state st, const char *why)
{
	struct alertd *d = arg;

	(void)why;
	if (st != SINK_READY)
		return;
	send_acks(d);
	claim(d);
	resend_timer_cb(&d->resend_timer);
}

/* --- delivery ----------------------------------------------------------- */

static void
http_done_cb(void *arg, const struct httpc_result *r)
{
	struct req *q = arg;
	struct alertd *d = q->d;
	struct target *t;
	enum deliver_outcome oc;
	struct buf shown = { NULL, 0, 0 };

	if (q->gen != deliver_generation(d->dl) || q->target >= d->nt) {
		free(q);
		maybe_finish(d);
		return;
	}
	t = &d->t[q->target];
	log_debug("alerts: %s: HTTP %ld%s%s", t->url, r->status,
	    r->status == 0 ? " " : "", r->error);
	if (r->status >= 200 && r->status < 300)
		oc = DELIVER_OK;
	else if (r->status >= 400 && r->status < 500)
		oc = DELIVER_REJECTED;
	else
		oc = DELIVER_RETRY;
	if (oc == DELIVER_REJECTED) {	/* SPEC §13: logged, acked */
		buf_json_str(&shown, r->body, r->len);
		log_err("alerts: %s rejected %s with %ld: %s%s", t->url,
		    q->resend ? "the re-send" : "an alert", r->status,
		    shown.p, q->resend ? "" : "; acknowledging it");
		buf_free(&shown);
	}
	if (oc == DELIVER_RETRY && !t->failing) {
		t->failing = true;
		if (r->status != 0)
			log_warn("alerts: %s: HTTP %ld; retrying with backoff",
			    t->url, r->status);
		else
			log_warn("alerts: %s: %s; retrying with backoff",
			    t->url, r->error);
	} else if (oc != DELIVER_RETRY && t->failing && !q->resend) {
		t->failing = false;
		log_info("alerts: %s: delivering again", t->url);
	}
	if (!q->resend)
		deliver_done(d->dl, q->target, q->gen, oc, uv_now(&d->loop));
	free(q);
	pump(d);
	maybe_finish(d);
}

static void
kick_timer_cb(uv_timer_t *h)
{
	pump(container_of(h, struct alertd, kick_timer));
}

/* Everything that may go now: each target's next request, the acks, and
 * the timer for the earliest backoff that ends. */
static void
pump(struct alertd *d)
{
	uint64_t now = uv_now(&d->loop), wake = 0, at;
	size_t i, failing = 0;
	struct req *q;

	for (i = 0; i < d->nt && !d->stopping; i++) {
		if (deliver_next(d->dl, i, now, ew_wall_ms(), &d->body)) {
			log_debug("alerts: POST %s (%zu bytes)", d->t[i].url,
			    d->body.len);
			q = xcalloc(1, sizeof(*q));
			q->d = d;
			q->target = i;
			q->gen = deliver_generation(d->dl);
			if (httpc_post(d->http, d->t[i].url, d->t[i].headers,
			    d->t[i].nheaders, d->body.p, d->body.len,
			    http_done_cb, q) < 0) {
				free(q);	/* never: the URL was checked */
				deliver_done(d->dl, i,
				    deliver_generation(d->dl),
				    DELIVER_REJECTED, now);
			}
		}
		/* a backoff that ends later; one that ended has been tried
		 * above (re-arming a timer at 0 from its own callback would
		 * spin in libuv's timer loop) */
		at = deliver_retry_at(d->dl, i);
		if (at > now && (wake == 0 || at < wake))
			wake = at;
		failing += d->t[i].failing;
	}
	send_acks(d);
	if (wake != 0 && !d->stopping)
		uv_timer_start(&d->kick_timer, kick_timer_cb, wake - now, 0);
	notify_status(d->notify, "%zu events held, %zu of %zu targets "
	    "failing, redis %s", deliver_held(d->dl), failing, d->nt,
	    sink_state_name(sink_state(d->wr)));
}

/* --- configuration ------------------------------------------------------- */

static void
free_targets(struct alertd *d)
{
	size_t i;

	for (i = 0; i < d->nt; i++)
		free(d->t[i].url);
	free(d->t);
	d->t = NULL;
	d->nt = 0;
}

/* The targets of cfg, in deliver's order: Alertmanagers, then webhooks. */
static void
make_targets(struct alertd *d, const struct config_delivery *c,
    struct deliver_opts *o)
{
	const char *u;
	size_t i, n;

	free_targets(d);
	d->nt = c->nalertmanager + c->nwebhooks;
	d->t = xcalloc(d->nt + 1, sizeof(*d->t));
	for (i = 0; i < c->nalertmanager; i++) {
		u = c->alertmanager[i];
		n = strlen(u);
		while (n > 0 && u[n - 1] == '/')
			n--;
		d->t[i].url = xasprintf("%.*s/api/v2/alerts", (int)n, u);
	}
	for (i = 0; i < c->nwebhooks; i++) {
		d->t[c->nalertmanager + i].url = xstrdup(c->webhooks[i].url);
		d->t[c->nalertmanager + i].headers = c->webhooks[i].headers;
		d->t[c->nalertmanager + i].nheaders = c->webhooks[i].nheaders;
	}
	memset(o, 0, sizeof(*o));
	o->nalertmanager = c->nalertmanager;
	o->nwebhooks = c->nwebhooks;
	o->resend_ms = c->resend_ms;
	o->resolved_retention_ms = c->resolved_retention_ms;
	o->links.runbook_url = c->runbook_url;
	o->links.dashboard_url = c->dashboard_url;
}

/* The link cfg asks for, the reader's or the writer's (borrowed from
 * cfg). */
static void
link_opts(struct alertd *d, const struct config *cfg, bool reader,
    struct sink_opts *so)
{
	memset(so, 0, sizeof(*so));
	so->target = &cfg->redis.target;
	so->sentinel = &cfg->redis.sentinel;
	so->connect_timeout_ms = cfg->redis.connect_timeout_ms;
	/* the reader's replies wait up to READ_BLOCK_MS on purpose */
	so->reply_timeout_ms = reader ? 6000 : 5000;
	so->on_state = reader ? reader_state_cb : writer_state_cb;
	so->arg = d;
}

static struct sink *
make_sink(struct alertd *d, const struct config *cfg, bool reader,
    struct ew_err *err)
{
	struct sink_opts so;

	link_opts(d, cfg, reader, &so);
	return sink_create(&d->loop, &so, err);
}

static void
set_names(struct alertd *d, const struct config *cfg)
{
	struct buf b = { NULL, 0, 0 };

	free(d->stream);
	free(d->active);
	keys_name(&b, cfg->redis.prefix, "alerts");
	d->stream = xstrdup(b.p);
	buf_reset(&b);
	keys_name(&b, cfg->redis.prefix, "alerts:active");
	d->active = xstrdup(b.p);
	buf_free(&b);
}

/* The links stay when the sink says cfg makes the same link (where,
 * who, the password read now, sentinels, time-outs) and the keys and the
 * consumer group are the same. */
static bool
same_redis(struct alertd *d, const struct config *cfg)
{
	struct sink_opts so;

	link_opts(d, cfg, true, &so);
	return sink_same_link(d->rd, &so) &&
	    strcmp(d->setup->cfg->redis.prefix, cfg->redis.prefix) == 0 &&
	    strcmp(d->setup->cfg->delivery.group, cfg->delivery.group) == 0;
}

/* The fleet duties' options from cfg (SPEC §13): alerts.fleet over
 * P series:10s, and silent hosts from delivery. */
static void
fleet_opts(struct alertd *d, const struct setup *s,
    struct fleetwatch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rules = &s->cfg->fleet;
	o->table = s->table;
	o->silent_after_ms = s->cfg->delivery.silent_after_ms;
	o->silent_severity = s->cfg->delivery.silent_severity;
	o->prefix = s->cfg->redis.prefix;
	o->instance = d->consumer;	/* host name + pid: the lease's value */
}

/* Runs the fleet duties on the writer link (never the reader, which
 * waits in XREADGROUP). */
static int
start_fleet(struct alertd *d, const struct setup *s, struct ew_err *err)
{
	struct fleetwatch_opts o;

	fleet_opts(d, s, &o);
	d->fleet = fleetwatch_create(&d->loop, d->wr, &o, err);
	return d->fleet == NULL ? -1 : 0;
}

/* SPEC §10: all or nothing; a bad new config leaves the old running. */
static int
reload_fn(void *arg, char *msg, size_t msglen)
{
	struct alertd *d = arg;
	struct ew_err err = { 0 };
	struct deliver_opts o;
	struct sink *rd = NULL, *wr = NULL;
	struct setup *s;

	log_info("reload: loading %s", d->config_path);
	if ((s = setup_load(d->config_path, 0, &err)) == NULL)
		goto fail;
	if (!same_redis(d, s->cfg)) {
		if ((rd = make_sink(d, s->cfg, true, &err)) == NULL ||
		    (wr = make_sink(d, s->cfg, false, &err)) == NULL) {
			sink_close(rd);
			setup_destroy(s);
			goto fail;
		}
		log_info("reload: new Redis settings, reconnecting");
		fleetwatch_close(d->fleet);	/* it borrows d->wr */
		d->fleet = NULL;
		sink_close(d->rd);
		sink_close(d->wr);
		d->rd = rd;
		d->wr = wr;
		d->cons = CONS_WAIT;
		d->claiming = d->resending = false;
		snprintf(d->claim_from, sizeof(d->claim_from), "0-0");
		set_names(d, s->cfg);
	}
	make_targets(d, &s->cfg->delivery, &o);
	deliver_reload(d->dl, &o);
	if (d->fleet != NULL) {
		struct fleetwatch_opts fo;

		fleet_opts(d, s, &fo);
		fleetwatch_reload(d->fleet, &fo);
	} else if (start_fleet(d, s, &err) < 0) {
		/* the same instance name: it takes the lease back at once */
		log_err("reload: fleet duties: %s", err.msg);
	}
	if (d->setup->cfg->delivery.resend_ms != s->cfg->delivery.resend_ms)
		uv_timer_start(&d->resend_timer, resend_timer_cb,
		    s->cfg->delivery.resend_ms, s->cfg->delivery.resend_ms);
	setup_destroy(d->setup);
	d->setup = s;
	log_info("reload: %s in force, %zu targets", d->config_path, d->nt);
	pump(d);
	return 0;
fail:
	ew_err_format(&err, msg, msglen);
	log_err("reload: %s; keeping the running config", msg);
	return -1;
}

/* --- signals and the end ------------------------------------------------ */

static void
hup_cb(uv_signal_t *h, int signum)
{
	struct alertd *d = h->data;

	(void)signum;
	notify_reload(d->notify, d->config_path, reload_fn, d);
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
finish(struct alertd *d)
{
	uv_timer_stop(&d->stop_timer);
	fleetwatch_close(d->fleet);	/* before the link it borrows */
	d->fleet = NULL;
	sink_close(d->rd);
	sink_close(d->wr);
	d->rd = d->wr = NULL;
	httpc_close(d->http);
	d->http = NULL;
	notify_close(d->notify);
	d->notify = NULL;
	uv_stop(&d->loop);
}

/* Stopping: done once no request and no XACK is in flight. */
static void
maybe_finish(struct alertd *d)
{
	if (!d->stopping || d->http == NULL)
		return;
	if (httpc_inflight(d->http) == 0 && d->acks == 0)
		finish(d);
}

static void
stop_timer_cb(uv_timer_t *h)
{
	struct alertd *d = container_of(h, struct alertd, stop_timer);

	log_warn("stop: requests still in flight after %d ms; their events "
	    "stay pending and go again at the next start", STOP_MS);
	finish(d);
}

static void
stop_cb(uv_signal_t *h, int signum)
{
	struct alertd *d = h->data;

	if (d->stopping)
		return;
	log_info("signal %d: finishing the requests in flight and stopping",
	    signum);
	d->stopping = true;
	notify_stopping(d->notify);
	uv_timer_stop(&d->kick_timer);
	uv_timer_stop(&d->read_timer);
	uv_timer_stop(&d->claim_timer);
	uv_timer_stop(&d->resend_timer);
	uv_timer_start(&d->stop_timer, stop_timer_cb, STOP_MS, 0);
	send_acks(d);
	maybe_finish(d);
}

enum alertd_result
alertd_run(const char *config_path, struct ew_err *err)
{
	struct alertd *d = xcalloc(1, sizeof(*d));
	struct httpc_opts ho = { CONNECT_MS, REQUEST_MS };
	struct deliver_opts o;
	enum alertd_result res = ALERTD_OK;
	char host[256] = "";
	uint64_t resend;

	uv_loop_init(&d->loop);
	d->config_path = config_path;
	if ((d->setup = setup_load(config_path, 0, err)) == NULL) {
		res = ALERTD_CONFIG;
		goto out;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(d->consumer, sizeof(d->consumer), "%s-%ld", host,
	    (long)getpid());
	snprintf(d->claim_from, sizeof(d->claim_from), "0-0");
	set_names(d, d->setup->cfg);
	make_targets(d, &d->setup->cfg->delivery, &o);
	d->dl = deliver_create(&o);
	uv_timer_init(&d->loop, &d->kick_timer);
	uv_timer_init(&d->loop, &d->read_timer);
	uv_timer_init(&d->loop, &d->claim_timer);
	uv_timer_init(&d->loop, &d->resend_timer);
	uv_timer_init(&d->loop, &d->stop_timer);
	if ((d->http = httpc_create(&d->loop, &ho, err)) == NULL ||
	    (d->rd = make_sink(d, d->setup->cfg, true, err)) == NULL ||
	    (d->wr = make_sink(d, d->setup->cfg, false, err)) == NULL ||
	    start_fleet(d, d->setup, err) < 0) {
		res = ALERTD_FAIL;
		goto out;
	}
	d->notify = notify_create(&d->loop);
	uv_signal_init(&d->loop, &d->sig_term);
	uv_signal_init(&d->loop, &d->sig_int);
	uv_signal_init(&d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	uv_signal_start(&d->sig_term, stop_cb, SIGTERM);
	uv_signal_start(&d->sig_int, stop_cb, SIGINT);
	uv_signal_start(&d->sig_hup, hup_cb, SIGHUP);
	resend = d->setup->cfg->delivery.resend_ms;
	uv_timer_start(&d->resend_timer, resend_timer_cb, resend, resend);
	uv_timer_start(&d->claim_timer, claim_timer_cb, CLAIM_EVERY_MS,
	    CLAIM_EVERY_MS);
	log_info("errwatch-alerts %s: consumer %s of group %s on %s, %zu "
	    "targets", EW_VERSION, d->consumer,
	    d->setup->cfg->delivery.group, d->stream, d->nt);
	notify_ready(d->notify);
	uv_run(&d->loop, UV_RUN_DEFAULT);
out:
	fleetwatch_close(d->fleet);
	sink_close(d->rd);
	sink_close(d->wr);
	httpc_close(d->http);
	notify_close(d->notify);
	uv_walk(&d->loop, close_walk_cb, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d->loop) != 0)
		log_warn("stop: the loop still had handles");
	deliver_destroy(d->dl);
	free_targets(d);
	free(d->stream);
	free(d->active);
	buf_free(&d->body);
	setup_destroy(d->setup);
	free(d);
	return res;
}
