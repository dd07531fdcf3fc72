/*
 * snapshot: a snapshot of the fleet as Redis holds it, filled from replies by
 * the web shell and read by the renderers. It owns the reading of each
 * key's shape (SPEC §7): numbers through ew_parse_dec (a value that is not
 * a count reads as 0, never as an error: Redis is the source of truth and
 * the page shows what it can), the alert JSON through jansson (the one
 * place errwatch-web parses JSON), and the windows' choice of buckets. It
 * never talks to Redis and never reads a clock: now_ms comes in.
 * Invariants: every string is owned and NUL-ended; classes are unique by
 * name; every point has one count per class.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "config.h"
#include "snapshot.h"

static const uint64_t window_s[SNAPSHOT_WINDOWS] = { 600, 3600, 86400 };

struct snapshot *
snapshot_create(uint64_t now_ms, uint64_t silent_after_s)
{
	struct snapshot *f = xcalloc(1, sizeof(*f));

	f->now_ms = now_ms;
	f->silent_after_s = silent_after_s;
	f->redis_ok = true;
	return f;
}

static void
str_set(struct snapshot_str *s, const char *p, size_t len)
{
	free(s->p);
	s->p = xstrndup(p != NULL ? p : "", p != NULL ? len : 0);
	s->len = p != NULL ? len : 0;
}

static void
alert_free(struct snapshot_alert *a)
{
	free(a->event.p);
	free(a->id.p);
	free(a->name.p);
	free(a->host.p);
	free(a->severity.p);
	free(a->rule.p);
	free(a->code.p);
	free(a->category.p);
}

static void
counts_free(struct snapshot_count *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(c[i].key.p);
	free(c);
}

static void
fields_free(struct snapshot_field *fl, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(fl[i].key.p);
		free(fl[i].val.p);
	}
	free(fl);
}

void
snapshot_destroy(struct snapshot *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nclasses; i++) {
		free(f->classes[i].name.p);
		free(f->classes[i].code.p);
		free(f->classes[i].category.p);
		free(f->classes[i].description.p);
	}
	free(f->classes);
	for (i = 0; i < f->nhosts; i++) {
		free(f->hosts[i].name.p);
		fields_free(f->hosts[i].stats, f->hosts[i].nstats);
		counts_free(f->hosts[i].counts, f->hosts[i].ncounts);
	}
	free(f->hosts);
	for (i = 0; i < f->nactive; i++)
		alert_free(&f->active[i]);
	free(f->active);
	for (i = 0; i < f->nevents; i++)
		alert_free(&f->events[i]);
	free(f->events);
	counts_free(f->uncl, f->nuncl);
	for (i = 0; i < f->npoints; i++)
		free(f->points[i].n);
	free(f->points);
	free(f);
}

size_t
snapshot_window_buckets(const struct config_bucket *buckets, size_t nbuckets,
    unsigned w, uint64_t now_s, uint64_t *starts, size_t *res)
{
	uint64_t ws, rs, first, last;
	size_t i, pick = SIZE_MAX, n = 0;

	if (w >= SNAPSHOT_WINDOWS)
		return 0;
	ws = window_s[w];
	for (i = 0; i < nbuckets; i++) {
		rs = buckets[i].res_ms / 1000;
		if (rs == 0 || buckets[i].retention_ms / 1000 < ws ||
		    ws / rs > SNAPSHOT_WINDOW_BUCKETS)
			continue;
		if (pick == SIZE_MAX || ws / rs >= 10)
			pick = i;
	}
	if (pick == SIZE_MAX)
		return 0;
	rs = buckets[pick].res_ms / 1000;
	last = now_s - now_s % rs;
	first = last + rs > ws ? last + rs - ws : 0;
	for (; first <= last && n < SNAPSHOT_WINDOW_BUCKETS; first += rs)
		starts[n++] = first;
	*res = pick;
	return n;
}

/* A count as Redis holds it; a whole number written with a decimal
 * point and zeros ("20.000", as alert events carry) reads as its whole
 * part. Anything else reads as 0. */
