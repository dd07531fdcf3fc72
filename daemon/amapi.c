/*
 * amapi: SPEC §13's two wire shapes of an alert event. An event is kept
 * as the stream entry's fields and values, copied, in their order; the
 * Alertmanager alert (labels, annotations, times) and the webhook JSON are
 * derived from them and nothing else. The event id is never a label
 * (it would make every event a new alert). Every value from a log line
 * goes through buf_json_str, and into a URL only through url_escape.
 * Jansson reads the JSON of P alerts:active and stays in this file.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amapi.h"
#include "base.h"

struct amapi_event {
	size_t	 n;			/* fields */
	char	*name[AMAPI_MAX_FIELDS];
	char	*value[AMAPI_MAX_FIELDS];
	size_t	 vlen[AMAPI_MAX_FIELDS];
	char	*key;			/* "<name>@<host>" */
	bool	 firing;
	uint64_t ts;			/* unix ms */
};

/* SPEC §7: the fields written as numbers in the JSON. */
static const char *const number_fields[] = {
	"code", "window_s", "count", "baseline", "threshold", "ts",
};

static bool
is_number_field(const char *f)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(number_fields); i++)
		if (strcmp(f, number_fields[i]) == 0)
			return true;
	return false;
}

/* JSON's number grammar (RFC 8259 §6), the whole of s. */
static bool
is_json_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d || (s[d] == '0' && i - d > 1))
		return false;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	return i == n;
}

void
amapi_event_destroy(struct amapi_event *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->n; i++) {
		free(ev->name[i]);
		free(ev->value[i]);
	}
	free(ev->key);
	free(ev);
}

static void
add_field(struct amapi_event *ev, const char *f, size_t flen, const char *v,
    size_t vlen)
{
	size_t i;

	for (i = 0; i < ev->n; i++) {
		if (strlen(ev->name[i]) == flen &&
		    memcmp(ev->name[i], f, flen) == 0) {	/* last wins */
			free(ev->value[i]);
			ev->value[i] = xstrndup(v, vlen);
			ev->vlen[i] = vlen;
			return;
		}
	}
	ev->name[ev->n] = xstrndup(f, flen);
	ev->value[ev->n] = xstrndup(v, vlen);
	ev->vlen[ev->n] = vlen;
	ev->n++;
}

/* The checks of amapi_event_parse once the fields are in. */
static struct amapi_event *
finish(struct amapi_event *ev, const char **why)
{
	const char *event = amapi_event_get(ev, "event");
	const char *ts = amapi_event_get(ev, "ts");
	size_t i;

	if (strcmp(event, "firing") == 0)
		ev->firing = true;
	else if (strcmp(event, "resolved") != 0) {
		*why = "event is neither firing nor resolved";
		goto fail;
	}
	if (amapi_event_get(ev, "name")[0] == '\0' ||
	    amapi_event_get(ev, "host")[0] == '\0') {
		*why = "name or host is missing";
		goto fail;
	}
	if (ts[0] == '\0' || ew_parse_dec(ts, SIZE_MAX, UINT64_MAX,
	    &ev->ts) != strlen(ts)) {
		*why = "ts is not a time in ms";
		goto fail;
	}
	for (i = 0; i < ev->n; i++) {
		if (!is_number_field(ev->name[i]) || ev->vlen[i] == 0 ||
		    strcmp(ev->value[i], "null") == 0)
			continue;
		if (!is_json_number(ev->value[i], ev->vlen[i]) ||
		    strlen(ev->value[i]) != ev->vlen[i]) {
			*why = "a number field is not a number";
			goto fail;
		}
	}
	ev->key = xasprintf("%s@%s", amapi_event_get(ev, "name"),
	    amapi_event_get(ev, "host"));
	return ev;
fail:
	amapi_event_destroy(ev);
	return NULL;
}

struct amapi_event *
amapi_event_parse(const char *const *kv, const size_t *lens, size_t n,
    const char **why)
{
	struct amapi_event *ev;
	size_t i;

	if (n % 2 != 0 || n / 2 > AMAPI_MAX_FIELDS) {
		*why = n % 2 != 0 ? "odd number of fields and values" :
		    "too many fields";
		return NULL;
	}
	ev = xcalloc(1, sizeof(*ev));
	for (i = 0; i < n; i += 2) {
		if (memchr(kv[i], '\0', lens[i]) != NULL) {
			*why = "a field name holds a NUL byte";
			amapi_event_destroy(ev);
			return NULL;
		}
		add_field(ev, kv[i], lens[i], kv[i + 1], lens[i + 1]);
	}
	return finish(ev, why);
}

