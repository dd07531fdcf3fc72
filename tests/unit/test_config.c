/*
 * test_config: config_load over YAML texts written to a temp dir. Bad
 * configs are a table: each row is one kind of mistake and the exact
 * line:col and message it must give. Good configs check the values,
 * defaults, path resolution and the environment overrides.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE	700	/* realpath(3) */
#endif
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "config.h"
#include "yamlconf.h"
#include "check.h"

#define INPUT	"inputs:\n  - paths: [a.log]\n"

static char tmpdir[] = "/tmp/ew-test-config-XXXXXX";
static char realdir[PATH_MAX];
static char *made[32];		/* files and dirs to remove, in order */
static size_t nmade;

static void
remember(char *p)
{
	if (nmade == ARRAY_SIZE(made))
		abort();
	made[nmade++] = p;
}

static char *
write_file(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", tmpdir, name);
	FILE *f;
	size_t i;

	for (i = 0; i < nmade; i++)
		if (strcmp(made[i], p) == 0)
			break;
	f = fopen(p, "w");
	CHECK(f != NULL);
	CHECK_UINT_EQ(fwrite(text, 1, strlen(text), f), strlen(text));
	CHECK(fclose(f) == 0);
	if (i < nmade) {
		free(p);
		return made[i];
	}
	remember(p);
	return p;
}

static struct config *
load_text(const char *text, struct ew_err *err)
{
	const char *p = write_file("c.yaml", text);

	ew_err_clear(err);
	return config_load(p, err);
}

/* Loads path, which must be good: a failure prints the error and aborts. */
static struct config *
load_ok(const char *path)
{
	struct ew_err err;
	struct config *cfg;

	ew_err_clear(&err);
	cfg = config_load(path, &err);
	if (cfg == NULL) {
		fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col,
		    err.msg);
		abort();
	}
	return cfg;
}

static struct config *
load_text_ok(const char *text)
{
	return load_ok(write_file("c.yaml", text));
}

struct bad {
	const char	*yaml;
	int		 line, col;	/* 1-based; 0: not known */
	const char	*msg;		/* the message, or a prefix of it */
};