static uint64_t
num(const char *p, size_t len)
{
	uint64_t v = 0;
	size_t n, i;

	n = len == 0 ? 0 : ew_parse_dec(p, len, UINT64_MAX, &v);
	if (n == 0 || (n < len && p[n] != '.'))
		return 0;
	for (i = n + 1; i < len; i++)
		if (p[i] != '0')
			return 0;
	return v;
}

static struct snapshot_class *
class_get(struct snapshot *f, const char *name, size_t len)
{
	struct snapshot_class *c;
	size_t i;

	for (i = 0; i < f->nclasses; i++)
		if (snapshot_str_is(&f->classes[i].name, name, len))
			return &f->classes[i];
	f->classes = xrealloc(f->classes, (f->nclasses + 1) *
	    sizeof(*f->classes));
	c = &f->classes[f->nclasses++];
	memset(c, 0, sizeof(*c));
	str_set(&c->name, name, len);
	str_set(&c->code, "", 0);
	str_set(&c->category, "", 0);
	str_set(&c->description, "", 0);
	for (i = 0; i < f->npoints; i++) {
		f->points[i].n = xrealloc(f->points[i].n, f->nclasses *
		    sizeof(uint64_t));
		f->points[i].n[f->nclasses - 1] = 0;
	}
	return c;
}

/* A JSON member as text: strings as they are, numbers written out. */
static void
json_member(json_t *o, const char *key, struct snapshot_str *out)
{
	json_t *v = json_object_get(o, key);
	char tmp[32];

	if (json_is_string(v))
		str_set(out, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v)) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)
		    json_integer_value(v));
		str_set(out, tmp, strlen(tmp));
	} else
		str_set(out, "", 0);
}

static uint64_t
json_u64(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v) && json_integer_value(v) > 0)
		return (uint64_t)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > 0)
		return (uint64_t)json_real_value(v);
	if (json_is_string(v))
		return num(json_string_value(v), json_string_length(v));
	return 0;
}

void
snapshot_add_codes(struct snapshot *f, const struct snapshot_kv *kv, size_t n)
{
	struct snapshot_class *c;
	json_error_t e;
	json_t *o;
	size_t i;

	for (i = 0; i < n; i++) {
		c = class_get(f, kv[i].k, kv[i].klen);
		o = json_loadb(kv[i].v, kv[i].vlen, JSON_ALLOW_NUL, &e);
		if (o == NULL)
			continue;
		json_member(o, "code", &c->code);
		json_member(o, "category", &c->category);
		json_member(o, "description", &c->description);
		json_decref(o);
	}
}

void
snapshot_add_totals(struct snapshot *f, const struct snapshot_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		class_get(f, kv[i].k, kv[i].klen)->total = num(kv[i].v,
		    kv[i].vlen);
}

void
snapshot_add_window(struct snapshot *f, unsigned w, const struct snapshot_kv *kv,
    size_t n)
{
	size_t i;

	if (w >= SNAPSHOT_WINDOWS)
		return;
	for (i = 0; i < n; i++)
		class_get(f, kv[i].k, kv[i].klen)->window[w] += num(kv[i].v,
		    kv[i].vlen);
}

void
snapshot_add_hosts(struct snapshot *f, const struct snapshot_kv *kv, size_t n)
{
	struct snapshot_host *h;
	size_t i;

	f->hosts = xrealloc(f->hosts, (f->nhosts + n) * sizeof(*f->hosts));
	for (i = 0; i < n; i++) {
		h = &f->hosts[f->nhosts++];
		memset(h, 0, sizeof(*h));
		str_set(&h->name, kv[i].k, kv[i].klen);
		h->seen_s = num(kv[i].v, kv[i].vlen);
	}
}

static struct snapshot_count *
counts_copy(const struct snapshot_kv *kv, size_t n)
{
	struct snapshot_count *c = xcalloc(n + 1, sizeof(*c));
	size_t i;

	for (i = 0; i < n; i++) {
		str_set(&c[i].key, kv[i].k, kv[i].klen);
		c[i].n = num(kv[i].v, kv[i].vlen);
	}
	return c;
}

