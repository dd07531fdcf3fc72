/*
 * html: the pages of SPEC §14, written for an ops engineer at 3 a.m.:
 * what is firing and since when comes first, then the chart, the classes
 * (each a link to its hosts), the hosts (silent ones marked), the
 * unclassified breakdown and the last alert events. The tables are all
 * server-rendered, so the page reads without JavaScript; web/errwatch.js
 * adds the charts and refreshes the sections marked "live". It never
 * emits inline script or an event attribute (the CSP forbids them), and
 * every value from Redis goes through html_esc.
 */
#include <inttypes.h>
#include <string.h>

#include "base.h"
#include "snapshot.h"
#include "html.h"

void
html_esc(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = ew_utf8_len(p + i, len - i);
		if (n == 0 || (n == 1 && ((p[i] < 0x20 && p[i] != '\t' &&
		    p[i] != '\n') || p[i] == 0x7f))) {
			buf_puts(b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		switch (p[i]) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_append(b, p + i, n);
		}
		i += n;
	}
}

void
html_url_seg(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char ch;
	size_t i;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~')
			buf_append(b, &s[i], 1);
		else
			buf_printf(b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
	}
}

static void
esc_str(struct buf *b, const struct snapshot_str *s)
{
	html_esc(b, s->p, s->len);
}

/* "4m 05s", "2h 10m", "3d 4h": an age a person reads at a glance. */
static void
put_age(struct buf *b, uint64_t s)
{
	if (s < 60)
		buf_printf(b, "%" PRIu64 "s", s);
	else if (s < 3600)
		buf_printf(b, "%" PRIu64 "m %02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		buf_printf(b, "%" PRIu64 "h %02" PRIu64 "m", s / 3600,
		    s / 60 % 60);
	else
		buf_printf(b, "%" PRIu64 "d %" PRIu64 "h", s / 86400,
		    s / 3600 % 24);
}

static uint64_t
age_s(const struct snapshot *f, uint64_t ts_ms)
{
	return f->now_ms > ts_ms ? (f->now_ms - ts_ms) / 1000 : 0;
}

static void
put_time(struct buf *b, uint64_t ts_ms)
{
	uint64_t s = ts_ms / 1000 % 86400;

	buf_printf(b, "<time data-ms=\"%" PRIu64 "\">%02" PRIu64 ":%02"
	    PRIu64 ":%02" PRIu64 " UTC</time>", ts_ms, s / 3600, s / 60 % 60,
	    s % 60);
}

static void
link_to(struct buf *b, const char *kind, const struct snapshot_str *s)
{
	buf_printf(b, "<a href=\"/%s/", kind);
	html_url_seg(b, s->p, s->len);
	buf_puts(b, "\">");
	esc_str(b, s);
	buf_puts(b, "</a>");
}

static void
head(struct buf *b, const char *title, size_t tlen,
    const struct snapshot *f, const struct html_opts *o, const char *view)
{
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>");
	html_esc(b, title, tlen);
	buf_puts(b, " - errwatch</title>"
	    "<link rel=\"stylesheet\" "
	    "href=\"/javascript/dygraphs/dygraph.min.css\">"
	    "<link rel=\"stylesheet\" href=\"/static/errwatch.css\">"
	    "<script src=\"/javascript/dygraphs/dygraph.min.js\" defer>"
	    "</script>"
	    "<script src=\"/static/errwatch.js\" defer></script>"
	    "</head>\n");
	buf_printf(b, "<body data-view=\"%s\" data-refresh=\"%" PRIu64
	    "\" data-name=\"", view, o->refresh_ms);
	if (strcmp(view, "fleet") != 0)
		html_esc(b, title, tlen);
	buf_puts(b, "\">\n<header><a class=\"home\" href=\"/\">errwatch</a> "
	    "<span class=\"title\">");
	html_esc(b, title, tlen);
	buf_puts(b, "</span> <span id=\"asof\" class=\"live\">as of ");
	put_time(b, f->now_ms);
	buf_puts(b, "</span></header>\n");
	buf_puts(b, "<div id=\"redis\" class=\"live\">");
	if (o->redis_error != NULL) {
		buf_puts(b, "<p class=\"down\">Redis is unreachable (");
		html_esc(b, o->redis_error, strlen(o->redis_error));
		buf_puts(b, "): the figures below are missing or partial. "
		    "This page retries by itself.</p>");
	}
	buf_puts(b, "</div>\n");
}