static const struct bad bads[] = {
	/* unknown keys: at the key */
	{ "hots: a\n" INPUT, 1, 1, "unknown key \"hots\" (known: host, "
	    "table, max_open_files, redis, inputs, alerts, web, delivery)" },
	{ "redis:\n  urll: redis://x\n" INPUT, 2, 3,
	    "redis: unknown key \"urll\"" },
	{ "inputs:\n  - paths: [a.log]\n    pols: true\n", 3, 5,
	    "inputs[0]: unknown key \"pols\"" },
	{ INPUT "alerts:\n  rules:\n    - {match: X, thresold: 5}\n", 5, 18,
	    "alerts.rules[0]: unknown key \"thresold\"" },
	{ INPUT "alerts:\n  defaults: {threshold: 5}\n", 4, 14,
	    "alerts.defaults: unknown key \"threshold\"" },
	/* wrong types: at the value */
	{ "host: {a: 1}\n" INPUT, 1, 7,
	    "host: expected a string, got a mapping" },
	{ "max_open_files: many\n" INPUT, 1, 17,
	    "max_open_files: expected a whole number such as 20, got "
	    "\"many\"" },
	{ "max_open_files: -5\n" INPUT, 1, 17,
	    "max_open_files: expected a whole number" },
	{ "max_open_files: 0\n" INPUT, 1, 17,
	    "max_open_files: must be at least 1, got \"0\"" },
	{ "redis: [a, b]\n" INPUT, 1, 8,
	    "redis: expected a mapping, got a list" },
	{ "inputs: {paths: a}\n", 1, 9,
	    "inputs: expected a list of inputs, got a mapping" },
	{ "inputs:\n  - a.log\n", 2, 5,
	    "inputs[0]: expected a mapping, got a single value" },
	{ "inputs:\n  - paths: {a: b}\n", 2, 12,
	    "inputs[0].paths: expected a glob or a list of globs, got a "
	    "mapping" },
	{ "inputs:\n  - paths: [[a]]\n", 2, 13,
	    "inputs[0].paths[0]: expected a string, got a list" },
	{ "- a\n", 1, 1, "expected a mapping of settings at the top level" },
	/* durations */
	{ "inputs:\n  - paths: [a.log]\n    rotate_wait: 5 seconds\n", 3, 18,
	    "inputs[0].rotate_wait: expected a duration such as 500ms or 30s, "
	    "got \"5 seconds\"" },
	{ "redis:\n  flush_interval: 500\n" INPUT, 2, 19,
	    "redis.flush_interval: expected a duration such as 500ms or 30s, "
	    "got \"500\"" },
	{ "redis:\n  connect_timeout: 99999999999999999999d\n" INPUT, 2, 20,
	    "redis.connect_timeout: expected a duration" },
	{ "redis:\n  connect_timeout: 0s\n" INPUT, 2, 20,
	    "redis.connect_timeout: must be at least 1ms, got \"0s\"" },
	{ INPUT "alerts:\n  defaults: {window: 1500ms}\n", 4, 22,
	    "alerts.defaults.window: must be whole seconds" },
	/* sizes */
	{ "inputs:\n  - paths: [a.log]\n    max_line: 64KB\n", 3, 15,
	    "inputs[0].max_line: expected a size such as 65536, 64KiB or "
	    "1MiB, got \"64KB\"" },
	{ "inputs:\n  - paths: [a.log]\n    max_line: 100\n", 3, 15,
	    "inputs[0].max_line: must be from 256 bytes" },
	/* booleans, enums, numbers */
	{ "inputs:\n  - paths: [a.log]\n    poll: maybe\n", 3, 11,
	    "inputs[0].poll: expected true or false (or yes/no, on/off), got "
	    "\"maybe\"" },
	{ "inputs:\n  - paths: [a.log]\n    start_at: middle\n", 3, 15,
	    "inputs[0].start_at: expected end or beginning, got \"middle\"" },
	{ INPUT "alerts:\n  defaults: {p: 2}\n", 4, 17,
	    "alerts.defaults.p: expected a probability" },
	{ INPUT "alerts:\n  defaults: {factor: four}\n", 4, 22,
	    "alerts.defaults.factor: expected a number above 0" },
	{ INPUT "alerts:\n  defaults: {factor: nan}\n", 4, 22,
	    "alerts.defaults.factor: expected a number above 0" },
	{ INPUT "alerts:\n  defaults: {factor: \" 4\"}\n", 4, 22,
	    "alerts.defaults.factor: expected a number above 0" },
	{ INPUT "alerts:\n  defaults: {p: 0}\n", 4, 17,
	    "alerts.defaults.p: expected a probability" },
	{ INPUT "alerts:\n  rules:\n    - {match: X, threshold: 0}\n", 5, 29,
	    "alerts.rules[0].threshold: must be at least 1" },
	{ INPUT "alerts:\n  rules:\n    - {match: X, severity: \"very bad\"}\n",
	    5, 28, "alerts.rules[0].severity: expected a word" },
	/* globs */
	{ "inputs:\n  - paths: [\"/var/log/[abc.log\"]\n", 2, 13,
	    "inputs[0].paths[0]: not a valid glob ([ without a closing ]), "
	    "got \"/var/log/[abc.log\"" },
	{ "inputs:\n  - paths: [\"\"]\n", 2, 13,
	    "inputs[0].paths[0]: expected a non-empty string" },
	{ "inputs:\n  - paths: [a.log]\n    exclude: \"x[\"\n", 3, 14,
	    "inputs[0].exclude: not a valid glob" },
	/* duplicates: at the second key */
	{ "inputs:\n  - paths: [a.log]\n    paths: [b.log]\n", 3, 5,
	    "inputs[0]: duplicate key \"paths\" (first at line 2)" },
	{ "host: a\nhost: b\n" INPUT, 2, 1,
	    "duplicate key \"host\" (first at line 1)" },
	{ "inputs:\n  - {name: x, paths: a}\n  - {name: x, paths: b}\n", 3, 12,
	    "inputs[1].name: \"x\" is already the name of inputs[0]" },
	{ INPUT "alerts:\n  rules:\n    - {match: X}\n    - {match: X}\n", 6,
	    15, "alerts.rules[1].match: \"X\" already has a spike rule "
	    "(alerts.rules[0])" },
	/* SPEC §9: one spike rule and one drop rule per match */
	{ INPUT "alerts:\n  rules:\n    - {match: X, drop: true}\n"
	    "    - {match: X}\n    - {match: X, drop: true}\n", 7, 15,
	    "alerts.rules[2].match: \"X\" already has a drop rule "
	    "(alerts.rules[0])" },
	{ INPUT "alerts:\n  rules:\n"
	    "    - {match: X, drop: true, threshold: 5}\n", 5, 41,
	    "alerts.rules[0].threshold: a drop rule has no threshold" },
	{ INPUT "alerts:\n  rules:\n    - {match: X, drop: maybe}\n", 5, 24,
	    "alerts.rules[0].drop: expected true or false" },
	/* SPEC §13: alerts.fleet */
	{ INPUT "alerts:\n  flet: {}\n", 4, 3, "alerts: unknown key \"flet\" "
	    "(known: defaults, rules, fleet)" },
	{ INPUT "alerts:\n  fleet:\n    rule: []\n", 5, 5,
	    "alerts.fleet: unknown key \"rule\" (known: defaults, rules)" },
	{ INPUT "alerts:\n  fleet: [a]\n", 4, 10,
	    "alerts.fleet: expected a mapping" },
	{ INPUT "alerts:\n  fleet:\n    rules:\n"
	    "      - {match: X, treshold: 5}\n", 6, 20,
	    "alerts.fleet.rules[0]: unknown key \"treshold\"" },
	{ INPUT "alerts:\n  fleet:\n    rules:\n"
	    "      - {match: S, drop: true}\n"
	    "      - {match: S, drop: true}\n", 7, 17,
	    "alerts.fleet.rules[1].match: \"S\" already has a drop rule "
	    "(alerts.fleet.rules[0])" },
	{ INPUT "alerts:\n  fleet:\n    defaults: {p: 0}\n", 5, 19,
	    "alerts.fleet.defaults.p: expected a probability" },
	{ INPUT "alerts:\n  fleet:\n    rules: {match: S}\n", 5, 12,
	    "alerts.fleet.rules: expected a list of rules" },
	{ "redis:\n  buckets: {60s: 1h, 1m: 2h}\n" INPUT, 2, 22,
	    "redis.buckets: \"1m\" is the same resolution as \"60s\"" },
	/* buckets */
	/* SPEC §15: the sentinels, each at its own value */
	{ "redis:\n  sentinels: [\"127.0.0.1:26379\", \"::1:26379\"]\n"
	    "  master_name: m\n" INPUT, 2, 34,
	    "redis.sentinels[1]: expected host:port or [v6]:port such as "
	    "127.0.0.1:26379, got \"::1:26379\"" },
	{ "redis:\n  sentinels: \"unix:/s.sock\"\n  master_name: m\n"
	    INPUT, 2, 14, "redis.sentinels[0]: a sentinel is reached over "
	    "TCP" },
	{ "redis:\n  sentinels: {a: 1}\n" INPUT, 2, 14,
	    "redis.sentinels: expected a host:port or a list of them, got a "
	    "mapping" },
	{ "redis:\n  sentinels: [\"127.0.0.1:26379\"]\n" INPUT, 2, 3,
	    "redis.master_name: required with redis.sentinels" },
	{ "redis:\n  master_name: m\n" INPUT, 2, 16,
	    "redis.master_name: only used with redis.sentinels" },
	{ "redis:\n  sentinel_password_file: pw\n" INPUT, 2, 27,
	    "redis.sentinel_password_file: only used with redis.sentinels" },
	{ "redis:\n  url: unix:///r.sock\n  sentinels: [\"h:26379\"]\n"
	    "  master_name: m\n" INPUT, 2, 8,
	    "redis.url: with redis.sentinels the URL must be redis://" },
	{ "redis:\n  sentinels: [\"h:26379\"]\n  master_name: m\n"
	    "  sentinel_password_file: nope-spw\n" INPUT, 4, 27,
	    "redis.sentinel_password_file: " },
	{ "redis:\n  buckets: {10x: 6h}\n" INPUT, 2, 13,
	    "redis.buckets: expected a resolution such as 10s or 1m" },
	{ "redis:\n  buckets: {10s: 1s}\n" INPUT, 2, 18,
	    "redis.buckets.10s: the retention must be at least the "
	    "resolution" },
	{ "redis:\n  buckets: {}\n" INPUT, 2, 12,
	    "redis.buckets: expected at least one" },
	/* required keys */
	{ "inputs:\n  - name: x\n", 2, 5,
	    "inputs[0]: missing required key \"paths\"" },
	{ "inputs: []\n", 1, 9, "inputs: expected at least one input" },
	/* SPEC §16: files or the journal, exactly one */
	{ "inputs:\n  - paths: [a.log]\n    journal: {units: [a]}\n", 3, 14,
	    "inputs[0]: paths and journal both given" },
	{ "inputs:\n  - name: x\n    patterns: ['(?<code>1)']\n", 2, 5,
	    "inputs[0]: missing required key \"paths\"" },
	{ "inputs:\n  - journal: [a.service]\n", 2, 14,
	    "inputs[0].journal: expected a mapping" },
	{ "inputs:\n  - journal: {unit: a.service}\n", 2, 15,
	    "inputs[0].journal: unknown key \"unit\"" },
	{ "inputs:\n  - journal: {units: {a: b}}\n", 2, 22,
	    "inputs[0].journal.units: expected a unit name or a list" },
	{ "inputs:\n  - journal: {directory: [a]}\n", 2, 26,
	    "inputs[0].journal.directory: expected a string" },
	{ INPUT "alerts:\n  rules:\n    - {threshold: 5}\n", 5, 7,
	    "alerts.rules[0]: missing required key \"match\"" },
	/* other values */
	{ "redis:\n  url: http://x\n" INPUT, 2, 8,
	    "redis.url: expected redis://" },
	/* the Redis URL: redisurl's grammar, at the url value (SPEC §2) */
	{ "redis:\n  url: redis://127.0.0.1:notaport/0\n" INPUT, 2, 8,
	    "redis.url: bad port: expected a number from 1 to 65535 after "
	    "':'" },
	{ "redis:\n  url: rediss://h/0\n" INPUT, 2, 8,
	    "redis.url: TLS (rediss://) is not supported: use redis:// or "
	    "unix://" },
	{ "redis:\n  url: \"redis://u:topsecret@[::1\"\n" INPUT, 2, 8,
	    "redis.url: bad IPv6 address: no closing ']'" },
	{ "redis:\n  url: unix://rel.sock\n" INPUT, 2, 8,
	    "redis.url: the socket path must be absolute" },
	{ "redis:\n  url: \"\"\n" INPUT, 2, 8,
	    "redis.url: expected a non-empty string" },
	{ "inputs:\n  - {name: \"a b\", paths: a}\n", 2, 12,
	    "inputs[0].name: expected letters" },
	/* YAML itself */
	{ "host: a\n  b: c\n" INPUT, 2, 4,
	    "invalid YAML: mapping values are not allowed in this context" },
	{ "inputs:\n  - paths: [a.log\n", 3, 1,
	    "invalid YAML: did not find expected ',' or ']' (while parsing a "
	    "flow sequence at line 2)" },
	{ "host: *x\n" INPUT, 1, 7, "invalid YAML: found undefined alias" },
	{ "host: \"a\xff\"\n" INPUT, 1, 9, "invalid YAML: invalid" },
	{ INPUT "---\nhost: b\n", 4, 1,
	    "expected one YAML document, found a second one" },
	/* delivery (SPEC §13) */
	{ INPUT "delivery:\n  alertmanager: [http://a:9093, ftp://b]\n",
	    4, 33, "delivery.alertmanager: expected an http:// or https:// "
	    "URL, got \"ftp://b\"" },
	{ INPUT "delivery:\n  webhooks:\n    - {url: \"x y\"}\n", 5, 13,
	    "delivery.webhooks[0].url: expected an http:// or https:// URL" },
	{ INPUT "delivery:\n  webhooks: [{url: http://h, headers: "
	    "{\"X A\": 1}}]\n", 4, 40,
	    "delivery.webhooks[0].headers: expected an HTTP header name, got "
	    "\"X A\"" },
	{ INPUT "delivery:\n  webhooks: [{headers: {}}]\n", 4, 14,
	    "delivery.webhooks[0]: missing required key \"url\"" },
	{ INPUT "delivery:\n  resend: 500ms\n", 4, 11,
	    "delivery.resend: must be at least 1s" },
	{ INPUT "delivery:\n  silent_severity: \"very bad\"\n", 4, 20,
	    "delivery.silent_severity: expected a word such as warning" },
};

