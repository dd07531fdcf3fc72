/*
 * test_amapi: stream entries and alerts:active JSON to events, and events
 * to the exact Alertmanager API v2 alert and webhook bodies of SPEC §13.
 * Every case is a row; expected bodies are whole strings.
 */
#include <stdio.h>
#include <string.h>

#include "amapi.h"
#include "base.h"
#include "check.h"

#define TS	"1764589446123"		/* 2025-12-01T11:44:06.123Z */
#define NOW	1764589500000ULL	/* 2025-12-01T11:45:00.000Z */

struct entry_case {
	const char	*kv[34];	/* field, value, ...; NULL ends */
	const char	*why;		/* NULL: a valid event */
	const char	*key;
};

static const struct entry_case entry_cases[] = {
	{ { "event", "firing", "name", "Punishment", "host", "gw-3", "ts", TS,
	    NULL }, NULL, "Punishment@gw-3" },
	{ { "event", "burning", "name", "P", "host", "h", "ts", "1", NULL },
	    "event is neither firing nor resolved", NULL },
	{ { "event", "firing", "name", "", "host", "h", "ts", "1", NULL },
	    "name or host is missing", NULL },
	{ { "event", "firing", "name", "P", "ts", "1", NULL },
	    "name or host is missing", NULL },
	{ { "event", "firing", "name", "P", "host", "h", "ts", "1.5", NULL },
	    "ts is not a time in ms", NULL },
	{ { "event", "firing", "name", "P", "host", "h", "ts", "1",
	    "count", "12x", NULL }, "a number field is not a number", NULL },
	{ { "event", "firing", "name", "P", "host", "h", "ts", "1",
	    "code", "null", NULL }, NULL, "P@h" },		/* no code */
	{ { "hello", NULL }, "odd number of fields and values", NULL },
	{ { NULL }, "event is neither firing nor resolved", NULL },
};

static void
test_entries(void)
{
	size_t i, n, lens[34];
	struct amapi_event *ev;
	const char *why;

	for (i = 0; i < ARRAY_SIZE(entry_cases); i++) {
		const struct entry_case *c = &entry_cases[i];

		for (n = 0; c->kv[n] != NULL; n++)
			lens[n] = strlen(c->kv[n]);
		why = NULL;
		ev = amapi_event_parse(c->kv, lens, n, &why);
		if (c->why != NULL) {
			CHECK(ev == NULL);
			CHECK_STR_EQ(why, c->why);
			continue;
		}
		CHECK(ev != NULL);
		CHECK_STR_EQ(amapi_event_key(ev), c->key);
		amapi_event_destroy(ev);
	}
}

/* A spike as errwatchd writes it (SPEC §7). */
#define SPIKE "event", "firing", "id", "gw-3:17:1", "name", "Punishment", \
	"code", "461", "category", "account", "severity", "critical", \
	"host", "gw-3", "rule", "static", "match", "Punishment", \
	"scope", "host", "window_s", "60", "count", "57", \
	"baseline", "2.1", "threshold", "50", "ts", TS

struct alert_case {
	const char	*kv[34];
	const char	*runbook, *dashboard;
	uint64_t	 starts, ends;
	const char	*want;
};

