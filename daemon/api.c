/*
 * api: /api/v1's JSON (SPEC §14). Shapes are flat and stable: counts are
 * integers, times unix ms, ages whole seconds; names and hosts are JSON
 * strings written by buf_json_str only. It reads a fleet snapshot and
 * never fetches anything.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "api.h"
#include "base.h"
#include "snapshot.h"

static void
str(struct buf *b, const struct snapshot_str *s)
{
	buf_json_str(b, s->p, s->len);
}

/* Digits only, and not too many: written as a JSON number. */
static bool
is_count(const struct snapshot_str *s)
{
	uint64_t v;

	return s->len > 0 && s->len <= 19 &&
	    ew_parse_dec(s->p, s->len, UINT64_MAX, &v) == s->len;
}

static void
key(struct buf *b, const char *k)
{
	buf_json_str(b, k, strlen(k));
	buf_puts(b, ":");
}

static void
class_obj(struct buf *b, const struct snapshot_class *c)
{
	buf_puts(b, "{\"name\":");
	str(b, &c->name);
	buf_puts(b, ",\"code\":");
	str(b, &c->code);
	buf_puts(b, ",\"category\":");
	str(b, &c->category);
	buf_puts(b, ",\"description\":");
	str(b, &c->description);
	buf_printf(b, ",\"last_10m\":%" PRIu64 ",\"last_1h\":%" PRIu64
	    ",\"last_24h\":%" PRIu64 ",\"total\":%" PRIu64 "}", c->window[0],
	    c->window[1], c->window[2], c->total);
}

static void
alert_obj(struct buf *b, const struct snapshot *f, const struct snapshot_alert *a)
{
	buf_puts(b, "{\"event\":");
	str(b, &a->event);
	buf_puts(b, ",\"id\":");
	str(b, &a->id);
	buf_puts(b, ",\"class\":");
	str(b, &a->name);
	buf_puts(b, ",\"host\":");
	str(b, &a->host);
	buf_puts(b, ",\"severity\":");
	str(b, &a->severity);
	buf_puts(b, ",\"rule\":");
	str(b, &a->rule);
	buf_printf(b, ",\"count\":%" PRIu64 ",\"threshold\":%" PRIu64
	    ",\"ts\":%" PRIu64 ",\"age_s\":%" PRIu64 "}", a->count,
	    a->threshold, a->ts_ms, f->now_ms > a->ts_ms ?
	    (f->now_ms - a->ts_ms) / 1000 : 0);
}

static void
alerts_arr(struct buf *b, const struct snapshot *f, const struct snapshot_alert *a,
    size_t n, const char *cls, size_t clen, const char *host, size_t hlen)
{
	size_t i;
	int first = 1;

	buf_puts(b, "[");
	for (i = 0; i < n; i++) {
		if ((cls != NULL && !snapshot_str_is(&a[i].name, cls, clen)) ||
		    (host != NULL && !snapshot_str_is(&a[i].host, host, hlen)))
			continue;
		if (!first)
			buf_puts(b, ",");
		first = 0;
		alert_obj(b, f, &a[i]);
	}
	buf_puts(b, "]");
}

static void
counts_obj(struct buf *b, const struct snapshot_count *c, size_t n)
{
	size_t i;

	buf_puts(b, "{");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(b, ",");
		str(b, &c[i].key);
		buf_printf(b, ":%" PRIu64, c[i].n);
	}
	buf_puts(b, "}");
}

void
api_totals(struct buf *b, const struct snapshot *f)
{
	size_t i;

	buf_printf(b, "{\"ts\":%" PRIu64 ",\"classes\":[", f->now_ms);
	for (i = 0; i < f->nclasses; i++) {
		if (i > 0)
			buf_puts(b, ",");
		class_obj(b, &f->classes[i]);
	}
	buf_printf(b, "],\"unclassified_total\":%" PRIu64
	    ",\"unclassified\":", f->uncl_total);
	counts_obj(b, f->uncl, f->nuncl);
	buf_puts(b, "}\n");
}

void
api_classes(struct buf *b, const struct snapshot *f)
{
	size_t i;

	buf_puts(b, "{\"classes\":[");
	for (i = 0; i < f->nclasses; i++) {
		if (i > 0)
			buf_puts(b, ",");
		class_obj(b, &f->classes[i]);
	}
	buf_puts(b, "]}\n");
}

void
api_alerts(struct buf *b, const struct snapshot *f)
{
	buf_printf(b, "{\"ts\":%" PRIu64 ",\"active\":", f->now_ms);
	alerts_arr(b, f, f->active, f->nactive, NULL, 0, NULL, 0);
	buf_puts(b, ",\"recent\":");
	alerts_arr(b, f, f->events, f->nevents, NULL, 0, NULL, 0);
	buf_puts(b, "}\n");
}