static void
tail(struct buf *b)
{
	buf_puts(b, "<footer>errwatch-web " EW_VERSION
	    " &middot; <a href=\"/api/v1/totals\">JSON</a> &middot; "
	    "<a href=\"/metrics\">metrics</a></footer>\n</body></html>\n");
}

static bool
alert_matches(const struct snapshot_alert *a, const char *cls, size_t clen,
    const char *host, size_t hlen)
{
	if (cls != NULL && !snapshot_str_is(&a->name, cls, clen))
		return false;
	if (host != NULL && !snapshot_str_is(&a->host, host, hlen))
		return false;
	return true;
}

/* SPEC §14: the alerts firing now with their age, at the top. */
static void
firing(struct buf *b, const struct snapshot *f, const char *cls, size_t clen,
    const char *host, size_t hlen)
{
	const struct snapshot_alert *a;
	size_t i, n = 0;

	for (i = 0; i < f->nactive; i++)
		if (alert_matches(&f->active[i], cls, clen, host, hlen))
			n++;
	buf_printf(b, "<section id=\"firing\" class=\"live%s\">"
	    "<h2>Firing now: %zu</h2>\n", n > 0 ? " hot" : "", n);
	if (n == 0) {
		buf_puts(b, "<p class=\"calm\">Nothing is firing.</p>"
		    "</section>\n");
		return;
	}
	buf_puts(b, "<table><thead><tr><th>class</th><th>host</th>"
	    "<th>severity</th><th>since</th><th>age</th>"
	    "<th class=\"n\">count</th><th class=\"n\">threshold</th>"
	    "<th>rule</th></tr></thead><tbody>\n");
	for (i = 0; i < f->nactive; i++) {
		a = &f->active[i];
		if (!alert_matches(a, cls, clen, host, hlen))
			continue;
		buf_puts(b, "<tr class=\"sev-");
		esc_str(b, &a->severity);
		buf_puts(b, "\"><td>");
		link_to(b, "class", &a->name);
		buf_puts(b, "</td><td>");
		link_to(b, "host", &a->host);
		buf_puts(b, "</td><td>");
		esc_str(b, &a->severity);
		buf_puts(b, "</td><td>");
		put_time(b, a->ts_ms);
		buf_puts(b, "</td><td class=\"age\">");
		put_age(b, age_s(f, a->ts_ms));
		buf_printf(b, "</td><td class=\"n\">%" PRIu64 "</td>"
		    "<td class=\"n\">%" PRIu64 "</td><td>", a->count,
		    a->threshold);
		esc_str(b, &a->rule);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table></section>\n");
}

static void
chart(struct buf *b, const char *title)
{
	buf_printf(b, "<section id=\"chart-box\"><h2>%s</h2>"
	    "<nav class=\"ranges\">"
	    "<a href=\"#1h\" data-range=\"1h\">1 h</a> "
	    "<a href=\"#6h\" data-range=\"6h\">6 h</a> "
	    "<a href=\"#48h\" data-range=\"48h\">48 h</a> "
	    "<a href=\"#90d\" data-range=\"90d\">90 d</a></nav>"
	    "<div id=\"chart\" class=\"chart\"><noscript>The chart needs "
	    "JavaScript; the tables below do not.</noscript></div>"
	    "</section>\n", title);
}

static void
class_row(struct buf *b, const struct snapshot_class *c)
{
	unsigned w;

	buf_puts(b, "<tr><td>");
	link_to(b, "class", &c->name);
	buf_puts(b, "</td><td>");
	esc_str(b, &c->code);
	buf_puts(b, "</td><td>");
	esc_str(b, &c->category);
	buf_puts(b, "</td>");
	for (w = 0; w < SNAPSHOT_WINDOWS; w++)
		buf_printf(b, "<td class=\"n w%u\">%" PRIu64 "</td>", w,
		    c->window[w]);
	buf_printf(b, "<td class=\"n total\">%" PRIu64 "</td></tr>\n",
	    c->total);
}

static const char class_head[] = "<thead><tr><th>class</th><th>code</th>"
    "<th>category</th><th class=\"n\">10 min</th><th class=\"n\">1 h</th>"
    "<th class=\"n\">24 h</th><th class=\"n\">total</th></tr></thead>";

static void
classes(struct buf *b, const struct snapshot *f)
{
	size_t i, quiet = 0;

	buf_printf(b, "<section id=\"classes\" class=\"live\">"
	    "<h2>Classes</h2><table>%s<tbody>\n", class_head);
	for (i = 0; i < f->nclasses; i++) {
		if (f->classes[i].total == 0) {
			quiet++;
			continue;
		}
		class_row(b, &f->classes[i]);
	}
	buf_puts(b, "</tbody></table>\n");
	/* the table's classes never counted: out of the way, still there */
	if (quiet > 0) {
		buf_printf(b, "<details><summary>%zu classes never counted"
		    "</summary><table>%s<tbody>\n", quiet, class_head);
		for (i = 0; i < f->nclasses; i++)
			if (f->classes[i].total == 0)
				class_row(b, &f->classes[i]);
		buf_puts(b, "</tbody></table></details>\n");
	}
	buf_puts(b, "</section>\n");
}

static void
host_row(struct buf *b, const struct snapshot *f, const struct snapshot_host *h)
{
	uint64_t age = snapshot_host_age_s(f, h);
	size_t i;

	buf_printf(b, "<tr%s><td>", age > f->silent_after_s ?
	    " class=\"silent\"" : "");
	link_to(b, "host", &h->name);
	buf_puts(b, "</td><td class=\"age\">");
	put_age(b, age);
	if (age > f->silent_after_s)
		buf_puts(b, " <strong>silent</strong>");
	buf_puts(b, "</td><td class=\"n\">");
	buf_num(b, snapshot_host_rate(f, h));
	buf_puts(b, "</td><td class=\"top\">");
	for (i = 0; i < h->ncounts && i < 3; i++) {
		if (i > 0)
			buf_puts(b, ", ");
		esc_str(b, &h->counts[i].key);
		buf_printf(b, " %" PRIu64, h->counts[i].n);
	}
	buf_puts(b, "</td></tr>\n");
}

static void
hosts(struct buf *b, const struct snapshot *f)
{
	size_t i, silent = 0;

	for (i = 0; i < f->nhosts; i++)
		if (snapshot_host_age_s(f, &f->hosts[i]) > f->silent_after_s)
			silent++;
	buf_printf(b, "<section id=\"hosts\" class=\"live\"><h2>Hosts: %zu"
	    "%s", f->nhosts, silent > 0 ? ", " : "");
	if (silent > 0)
		buf_printf(b, "<strong>%zu silent</strong>", silent);
	buf_puts(b, "</h2><table><thead><tr><th>host</th>"
	    "<th>heartbeat</th><th class=\"n\">lines/s</th>"
	    "<th>top classes</th></tr></thead><tbody>\n");
	for (i = 0; i < f->nhosts; i++)
		host_row(b, f, &f->hosts[i]);
	buf_puts(b, "</tbody></table></section>\n");
}

static void
unclassified(struct buf *b, const struct snapshot *f)
{
	size_t i;

	buf_printf(b, "<section id=\"unclassified\" class=\"live\">"
	    "<h2>Unclassified: %" PRIu64 "</h2><table><thead><tr>"
	    "<th>code or name</th><th class=\"n\">count</th></tr></thead>"
	    "<tbody>\n", f->uncl_total);
	for (i = 0; i < f->nuncl; i++) {
		buf_puts(b, "<tr><td>");
		esc_str(b, &f->uncl[i].key);
		buf_printf(b, "</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
		    f->uncl[i].n);
	}
	buf_puts(b, "</tbody></table></section>\n");
}

static void
events(struct buf *b, const struct snapshot *f, const char *cls, size_t clen,
    const char *host, size_t hlen)
{
	const struct snapshot_alert *a;
	size_t i;

	buf_printf(b, "<section id=\"events\" class=\"live\"><h2>Last %d "
	    "alert events</h2><table><thead><tr><th>time</th><th>event</th>"
	    "<th>class</th><th>host</th><th>severity</th>"
	    "<th class=\"n\">count</th></tr></thead><tbody>\n",
	    SNAPSHOT_EVENTS);
	for (i = 0; i < f->nevents; i++) {
		a = &f->events[i];
		if (!alert_matches(a, cls, clen, host, hlen))
			continue;
		buf_puts(b, "<tr><td>");
		put_time(b, a->ts_ms);
		buf_puts(b, "</td><td>");
		esc_str(b, &a->event);
		buf_puts(b, "</td><td>");
		link_to(b, "class", &a->name);
		buf_puts(b, "</td><td>");
		link_to(b, "host", &a->host);
		buf_puts(b, "</td><td>");
		esc_str(b, &a->severity);
		buf_printf(b, "</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
		    a->count);
	}
	buf_puts(b, "</tbody></table></section>\n");
}

void
html_fleet(struct buf *b, const struct snapshot *f, const struct html_opts *o)
{
	head(b, "fleet", 5, f, o, "fleet");
	buf_puts(b, "<main>\n");
	firing(b, f, NULL, 0, NULL, 0);
	chart(b, "Lines per class, stacked");
	classes(b, f);
	hosts(b, f);
	unclassified(b, f);
	events(b, f, NULL, 0, NULL, 0);
	buf_puts(b, "</main>\n");
	tail(b);
}

void
html_class(struct buf *b, const struct snapshot *f, const char *name,
    size_t len, const struct html_opts *o)
{
	const struct snapshot_class *c = snapshot_class(f, name, len);
	const struct snapshot_host *h;
	uint64_t n;
	size_t i;

	head(b, name, len, f, o, "class");
	buf_puts(b, "<main>\n");
	firing(b, f, name, len, NULL, 0);
	buf_puts(b, "<section id=\"about\" class=\"live\"><h2>Class</h2>");
	if (c == NULL) {
		buf_puts(b, "<p>Redis holds no count of this class.</p>"
		    "</section>\n");
	} else {
		buf_printf(b, "<dl><dt>description</dt><dd>");
		esc_str(b, &c->description);
		buf_printf(b, "</dd></dl><table>%s<tbody>\n", class_head);
		class_row(b, c);
		buf_puts(b, "</tbody></table></section>\n");
	}
	chart(b, "Lines of this class");
	buf_puts(b, "<section id=\"per-host\" class=\"live\"><h2>Hosts"
	    "</h2><table><thead><tr><th>host</th><th class=\"n\">count</th>"
	    "<th>heartbeat</th></tr></thead><tbody>\n");
	for (i = 0; i < f->nhosts; i++) {
		h = &f->hosts[i];
		n = snapshot_host_count(h, name, len);
		if (n == 0)
			continue;
		buf_puts(b, "<tr><td>");
		link_to(b, "host", &h->name);
		buf_printf(b, "</td><td class=\"n\">%" PRIu64 "</td>"
		    "<td class=\"age\">", n);
		put_age(b, snapshot_host_age_s(f, h));
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table></section>\n");
	events(b, f, name, len, NULL, 0);
	buf_puts(b, "</main>\n");
	tail(b);
}

void
html_host(struct buf *b, const struct snapshot *f, const char *name,
    size_t len, const struct html_opts *o)
{
	const struct snapshot_host *h = snapshot_host(f, name, len);
	size_t i;

	head(b, name, len, f, o, "host");
	buf_puts(b, "<main>\n");
	firing(b, f, NULL, 0, name, len);
	buf_puts(b, "<section id=\"stats\" class=\"live\"><h2>Host</h2>");
	if (h == NULL) {
		buf_puts(b, "<p>Redis holds no heartbeat of this host.</p>"
		    "</section>\n");
	} else {
		buf_puts(b, "<table><tbody><tr><th>heartbeat</th><td>");
		put_age(b, snapshot_host_age_s(f, h));
		if (snapshot_host_age_s(f, h) > f->silent_after_s)
			buf_puts(b, " <strong>silent</strong>");
		buf_puts(b, "</td></tr><tr><th>lines/s</th><td class=\"n\">");
		buf_num(b, snapshot_host_rate(f, h));
		buf_puts(b, "</td></tr>\n");
		for (i = 0; i < h->nstats; i++) {
			buf_puts(b, "<tr><th>");
			esc_str(b, &h->stats[i].key);
			buf_puts(b, "</th><td class=\"n\">");
			esc_str(b, &h->stats[i].val);
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody></table></section>\n");
		buf_puts(b, "<section id=\"counts\" class=\"live\">"
		    "<h2>Counts</h2><table><thead><tr><th>class</th>"
		    "<th class=\"n\">count</th></tr></thead><tbody>\n");
		for (i = 0; i < h->ncounts; i++) {
			buf_puts(b, "<tr><td>");
			link_to(b, "class", &h->counts[i].key);
			buf_printf(b, "</td><td class=\"n\">%" PRIu64
			    "</td></tr>\n", h->counts[i].n);
		}
		buf_puts(b, "</tbody></table></section>\n");
	}
	events(b, f, NULL, 0, name, len);
	buf_puts(b, "</main>\n");
	tail(b);
}

void
html_error(struct buf *b, unsigned status, const char *reason)
{
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>%u - errwatch</title>"
	    "<link rel=\"stylesheet\" href=\"/static/errwatch.css\">"
	    "</head><body><header><a class=\"home\" href=\"/\">errwatch"
	    "</a></header><main><h1>%u</h1><p>", status, status);
	html_esc(b, reason, strlen(reason));
	buf_puts(b, "</p></main></body></html>\n");
}
