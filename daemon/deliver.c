/*
 * deliver: the bookkeeping of SPEC §13's delivery, as a table of entries
 * (stream order) by targets. An entry's state per target is TODO, FLIGHT
 * or DONE; an entry every target is DONE with is handed out once for
 * XACK and dropped when the XACK went through. A target has at most one
 * request in flight, which carries its oldest owed events: so the events
 * of one alert reach it in stream order, and an Alertmanager batch never
 * holds two events of one alert. A failed request puts its events back
 * to TODO and the target into backoff; a 4xx is final. Per alert
 * (class@host) it remembers the last firing time delivered and the last
 * resolve delivered: a firing event older than a delivered resolve (one
 * claimed late from a dead instance) is never sent, and a resolved alert
 * is re-sent until resolved_retention has passed. No I/O, no clock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "amapi.h"
#include "base.h"
#include "deliver.h"
#include "hmap.h"

enum { ST_TODO, ST_FLIGHT, ST_DONE };

struct entry {
	char		*id;
	uint64_t	 ms, seq;	/* the id, parsed: stream order */
	struct amapi_event *ev;	/* NULL: invalid, or given to its mem */
	char		*key;		/* class@host; NULL when invalid */
	bool		 firing;
	uint64_t	 ts;
	unsigned char	*st;		/* per target */
	bool		 acking;	/* handed out for XACK */
};

/* What was delivered of one alert. */
struct mem {
	struct hnode	 node;
	char		*key;
	uint64_t	 firing_ts;	/* last firing delivered; 0: none */
	uint64_t	 resolved_ts;	/* last resolve delivered; 0: none */
	struct amapi_event *resolved;	/* its event, for the re-send */
};

struct target {
	enum deliver_kind kind;
	struct entry	**batch;	/* in flight */
	size_t		  nbatch;
	bool		  busy;
	uint64_t	  backoff_ms;	/* 0: not failing */
	uint64_t	  retry_at;	/* mono ms */
};

struct deliver {
	struct deliver_opts o;
	char		*runbook, *dashboard;
	struct target	*t;
	size_t		 nt;
	unsigned	 gen;
	struct entry	**e;		/* sorted by (ms, seq) */
	size_t		 ne, cap;
	struct hmap	 mems;
};

static void
set_opts(struct deliver *d, const struct deliver_opts *o)
{
	size_t i;

	free(d->runbook);
	free(d->dashboard);
	d->o = *o;
	d->runbook = xstrdup(o->links.runbook_url != NULL ?
	    o->links.runbook_url : "");
	d->dashboard = xstrdup(o->links.dashboard_url != NULL ?
	    o->links.dashboard_url : "");
	d->o.links.runbook_url = d->runbook;
	d->o.links.dashboard_url = d->dashboard;
	for (i = 0; i < d->nt; i++)
		free(d->t[i].batch);
	free(d->t);
	d->nt = o->nalertmanager + o->nwebhooks;
	d->t = xcalloc(d->nt + 1, sizeof(*d->t));
	for (i = 0; i < d->nt; i++) {
		d->t[i].kind = i < o->nalertmanager ? DELIVER_ALERTMANAGER :
		    DELIVER_WEBHOOK;
		d->t[i].batch = xcalloc(DELIVER_BATCH_MAX,
		    sizeof(*d->t[i].batch));
	}
}

struct deliver *
deliver_create(const struct deliver_opts *o)
{
	struct deliver *d = xcalloc(1, sizeof(*d));

	set_opts(d, o);
	return d;
}

static void
free_entry(struct entry *e)
{
	free(e->id);
	amapi_event_destroy(e->ev);
	free(e->key);
	free(e->st);
	free(e);
}

static uint64_t
key_hash(const char *key)
{
	return ew_hash(key, strlen(key));
}