void
snapshot_add_host_stats(struct snapshot *f, size_t i, const struct snapshot_kv *kv,
    size_t n)
{
	struct snapshot_host *h;
	size_t j;

	if (i >= f->nhosts)
		return;
	h = &f->hosts[i];
	fields_free(h->stats, h->nstats);
	h->stats = xcalloc(n + 1, sizeof(*h->stats));
	h->nstats = n;
	for (j = 0; j < n; j++) {
		str_set(&h->stats[j].key, kv[j].k, kv[j].klen);
		str_set(&h->stats[j].val, kv[j].v, kv[j].vlen);
		if (snapshot_str_is(&h->stats[j].key, "lines", 5))
			h->lines = num(kv[j].v, kv[j].vlen);
		else if (snapshot_str_is(&h->stats[j].key, "started_at", 10))
			h->started_s = num(kv[j].v, kv[j].vlen);
	}
}

void
snapshot_add_host_counts(struct snapshot *f, size_t i, const struct snapshot_kv *kv,
    size_t n)
{
	struct snapshot_host *h;

	if (i >= f->nhosts)
		return;
	h = &f->hosts[i];
	counts_free(h->counts, h->ncounts);
	h->counts = counts_copy(kv, n);
	h->ncounts = n;
}

static void
alert_from_json(struct snapshot_alert *a, json_t *o)
{
	json_member(o, "event", &a->event);
	json_member(o, "id", &a->id);
	json_member(o, "name", &a->name);
	json_member(o, "host", &a->host);
	json_member(o, "severity", &a->severity);
	json_member(o, "rule", &a->rule);
	json_member(o, "code", &a->code);
	json_member(o, "category", &a->category);
	a->count = json_u64(o, "count");
	a->threshold = json_u64(o, "threshold");
	a->ts_ms = json_u64(o, "ts");
}

void
snapshot_add_active(struct snapshot *f, const struct snapshot_kv *kv, size_t n)
{
	struct snapshot_alert *a;
	const char *at;
	json_error_t e;
	json_t *o;
	size_t i;

	f->active = xrealloc(f->active, (f->nactive + n + 1) *
	    sizeof(*f->active));
	for (i = 0; i < n; i++) {
		a = &f->active[f->nactive++];
		memset(a, 0, sizeof(*a));
		o = json_loadb(kv[i].v, kv[i].vlen, JSON_ALLOW_NUL, &e);
		if (o != NULL) {
			alert_from_json(a, o);
			json_decref(o);
		} else
			alert_from_json(a, NULL);
		/* the field names class and host even if the JSON is bad */
		at = memchr(kv[i].k, '@', kv[i].klen);
		if (a->name.len == 0 && at != NULL)
			str_set(&a->name, kv[i].k, (size_t)(at - kv[i].k));
		if (a->host.len == 0 && at != NULL)
			str_set(&a->host, at + 1, kv[i].klen -
			    (size_t)(at - kv[i].k) - 1);
		if (a->event.len == 0)
			str_set(&a->event, "firing", 6);
	}
}

void
snapshot_add_event(struct snapshot *f, const struct snapshot_kv *kv, size_t n)
{
	struct snapshot_alert *a;
	struct snapshot_str *s;
	size_t i;

	f->events = xrealloc(f->events, (f->nevents + 1) *
	    sizeof(*f->events));
	a = &f->events[f->nevents++];
	memset(a, 0, sizeof(*a));
	alert_from_json(a, NULL);
	for (i = 0; i < n; i++) {
		s = NULL;
#define FIELD(name, dst) else if (kv[i].klen == sizeof(name) - 1 && \
	    memcmp(kv[i].k, name, kv[i].klen) == 0) s = &a->dst;
		if (0)
			;
		FIELD("event", event) FIELD("id", id) FIELD("name", name)
		FIELD("host", host) FIELD("severity", severity)
		FIELD("rule", rule) FIELD("code", code)
		FIELD("category", category)
#undef FIELD
		if (s != NULL)
			str_set(s, kv[i].v, kv[i].vlen);
		else if (kv[i].klen == 5 && memcmp(kv[i].k, "count", 5) == 0)
			a->count = num(kv[i].v, kv[i].vlen);
		else if (kv[i].klen == 9 &&
		    memcmp(kv[i].k, "threshold", 9) == 0)
			a->threshold = num(kv[i].v, kv[i].vlen);
		else if (kv[i].klen == 2 && memcmp(kv[i].k, "ts", 2) == 0)
			a->ts_ms = num(kv[i].v, kv[i].vlen);
	}
}