static void
host_obj(struct buf *b, const struct snapshot *f, const struct snapshot_host *h,
    int full)
{
	uint64_t age = snapshot_host_age_s(f, h);
	size_t i;

	buf_puts(b, "{\"host\":");
	str(b, &h->name);
	buf_printf(b, ",\"heartbeat_age_s\":%" PRIu64 ",\"silent\":%s,"
	    "\"lines_per_s\":", age, age > f->silent_after_s ? "true" : "false");
	buf_num(b, snapshot_host_rate(f, h));
	if (full) {
		buf_puts(b, ",\"stats\":");
		buf_puts(b, "{");
		for (i = 0; i < h->nstats; i++) {
			if (i > 0)
				buf_puts(b, ",");
			str(b, &h->stats[i].key);
			buf_puts(b, ":");
			if (is_count(&h->stats[i].val))
				buf_append(b, h->stats[i].val.p,
				    h->stats[i].val.len);
			else
				str(b, &h->stats[i].val);
		}
		buf_puts(b, "}");
		buf_puts(b, ",\"counts\":");
		counts_obj(b, h->counts, h->ncounts);
	} else {
		buf_puts(b, ",\"top\":[");
		for (i = 0; i < h->ncounts && i < 3; i++) {
			buf_puts(b, i > 0 ? ",{\"class\":" : "{\"class\":");
			str(b, &h->counts[i].key);
			buf_printf(b, ",\"count\":%" PRIu64 "}",
			    h->counts[i].n);
		}
		buf_puts(b, "]");
	}
	buf_puts(b, "}");
}

void
api_hosts(struct buf *b, const struct snapshot *f)
{
	size_t i;

	buf_printf(b, "{\"ts\":%" PRIu64 ",\"hosts\":[", f->now_ms);
	for (i = 0; i < f->nhosts; i++) {
		if (i > 0)
			buf_puts(b, ",");
		host_obj(b, f, &f->hosts[i], 0);
	}
	buf_puts(b, "]}\n");
}

void
api_class(struct buf *b, const struct snapshot *f, const char *name,
    size_t len)
{
	const struct snapshot_class *c = snapshot_class(f, name, len);
	uint64_t n;
	size_t i;
	int first = 1;

	buf_puts(b, "{\"class\":");
	if (c != NULL)
		class_obj(b, c);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"hosts\":{");
	for (i = 0; i < f->nhosts; i++) {
		n = snapshot_host_count(&f->hosts[i], name, len);
		if (n == 0)
			continue;
		if (!first)
			buf_puts(b, ",");
		first = 0;
		str(b, &f->hosts[i].name);
		buf_printf(b, ":%" PRIu64, n);
	}
	buf_puts(b, "},\"active\":");
	alerts_arr(b, f, f->active, f->nactive, name, len, NULL, 0);
	buf_puts(b, ",\"recent\":");
	alerts_arr(b, f, f->events, f->nevents, name, len, NULL, 0);
	buf_puts(b, "}\n");
}

void
api_host(struct buf *b, const struct snapshot *f, const char *name, size_t len)
{
	const struct snapshot_host *h = snapshot_host(f, name, len);

	buf_puts(b, "{\"host\":");
	if (h != NULL)
		host_obj(b, f, h, 1);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"active\":");
	alerts_arr(b, f, f->active, f->nactive, NULL, 0, name, len);
	buf_puts(b, ",\"recent\":");
	alerts_arr(b, f, f->events, f->nevents, NULL, 0, name, len);
	buf_puts(b, "}\n");
}

void
api_series(struct buf *b, const struct snapshot *f, unsigned long long from,
    unsigned long long to)
{
	size_t i, j;

	buf_puts(b, "{");
	key(b, "res");
	buf_json_str(b, f->res, strlen(f->res));
	buf_printf(b, ",\"from\":%llu,\"to\":%llu,\"classes\":[", from, to);
	for (i = 0; i < f->nclasses; i++) {
		if (i > 0)
			buf_puts(b, ",");
		str(b, &f->classes[i].name);
	}
	buf_puts(b, "],\"points\":[");
	for (i = 0; i < f->npoints; i++) {
		buf_printf(b, "%s[%" PRIu64, i > 0 ? "," : "",
		    f->points[i].ts_ms);
		for (j = 0; j < f->nclasses; j++)
			buf_printf(b, ",%" PRIu64, f->points[i].n[j]);
		buf_puts(b, "]");
	}
	buf_puts(b, "]}\n");
}

void
api_error(struct buf *b, const char *reason)
{
	buf_puts(b, "{\"error\":");
	buf_json_str(b, reason, strlen(reason));
	buf_puts(b, "}\n");
}