static struct mem *
find_mem(const struct deliver *d, const char *key)
{
	struct hnode *n;
	struct mem *m;

	for (n = hmap_first(&d->mems, key_hash(key)); n != NULL;
	    n = hmap_next_same(n)) {
		m = container_of(n, struct mem, node);
		if (strcmp(m->key, key) == 0)
			return m;
	}
	return NULL;
}

static struct mem *
get_mem(struct deliver *d, const char *key)
{
	struct mem *m = find_mem(d, key);

	if (m == NULL) {
		m = xcalloc(1, sizeof(*m));
		m->key = xstrdup(key);
		hmap_insert(&d->mems, &m->node, key_hash(key));
	}
	return m;
}

static void
free_mem(struct deliver *d, struct mem *m)
{
	hmap_remove(&d->mems, &m->node);
	amapi_event_destroy(m->resolved);
	free(m->key);
	free(m);
}

void
deliver_destroy(struct deliver *d)
{
	struct hnode *n;
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->ne; i++)
		free_entry(d->e[i]);
	free(d->e);
	for (i = 0; i <= d->mems.mask && d->mems.buckets != NULL; i++)
		while ((n = d->mems.buckets[i]) != NULL)
			free_mem(d, container_of(n, struct mem, node));
	hmap_free(&d->mems);
	for (i = 0; i < d->nt; i++)
		free(d->t[i].batch);
	free(d->t);
	free(d->runbook);
	free(d->dashboard);
	free(d);
}

static bool
is_complete(const struct deliver *d, const struct entry *e)
{
	size_t i;

	for (i = 0; i < d->nt; i++)
		if (e->st[i] != ST_DONE)
			return false;
	return true;
}

void
deliver_reload(struct deliver *d, const struct deliver_opts *o)
{
	struct entry *e;
	size_t i;
	bool done;

	d->gen++;
	for (i = 0; i < d->ne; i++) {
		e = d->e[i];
		done = is_complete(d, e);
		free(e->st);
		e->st = xcalloc(o->nalertmanager + o->nwebhooks + 1, 1);
		memset(e->st, e->key == NULL || done ? ST_DONE : ST_TODO,
		    o->nalertmanager + o->nwebhooks);
	}
	set_opts(d, o);
}

enum deliver_kind
deliver_kind(const struct deliver *d, size_t target)
{
	return d->t[target].kind;
}

size_t
deliver_ntargets(const struct deliver *d)
{
	return d->nt;
}

unsigned
deliver_generation(const struct deliver *d)
{
	return d->gen;
}

size_t
deliver_held(const struct deliver *d)
{
	return d->ne;
}

/* "<ms>-<seq>", both decimal. */
static int
parse_id(const char *id, uint64_t *ms, uint64_t *seq)
{
	size_t n = ew_parse_dec(id, SIZE_MAX, UINT64_MAX, ms), m;

	if (n == 0 || id[n] != '-')
		return -EINVAL;
	m = ew_parse_dec(id + n + 1, SIZE_MAX, UINT64_MAX, seq);
	if (m == 0 || id[n + 1 + m] != '\0')
		return -EINVAL;
	return 0;
}

static bool
before(const struct entry *a, uint64_t ms, uint64_t seq)
{
	return a->ms < ms || (a->ms == ms && a->seq < seq);
}