static const struct alert_case alert_cases[] = {
	/* every label and annotation of SPEC §13; the id is no label */
	{ { SPIKE, NULL }, "https://wiki/rb/{name}?c={code}&h={host}",
	    "http://ops:8080/class/{name}", 1764589446123ULL, NOW + 240000,
	    "{\"labels\":{\"alertname\":\"ErrwatchErrorSpike\","
	    "\"class\":\"Punishment\",\"code\":\"461\","
	    "\"category\":\"account\",\"severity\":\"critical\","
	    "\"scope\":\"host\",\"host\":\"gw-3\",\"rule\":\"static\","
	    "\"source\":\"errwatch\"},\"annotations\":{"
	    "\"summary\":\"Punishment spike on gw-3\","
	    "\"description\":\"461 Punishment: 57 in 60 s on gw-3, "
	    "baseline 2.1\",\"count\":\"57\",\"baseline\":\"2.1\","
	    "\"threshold\":\"50\",\"window_s\":\"60\","
	    "\"runbook_url\":\"https://wiki/rb/Punishment?c=461\\u0026h=gw-3\","
	    "\"dashboard\":\"http://ops:8080/class/Punishment\"},"
	    "\"startsAt\":\"2025-12-01T11:44:06.123Z\","
	    "\"endsAt\":\"2025-12-01T11:49:00.000Z\","
	    "\"generatorURL\":\"http://ops:8080/class/Punishment\"}" },
	/* a fleet drop: no host label; old number format rewritten;
	 * template values URL-escaped, then JSON-escaped */
	{ { "event", "resolved", "name", "Success", "code", "200",
	    "category", "success", "severity", "critical", "host", "fleet",
	    "scope", "fleet", "rule", "drop", "window_s", "60",
	    "count", "3", "baseline", "48.100", "threshold", "12.025",
	    "ts", "1000", NULL }, "", "http://d/{host}/{category}\"<x>",
	    0, 1000,
	    "{\"labels\":{\"alertname\":\"ErrwatchErrorDrop\","
	    "\"class\":\"Success\",\"code\":\"200\","
	    "\"category\":\"success\",\"severity\":\"critical\","
	    "\"scope\":\"fleet\",\"rule\":\"drop\",\"source\":\"errwatch\"},"
	    "\"annotations\":{\"summary\":\"Success drop on the fleet\","
	    "\"description\":\"200 Success: 3 in 60 s on the fleet, "
	    "baseline 48.1\",\"count\":\"3\",\"baseline\":\"48.1\","
	    "\"threshold\":\"12.025\",\"window_s\":\"60\","
	    "\"dashboard\":\"http://d/fleet/success\\\"\\u003cx\\u003e\"},"
	    "\"startsAt\":\"1970-01-01T00:00:00.000Z\","
	    "\"endsAt\":\"1970-01-01T00:00:01.000Z\","
	    "\"generatorURL\":\"http://d/fleet/success\\\"\\u003cx\\u003e\"}" },
	/* a silent host: no class, code or category */
	{ { "event", "firing", "name", "HostSilent", "code", "",
	    "category", "", "severity", "warning", "host", "gw 7",
	    "rule", "silent", "scope", "host", "ts", "2000", NULL },
	    "http://rb/{name}/{code}/{host}", NULL, 2000, 3000,
	    "{\"labels\":{\"alertname\":\"ErrwatchHostSilent\","
	    "\"severity\":\"warning\",\"scope\":\"host\",\"host\":\"gw 7\","
	    "\"rule\":\"silent\",\"source\":\"errwatch\"},\"annotations\":{"
	    "\"summary\":\"gw 7 is silent\",\"description\":\"no heartbeat "
	    "from gw 7 in P hosts: it may be down, cut off from Redis, or "
	    "stuck\",\"runbook_url\":\"http://rb/HostSilent//gw%207\"},"
	    "\"startsAt\":\"1970-01-01T00:00:02.000Z\","
	    "\"endsAt\":\"1970-01-01T00:00:03.000Z\"}" },
	/* an event of an older errwatchd: no scope (host), code null */
	{ { "event", "firing", "name", "Unclassified", "code", "null",
	    "category", "", "severity", "warning", "host", "h\n<1>",
	    "rule", "adaptive", "window_s", "60", "count", "20",
	    "baseline", "0", "threshold", "20", "ts", "5", NULL },
	    NULL, NULL, 5, 5,
	    "{\"labels\":{\"alertname\":\"ErrwatchErrorSpike\","
	    "\"class\":\"Unclassified\",\"severity\":\"warning\","
	    "\"scope\":\"host\",\"host\":\"h\\u000a\\u003c1\\u003e\","
	    "\"rule\":\"adaptive\",\"source\":\"errwatch\"},"
	    "\"annotations\":{\"summary\":\"Unclassified spike on "
	    "h\\u000a\\u003c1\\u003e\",\"description\":"
	    "\"Unclassified: 20 in 60 s "
	    "on h\\u000a\\u003c1\\u003e, baseline 0\",\"count\":\"20\","
	    "\"baseline\":\"0\",\"threshold\":\"20\",\"window_s\":\"60\"},"
	    "\"startsAt\":\"1970-01-01T00:00:00.005Z\","
	    "\"endsAt\":\"1970-01-01T00:00:00.005Z\"}" },
};