static void
test_bad(void)
{
	struct ew_err err;
	struct config *cfg;
	char *path = xasprintf("%s/c.yaml", tmpdir);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bads); i++) {
		cfg = load_text(bads[i].yaml, &err);
		if (cfg != NULL || err.line != bads[i].line ||
		    err.col != bads[i].col ||
		    strncmp(err.msg, bads[i].msg, strlen(bads[i].msg)) != 0)
			fprintf(stderr, "row %zu: got %d:%d: %s\n", i,
			    err.line, err.col, err.msg);
		CHECK(cfg == NULL);
		CHECK_STR_EQ(err.file, path);
		CHECK_INT_EQ(err.line, bads[i].line);
		CHECK_INT_EQ(err.col, bads[i].col);
		CHECK_MEM_EQ(err.msg, strlen(bads[i].msg), bads[i].msg,
		    strlen(bads[i].msg));
	}
	free(path);
}

static void
test_missing_file(void)
{
	struct ew_err err;
	char *p = xasprintf("%s/nope.yaml", tmpdir), out[1024];

	ew_err_clear(&err);
	CHECK(config_load(p, &err) == NULL);
	ew_err_format(&err, out, sizeof(out));
	CHECK_STR_EQ(err.file, p);
	CHECK_INT_EQ(err.line, 0);
	CHECK_STR_EQ(err.msg, "No such file or directory");
	CHECK(strstr(out, "/nope.yaml: No such file or directory") != NULL);
	free(p);

	ew_err_clear(&err);
	CHECK(config_load(tmpdir, &err) == NULL);
	CHECK_STR_EQ(err.msg, "Is a directory");
}

static void
test_minimal(void)
{
	struct config *cfg;
	const struct config_input *in;
	const struct alert_params *d;
	char host[256], *want;

	cfg = load_text_ok("inputs:\n  - paths: app.log\n");
	memset(host, 0, sizeof(host));
	CHECK(gethostname(host, sizeof(host) - 1) == 0);
	CHECK_STR_EQ(cfg->dir, realdir);
	CHECK_STR_EQ(cfg->host, host);
	CHECK_STR_EQ(cfg->table, "/usr/share/errwatch/error-codes.tsv");
	CHECK_INT_EQ(cfg->table_pos.line, 0);
	CHECK_UINT_EQ(cfg->max_open_files, 1024);
	CHECK_STR_EQ(cfg->redis.url, "redis://127.0.0.1:6379/0");
	CHECK_STR_EQ(cfg->redis.password_file, "");
	CHECK_STR_EQ(cfg->redis.prefix, "errwatch:");
	CHECK_UINT_EQ(cfg->redis.connect_timeout_ms, 2000);
	CHECK_UINT_EQ(cfg->redis.flush_interval_ms, 500);
	CHECK_UINT_EQ(cfg->redis.nbuckets, 3);
	CHECK_UINT_EQ(cfg->redis.buckets[0].res_ms, 10000);
	CHECK_UINT_EQ(cfg->redis.buckets[0].retention_ms, 6 * 3600000ULL);
	CHECK_STR_EQ(cfg->redis.buckets[0].name, "10s");
	CHECK_UINT_EQ(cfg->redis.buckets[1].res_ms, 60000);
	CHECK_UINT_EQ(cfg->redis.buckets[1].retention_ms, 48 * 3600000ULL);
	CHECK_STR_EQ(cfg->redis.buckets[1].name, "1m");
	CHECK_UINT_EQ(cfg->redis.buckets[2].res_ms, 3600000);
	CHECK_UINT_EQ(cfg->redis.buckets[2].retention_ms, 90 * 86400000ULL);
	CHECK_STR_EQ(cfg->redis.buckets[2].name, "1h");
	CHECK_UINT_EQ(cfg->ninputs, 1);
	in = &cfg->inputs[0];
	CHECK_STR_EQ(in->name, "input0");
	CHECK_UINT_EQ(in->npaths, 1);
	want = xasprintf("%s/app.log", realdir);
	CHECK_STR_EQ(in->paths[0], want);
	free(want);
	CHECK_UINT_EQ(in->nexclude, 0);
	CHECK_INT_EQ(in->start_at, START_AT_END);
	CHECK_UINT_EQ(in->max_line, 65536);
	CHECK_UINT_EQ(in->rotate_wait_ms, 5000);
	CHECK(!in->poll);
	CHECK_UINT_EQ(in->npatterns, 1);
	CHECK_STR_EQ(in->patterns[0],
	    "\\bcode=(?<code>\\d{3,4})\\b(?:.*?\\bname=(?<name>[A-Za-z]+))?");
	CHECK_INT_EQ(in->pattern_pos[0].line, 0);
	d = &cfg->alerts.defaults;
	CHECK_UINT_EQ(d->window_ms, 60000);
	CHECK_UINT_EQ(d->baseline_ms, 1800000);
	CHECK_UINT_EQ(d->min_count, 20);
	CHECK(d->factor == 4.0);
	CHECK(d->p == 1e-6);
	CHECK_UINT_EQ(d->cooldown_ms, 300000);
	CHECK_UINT_EQ(d->threshold, 0);
	CHECK_STR_EQ(d->severity, "warning");
	CHECK(d->enabled);
	CHECK_UINT_EQ(d->set, 0);
	CHECK_UINT_EQ(cfg->alerts.nrules, 0);
	/* SPEC §13: the fleet's defaults */
	d = &cfg->fleet.defaults;
	CHECK_UINT_EQ(d->window_ms, 60000);
	CHECK_UINT_EQ(d->baseline_ms, 1800000);
	CHECK_UINT_EQ(d->min_count, 50);
	CHECK(d->factor == 4.0);
	CHECK(d->p == 1e-6);
	CHECK_UINT_EQ(d->cooldown_ms, 300000);
	CHECK_STR_EQ(d->severity, "warning");
	CHECK(d->enabled);
	CHECK_UINT_EQ(d->set, 0);
	CHECK_UINT_EQ(cfg->fleet.nrules, 0);
	config_destroy(cfg);
}

/* Every key given, in block and flow style. */
/* SPEC §16: a journal input, its defaults and a relative directory. */
static void
test_journal(void)
{
	struct config *cfg;
	const struct config_input *in;
	char *want;
	struct buf b = { 0 };

	cfg = load_text_ok("inputs:\n  - name: j\n    journal: {}\n"
	    "  - journal:\n      units: [a.service, b.service]\n"
	    "      directory: jdir\n  - paths: x.log\n");
	CHECK_UINT_EQ(cfg->ninputs, 3);
	in = &cfg->inputs[0];
	CHECK(in->is_journal);
	CHECK_UINT_EQ(in->npaths, 0);
	CHECK_UINT_EQ(in->journal.nunits, 0);
	CHECK_STR_EQ(in->journal.directory, "");
	CHECK_UINT_EQ(in->start_at, START_AT_END);
	in = &cfg->inputs[1];
	CHECK(in->is_journal);
	CHECK_UINT_EQ(in->journal.nunits, 2);
	CHECK_STR_EQ(in->journal.units[1], "b.service");
	want = xasprintf("%s/jdir", realdir);
	CHECK_STR_EQ(in->journal.directory, want);
	free(want);
	CHECK(!cfg->inputs[2].is_journal);
	CHECK_UINT_EQ(cfg->inputs[2].npaths, 1);
	/* --check-config lists journal keys for journal inputs only */
	config_describe(cfg, &b);
	CHECK(strstr(b.p, "inputs[0].journal.units") != NULL);
	CHECK(strstr(b.p, "inputs[0].paths") == NULL);
	CHECK(strstr(b.p, "inputs[2].journal") == NULL);
	CHECK(strstr(b.p, "inputs[2].paths") != NULL);
	buf_free(&b);
	config_destroy(cfg);
}