struct amapi_event *
amapi_event_from_json(const char *json, size_t len, const char **why)
{
	struct amapi_event *ev;
	json_error_t jerr;
	const char *k;
	json_t *root, *v;
	struct buf b = { NULL, 0, 0 };

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		*why = "not a JSON object";
		json_decref(root);
		return NULL;
	}
	if (json_object_size(root) > AMAPI_MAX_FIELDS) {
		*why = "too many fields";
		json_decref(root);
		return NULL;
	}
	ev = xcalloc(1, sizeof(*ev));
	json_object_foreach(root, k, v) {
		buf_reset(&b);
		switch (json_typeof(v)) {
		case JSON_STRING:
			buf_append(&b, json_string_value(v),
			    json_string_length(v));
			break;
		case JSON_INTEGER:
			buf_printf(&b, "%lld",
			    (long long)json_integer_value(v));
			break;
		case JSON_REAL:
			buf_num(&b, json_real_value(v));
			break;
		case JSON_NULL:
			buf_puts(&b, "null");
			break;
		default:
			*why = "a value is not a string, number or null";
			buf_free(&b);
			json_decref(root);
			amapi_event_destroy(ev);
			return NULL;
		}
		add_field(ev, k, strlen(k), b.p != NULL ? b.p : "", b.len);
	}
	buf_free(&b);
	json_decref(root);
	return finish(ev, why);
}

const char *
amapi_event_get(const struct amapi_event *ev, const char *f)
{
	size_t i;

	for (i = 0; i < ev->n; i++)
		if (strcmp(ev->name[i], f) == 0)
			return ev->value[i];
	return "";
}

bool
amapi_event_is_firing(const struct amapi_event *ev)
{
	return ev->firing;
}

uint64_t
amapi_event_ts(const struct amapi_event *ev)
{
	return ev->ts;
}

const char *
amapi_event_key(const struct amapi_event *ev)
{
	return ev->key;
}

/* --- output ------------------------------------------------------------- */

static void
url_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			buf_append(out, s, 1);
		else
			buf_printf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/* An event's number field as SPEC §7 writes it ("2.1", not "2.100"). */
static void
put_num(struct buf *out, const struct amapi_event *ev, const char *f)
{
	const char *v = amapi_event_get(ev, f);

	if (v[0] == '\0' || strcmp(v, "null") == 0)
		buf_puts(out, "0");
	else
		buf_num(out, strtod(v, NULL));
}

static bool
has_code(const struct amapi_event *ev)
{
	const char *c = amapi_event_get(ev, "code");

	return c[0] != '\0' && strcmp(c, "null") != 0;
}

void
amapi_expand(struct buf *out, const char *tmpl, const struct amapi_event *ev)
{
	static const char *const vars[] = { "name", "code", "category",
	    "host" };
	const char *p = tmpl, *v;
	size_t i, n;

	while (*p != '\0') {
		for (i = 0; *p == '{' && i < ARRAY_SIZE(vars); i++) {
			n = strlen(vars[i]);
			if (strncmp(p + 1, vars[i], n) == 0 && p[n + 1] == '}')
				break;
		}
		if (*p != '{' || i == ARRAY_SIZE(vars)) {
			buf_append(out, p++, 1);
			continue;
		}
		v = amapi_event_get(ev, vars[i]);
		if (strcmp(vars[i], "code") != 0 || has_code(ev))
			url_escape(out, v);
		p += strlen(vars[i]) + 2;
	}
}