static struct amapi_event *
parse(const char *const *kv)
{
	size_t n, lens[34];
	const char *why = NULL;
	struct amapi_event *ev;

	for (n = 0; kv[n] != NULL; n++)
		lens[n] = strlen(kv[n]);
	ev = amapi_event_parse(kv, lens, n, &why);
	if (ev == NULL)
		fprintf(stderr, "parse: %s\n", why);
	CHECK(ev != NULL);
	return ev;
}

static void
test_alerts(void)
{
	struct buf b = { NULL, 0, 0 };
	struct amapi_event *ev;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(alert_cases); i++) {
		const struct alert_case *c = &alert_cases[i];
		struct amapi_links l = { c->runbook, c->dashboard };

		ev = parse(c->kv);
		buf_reset(&b);
		amapi_alert(&b, ev, &l, c->starts, c->ends);
		if (strcmp(b.p, c->want) != 0)
			fprintf(stderr, "row %zu: got\n%s\n", i, b.p);
		CHECK_STR_EQ(b.p, c->want);
		amapi_event_destroy(ev);
	}
	buf_free(&b);
}

struct webhook_case {
	const char	*kv[34];
	const char	*want;
};

static const struct webhook_case webhook_cases[] = {
	{ { SPIKE, NULL },
	    "{\"event\":\"firing\",\"id\":\"gw-3:17:1\",\"name\":"
	    "\"Punishment\",\"code\":461,\"category\":\"account\","
	    "\"severity\":\"critical\",\"host\":\"gw-3\",\"rule\":\"static\","
	    "\"match\":\"Punishment\",\"scope\":\"host\",\"window_s\":60,"
	    "\"count\":57,\"baseline\":2.1,\"threshold\":50,\"ts\":" TS "}" },
	{ { "event", "firing", "name", "HostSilent", "code", "",
	    "host", "x\"y", "ts", "7", "code", "null", NULL },
	    "{\"event\":\"firing\",\"name\":\"HostSilent\",\"code\":null,"
	    "\"host\":\"x\\\"y\",\"ts\":7}" },
};

static void
test_webhooks(void)
{
	struct buf b = { NULL, 0, 0 };
	struct amapi_event *ev, *back;
	const char *why = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(webhook_cases); i++) {
		ev = parse(webhook_cases[i].kv);
		buf_reset(&b);
		amapi_webhook(&b, ev);
		CHECK_STR_EQ(b.p, webhook_cases[i].want);
		/* the JSON reads back as the same event (alerts:active) */
		back = amapi_event_from_json(b.p, b.len, &why);
		CHECK(back != NULL);
		buf_reset(&b);
		amapi_webhook(&b, back);
		CHECK_STR_EQ(b.p, webhook_cases[i].want);
		CHECK_STR_EQ(amapi_event_key(back), amapi_event_key(ev));
		CHECK_UINT_EQ(amapi_event_ts(back), amapi_event_ts(ev));
		amapi_event_destroy(back);
		amapi_event_destroy(ev);
	}
	CHECK(amapi_event_from_json("[1]", 3, &why) == NULL);
	CHECK_STR_EQ(why, "not a JSON object");
	CHECK(amapi_event_from_json("{\"a\":{}}", 8, &why) == NULL);
	CHECK_STR_EQ(why, "a value is not a string, number or null");
	buf_free(&b);
}

int
main(void)
{
	test_entries();
	test_alerts();
	test_webhooks();
	CHECK_DONE();
	return 0;
}