static void
test_values(void)
{
	static const char text[] =
	    "host: web-1\n"
	    "table: data/codes.tsv\n"
	    "max_open_files: 50\n"
	    "redis:\n"
	    "  url: unix:///run/redis.sock?db=2\n"
	    "  password_file: secret\n"
	    "  prefix: \"\"\n"
	    "  connect_timeout: 250ms\n"
	    "  flush_interval: 1s\n"
	    "  buckets:\n"
	    "    1h: 90d\n"
	    "    10s: 6h\n"
	    "    5m: 7d\n"
	    "inputs:\n"
	    "  - name: gw\n"
	    "    paths: [./logs/*.log, /abs/x.log]\n"
	    "    exclude: [\"*.gz\", old/*.log]\n"
	    "    start_at: beginning\n"
	    "    max_line: 1MiB\n"
	    "    rotate_wait: 0s\n"
	    "    poll: yes\n"
	    "    patterns:\n"
	    "      - 'a(?<code>\\d+)'\n"
	    "      - \"b(?<name>x)\"\n"
	    "  - paths: /b/*.log\n"
	    "    poll: off\n"
	    "    max_line: 256\n"
	    "alerts:\n"
	    "  rules:\n"
	    "    - {match: X, factor: 8}\n"
	    "    - match: \"461\"\n"
	    "      threshold: 3\n"
	    "      enabled: false\n"
	    "  defaults: {window: 2m, severity: info, p: 0.001,\n"
	    "             min_count: 0}\n";
	struct config *cfg;
	const struct config_input *in;
	const struct config_rule *r;
	char *want;

	/* a password file named must be readable (SPEC §2: --check-config
	 * finds what the daemon would) */
	write_file("secret", "s3cret\n");
	cfg = load_text_ok(text);
	CHECK_STR_EQ(cfg->host, "web-1");
	want = xasprintf("%s/data/codes.tsv", realdir);
	CHECK_STR_EQ(cfg->table, want);
	free(want);
	CHECK_INT_EQ(cfg->table_pos.line, 2);
	CHECK_INT_EQ(cfg->table_pos.col, 8);
	CHECK_UINT_EQ(cfg->max_open_files, 50);
	CHECK_STR_EQ(cfg->redis.url, "unix:///run/redis.sock?db=2");
	want = xasprintf("%s/secret", realdir);
	CHECK_STR_EQ(cfg->redis.password_file, want);
	free(want);
	CHECK_STR_EQ(cfg->redis.prefix, "");
	CHECK_UINT_EQ(cfg->redis.connect_timeout_ms, 250);
	CHECK_UINT_EQ(cfg->redis.flush_interval_ms, 1000);
	CHECK_UINT_EQ(cfg->redis.nbuckets, 3);
	CHECK_STR_EQ(cfg->redis.buckets[0].name, "10s");
	CHECK_STR_EQ(cfg->redis.buckets[1].name, "5m");
	CHECK_UINT_EQ(cfg->redis.buckets[1].res_ms, 300000);
	CHECK_UINT_EQ(cfg->redis.buckets[1].retention_ms, 7 * 86400000ULL);
	CHECK_STR_EQ(cfg->redis.buckets[2].name, "1h");

	CHECK_UINT_EQ(cfg->ninputs, 2);
	in = &cfg->inputs[0];
	CHECK_STR_EQ(in->name, "gw");
	CHECK_UINT_EQ(in->npaths, 2);
	want = xasprintf("%s/logs/*.log", realdir);
	CHECK_STR_EQ(in->paths[0], want);
	free(want);
	CHECK_STR_EQ(in->paths[1], "/abs/x.log");
	CHECK_UINT_EQ(in->nexclude, 2);
	CHECK_STR_EQ(in->exclude[0], "*.gz");
	want = xasprintf("%s/old/*.log", realdir);
	CHECK_STR_EQ(in->exclude[1], want);
	free(want);
	CHECK_INT_EQ(in->start_at, START_AT_BEGINNING);
	CHECK_UINT_EQ(in->max_line, 1024 * 1024);
	CHECK_UINT_EQ(in->rotate_wait_ms, 0);
	CHECK(in->poll);
	CHECK_UINT_EQ(in->npatterns, 2);
	CHECK_STR_EQ(in->patterns[0], "a(?<code>\\d+)");
	CHECK_STR_EQ(in->patterns[1], "b(?<name>x)");
	CHECK_INT_EQ(in->pattern_pos[0].line, 23);
	CHECK_INT_EQ(in->pattern_pos[0].col, 9);
	CHECK_INT_EQ(in->pattern_pos[1].line, 24);
	CHECK_INT_EQ(in->pattern_pos[1].col, 9);
	in = &cfg->inputs[1];
	CHECK_STR_EQ(in->name, "input1");
	CHECK_UINT_EQ(in->npaths, 1);
	CHECK_STR_EQ(in->paths[0], "/b/*.log");
	CHECK(!in->poll);
	CHECK_UINT_EQ(in->max_line, 256);

	/* defaults come last in the file but merge under the rules */
	CHECK_UINT_EQ(cfg->alerts.defaults.window_ms, 120000);
	CHECK_STR_EQ(cfg->alerts.defaults.severity, "info");
	CHECK_UINT_EQ(cfg->alerts.defaults.min_count, 0);
	CHECK_UINT_EQ(cfg->alerts.defaults.set, ALERT_F_WINDOW |
	    ALERT_F_SEVERITY | ALERT_F_P | ALERT_F_MIN_COUNT);
	CHECK_UINT_EQ(cfg->alerts.nrules, 2);
	r = &cfg->alerts.rules[0];
	CHECK_STR_EQ(r->match, "X");
	CHECK_INT_EQ(r->match_pos.line, 30);
	CHECK_INT_EQ(r->match_pos.col, 15);
	CHECK(r->params.factor == 8.0);
	CHECK(r->params.p == 0.001);
	CHECK_UINT_EQ(r->params.window_ms, 120000);
	CHECK_UINT_EQ(r->params.baseline_ms, 1800000);
	CHECK_STR_EQ(r->params.severity, "info");
	CHECK(r->params.enabled);
	CHECK_UINT_EQ(r->params.set, ALERT_F_FACTOR);
	r = &cfg->alerts.rules[1];
	CHECK_STR_EQ(r->match, "461");
	CHECK_INT_EQ(r->match_pos.line, 31);
	CHECK_INT_EQ(r->match_pos.col, 14);
	CHECK_UINT_EQ(r->params.threshold, 3);
	CHECK(!r->params.enabled);
	CHECK_UINT_EQ(r->params.set, ALERT_F_THRESHOLD | ALERT_F_ENABLED);
	config_destroy(cfg);
}

/* Drop rules beside spike rules (SPEC §9), and alerts.fleet with its own
 * defaults under its rules (SPEC §13). */