int
deliver_add(struct deliver *d, const char *id, struct amapi_event *ev)
{
	struct entry *e;
	uint64_t ms, seq;
	size_t lo = 0, hi = d->ne, mid;

	if (parse_id(id, &ms, &seq) < 0) {
		amapi_event_destroy(ev);
		return -EINVAL;
	}
	while (lo < hi) {	/* the first entry not before id */
		mid = lo + (hi - lo) / 2;
		if (before(d->e[mid], ms, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < d->ne && d->e[lo]->ms == ms && d->e[lo]->seq == seq) {
		amapi_event_destroy(ev);
		return -EEXIST;
	}
	e = xcalloc(1, sizeof(*e));
	e->id = xstrdup(id);
	e->ms = ms;
	e->seq = seq;
	e->ev = ev;
	e->st = xcalloc(d->nt + 1, 1);
	memset(e->st, ev != NULL ? ST_TODO : ST_DONE, d->nt);
	if (ev != NULL) {
		e->key = xstrdup(amapi_event_key(ev));
		e->firing = amapi_event_is_firing(ev);
		e->ts = amapi_event_ts(ev);
	}
	if (d->ne == d->cap) {
		d->cap = d->cap != 0 ? d->cap * 2 : 64;
		d->e = xrealloc(d->e, d->cap * sizeof(*d->e));
	}
	memmove(d->e + lo + 1, d->e + lo, (d->ne - lo) * sizeof(*d->e));
	d->e[lo] = e;
	d->ne++;
	return 0;
}

/* SPEC §13: a firing event older than a resolve already delivered. */
static bool
is_stale(const struct deliver *d, const struct entry *e)
{
	const struct mem *m;

	if (!e->firing)
		return false;
	m = find_mem(d, e->key);
	return m != NULL && m->resolved_ts != 0 && m->resolved_ts >= e->ts;
}

static void
put_alert(struct deliver *d, struct buf *body, const struct entry *e,
    uint64_t wall_ms)
{
	const struct mem *m = find_mem(d, e->key);
	uint64_t starts = e->ts;

	if (!e->firing && m != NULL && m->firing_ts != 0 &&
	    m->firing_ts <= e->ts)
		starts = m->firing_ts;
	amapi_alert(body, e->ev, &d->o.links, starts, e->firing ?
	    wall_ms + 4 * d->o.resend_ms : e->ts);
}

bool
deliver_next(struct deliver *d, size_t target, uint64_t mono_ms,
    uint64_t wall_ms, struct buf *body)
{
	struct target *t = &d->t[target];
	struct entry *e;
	size_t i, j;

	if (t->busy || (t->backoff_ms != 0 && mono_ms < t->retry_at))
		return false;
	t->nbatch = 0;
	for (i = 0; i < d->ne && t->nbatch < DELIVER_BATCH_MAX; i++) {
		e = d->e[i];
		if (e->st[target] != ST_TODO)
			continue;
		if (is_stale(d, e)) {
			memset(e->st, ST_DONE, d->nt);
			continue;
		}
		for (j = 0; j < t->nbatch; j++)
			if (strcmp(t->batch[j]->key, e->key) == 0)
				break;
		if (j < t->nbatch)	/* a second event of one alert */
			break;
		t->batch[t->nbatch++] = e;
		if (t->kind == DELIVER_WEBHOOK)
			break;
	}
	if (t->nbatch == 0)
		return false;
	buf_reset(body);
	if (t->kind == DELIVER_WEBHOOK)
		amapi_webhook(body, t->batch[0]->ev);
	else {
		buf_puts(body, "[");
		for (i = 0; i < t->nbatch; i++) {
			if (i > 0)
				buf_puts(body, ",");
			put_alert(d, body, t->batch[i], wall_ms);
		}
		buf_puts(body, "]");
	}
	for (i = 0; i < t->nbatch; i++)
		t->batch[i]->st[target] = ST_FLIGHT;
	t->busy = true;
	return true;
}

/* e was taken by a target: what the re-send and the stale check learn. */
static void
remember(struct deliver *d, struct entry *e)
{
	struct mem *m = get_mem(d, e->key);

	if (e->firing) {
		if (e->ts > m->firing_ts)
			m->firing_ts = e->ts;
	} else if (e->ts >= m->resolved_ts)
		m->resolved_ts = e->ts;
}

void
deliver_done(struct deliver *d, size_t target, unsigned gen,
    enum deliver_outcome oc, uint64_t mono_ms)
{
	struct target *t;
	struct entry *e;
	struct mem *m;
	size_t i;

	if (gen != d->gen || target >= d->nt)
		return;		/* asked before a reload */
	t = &d->t[target];
	for (i = 0; i < t->nbatch; i++) {
		e = t->batch[i];
		e->st[target] = oc == DELIVER_RETRY ? ST_TODO : ST_DONE;
		if (oc == DELIVER_OK)
			remember(d, e);
		if (!is_complete(d, e) || e->firing || e->ev == NULL)
			continue;
		/* a resolve every target has: kept for the re-send */
		m = get_mem(d, e->key);
		if (e->ts >= m->resolved_ts || m->resolved == NULL) {
			amapi_event_destroy(m->resolved);
			m->resolved = e->ev;
			if (e->ts > m->resolved_ts)
				m->resolved_ts = e->ts;
			e->ev = NULL;
		}
	}
	t->nbatch = 0;
	t->busy = false;
	if (oc == DELIVER_RETRY) {
		t->backoff_ms = t->backoff_ms == 0 ? DELIVER_BACKOFF_MIN_MS :
		    EW_MIN(t->backoff_ms * 2, DELIVER_BACKOFF_MAX_MS);
		t->retry_at = mono_ms + t->backoff_ms;
	} else {
		t->backoff_ms = 0;
		t->retry_at = 0;
	}
}

uint64_t
deliver_retry_at(const struct deliver *d, size_t target)
{
	return d->t[target].backoff_ms != 0 ? d->t[target].retry_at : 0;
}

const char *
deliver_next_ack(struct deliver *d)
{
	size_t i;

	for (i = 0; i < d->ne; i++) {
		if (d->e[i]->acking || !is_complete(d, d->e[i]))
			continue;
		d->e[i]->acking = true;
		return d->e[i]->id;
	}
	return NULL;
}

void
deliver_acked(struct deliver *d, const char *id, bool ok)
{
	size_t i;

	for (i = 0; i < d->ne; i++) {
		if (strcmp(d->e[i]->id, id) != 0)
			continue;
		if (!ok) {
			d->e[i]->acking = false;
			return;
		}
		free_entry(d->e[i]);
		memmove(d->e + i, d->e + i + 1, (d->ne - i - 1) *
		    sizeof(*d->e));
		d->ne--;
		return;
	}
}

size_t
deliver_resend(struct deliver *d, struct amapi_event *const *active,
    size_t n, uint64_t wall_ms, struct buf *body)
{
	struct hnode *node, *next;
	const struct mem *m;
	struct mem *mm;
	size_t i, count = 0;
	uint64_t starts;

	buf_reset(body);
	buf_puts(body, "[");
	for (i = 0; i < n; i++) {
		if (!amapi_event_is_firing(active[i]))
			continue;
		m = find_mem(d, amapi_event_key(active[i]));
		if (m != NULL && m->resolved_ts >= amapi_event_ts(active[i]))
			continue;	/* resolved since the snapshot */
		if (count++ > 0)
			buf_puts(body, ",");
		amapi_alert(body, active[i], &d->o.links,
		    amapi_event_ts(active[i]), wall_ms + 4 * d->o.resend_ms);
	}
	for (i = 0; d->mems.buckets != NULL && i <= d->mems.mask; i++) {
		for (node = d->mems.buckets[i]; node != NULL; node = next) {
			next = node->next;
			mm = container_of(node, struct mem, node);
			if (mm->resolved == NULL)
				continue;
			if (mm->resolved_ts + d->o.resolved_retention_ms <
			    wall_ms) {	/* retention over: forget it */
				amapi_event_destroy(mm->resolved);
				mm->resolved = NULL;
				continue;
			}
			starts = mm->firing_ts != 0 &&
			    mm->firing_ts <= mm->resolved_ts ? mm->firing_ts :
			    mm->resolved_ts;
			if (count++ > 0)
				buf_puts(body, ",");
			amapi_alert(body, mm->resolved, &d->o.links, starts,
			    mm->resolved_ts);
		}
	}
	buf_puts(body, "]");
	return count;
}