void
snapshot_add_uncl(struct snapshot *f, const struct snapshot_kv *kv, size_t n)
{
	size_t i;

	counts_free(f->uncl, f->nuncl);
	f->uncl = counts_copy(kv, n);
	f->nuncl = n;
	f->uncl_total = 0;
	for (i = 0; i < n; i++)
		f->uncl_total += f->uncl[i].n;
}

void
snapshot_add_point(struct snapshot *f, const char *id, size_t idlen,
    const struct snapshot_kv *kv, size_t n)
{
	struct snapshot_point *p;
	struct snapshot_class *c;
	uint64_t ts = 0;
	size_t i;

	ew_parse_dec(id, idlen, UINT64_MAX, &ts);
	f->points = xrealloc(f->points, (f->npoints + 1) *
	    sizeof(*f->points));
	p = &f->points[f->npoints++];
	p->ts_ms = ts;
	p->n = xcalloc(f->nclasses + 1, sizeof(uint64_t));
	for (i = 0; i < n; i++) {
		if (kv[i].klen > 0 && kv[i].k[0] == '_')
			continue;	/* _total: the chart stacks */
		c = class_get(f, kv[i].k, kv[i].klen);
		p->n[c - f->classes] = num(kv[i].v, kv[i].vlen);
	}
}

static int
cmp_class(const void *a, const void *b)
{
	const struct snapshot_class *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name.p, y->name.p);
}

static int
cmp_count(const void *a, const void *b)
{
	const struct snapshot_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key.p, y->key.p);
}

static int
cmp_alert(const void *a, const void *b)
{
	const struct snapshot_alert *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return strcmp(x->name.p, y->name.p);
}

void
snapshot_finish(struct snapshot *f)
{
	size_t i;

	/* points hold counts by class index: sort only without points */
	if (f->npoints == 0 && f->nclasses > 1)
		qsort(f->classes, f->nclasses, sizeof(*f->classes),
		    cmp_class);
	for (i = 0; i < f->nhosts; i++)
		if (f->hosts[i].ncounts > 1)
			qsort(f->hosts[i].counts, f->hosts[i].ncounts,
			    sizeof(*f->hosts[i].counts), cmp_count);
	if (f->nuncl > 1)
		qsort(f->uncl, f->nuncl, sizeof(*f->uncl), cmp_count);
	if (f->nactive > 1)
		qsort(f->active, f->nactive, sizeof(*f->active), cmp_alert);
}

bool
snapshot_str_is(const struct snapshot_str *s, const char *p, size_t len)
{
	return s->len == len && memcmp(s->p, p, len) == 0;
}

const struct snapshot_class *
snapshot_class(const struct snapshot *f, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < f->nclasses; i++)
		if (snapshot_str_is(&f->classes[i].name, name, len))
			return &f->classes[i];
	return NULL;
}

const struct snapshot_host *
snapshot_host(const struct snapshot *f, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < f->nhosts; i++)
		if (snapshot_str_is(&f->hosts[i].name, name, len))
			return &f->hosts[i];
	return NULL;
}

uint64_t
snapshot_host_count(const struct snapshot_host *h, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < h->ncounts; i++)
		if (snapshot_str_is(&h->counts[i].key, name, len))
			return h->counts[i].n;
	return 0;
}

uint64_t
snapshot_host_age_s(const struct snapshot *f, const struct snapshot_host *h)
{
	uint64_t now_s = f->now_ms / 1000;

	return now_s > h->seen_s ? now_s - h->seen_s : 0;
}

double
snapshot_host_rate(const struct snapshot *f, const struct snapshot_host *h)
{
	uint64_t now_s = f->now_ms / 1000;

	if (h->started_s == 0 || now_s <= h->started_s)
		return 0;
	return (double)h->lines / (double)(now_s - h->started_s);
}