static void
test_fleet(void)
{
	static const char text[] = INPUT
	    "alerts:\n"
	    "  rules:\n"
	    "    - {match: Success, drop: true, severity: critical}\n"
	    "    - {match: Success, enabled: false}\n"
	    "  fleet:\n"
	    "    rules:\n"
	    "      - {match: Success, drop: true, window: 2m}\n"
	    "      - {match: Punishment, factor: 8, drop: false}\n"
	    "    defaults: {min_count: 100, severity: page}\n";
	struct config *cfg;
	const struct config_rule *r;
	const struct alert_params *d;

	cfg = load_text_ok(text);
	CHECK_UINT_EQ(cfg->alerts.defaults.min_count, 20);
	CHECK_UINT_EQ(cfg->alerts.nrules, 2);
	r = &cfg->alerts.rules[0];
	CHECK_STR_EQ(r->match, "Success");
	CHECK(r->drop);
	CHECK_STR_EQ(r->params.severity, "critical");
	CHECK_UINT_EQ(r->params.min_count, 20);
	CHECK_UINT_EQ(r->params.set, ALERT_F_SEVERITY);
	r = &cfg->alerts.rules[1];
	CHECK(!r->drop);
	CHECK(!r->params.enabled);

	d = &cfg->fleet.defaults;
	CHECK_UINT_EQ(d->min_count, 100);
	CHECK_STR_EQ(d->severity, "page");
	CHECK_UINT_EQ(d->window_ms, 60000);
	CHECK_UINT_EQ(d->cooldown_ms, 300000);
	CHECK_UINT_EQ(d->set, ALERT_F_MIN_COUNT | ALERT_F_SEVERITY);
	CHECK_UINT_EQ(cfg->fleet.nrules, 2);
	r = &cfg->fleet.rules[0];
	CHECK_STR_EQ(r->match, "Success");
	CHECK_INT_EQ(r->match_pos.line, 9);
	CHECK_INT_EQ(r->match_pos.col, 17);
	CHECK(r->drop);
	CHECK_UINT_EQ(r->params.window_ms, 120000);
	CHECK_UINT_EQ(r->params.min_count, 100);
	CHECK_STR_EQ(r->params.severity, "page");
	CHECK_UINT_EQ(r->params.set, ALERT_F_WINDOW);
	r = &cfg->fleet.rules[1];
	CHECK_STR_EQ(r->match, "Punishment");
	CHECK(!r->drop);
	CHECK(r->params.factor == 8.0);
	CHECK_UINT_EQ(r->params.min_count, 100);
	config_destroy(cfg);
}

/* A null value is the default; a quoted "" is an empty string. */
static void
test_nulls(void)
{
	struct config *cfg;

	cfg = load_text_ok("host:\ntable: ~\nredis:\n  password_file: \"\"\n"
	    "alerts:\n" INPUT);
	CHECK(strcmp(cfg->host, "auto") != 0);
	CHECK_STR_EQ(cfg->table, "/usr/share/errwatch/error-codes.tsv");
	CHECK_STR_EQ(cfg->redis.password_file, "");
	config_destroy(cfg);
}

/* The parsed target and its credential (SPEC §7), and where their errors
 * point. */
static void
test_target(void)
{
	struct ew_err err;
	struct config *cfg;
	char *pw, *want;

	cfg = load_text_ok("redis:\n  url: redis://al%40ce:urlpw@[::1]:7000/"
	    "3\n" INPUT);
	CHECK_INT_EQ(cfg->redis.target.scheme, REDISURL_TCP);
	CHECK_STR_EQ(cfg->redis.target.host, "::1");
	CHECK_INT_EQ(cfg->redis.target.port, 7000);
	CHECK(cfg->redis.target.path == NULL);
	CHECK_STR_EQ(cfg->redis.target.user, "al@ce");
	CHECK_STR_EQ(cfg->redis.target.password, "urlpw");
	CHECK_INT_EQ(cfg->redis.target.db, 3);
	config_destroy(cfg);

	/* the default URL, parsed too */
	cfg = load_text_ok(INPUT);
	CHECK_INT_EQ(cfg->redis.target.scheme, REDISURL_TCP);
	CHECK_STR_EQ(cfg->redis.target.host, "127.0.0.1");
	CHECK_INT_EQ(cfg->redis.target.port, 6379);
	CHECK(cfg->redis.target.password == NULL);
	config_destroy(cfg);

	/* a password file, relative to the config, wins over the URL's */
	pw = write_file("pw-rel", "frompw\n");
	cfg = load_text_ok("redis:\n  url: unix:///r.sock?db=2\n"
	    "  password_file: ./pw-rel\n" INPUT);
	CHECK_STR_EQ(cfg->redis.password_file, pw);
	CHECK_INT_EQ(cfg->redis.target.scheme, REDISURL_UNIX);
	CHECK_STR_EQ(cfg->redis.target.path, "/r.sock");
	CHECK(cfg->redis.target.host == NULL);
	CHECK_INT_EQ(cfg->redis.target.db, 2);
	CHECK_STR_EQ(cfg->redis.target.password, "frompw");
	config_destroy(cfg);

	/* a password file that cannot be read: at its value */
	CHECK(load_text("redis:\n  password_file: nope-pw\n" INPUT,
	    &err) == NULL);
	want = xasprintf("redis.password_file: %s/nope-pw: cannot open "
	    "password file: No such file or directory", realdir);
	CHECK_INT_EQ(err.line, 2);
	CHECK_INT_EQ(err.col, 18);
	CHECK_STR_EQ(err.msg, want);
	free(want);
	write_file("empty-pw", "");
	CHECK(load_text("redis:\n  password_file: empty-pw\n" INPUT,
	    &err) == NULL);
	CHECK_INT_EQ(err.line, 2);
	CHECK(strstr(err.msg, "empty-pw: password file is empty") != NULL);

	/* SPEC §15: sentinels with their own password; url's user,
	 * password and db stay in the target */
	pw = write_file("spw", "sentinelpw\n");
	cfg = load_text_ok("redis:\n  url: redis://:mpw@ignored:1/4\n"
	    "  sentinels: [\"127.0.0.1:26379\", \"[::1]:26380\", "
	    "\"s3.example:26381\"]\n  master_name: mymaster\n"
	    "  sentinel_password_file: spw\n" INPUT);
	CHECK_UINT_EQ(cfg->redis.sentinel.naddrs, 3);
	CHECK_STR_EQ(cfg->redis.sentinel.addrs[1], "[::1]:26380");
	CHECK_STR_EQ(cfg->redis.sentinel.master_name, "mymaster");
	CHECK_STR_EQ(cfg->redis.sentinel.password, "sentinelpw");
	CHECK_STR_EQ(cfg->redis.sentinel_password_file, pw);
	CHECK_INT_EQ(cfg->redis.sentinel_pos[2].line, 3);
	CHECK_STR_EQ(cfg->redis.target.password, "mpw");
	CHECK_INT_EQ(cfg->redis.target.db, 4);
	config_destroy(cfg);
	/* one entry as a plain string, no sentinel password */
	cfg = load_text_ok("redis:\n  sentinels: 127.0.0.1:26379\n"
	    "  master_name: m\n" INPUT);
	CHECK_UINT_EQ(cfg->redis.sentinel.naddrs, 1);
	CHECK(cfg->redis.sentinel.password == NULL);
	config_destroy(cfg);
}

static int
line_of(const char *path, const char *needle, int *col)
{
	char line[1024], *p;
	FILE *f = fopen(path, "r");
	int n = 0;

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if ((p = strstr(line, needle)) != NULL) {
			*col = (int)(p - line) + 1;
			fclose(f);
			return n;
		}
	}
	fclose(f);
	return 0;
}