void
amapi_rfc3339(struct buf *out, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

static void
pair(struct buf *out, bool *first, const char *k, const char *v, size_t n)
{
	if (!*first)
		buf_puts(out, ",");
	*first = false;
	buf_json_str(out, k, strlen(k));
	buf_puts(out, ":");
	buf_json_str(out, v, n);
}

static void
spair(struct buf *out, bool *first, const char *k, const char *v)
{
	pair(out, first, k, v, strlen(v));
}

/* A label or annotation from one of the event's fields. */
static void
fpair(struct buf *out, bool *first, const char *k,
    const struct amapi_event *ev, const char *f)
{
	spair(out, first, k, amapi_event_get(ev, f));
}

static bool
is_silent(const struct amapi_event *ev)
{
	return strcmp(amapi_event_get(ev, "name"), "HostSilent") == 0 ||
	    strcmp(amapi_event_get(ev, "rule"), "silent") == 0;
}

static const char *
scope_of(const struct amapi_event *ev)
{
	const char *s = amapi_event_get(ev, "scope");

	/* an event of an errwatchd older than the scope field: a host's */
	return s[0] != '\0' ? s : "host";
}

static void
labels(struct buf *out, const struct amapi_event *ev)
{
	const char *rule = amapi_event_get(ev, "rule");
	bool first = true, host = strcmp(scope_of(ev), "host") == 0;

	buf_puts(out, "\"labels\":{");
	if (is_silent(ev))
		spair(out, &first, "alertname", "ErrwatchHostSilent");
	else if (strcmp(rule, "drop") == 0)
		spair(out, &first, "alertname", "ErrwatchErrorDrop");
	else
		spair(out, &first, "alertname", "ErrwatchErrorSpike");
	if (!is_silent(ev)) {
		fpair(out, &first, "class", ev, "name");
		if (has_code(ev))
			fpair(out, &first, "code", ev, "code");
		if (amapi_event_get(ev, "category")[0] != '\0')
			fpair(out, &first, "category", ev, "category");
	}
	fpair(out, &first, "severity", ev, "severity");
	spair(out, &first, "scope", scope_of(ev));
	if (host)
		fpair(out, &first, "host", ev, "host");
	if (rule[0] != '\0')
		spair(out, &first, "rule", rule);
	spair(out, &first, "source", "errwatch");
	buf_puts(out, "}");
}

static void
annotations(struct buf *out, const struct amapi_event *ev,
    const struct amapi_links *l)
{
	struct buf t = { NULL, 0, 0 };
	bool first = true, host = strcmp(scope_of(ev), "host") == 0;
	const char *what;

	buf_puts(out, "\"annotations\":{");
	if (is_silent(ev)) {
		buf_printf(&t, "%s is silent", amapi_event_get(ev, "host"));
		pair(out, &first, "summary", t.p, t.len);
		buf_reset(&t);
		buf_printf(&t, "no heartbeat from %s in P hosts: it may be "
		    "down, cut off from Redis, or stuck",
		    amapi_event_get(ev, "host"));
		pair(out, &first, "description", t.p, t.len);
	} else {
		what = strcmp(amapi_event_get(ev, "rule"), "drop") == 0 ?
		    "drop" : "spike";
		buf_printf(&t, "%s %s on %s", amapi_event_get(ev, "name"),
		    what, host ? amapi_event_get(ev, "host") : "the fleet");
		pair(out, &first, "summary", t.p, t.len);
		buf_reset(&t);
		if (has_code(ev))
			buf_printf(&t, "%s ", amapi_event_get(ev, "code"));
		buf_printf(&t, "%s: ", amapi_event_get(ev, "name"));
		put_num(&t, ev, "count");
		buf_puts(&t, " in ");
		put_num(&t, ev, "window_s");
		buf_printf(&t, " s on %s, baseline ",
		    host ? amapi_event_get(ev, "host") : "the fleet");
		put_num(&t, ev, "baseline");
		pair(out, &first, "description", t.p, t.len);
		buf_reset(&t);
		put_num(&t, ev, "count");
		pair(out, &first, "count", t.p, t.len);
		buf_reset(&t);
		put_num(&t, ev, "baseline");
		pair(out, &first, "baseline", t.p, t.len);
		buf_reset(&t);
		put_num(&t, ev, "threshold");
		pair(out, &first, "threshold", t.p, t.len);
		buf_reset(&t);
		put_num(&t, ev, "window_s");
		pair(out, &first, "window_s", t.p, t.len);
	}
	if (l->runbook_url != NULL && l->runbook_url[0] != '\0') {
		buf_reset(&t);
		amapi_expand(&t, l->runbook_url, ev);
		pair(out, &first, "runbook_url", t.p, t.len);
	}
	if (l->dashboard_url != NULL && l->dashboard_url[0] != '\0') {
		buf_reset(&t);
		amapi_expand(&t, l->dashboard_url, ev);
		pair(out, &first, "dashboard", t.p, t.len);
	}
	buf_puts(out, "}");
	buf_free(&t);
}

void
amapi_alert(struct buf *out, const struct amapi_event *ev,
    const struct amapi_links *l, uint64_t starts_ms, uint64_t ends_ms)
{
	struct buf t = { NULL, 0, 0 };	/* the dashboard link */

	buf_puts(out, "{");
	labels(out, ev);
	buf_puts(out, ",");
	annotations(out, ev, l);
	buf_puts(out, ",\"startsAt\":\"");
	amapi_rfc3339(out, starts_ms);
	buf_puts(out, "\",\"endsAt\":\"");
	amapi_rfc3339(out, ends_ms);
	buf_puts(out, "\"");
	if (l->dashboard_url != NULL && l->dashboard_url[0] != '\0') {
		amapi_expand(&t, l->dashboard_url, ev);
		buf_puts(out, ",\"generatorURL\":");
		buf_json_str(out, t.p, t.len);
	}
	buf_free(&t);
	buf_puts(out, "}");
}

void
amapi_webhook(struct buf *out, const struct amapi_event *ev)
{
	size_t i;

	buf_puts(out, "{");
	for (i = 0; i < ev->n; i++) {
		if (i > 0)
			buf_puts(out, ",");
		buf_json_str(out, ev->name[i], strlen(ev->name[i]));
		buf_puts(out, ":");
		if (is_number_field(ev->name[i]) && ev->vlen[i] > 0 &&
		    (strcmp(ev->value[i], "null") == 0 ||
		    is_json_number(ev->value[i], ev->vlen[i])))
			buf_append(out, ev->value[i], ev->vlen[i]);
		else
			buf_json_str(out, ev->value[i], ev->vlen[i]);
	}
	buf_puts(out, "}");
}