static void
test_example(void)
{
	const char *src = getenv("EW_SRC");
	struct config *cfg;
	const struct config_rule *r;
	char *path;
	int line, col = 0;

	path = xasprintf("%s/config/errwatch.yaml", src ? src : ".");
	cfg = load_ok(path);
	CHECK_STR_EQ(cfg->table, "/usr/share/errwatch/error-codes.tsv");
	CHECK_UINT_EQ(cfg->max_open_files, 1024);
	CHECK_STR_EQ(cfg->redis.url, "redis://127.0.0.1:6379/0");
	CHECK_STR_EQ(cfg->redis.prefix, "errwatch:");
	CHECK_UINT_EQ(cfg->redis.nbuckets, 3);
	CHECK_STR_EQ(cfg->redis.buckets[2].name, "1h");
	CHECK_UINT_EQ(cfg->ninputs, 1);
	CHECK_STR_EQ(cfg->inputs[0].paths[0], "/var/log/platform/*.log");
	CHECK_STR_EQ(cfg->inputs[0].exclude[0], "*.gz");
	CHECK_UINT_EQ(cfg->inputs[0].npatterns, 1);
	CHECK_STR_EQ(cfg->inputs[0].patterns[0],
	    "\\bcode=(?<code>\\d{3,4})\\b(?:.*?\\bname=(?<name>[A-Za-z]+))?");
	CHECK(cfg->inputs[0].pattern_pos[0].line > 0);
	CHECK_UINT_EQ(cfg->alerts.defaults.window_ms, 60000);
	CHECK(cfg->alerts.defaults.p == 1e-6);
	CHECK_UINT_EQ(cfg->alerts.nrules, 3);
	r = &cfg->alerts.rules[0];
	CHECK_STR_EQ(r->match, "Punishment");
	line = line_of(path, "Punishment", &col);
	CHECK_INT_EQ(r->match_pos.line, line);
	CHECK_INT_EQ(r->match_pos.col, col);
	CHECK_UINT_EQ(r->params.threshold, 50);
	CHECK_UINT_EQ(r->params.window_ms, 60000);
	CHECK_STR_EQ(r->params.severity, "critical");
	CHECK_UINT_EQ(r->params.set, ALERT_F_THRESHOLD | ALERT_F_WINDOW |
	    ALERT_F_SEVERITY);
	r = &cfg->alerts.rules[1];
	CHECK_STR_EQ(r->match, "ServiceUnavailable");
	CHECK_UINT_EQ(r->params.threshold, 10);
	CHECK_UINT_EQ(r->params.window_ms, 30000);
	r = &cfg->alerts.rules[2];
	CHECK_STR_EQ(r->match, "category:success");
	CHECK(!r->params.enabled);
	CHECK_UINT_EQ(r->params.set, ALERT_F_ENABLED);
	CHECK_UINT_EQ(r->params.min_count, 20);
	CHECK(!cfg->alerts.rules[0].drop);
	CHECK_UINT_EQ(cfg->fleet.defaults.min_count, 50);
	CHECK_UINT_EQ(cfg->fleet.defaults.window_ms, 60000);
	CHECK_UINT_EQ(cfg->fleet.nrules, 1);
	r = &cfg->fleet.rules[0];
	CHECK_STR_EQ(r->match, "Success");
	CHECK(r->drop);
	CHECK_STR_EQ(r->params.severity, "critical");
	CHECK_UINT_EQ(r->params.min_count, 50);
	config_destroy(cfg);
	free(path);
}

static void
test_env(void)
{
	struct ew_err err;
	struct config *cfg;
	char *creds, *pw, *other;

	setenv("ERRWATCH_REDIS_URL", "redis://u:p@10.0.0.1:6380/3", 1);
	cfg = load_text_ok("redis:\n  url: redis://127.0.0.1/0\n" INPUT);
	CHECK_STR_EQ(cfg->redis.url, "redis://u:p@10.0.0.1:6380/3");
	CHECK_STR_EQ(cfg->redis.target.password, "p");
	CHECK_STR_EQ(cfg->redis.target.user, "u");
	CHECK_STR_EQ(cfg->redis.target.host, "10.0.0.1");
	CHECK_INT_EQ(cfg->redis.target.port, 6380);
	CHECK_INT_EQ(cfg->redis.target.db, 3);
	config_destroy(cfg);

	setenv("ERRWATCH_REDIS_URL", "nonsense", 1);
	CHECK(load_text(INPUT, &err) == NULL);
	CHECK_INT_EQ(err.line, 0);
	CHECK(strncmp(err.msg, "ERRWATCH_REDIS_URL: expected redis://",
	    37) == 0);
	/* the error names the variable, not the file's redis.url */
	setenv("ERRWATCH_REDIS_URL", "redis://u:topsecret@127.0.0.1:notaport",
	    1);
	CHECK(load_text(INPUT, &err) == NULL);
	CHECK_STR_EQ(err.file, "");
	CHECK_INT_EQ(err.line, 0);
	CHECK_STR_EQ(err.msg, "ERRWATCH_REDIS_URL: bad port: expected a "
	    "number from 1 to 65535 after ':'");
	unsetenv("ERRWATCH_REDIS_URL");

	/* SPEC §7: the systemd credential is the default password file */
	creds = xasprintf("%s/creds", tmpdir);
	CHECK(mkdir(creds, 0700) == 0);
	remember(creds);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	cfg = load_text_ok(INPUT);
	CHECK_STR_EQ(cfg->redis.password_file, "");	/* no such file */
	config_destroy(cfg);
	pw = write_file("creds/redis-password", "secret\n");
	cfg = load_text_ok(INPUT);
	CHECK_STR_EQ(cfg->redis.password_file, pw);
	CHECK_STR_EQ(cfg->redis.target.password, "secret");
	config_destroy(cfg);
	/* "" is the documented default (the example config writes it), so
	 * the credential still applies; a named file wins over it */
	cfg = load_text_ok("redis:\n  password_file: \"\"\n" INPUT);
	CHECK_STR_EQ(cfg->redis.password_file, pw);
	config_destroy(cfg);
	other = write_file("other-password", "x\n");
	cfg = load_text_ok("redis:\n  password_file: other-password\n" INPUT);
	CHECK_STR_EQ(cfg->redis.password_file, other);
	config_destroy(cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static const struct {
	const char	*s;
	int		 r;
	uint64_t	 ms;
} durations[] = {
	{ "250ms", 0, 250 },
	{ "30s", 0, 30000 },
	{ "5m", 0, 300000 },
	{ "48h", 0, 172800000 },
	{ "90d", 0, 7776000000ULL },
	{ "0s", 0, 0 },
	{ "007s", 0, 7000 },
	{ "18446744073709551615ms", 0, UINT64_MAX },
	{ "18446744073709551616ms", -1, 0 },	/* digits overflow */
	{ "18446744073709552s", -1, 0 },	/* unit overflow */
	{ "30", -1, 0 },			/* a unit is required */
	{ "", -1, 0 },
	{ "s", -1, 0 },
	{ "1.5s", -1, 0 },
	{ "-1s", -1, 0 },
	{ "+1s", -1, 0 },
	{ " 1s", -1, 0 },
	{ "1s ", -1, 0 },
	{ "1 s", -1, 0 },
	{ "1S", -1, 0 },
	{ "1sec", -1, 0 },
	{ "1w", -1, 0 },
	{ "1m30s", -1, 0 },
};

static const struct {
	const char	*s;
	int		 r;
	uint64_t	 bytes;
} sizes[] = {
	{ "65536", 0, 65536 },
	{ "0", 0, 0 },
	{ "64KiB", 0, 65536 },
	{ "1MiB", 0, 1048576 },
	{ "1GiB", 0, 1073741824 },
	{ "17179869183GiB", 0, 17179869183ULL << 30 },
	{ "17179869184GiB", -1, 0 },	/* 2^64 */
	{ "64KB", -1, 0 },
	{ "64k", -1, 0 },
	{ "64kib", -1, 0 },
	{ "1.5MiB", -1, 0 },
	{ "", -1, 0 },
	{ "KiB", -1, 0 },
	{ "-1", -1, 0 },
	{ "1 KiB", -1, 0 },
};

static const struct {
	const char	*g;
	bool		 ok;
} globs[] = {
	{ "/var/log/*.log", true },
	{ "gateway?.log", true },
	{ "/a/[abc].log", true },
	{ "/a/[!x].log", true },
	{ "/a/[^x].log", true },
	{ "/a/[]x].log", true },	/* ] first is a literal */
	{ "/a/[[:digit:]].log", true },
	{ "/a/\\[x", true },		/* escaped [ */
	{ "a]b", true },		/* a lone ] is literal */
	{ "", false },
	{ "/a/[abc", false },
	{ "/a/[]", false },
	{ "/a/[!]", false },
	{ "/a/[[:digit:].log", false },
	{ "/a/[a/b]", false },
	{ "x\\", false },
};

static void
test_parsers(void)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(durations); i++) {
		v = 12345;
		CHECK_INT_EQ(yamlconf_parse_duration(durations[i].s, &v),
		    durations[i].r);
		if (durations[i].r == 0)
			CHECK_UINT_EQ(v, durations[i].ms);
	}
	CHECK_INT_EQ(yamlconf_parse_duration(NULL, &v), -1);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		v = 12345;
		CHECK_INT_EQ(yamlconf_parse_size(sizes[i].s, &v), sizes[i].r);
		if (sizes[i].r == 0)
			CHECK_UINT_EQ(v, sizes[i].bytes);
	}
	for (i = 0; i < ARRAY_SIZE(globs); i++) {
		if (config_glob_is_valid(globs[i].g) != globs[i].ok)
			fprintf(stderr, "glob \"%s\"\n", globs[i].g);
		CHECK_INT_EQ(config_glob_is_valid(globs[i].g), globs[i].ok);
	}
	CHECK(!config_glob_is_valid(NULL));
}

static const struct {
	const char	*path;
	bool		 out;
} excl_cases[] = {
	{ "/var/log/a.log", false },
	{ "/var/log/a.log.gz", true },		/* *.gz on the base name */
	{ "/var/log/old/a.log", true },		/* a glob with / on the path */
	{ "/var/log/old/sub/a.log", false },	/* '*' stops at '/' */
	{ "/var/log/.hidden.gz", true },
	{ "a.gz", true },			/* no '/' at all */
};

static void
test_excludes(void)
{
	struct config *cfg;
	size_t i;

	cfg = load_text_ok("inputs:\n  - paths: /var/log/**\n"
	    "    exclude: [\"*.gz\", /var/log/old/*]\n");
	for (i = 0; i < ARRAY_SIZE(excl_cases); i++) {
		if (config_input_excludes(&cfg->inputs[0],
		    excl_cases[i].path) != excl_cases[i].out)
			fprintf(stderr, "%s\n", excl_cases[i].path);
		CHECK_INT_EQ(config_input_excludes(&cfg->inputs[0],
		    excl_cases[i].path), excl_cases[i].out);
	}
	config_destroy(cfg);
}

/* The schema's own rules: unique names, every key under a section or a
 * list that exists, a doc, a type name; the example config writes every
 * key (SPEC §4: it documents each one beside it). */
static void
test_schema(void)
{
	const char *src = getenv("EW_SRC");
	const struct config_key *k;
	struct buf ex = { NULL, 0, 0 };
	char *path, parent[128], needle[96], *dot;
	size_t i, j, n, len;
	FILE *f;

	k = config_schema(&n);
	CHECK(n > 30);
	CHECK_STR_EQ(k[0].name, "");	/* the file itself */
	path = xasprintf("%s/config/errwatch.yaml", src ? src : ".");
	f = fopen(path, "r");
	CHECK(f != NULL);
	buf_reserve(&ex, 16384);
	len = fread(ex.p, 1, ex.cap - 1, f);
	ex.p[len] = '\0';
	fclose(f);
	for (i = 1; i < n; i++) {
		CHECK(k[i].doc != NULL && k[i].doc[0] != '\0');
		CHECK(k[i].doc[strlen(k[i].doc) - 1] != '.');
		CHECK(strcmp(config_type_name(k[i].type), "?") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(k[i].name, k[j].name) != 0);
		snprintf(parent, sizeof(parent), "%s", k[i].name);
		if ((dot = strrchr(parent, '.')) == NULL) {
			CHECK(strchr(k[i].name, '[') == NULL);
		} else {
			*dot = '\0';
			len = strlen(parent);
			if (len > 2 && strcmp(parent + len - 2, "[]") == 0)
				parent[len - 2] = '\0';
			for (j = 0; j < i; j++)
				if (strcmp(k[j].name, parent) == 0)
					break;
			if (j == i)
				fprintf(stderr, "%s: no parent\n", k[i].name);
			CHECK(j < i);
			CHECK(k[j].type == CONFIG_SECTION ||
			    k[j].type == CONFIG_LIST);
			CHECK((k[j].type == CONFIG_LIST) ==
			    (strstr(k[i].name, "[]") != NULL &&
			    strncmp(k[i].name + strlen(parent), "[]", 2) == 0));
		}
		snprintf(needle, sizeof(needle), "%s:", strrchr(k[i].name,
		    '.') != NULL ? strrchr(k[i].name, '.') + 1 : k[i].name);
		if (strstr(ex.p, needle) == NULL)
			fprintf(stderr, "%s: not in %s\n", k[i].name, path);
		CHECK(strstr(ex.p, needle) != NULL);
	}
	buf_free(&ex);
	free(path);
}

/* --check-config's listing: every key, in schema order, as the file
 * writes it; a rule lists only what it sets; no password. */
static void
test_describe(void)
{
	static const char *const want[][2] = {
		{ "host", "\"h1\"" },
		{ "table", NULL },
		{ "max_open_files", "7" },
		{ "redis.url", "redis://u:***@[::1]:7/1" },
		{ "redis.password_file", "\"\"" },
		{ "redis.sentinels", "[]" },
		{ "redis.master_name", "\"\"" },
		{ "redis.sentinel_password_file", "\"\"" },
		{ "redis.prefix", "\"p:\"" },
		{ "redis.connect_timeout", "1500ms" },
		{ "redis.flush_interval", "1s" },
		{ "redis.buckets", "{10s: 1h, 1m: 2d}" },
		{ "inputs[0].name", "\"a\"" },
		{ "inputs[0].paths", NULL },
		{ "inputs[0].exclude", "[*.gz]" },
		{ "inputs[0].start_at", "beginning" },
		{ "inputs[0].max_line", "1MiB" },
		{ "inputs[0].rotate_wait", "90s" },
		{ "inputs[0].poll", "true" },
		{ "inputs[0].patterns", "[(?<code>\\d+)]" },
		{ "inputs[1].name", "\"input1\"" },
		{ "inputs[1].paths", "[/y.log]" },
		{ "inputs[1].exclude", "[]" },
		{ "inputs[1].start_at", "end" },
		{ "inputs[1].max_line", "300" },
		{ "inputs[1].rotate_wait", "5s" },
		{ "inputs[1].poll", "false" },
		{ "inputs[1].patterns", NULL },
		{ "alerts.defaults.window", "1m" },
		{ "alerts.defaults.baseline", "30m" },
		{ "alerts.defaults.min_count", "20" },
		{ "alerts.defaults.factor", "4" },
		{ "alerts.defaults.p", "0.001" },
		{ "alerts.defaults.cooldown", "5m" },
		{ "alerts.defaults.severity", "warning" },
		{ "alerts.defaults.enabled", "true" },
		{ "alerts.rules[0].match", "\"X\"" },
		{ "alerts.rules[0].drop", "false" },
		{ "alerts.rules[0].factor", "2.5" },
		{ "alerts.rules[1].match", "\"category:auth\"" },
		{ "alerts.rules[1].drop", "false" },
		{ "alerts.rules[1].threshold", "3" },
		{ "alerts.rules[1].severity", "critical" },
		{ "alerts.fleet.defaults.window", "1m" },
		{ "alerts.fleet.defaults.baseline", "30m" },
		{ "alerts.fleet.defaults.min_count", "50" },
		{ "alerts.fleet.defaults.factor", "4" },
		{ "alerts.fleet.defaults.p", "1e-06" },
		{ "alerts.fleet.defaults.cooldown", "5m" },
		{ "alerts.fleet.defaults.severity", "warning" },
		{ "alerts.fleet.defaults.enabled", "true" },
		{ "web.listen", "\"127.0.0.1:8080\"" },
		{ "web.assets", "\"/usr/share/errwatch/web\"" },
		{ "web.refresh", "5s" },
		{ "delivery.group", "\"errwatch-alerts\"" },
		{ "delivery.alertmanager", "[http://127.0.0.1:9093]" },
		{ "delivery.resend", "1m" },
		{ "delivery.resolved_retention", "15m" },
		{ "delivery.runbook_url", "\"\"" },
		{ "delivery.dashboard_url", "\"\"" },
		{ "delivery.silent_after", "3m" },
		{ "delivery.silent_severity", "warning" },
	};
	struct config *cfg;
	struct buf got = { NULL, 0, 0 }, exp = { NULL, 0, 0 };
	char *pat;
	size_t i;

	unsetenv("ERRWATCH_REDIS_URL");
	cfg = load_text_ok("host: h1\nmax_open_files: 7\nredis:\n"
	    "  url: redis://u:topsecret@[::1]:7/1\n  prefix: \"p:\"\n"
	    "  connect_timeout: 1500ms\n  flush_interval: 1000ms\n"
	    "  buckets: {1m: 48h, 10s: 60m}\n"
	    "inputs:\n  - {name: a, paths: x.log, exclude: '*.gz',\n"
	    "     start_at: beginning, max_line: 1MiB, rotate_wait: 90s,\n"
	    "     poll: on, patterns: '(?<code>\\d+)'}\n"
	    "  - {paths: /y.log, max_line: 300}\n"
	    "alerts:\n  defaults: {p: 0.001}\n  rules:\n"
	    "    - {match: X, factor: 2.5}\n"
	    "    - {match: \"category:auth\", threshold: 3, "
	    "severity: critical}\n");
	config_describe(cfg, &got);
	pat = xasprintf("[%s]", cfg->inputs[1].patterns[0]);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const char *v = want[i][1];

		if (strcmp(want[i][0], "table") == 0)
			buf_printf(&exp, "%-32s \"%s\"\n", "table", cfg->table);
		else if (strcmp(want[i][0], "inputs[0].paths") == 0)
			buf_printf(&exp, "%-32s [%s/x.log]\n", want[i][0],
			    realdir);
		else
			buf_printf(&exp, "%-32s %s\n", want[i][0],
			    v != NULL ? v : pat);
	}
	CHECK_STR_EQ(got.p, exp.p);
	CHECK(strstr(got.p, "topsecret") == NULL);
	free(pat);
	buf_free(&got);
	buf_free(&exp);
	config_destroy(cfg);
}

/* s as mdoc text: backslashes escaped; in a macro argument also quotes. */
static void
man_escape(struct buf *out, const char *s, bool arg)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_puts(out, "\\e");
		else if (*s == '"' && arg)
			buf_puts(out, "\\(dq");
		else
			buf_append(out, s, 1);
	}
}

/* The KEYS list of errwatch.yaml(5), made from the schema. */
static void
man_keys(struct buf *out)
{
	const struct config_key *k;
	char a[32], b[32];
	size_t i, j, n;

	k = config_schema(&n);
	buf_puts(out, ".Bl -tag -width Ds\n");
	for (i = 1; i < n; i++) {
		buf_printf(out, ".It Cm %s Pq %s\n", k[i].name,
		    config_type_name(k[i].type));
		buf_printf(out, "%c", toupper((unsigned char)k[i].doc[0]));
		man_escape(out, k[i].doc + 1, false);
		buf_puts(out, ".\n");
		switch (k[i].type) {
		case CONFIG_UINT:
			if (k[i].min > 0)
				buf_printf(out, "At least %llu.\n",
				    (unsigned long long)k[i].min);
			break;
		case CONFIG_DURATION:
			yamlconf_fmt_duration(k[i].min, a, sizeof(a));
			if (k[i].min > 0)
				buf_printf(out, "At least %s%s.\n", a,
				    (k[i].flags & CONFIG_F_WHOLE_S) ?
				    ", in whole seconds" : "");
			break;
		case CONFIG_SIZE:
			yamlconf_fmt_size(k[i].min, a, sizeof(a));
			yamlconf_fmt_size(k[i].max, b, sizeof(b));
			buf_printf(out, "From %s to %s.\n", a, b);
			break;
		case CONFIG_NUMBER:
			if (isinf(k[i].hi))
				buf_printf(out, "Above %g.\n", k[i].lo);
			else
				buf_printf(out, "Above %g, at most %g.\n",
				    k[i].lo, k[i].hi);
			break;
		case CONFIG_NAME:
			buf_printf(out, "At most %llu bytes.\n",
			    (unsigned long long)k[i].max);
			break;
		case CONFIG_WORD:
			buf_printf(out, "At most %zu letters.\n",
			    k[i].width - 1);
			break;
		case CONFIG_ENUM:
			buf_puts(out, "One of");
			for (j = 0; j < k[i].max; j++)
				buf_printf(out, "%s\n.Cm %s", j == 0 ? "" :
				    j + 1 == k[i].max ? " or" : " ,",
				    k[i].choices[j]);
			buf_puts(out, " .\n");
			break;
		default:
			break;
		}
		if (k[i].flags & CONFIG_F_REQUIRED)
			buf_puts(out, "Required.\n");
		else if (k[i].flags & CONFIG_F_INHERIT)	/* X.rules[].k */
			buf_printf(out, "Default: the value of\n.Cm "
			    "%.*sdefaults.%s .\n",
			    (int)(strstr(k[i].name, "rules[]") - k[i].name),
			    k[i].name, strrchr(k[i].name, '.') + 1);
		else if (k[i].def != NULL) {
			buf_puts(out, "Default:\n.Ql \"");
			man_escape(out, k[i].def, true);
			buf_puts(out, "\" .\n");
		}
	}
	buf_puts(out, ".El\n");
}

/* man/errwatch.yaml.5 holds, between its BEGIN KEYS and END KEYS
 * comments, exactly the list the schema makes: a key, its type, doc,
 * bounds and default are written once, in config.c. */
static void
test_man(void)
{
	const char *src = getenv("EW_SRC");
	struct buf want = { NULL, 0, 0 }, page = { NULL, 0, 0 };
	char *path, *begin, *end;
	size_t len;
	FILE *f;

	man_keys(&want);
	path = xasprintf("%s/man/errwatch.yaml.5", src ? src : ".");
	f = fopen(path, "r");
	if (f == NULL)
		fprintf(stderr, "%s: cannot open\n", path);
	CHECK(f != NULL);
	buf_reserve(&page, 65536);
	len = fread(page.p, 1, page.cap - 1, f);
	page.p[len] = '\0';
	fclose(f);
	begin = strstr(page.p, ".\\\" BEGIN KEYS");
	end = strstr(page.p, ".\\\" END KEYS");
	CHECK(begin != NULL && end != NULL && begin < end);
	begin = strchr(begin, '\n') + 1;
	*end = '\0';
	if (strcmp(begin, want.p) != 0)
		fprintf(stderr, "%s: the KEYS list differs from the schema; "
		    "it should read:\n%s", path, want.p);
	CHECK_STR_EQ(begin, want.p);
	buf_free(&want);
	buf_free(&page);
	free(path);
}

int
main(void)
{
	size_t i;

	unsetenv("ERRWATCH_REDIS_URL");
	unsetenv("CREDENTIALS_DIRECTORY");
	CHECK(mkdtemp(tmpdir) != NULL);
	CHECK(realpath(tmpdir, realdir) != NULL);
	config_destroy(NULL);
	test_parsers();
	test_bad();
	test_missing_file();
	test_minimal();
	test_journal();
	test_values();
	test_nulls();
	test_fleet();
	test_example();
	test_env();
	test_target();
	test_excludes();
	test_schema();
	test_describe();
	test_man();
	for (i = nmade; i > 0; i--) {
		if (unlink(made[i - 1]) == -1)
			CHECK(rmdir(made[i - 1]) == 0);
		free(made[i - 1]);
	}
	CHECK(rmdir(tmpdir) == 0);
	CHECK_DONE();
}
