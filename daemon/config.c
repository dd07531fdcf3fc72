/*
 * config: errwatch.yaml (SPEC §4) to an immutable struct config. This file
 * owns the schema, the one table of every key: its dotted name, type,
 * default (written as YAML, read by the same code as the file), bounds,
 * where its value goes and its one-line doc. One walker reads any section
 * against its rows: it checks the keys (unknown, duplicate), applies each
 * value or default, then the section's check hook. Adding a key is adding
 * a row. The YAML itself, and the wording of "expected X, got V", belong
 * to yamlconf; the Redis URL and credential rules to redisurl. It never
 * compiles patterns, opens the table or talks to Redis; those modules
 * report their own errors at the config_pos kept here.
 *
 * Invariants of a returned config: every string is non-NULL; table,
 * password_file (unless ""), paths and the excludes holding a '/' are
 * absolute; redis.target is the URL parsed with its credential read;
 * buckets are sorted by resolution and unique; every input has either
 * at least one path or a journal section (is_journal), at least one
 * pattern and a unique name; rules carry alerts.defaults
 * merged under what they set. Errors name the file, 1-based line and
 * column (a key for unknown and duplicate keys, the value for bad values)
 * and the key path, e.g. inputs[0].rotate_wait.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE	700	/* realpath(3) */
#endif
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "config.h"
#include "redisurl.h"
#include "sentinel.h"
#include "webaddr.h"
#include "yamlconf.h"

/* bytes; a config is small */
#define CONFIG_FILE_MAX		((size_t)1 << 20)
#define MAX_CHILDREN		32	/* keys of one section */
#define CONFIG_F_POS		0x100	/* PATH, STRINGS: keep positions */
#define CONFIG_F_MASK		0x200	/* LIST: off3 holds the *_F_* bits of
					 * the keys an element set */

struct config_ctx {
	const struct yamlconf	*y;	/* the document of the value at hand */
	const char		*dir;	/* the config's directory, absolute */
	struct ew_err		*err;
	struct config		*cfg;
	bool			 is_default;	/* applying a row's default */
	const struct yamlconf_node *map;	/* the section just walked */
	char			 path[YAMLCONF_KEY_MAX];	/* its path */
	unsigned		 given;	/* its rows' bits that were set */
};

static int	check_root(struct config_ctx *, void *, size_t);
static int	check_redis(struct config_ctx *, void *, size_t);
static void	init_input(struct config_ctx *, void *, size_t);
static int	check_input(struct config_ctx *, void *, size_t);
static int	check_defaults(struct config_ctx *, void *, size_t);
static void	init_rule(struct config_ctx *, void *, size_t);
static void	init_fleet_rule(struct config_ctx *, void *, size_t);
static int	check_rule(struct config_ctx *, void *, size_t);
static int	check_web(struct config_ctx *, void *, size_t);
static int	check_delivery(struct config_ctx *, void *, size_t);
static int	check_webhook(struct config_ctx *, void *, size_t);

static const char *const start_at_names[] = { "end", "beginning" };

/* The keys of an input that check_input needs to know were given. */
enum input_field {
	INPUT_F_PATHS = 1 << 0,
	INPUT_F_JOURNAL = 1 << 1,
};

#define AT(st, m)	.off = offsetof(struct st, m), \
	.width = sizeof(((struct st *)0)->m)
#define LIST_OF(st, m, n, el)	.off = offsetof(struct st, m), \
	.off2 = offsetof(struct st, n), .width = sizeof(struct el)
#define STRV(st, m, n)	.off = offsetof(struct st, m), \
	.off2 = offsetof(struct st, n)
#define POS(st, m)	.off2 = offsetof(struct st, m)

/*
 * The alert parameters: alerts.defaults gives them defaults, each rule
 * inherits what it does not set (SPEC §9). One macro, so a parameter is
 * written once for every section that takes it.
 */
#define ALERT_PARAMS(sec, st, m, fl, dwin, dbase, dmin, dfac, dp, dcool, \
	    dsev, den) \
	{ sec ".window", CONFIG_DURATION, dwin, \
	    "length of the window a count is taken over", \
	    .flags = CONFIG_F_WHOLE_S | (fl), .min = 1000, \
	    AT(st, m.window_ms), .bit = ALERT_F_WINDOW }, \
	{ sec ".baseline", CONFIG_DURATION, dbase, \
	    "history the adaptive rule learns the normal rate from", \
	    .flags = CONFIG_F_WHOLE_S | (fl), .min = 1000, \
	    AT(st, m.baseline_ms), .bit = ALERT_F_BASELINE }, \
	{ sec ".min_count", CONFIG_UINT, dmin, \
	    "fewest events in a window that may fire", .flags = (fl), \
	    AT(st, m.min_count), .bit = ALERT_F_MIN_COUNT }, \
	{ sec ".factor", CONFIG_NUMBER, dfac, \
	    "how many times the baseline rate a window must reach", \
	    .flags = (fl), .lo = 0, .hi = HUGE_VAL, AT(st, m.factor), \
	    .bit = ALERT_F_FACTOR, .what = "a number above 0 such as 4" }, \
	{ sec ".p", CONFIG_NUMBER, dp, \
	    "how unlikely under the baseline a window must be", \
	    .flags = (fl), .lo = 0, .hi = 1, AT(st, m.p), .bit = ALERT_F_P, \
	    .what = "a probability above 0 and at most 1 such as 1e-6" }, \
	{ sec ".cooldown", CONFIG_DURATION, dcool, \
	    "quiet time before a resolved alert may fire again", \
	    .flags = (fl), AT(st, m.cooldown_ms), .bit = ALERT_F_COOLDOWN }, \
	{ sec ".severity", CONFIG_WORD, dsev, \
	    "severity label of the alert (warning, critical, ...)", \
	    .flags = CONFIG_F_NONEMPTY | (fl), .min = 1, \
	    AT(st, m.severity), .bit = ALERT_F_SEVERITY, \
	    .what = "a word such as warning or critical" }, \
	{ sec ".enabled", CONFIG_BOOL, den, "false: never fires", \
	    .flags = (fl), AT(st, m.enabled), .bit = ALERT_F_ENABLED }

static const struct config_key schema[] = {
	{ "", CONFIG_SECTION, NULL, "the whole file", .check = check_root },
	{ "host", CONFIG_HOST, "auto",
	    "name used in per-host keys; auto: the host name",
	    AT(config, host) },
	{ "table", CONFIG_PATH, "/usr/share/errwatch/error-codes.tsv",
	    "the error table: code, name, category, description",
	    .flags = CONFIG_F_NONEMPTY | CONFIG_F_POS, AT(config, table),
	    POS(config, table_pos) },
	{ "max_open_files", CONFIG_UINT, "1024",
	    "files kept open at most; beyond it idle files are closed",
	    .min = 1, AT(config, max_open_files) },
	{ "redis", CONFIG_SECTION, NULL, "where the counts go",
	    AT(config, redis), .check = check_redis },
	{ "redis.url", CONFIG_URL, "redis://127.0.0.1:6379/0",
	    "where Redis listens; ERRWATCH_REDIS_URL overrides it",
	    AT(config_redis, url), .off2 = offsetof(struct config_redis,
	    target) },
	{ "redis.password_file", CONFIG_PATH, "\"\"",
	    "file whose first line is the password; \"\": the systemd "
	    "credential",
	    AT(config_redis, password_file) },
	/* SPEC §15: the sentinels replace url's host and port */
	{ "redis.sentinels", CONFIG_STRINGS, "[]",
	    "host:port of the Sentinels asked for the master; []: url's "
	    "host and port",
	    .flags = CONFIG_F_POS,
	    STRV(config_redis, sentinel.addrs, sentinel.naddrs),
	    .off3 = offsetof(struct config_redis, sentinel_pos),
	    .what = "a host:port or a list of them" },
	{ "redis.master_name", CONFIG_STRING, "\"\"",
	    "name of the master the Sentinels monitor (with sentinels)",
	    AT(config_redis, sentinel.master_name) },
	{ "redis.sentinel_password_file", CONFIG_PATH, "\"\"",
	    "file whose first line is the Sentinels' password; \"\": none",
	    AT(config_redis, sentinel_password_file) },
	{ "redis.prefix", CONFIG_STRING, "\"errwatch:\"",
	    "start of every key written", AT(config_redis, prefix) },
	{ "redis.connect_timeout", CONFIG_DURATION, "2s",
	    "a connection attempt that takes longer is given up", .min = 1,
	    AT(config_redis, connect_timeout_ms) },
	{ "redis.flush_interval", CONFIG_DURATION, "500ms",
	    "new counts are written this often; with nothing new, every 10 s",
	    .min = 1,
	    AT(config_redis, flush_interval_ms) },
	{ "redis.buckets", CONFIG_BUCKETS, "{10s: 6h, 1m: 48h, 1h: 90d}",
	    "resolution: retention of the time buckets",
	    LIST_OF(config_redis, buckets, nbuckets, config_bucket) },
	/* not required here: errwatchd asks for it (setup_load's
	 * SETUP_INPUTS), the fleet programs read no log */
	{ "inputs", CONFIG_LIST, NULL, "the files to follow",
	    .flags = CONFIG_F_NONEMPTY | CONFIG_F_MASK,
	    .off3 = offsetof(struct config_input, given),
	    LIST_OF(config, inputs, ninputs, config_input),
	    .what = "input", .init = init_input, .check = check_input },
	{ "inputs[].name", CONFIG_NAME, NULL,
	    "name of the input, unique; input<N> when absent",
	    .flags = CONFIG_F_NONEMPTY, .min = 1, .max = 64,
	    AT(config_input, name) },
	/* paths or journal, exactly one: check_input */
	{ "inputs[].paths", CONFIG_GLOBS, NULL,
	    "the globs of the files to follow; this or journal is required",
	    .flags = CONFIG_F_NONEMPTY, STRV(config_input, paths, npaths),
	    .what = "a glob or a list of globs", .bit = INPUT_F_PATHS },
	{ "inputs[].journal", CONFIG_SECTION, NULL,
	    "read the systemd journal instead of files",
	    AT(config_input, journal), .bit = INPUT_F_JOURNAL },
	{ "inputs[].journal.units", CONFIG_STRINGS, "[]",
	    "_SYSTEMD_UNIT values whose entries count; []: all",
	    STRV(config_journal, units, nunits),
	    .what = "a unit name or a list of unit names" },
	{ "inputs[].journal.directory", CONFIG_PATH, "\"\"",
	    "directory of journal files; \"\": the local journal",
	    AT(config_journal, directory) },
	{ "inputs[].exclude", CONFIG_GLOBS, "[]",
	    "globs of files not to follow; without '/': the base name",
	    .flags = CONFIG_F_RESOLVE_SLASH,
	    STRV(config_input, exclude, nexclude),
	    .what = "a glob or a list of globs" },
	{ "inputs[].start_at", CONFIG_ENUM, "end",
	    "where a file found at the first start is read from",
	    .choices = start_at_names, .max = ARRAY_SIZE(start_at_names),
	    AT(config_input, start_at) },
	{ "inputs[].max_line", CONFIG_SIZE, "64KiB",
	    "longer lines are cut and counted in long_lines", .min = 256,
	    .max = 1ULL << 30, AT(config_input, max_line) },
	{ "inputs[].rotate_wait", CONFIG_DURATION, "5s",
	    "a rotated file is read this long after its last growth",
	    AT(config_input, rotate_wait_ms) },
	{ "inputs[].poll", CONFIG_BOOL, "false",
	    "true: stat-poll (NFS) instead of inotify",
	    AT(config_input, poll) },
	{ "inputs[].patterns", CONFIG_STRINGS,
	    "'\\bcode=(?<code>\\d{3,4})\\b(?:.*?\\bname=(?<name>[A-Za-z]+))?'",
	    "PCRE2 patterns with a group code and/or name, tried in order",
	    .flags = CONFIG_F_NONEMPTY | CONFIG_F_POS,
	    STRV(config_input, patterns, npatterns),
	    .off3 = offsetof(struct config_input, pattern_pos),
	    .what = "a pattern or a list of patterns" },
	{ "alerts", CONFIG_SECTION, NULL, "spike alerts",
	    AT(config, alerts) },
	/* off 0: its keys are placed from struct config_alerts */
	{ "alerts.defaults", CONFIG_SECTION, NULL,
	    "parameters of every rule, and of classes without one",
	    .off = 0, .check = check_defaults },
	ALERT_PARAMS("alerts.defaults", config_alerts, defaults, 0, "60s",
	    "30m", "20", "4", "1e-6", "5m", "warning", "true"),
	{ "alerts.rules", CONFIG_LIST, NULL, "one rule per class watched",
	    .flags = CONFIG_F_MASK,
	    LIST_OF(config_alerts, rules, nrules, config_rule),
	    .off3 = offsetof(struct config_rule, params.set),
	    .what = "rule", .init = init_rule, .check = check_rule },
	{ "alerts.rules[].match", CONFIG_STRING, NULL,
	    "a name, a code or category:NAME",
	    .flags = CONFIG_F_REQUIRED | CONFIG_F_NONEMPTY | CONFIG_F_POS,
	    AT(config_rule, match), POS(config_rule, match_pos) },
	{ "alerts.rules[].drop", CONFIG_BOOL, "false",
	    "true: a drop rule, fires when the class goes quiet",
	    AT(config_rule, drop) },
	{ "alerts.rules[].threshold", CONFIG_UINT, NULL,
	    "a static rule: fires at this count in a window", .min = 1,
	    AT(config_rule, params.threshold), .bit = ALERT_F_THRESHOLD },
	ALERT_PARAMS("alerts.rules[]", config_rule, params, CONFIG_F_INHERIT,
	    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	/* SPEC §13: cfg->fleet, placed from struct config_alerts like
	 * alerts (fleet comes after alerts in struct config) */
	{ "alerts.fleet", CONFIG_SECTION, NULL,
	    "fleet-wide rules over P series:10s (errwatch-alerts)",
	    .off = offsetof(struct config, fleet) -
	    offsetof(struct config, alerts) },
	{ "alerts.fleet.defaults", CONFIG_SECTION, NULL,
	    "parameters of every fleet rule, and of classes without one",
	    .off = 0, .check = check_defaults },
	ALERT_PARAMS("alerts.fleet.defaults", config_alerts, defaults, 0,
	    "60s", "30m", "50", "4", "1e-6", "5m", "warning", "true"),
	{ "alerts.fleet.rules", CONFIG_LIST, NULL,
	    "one rule per class watched over the fleet",
	    .flags = CONFIG_F_MASK,
	    LIST_OF(config_alerts, rules, nrules, config_rule),
	    .off3 = offsetof(struct config_rule, params.set),
	    .what = "rule", .init = init_fleet_rule, .check = check_rule },
	{ "alerts.fleet.rules[].match", CONFIG_STRING, NULL,
	    "a name, a code or category:NAME",
	    .flags = CONFIG_F_REQUIRED | CONFIG_F_NONEMPTY | CONFIG_F_POS,
	    AT(config_rule, match), POS(config_rule, match_pos) },
	{ "alerts.fleet.rules[].drop", CONFIG_BOOL, "false",
	    "true: a drop rule, fires when the class goes quiet",
	    AT(config_rule, drop) },
	{ "alerts.fleet.rules[].threshold", CONFIG_UINT, NULL,
	    "a static rule: fires at this count in a window", .min = 1,
	    AT(config_rule, params.threshold), .bit = ALERT_F_THRESHOLD },
	ALERT_PARAMS("alerts.fleet.rules[]", config_rule, params,
	    CONFIG_F_INHERIT, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	{ "web", CONFIG_SECTION, NULL, "the dashboard, errwatch-web",
	    AT(config, web), .check = check_web },
	{ "web.listen", CONFIG_STRING, "\"127.0.0.1:8080\"",
	    "host:port, [v6]:port or unix:/path the dashboard listens on",
	    .flags = CONFIG_F_NONEMPTY, AT(config_web, listen) },
	{ "web.assets", CONFIG_PATH, "/usr/share/errwatch/web",
	    "the dashboard's HTML, CSS and JavaScript",
	    .flags = CONFIG_F_NONEMPTY, AT(config_web, assets) },
	{ "web.refresh", CONFIG_DURATION, "5s",
	    "how often open pages update", .min = 1000, .max = 3600000,
	    AT(config_web, refresh_ms) },
	{ "delivery", CONFIG_SECTION, NULL,
	    "where errwatch-alerts sends alerts (SPEC §13)",
	    AT(config, delivery), .check = check_delivery },
	{ "delivery.group", CONFIG_NAME, "errwatch-alerts",
	    "consumer group of errwatch-alerts on the alerts stream",
	    .flags = CONFIG_F_NONEMPTY, .min = 1, .max = 64,
	    AT(config_delivery, group) },
	{ "delivery.alertmanager", CONFIG_STRINGS,
	    "[\"http://127.0.0.1:9093\"]",
	    "base URLs of the Alertmanagers (API v2), each one sent to",
	    STRV(config_delivery, alertmanager, nalertmanager),
	    .what = "a URL or a list of URLs" },
	{ "delivery.webhooks", CONFIG_LIST, NULL,
	    "URLs each event's JSON is POSTed to",
	    LIST_OF(config_delivery, webhooks, nwebhooks, config_webhook),
	    .what = "webhook", .check = check_webhook },
	{ "delivery.webhooks[].url", CONFIG_STRING, NULL,
	    "http:// or https:// URL of the webhook",
	    .flags = CONFIG_F_REQUIRED | CONFIG_F_NONEMPTY,
	    AT(config_webhook, url) },
	{ "delivery.webhooks[].headers", CONFIG_HEADERS, "{}",
	    "HTTP headers sent with each request, {Name: value}",
	    STRV(config_webhook, headers, nheaders) },
	{ "delivery.resend", CONFIG_DURATION, "60s",
	    "firing alerts are sent to Alertmanager again this often",
	    .min = 1000, AT(config_delivery, resend_ms) },
	{ "delivery.resolved_retention", CONFIG_DURATION, "15m",
	    "resolved alerts are sent again for this long",
	    AT(config_delivery, resolved_retention_ms) },
	{ "delivery.runbook_url", CONFIG_STRING, "\"\"",
	    "runbook link; {name} {code} {category} {host} are filled in",
	    AT(config_delivery, runbook_url) },
	{ "delivery.dashboard_url", CONFIG_STRING, "\"\"",
	    "dashboard link, a template like runbook_url",
	    AT(config_delivery, dashboard_url) },
	{ "delivery.silent_after", CONFIG_DURATION, "3m",
	    "a host whose heartbeat is older is silent", .min = 1000,
	    AT(config_delivery, silent_after_ms) },
	{ "delivery.silent_severity", CONFIG_WORD, "warning",
	    "severity label of ErrwatchHostSilent",
	    .flags = CONFIG_F_NONEMPTY, .min = 1,
	    AT(config_delivery, silent_severity),
	    .what = "a word such as warning or critical" },
};

const struct config_key *
config_schema(size_t *n)
{
	*n = ARRAY_SIZE(schema);
	return schema;
}

const char *
config_type_name(enum config_type t)
{
	static const char *const names[] = {
		[CONFIG_SECTION] = "section",
		[CONFIG_LIST] = "list of sections",
		[CONFIG_STRING] = "string",
		[CONFIG_PATH] = "path",
		[CONFIG_HOST] = "host name",
		[CONFIG_NAME] = "name",
		[CONFIG_WORD] = "word",
		[CONFIG_URL] = "Redis URL",
		[CONFIG_BOOL] = "boolean",
		[CONFIG_UINT] = "whole number",
		[CONFIG_NUMBER] = "number",
		[CONFIG_DURATION] = "duration",
		[CONFIG_SIZE] = "size",
		[CONFIG_ENUM] = "choice",
		[CONFIG_GLOBS] = "globs",
		[CONFIG_STRINGS] = "strings",
		[CONFIG_BUCKETS] = "buckets",
		[CONFIG_HEADERS] = "headers",
	};

	return (size_t)t < ARRAY_SIZE(names) && names[t] != NULL ?
	    names[t] : "?";
}

/* --- values ------------------------------------------------------------ */

static void *
field(void *base, size_t off)
{
	return (char *)base + off;
}

static const void *
cfield(const void *base, size_t off)
{
	return (const char *)base + off;
}

static void
put_uint(void *p, size_t width, uint64_t v)
{
	if (width == sizeof(uint32_t))
		*(uint32_t *)p = (uint32_t)v;
	else
		*(uint64_t *)p = v;
}

static uint64_t
get_uint(const void *p, size_t width)
{
	if (width == sizeof(uint32_t))
		return *(const uint32_t *)p;
	return *(const uint64_t *)p;
}

static void
replace(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static struct config_pos
pos_of(const struct config_ctx *c, const struct yamlconf_node *n)
{
	struct config_pos p = { 0, 0 };

	if (!c->is_default && n != NULL) {
		p.line = yamlconf_line(n);
		p.col = yamlconf_col(n);
	}
	return p;
}

/* Why g is not a glob that glob(3) and fnmatch(3) take as meant, or NULL
 * when it is one. */
static const char *
glob_problem(const char *g)
{
	size_t i, j;
	char d;

	if (g == NULL || g[0] == '\0')
		return "empty";
	for (i = 0; g[i] != '\0'; i++) {
		if (g[i] == '\\') {
			if (g[i + 1] == '\0')
				return "ends in a lone \\";
			i++;
			continue;
		}
		if (g[i] != '[')
			continue;
		j = i + 1;
		if (g[j] == '!' || g[j] == '^')
			j++;
		if (g[j] == ']')	/* first in a class: a literal ] */
			j++;
		for (;; j++) {
			if (g[j] == '\0')
				return "[ without a closing ]";
			if (g[j] == '/')
				return "/ inside [ ]";
			if (g[j] == '[' && (g[j + 1] == ':' ||
			    g[j + 1] == '.' || g[j + 1] == '=')) {
				/* [:alpha:], [.x.], [=e=] inside a class */
				d = g[j + 1];
				for (j += 2; g[j] != '\0' &&
				    !(g[j] == d && g[j + 1] == ']'); j++)
					;
				if (g[j] == '\0')
					return "[ without a closing ]";
				j++;
				continue;
			}
			if (g[j] == ']')
				break;
		}
		i = j;
	}
	return NULL;
}

bool
config_glob_is_valid(const char *glob)
{
	return glob_problem(glob) == NULL;
}

bool
config_excludes(const char *const *exclude, size_t n, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base != NULL ? base + 1 : path;
	for (i = 0; i < n; i++) {
		if (strchr(exclude[i], '/') == NULL) {
			if (fnmatch(exclude[i], base, 0) == 0)
				return true;
		} else if (fnmatch(exclude[i], path, FNM_PATHNAME) == 0)
			return true;
	}
	return false;
}

bool
config_input_excludes(const struct config_input *in, const char *path)
{
	return config_excludes((const char *const *)in->exclude,
	    in->nexclude, path);
}

/* s made absolute against the config's directory; "./" is dropped. */
static char *
resolve(const struct config_ctx *c, const char *s)
{
	if (s[0] == '/')
		return xstrdup(s);
	while (s[0] == '.' && s[1] == '/')
		for (s += 2; s[0] == '/'; s++)
			;
	if (s[0] == '\0' || strcmp(s, ".") == 0)
		return xstrdup(c->dir);
	if (strcmp(c->dir, "/") == 0)
		return xasprintf("/%s", s);
	return xasprintf("%s/%s", c->dir, s);
}

/* Letters, digits and the bytes of extra; at least one. */
static bool
is_word(const char *s, const char *extra)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr(extra, s[i])))
			return false;
	return i > 0;
}

/* A scalar string of kind t (STRING, PATH, HOST, NAME, WORD, URL). */
static int
set_string(struct config_ctx *c, const struct config_key *k,
    const char *path, const struct yamlconf_node *n, void *base)
{
	char shown[YAMLCONF_SHOW_BUF];
	struct ew_err uerr = { 0 };
	struct redisurl u;
	const char *v;

	if (yamlconf_string(c->y, n, path, (k->flags & CONFIG_F_NONEMPTY) ||
	    k->type == CONFIG_URL || k->type == CONFIG_HOST, &v, c->err) < 0)
		return -1;
	yamlconf_show(v, shown, sizeof(shown));
	switch (k->type) {
	case CONFIG_NAME:
		if (!is_word(v, "_-.") || strlen(v) > k->max) {
			yamlconf_fail(c->y, n, c->err, "%s: expected letters, "
			    "digits, '_', '-' or '.' (at most %llu), got "
			    "\"%s\"", path, (unsigned long long)k->max, shown);
			return -1;
		}
		break;
	case CONFIG_WORD:
		if (!is_word(v, "_-") || strlen(v) >= k->width) {
			yamlconf_fail(c->y, n, c->err, "%s: expected %s (at "
			    "most %zu letters), got \"%s\"", path, k->what,
			    k->width - 1, shown);
			return -1;
		}
		snprintf(field(base, k->off), k->width, "%s", v);
		return 0;
	case CONFIG_URL:
		/* the one URL grammar (SPEC §7), at the url's position;
		 * its messages never quote the URL back */
		if (redisurl_parse(&u, v, &uerr) < 0) {
			yamlconf_fail(c->y, n, c->err, "%s: %s", path,
			    uerr.msg);
			return -1;
		}
		redisurl_free(field(base, k->off2));
		*(struct redisurl *)field(base, k->off2) = u;
		break;
	default:
		break;
	}
	if (k->type == CONFIG_PATH && v[0] != '\0')
		replace(field(base, k->off), resolve(c, v));
	else
		replace(field(base, k->off), xstrdup(v));
	if (k->flags & CONFIG_F_POS)
		*(struct config_pos *)field(base, k->off2) = pos_of(c, n);
	return 0;
}

/* A single value or a list of them, each a non-empty string (GLOBS,
 * STRINGS). */
static int
set_strings(struct config_ctx *c, const struct config_key *k,
    const char *path, const struct yamlconf_node *n, void *base)
{
	char epath[YAMLCONF_KEY_MAX + 24], shown[YAMLCONF_SHOW_BUF];
	struct config_pos *pos = NULL;
	const struct yamlconf_node *e;
	char **v = NULL;
	const char *s, *why;
	size_t i, count;

	if (yamlconf_kind(n) == YAMLCONF_MAP) {
		yamlconf_fail(c->y, n, c->err, "%s: expected %s, got %s", path,
		    k->what, yamlconf_kind_name(n));
		return -1;
	}
	count = yamlconf_count(n);
	if (count == 0 && (k->flags & CONFIG_F_NONEMPTY)) {
		yamlconf_fail(c->y, n, c->err, "%s: expected %s, got an empty "
		    "list", path, k->what);
		return -1;
	}
	v = xcalloc(count, sizeof(*v));
	pos = xcalloc(count, sizeof(*pos));
	for (i = 0; i < count; i++) {
		e = yamlconf_item(c->y, n, i);
		if (e == n)
			snprintf(epath, sizeof(epath), "%s", path);
		else
			snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		if (yamlconf_scalar(c->y, e, epath, "a string", &s, c->err) < 0)
			goto fail;
		if (yamlconf_kind(e) == YAMLCONF_NULL || s[0] == '\0') {
			yamlconf_fail(c->y, e, c->err, "%s: expected a "
			    "non-empty string", epath);
			goto fail;
		}
		if (k->type == CONFIG_GLOBS &&
		    (why = glob_problem(s)) != NULL) {
			yamlconf_fail(c->y, e, c->err, "%s: not a valid glob "
			    "(%s), got \"%s\"", epath, why,
			    yamlconf_show(s, shown, sizeof(shown)));
			goto fail;
		}
		if (k->type == CONFIG_GLOBS &&
		    (!(k->flags & CONFIG_F_RESOLVE_SLASH) ||
		    strchr(s, '/') != NULL))
			v[i] = resolve(c, s);
		else
			v[i] = xstrdup(s);
		pos[i] = pos_of(c, e);
	}
	free_strv(*(char ***)field(base, k->off),
	    *(size_t *)field(base, k->off2));
	*(char ***)field(base, k->off) = v;
	*(size_t *)field(base, k->off2) = count;
	if (k->flags & CONFIG_F_POS) {
		free(*(struct config_pos **)field(base, k->off3));
		*(struct config_pos **)field(base, k->off3) = pos;
	} else
		free(pos);
	return 0;
fail:
	free_strv(v, count);
	free(pos);
	return -1;
}

static int
set_buckets(struct config_ctx *c, const struct config_key *k,
    const char *path, const struct yamlconf_node *n, void *base)
{
	struct config_bucket b[CONFIG_MAX_BUCKETS], t;
	char vpath[YAMLCONF_KEY_MAX + 32], shown[YAMLCONF_SHOW_BUF];
	const struct yamlconf_node *kn, *vn;
	size_t nb = 0, i, j, count;
	const char *s, *v;

	if (yamlconf_want_map(c->y, n, path, c->err) < 0 ||
	    yamlconf_check_keys(c->y, n, path, NULL, 0, c->err) < 0)
		return -1;
	if ((count = yamlconf_count(n)) == 0) {
		yamlconf_fail(c->y, n, c->err, "%s: expected at least one "
		    "resolution: retention pair such as {10s: 6h}", path);
		return -1;
	}
	memset(b, 0, sizeof(b));
	for (nb = 0; nb < count; nb++) {
		kn = yamlconf_key(c->y, n, nb);
		vn = yamlconf_value(c->y, n, nb);
		s = yamlconf_text(kn);
		yamlconf_show(s, shown, sizeof(shown));
		if (nb == CONFIG_MAX_BUCKETS) {
			yamlconf_fail(c->y, kn, c->err, "%s: at most %d "
			    "resolutions", path, CONFIG_MAX_BUCKETS);
			return -1;
		}
		if (yamlconf_parse_duration(s, &b[nb].res_ms) < 0 ||
		    strlen(s) >= sizeof(b[nb].name)) {
			yamlconf_fail(c->y, kn, c->err, "%s: expected a "
			    "resolution such as 10s or 1m, got \"%s\"", path,
			    shown);
			return -1;
		}
		if (b[nb].res_ms < 1000 || b[nb].res_ms % 1000 != 0) {
			yamlconf_fail(c->y, kn, c->err, "%s: a resolution must "
			    "be whole seconds, at least 1s, got \"%s\"", path,
			    shown);
			return -1;
		}
		for (i = 0; i < nb; i++) {
			if (b[i].res_ms == b[nb].res_ms) {
				yamlconf_fail(c->y, kn, c->err, "%s: \"%s\" is "
				    "the same resolution as \"%s\"", path,
				    shown, b[i].name);
				return -1;
			}
		}
		snprintf(b[nb].name, sizeof(b[nb].name), "%s", s);
		snprintf(vpath, sizeof(vpath), "%s.%s", path, b[nb].name);
		if (yamlconf_kind(vn) == YAMLCONF_NULL) {
			yamlconf_fail(c->y, vn, c->err, "%s: expected a "
			    "retention such as 6h or 90d, got nothing", vpath);
			return -1;
		}
		if (yamlconf_scalar(c->y, vn, vpath, "a retention such as 6h "
		    "or 90d", &v, c->err) < 0)
			return -1;
		yamlconf_show(v, shown, sizeof(shown));
		if (yamlconf_parse_duration(v, &b[nb].retention_ms) < 0) {
			yamlconf_fail(c->y, vn, c->err, "%s: expected a "
			    "retention such as 6h or 90d, got \"%s\"", vpath,
			    shown);
			return -1;
		}
		if (b[nb].retention_ms < b[nb].res_ms) {
			yamlconf_fail(c->y, vn, c->err, "%s: the retention "
			    "must be at least the resolution, got \"%s\"",
			    vpath, shown);
			return -1;
		}
	}
	for (i = 1; i < nb; i++) {	/* insertion sort by resolution */
		t = b[i];
		for (j = i; j > 0 && b[j - 1].res_ms > t.res_ms; j--)
			b[j] = b[j - 1];
		b[j] = t;
	}
	memcpy(field(base, k->off), b, sizeof(b));
	*(size_t *)field(base, k->off2) = nb;
	return 0;
}

/* HTTP headers: a mapping of field names (RFC 9110 tokens) to values
 * without control bytes, kept as "Name: value" lines. */
static int
set_headers(struct config_ctx *c, const struct config_key *k,
    const char *path, const struct yamlconf_node *n, void *base)
{
	char vpath[YAMLCONF_KEY_MAX + YAMLCONF_SHOW_BUF + 2];
	char shown[YAMLCONF_SHOW_BUF];
	const struct yamlconf_node *kn, *vn;
	const char *name, *v;
	char **h = NULL;
	size_t i, j, count = 0;

	if (yamlconf_want_map(c->y, n, path, c->err) < 0 ||
	    yamlconf_check_keys(c->y, n, path, NULL, 0, c->err) < 0)
		return -1;
	count = yamlconf_count(n);
	h = xcalloc(count + 1, sizeof(*h));
	for (i = 0; i < count; i++) {
		kn = yamlconf_key(c->y, n, i);
		vn = yamlconf_value(c->y, n, i);
		name = yamlconf_text(kn);
		yamlconf_show(name, shown, sizeof(shown));
		if (!is_word(name, "!#$%&'*+-.^_`|~")) {
			yamlconf_fail(c->y, kn, c->err, "%s: expected an HTTP "
			    "header name, got \"%s\"", path, shown);
			goto fail;
		}
		snprintf(vpath, sizeof(vpath), "%s.%s", path, shown);
		if (yamlconf_scalar(c->y, vn, vpath, "a header value", &v,
		    c->err) < 0)
			goto fail;
		for (j = 0; v[j] != '\0'; j++)
			if ((unsigned char)v[j] < ' ' && v[j] != '\t')
				break;
		if (v[j] != '\0') {
			yamlconf_fail(c->y, vn, c->err, "%s: a header value "
			    "must not hold control characters", vpath);
			goto fail;
		}
		h[i] = xasprintf("%s: %s", name, v);
	}
	free_strv(*(char ***)field(base, k->off),
	    *(size_t *)field(base, k->off2));
	*(char ***)field(base, k->off) = h;
	*(size_t *)field(base, k->off2) = count;
	return 0;
fail:
	free_strv(h, count);
	return -1;
}

static int	walk(struct config_ctx *, const struct config_key *,
		    const char *, const struct yamlconf_node *, void *, size_t);

static int
set_list(struct config_ctx *c, const struct config_key *k, const char *path,
    const struct yamlconf_node *n, void *base)
{
	char epath[YAMLCONF_KEY_MAX];
	const struct yamlconf_node *e;
	size_t i, count;
	char *elems;

	if (yamlconf_kind(n) != YAMLCONF_LIST) {
		yamlconf_fail(c->y, n, c->err, "%s: expected a list of %ss, "
		    "got %s", path, k->what, yamlconf_kind_name(n));
		return -1;
	}
	count = yamlconf_count(n);
	if (count == 0 && (k->flags & CONFIG_F_NONEMPTY)) {
		yamlconf_fail(c->y, n, c->err, "%s: expected at least one %s, "
		    "got an empty list", path, k->what);
		return -1;
	}
	elems = xcalloc(count, k->width);
	/* zeroed elements are safe to destroy, so the count goes in now */
	*(void **)field(base, k->off) = elems;
	*(size_t *)field(base, k->off2) = count;
	for (i = 0; i < count; i++) {
		e = yamlconf_item(c->y, n, i);
		snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		if (k->init != NULL)
			k->init(c, elems + i * k->width, i);
		if (yamlconf_want_map(c->y, e, epath, c->err) < 0 ||
		    walk(c, k, epath, e, elems + i * k->width, i) < 0)
			return -1;
	}
	return 0;
}

static int
set_value(struct config_ctx *c, const struct config_key *k, const char *path,
    const struct yamlconf_node *n, void *base)
{
	void *p = field(base, k->off);
	unsigned choice;
	uint64_t u;
	bool b;

	switch (k->type) {
	case CONFIG_SECTION:
		if (yamlconf_want_map(c->y, n, path, c->err) < 0)
			return -1;
		return walk(c, k, path, n, p, 0);
	case CONFIG_LIST:
		return set_list(c, k, path, n, base);
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_HOST:
	case CONFIG_NAME:
	case CONFIG_WORD:
	case CONFIG_URL:
		return set_string(c, k, path, n, base);
	case CONFIG_BOOL:
		if (yamlconf_bool(c->y, n, path, &b, c->err) < 0)
			return -1;
		*(bool *)p = b;
		return 0;
	case CONFIG_UINT:
		if (yamlconf_uint(c->y, n, path, k->min, k->max != 0 ? k->max :
		    UINT64_MAX, &u, c->err) < 0)
			return -1;
		put_uint(p, k->width, u);
		return 0;
	case CONFIG_NUMBER:
		return yamlconf_number(c->y, n, path, k->what, k->lo, k->hi,
		    (double *)p, c->err) < 0 ? -1 : 0;
	case CONFIG_DURATION:
		if (yamlconf_duration(c->y, n, path, k->min,
		    (k->flags & CONFIG_F_WHOLE_S) != 0, &u, c->err) < 0)
			return -1;
		put_uint(p, k->width, u);
		return 0;
	case CONFIG_SIZE:
		if (yamlconf_size(c->y, n, path, k->min, k->max != 0 ? k->max :
		    UINT64_MAX, &u, c->err) < 0)
			return -1;
		put_uint(p, k->width, u);
		return 0;
	case CONFIG_ENUM:
		if (yamlconf_choice(c->y, n, path, k->choices, k->max, &choice,
		    c->err) < 0)
			return -1;
		put_uint(p, k->width, choice);
		return 0;
	case CONFIG_GLOBS:
	case CONFIG_STRINGS:
		return set_strings(c, k, path, n, base);
	case CONFIG_BUCKETS:
		return set_buckets(c, k, path, n, base);
	case CONFIG_HEADERS:
		return set_headers(c, k, path, n, base);
	}
	return -1;
}

/* The row's default, written as YAML and read like the file. */
static int
set_default(struct config_ctx *c, const struct config_key *k,
    const char *path, void *base)
{
	const struct yamlconf *saved = c->y;
	struct yamlconf *d;
	int r;

	d = yamlconf_load_string(k->def, "(default)", c->err);
	if (d == NULL)
		return -1;
	c->y = d;
	c->is_default = true;
	r = set_value(c, k, path, yamlconf_root(d), base);
	c->is_default = false;
	c->y = saved;
	yamlconf_destroy(d);
	return r;
}

/* The leaf of name when it is a key right below section sname. */
static const char *
child_leaf(const char *name, const char *sname)
{
	size_t n = strlen(sname);

	if (name[0] == '\0')
		return NULL;
	if (n == 0)
		return strchr(name, '.') == NULL ? name : NULL;
	if (strncmp(name, sname, n) != 0 || name[n] != '.' ||
	    strchr(name + n + 1, '.') != NULL)
		return NULL;
	return name + n + 1;
}

/* One section (or list element) sec at path: checks its keys, applies
 * every row below it, then its check hook. map NULL: absent, defaults
 * only. */
static int
walk(struct config_ctx *c, const struct config_key *sec, const char *path,
    const struct yamlconf_node *map, void *base, size_t idx)
{
	const struct config_key *kids[MAX_CHILDREN];
	const char *names[MAX_CHILDREN], *leaf;
	const struct yamlconf_node *n;
	char sname[YAMLCONF_KEY_MAX], kpath[YAMLCONF_KEY_MAX];
	unsigned given = 0;
	size_t i, nk = 0;

	snprintf(sname, sizeof(sname), "%s%s", sec->name,
	    sec->type == CONFIG_LIST ? "[]" : "");
	for (i = 0; i < ARRAY_SIZE(schema); i++) {
		if ((leaf = child_leaf(schema[i].name, sname)) == NULL)
			continue;
		if (nk == MAX_CHILDREN)
			abort();	/* NOTREACHED: the schema is ours */
		kids[nk] = &schema[i];
		names[nk++] = leaf;
	}
	if (map != NULL && yamlconf_check_keys(c->y, map, path, names, nk,
	    c->err) < 0)
		return -1;
	for (i = 0; i < nk; i++) {
		n = yamlconf_find(c->y, map, names[i]);
		yamlconf_join(kpath, path, names[i]);
		if (n != NULL) {
			given |= kids[i]->bit;
			if (set_value(c, kids[i], kpath, n, base) < 0)
				return -1;
		} else if (kids[i]->flags & CONFIG_F_REQUIRED) {
			if (path[0] == '\0')
				ew_err_set(c->err, c->cfg->path,
				    map != NULL ? yamlconf_line(map) : 1,
				    map != NULL ? yamlconf_col(map) : 1,
				    "%s: missing required key: %s", kpath,
				    kids[i]->doc);
			else
				yamlconf_fail(c->y, map, c->err, "%s: missing "
				    "required key \"%s\" (%s)", path, names[i],
				    kids[i]->doc);
			return -1;
		} else if (kids[i]->type == CONFIG_SECTION) {
			if (walk(c, kids[i], kpath, NULL,
			    field(base, kids[i]->off), 0) < 0)
				return -1;
		} else if (kids[i]->def != NULL &&
		    set_default(c, kids[i], kpath, base) < 0)
			return -1;
	}
	if (sec->check == NULL)
		return 0;
	c->map = map;
	c->given = given;
	snprintf(c->path, sizeof(c->path), "%s", path);
	return sec->check(c, base, idx);
}

/* --- the checks that span keys ------------------------------------------ */

static int
check_root(struct config_ctx *c, void *base, size_t idx)
{
	struct config *cfg = base;
	const struct yamlconf_node *vn = yamlconf_find(c->y, c->map, "host");
	char hn[256], shown[YAMLCONF_SHOW_BUF];
	size_t i;

	(void)idx;
	if (strcmp(cfg->host, "auto") == 0) {
		memset(hn, 0, sizeof(hn));
		if (gethostname(hn, sizeof(hn) - 1) == -1) {
			yamlconf_fail(c->y, vn, c->err, "host: auto: "
			    "gethostname: %s", strerror(errno));
			return -1;
		}
		replace(&cfg->host, xstrdup(hn));
	}
	for (i = 0; cfg->host[i] != '\0'; i++)
		if ((unsigned char)cfg->host[i] <= ' ' ||
		    (unsigned char)cfg->host[i] == 0x7f)
			break;
	if (i == 0 || cfg->host[i] != '\0') {
		yamlconf_fail(c->y, vn, c->err, "host: expected a host name "
		    "without spaces, got \"%s\"",
		    yamlconf_show(cfg->host, shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

/* The node of key in the section just walked, or the section itself (a
 * default has no place of its own). */
static const struct yamlconf_node *
node_or_map(const struct config_ctx *c, const char *key)
{
	const struct yamlconf_node *n = yamlconf_find(c->y, c->map, key);

	return n != NULL ? n : c->map;
}

/* SPEC §15: redis.sentinels, master_name and sentinel_password_file
 * together; the sentinels' password is read now, like the master's, so
 * --check-config finds what a start would. */
static int
check_sentinels(struct config_ctx *c, struct config_redis *r)
{
	const struct yamlconf_node *sn = yamlconf_find(c->y, c->map,
	    "sentinels");
	struct sentinel_conf *sc = &r->sentinel;
	char shown[YAMLCONF_SHOW_BUF];
	struct ew_err e = { 0 };
	struct webaddr a;
	const char *why;
	size_t i;

	if (sc->naddrs == 0) {
		if (sc->master_name[0] != '\0') {
			yamlconf_fail(c->y, node_or_map(c, "master_name"),
			    c->err, "redis.master_name: only used with "
			    "redis.sentinels, which is empty");
			return -1;
		}
		if (r->sentinel_password_file[0] != '\0') {
			yamlconf_fail(c->y,
			    node_or_map(c, "sentinel_password_file"), c->err,
			    "redis.sentinel_password_file: only used with "
			    "redis.sentinels, which is empty");
			return -1;
		}
		return 0;
	}
	if (sc->naddrs > SENTINEL_MAX) {
		yamlconf_fail(c->y, sn, c->err, "redis.sentinels: at most %d "
		    "sentinels, got %zu", SENTINEL_MAX, sc->naddrs);
		return -1;
	}
	for (i = 0; i < sc->naddrs; i++) {
		if (sentinel_parse_addr(sc->addrs[i], &a, &why) == 0)
			continue;
		yamlconf_fail(c->y, yamlconf_item(c->y, sn, i), c->err,
		    "redis.sentinels[%zu]: %s, got \"%s\"", i, why,
		    yamlconf_show(sc->addrs[i], shown, sizeof(shown)));
		return -1;
	}
	if (sc->master_name[0] == '\0') {
		yamlconf_fail(c->y, node_or_map(c, "master_name"), c->err,
		    "redis.master_name: required with redis.sentinels (the "
		    "name the sentinels monitor, such as mymaster)");
		return -1;
	}
	if (r->target.scheme != REDISURL_TCP) {
		yamlconf_fail(c->y, node_or_map(c, "url"), c->err,
		    "redis.url: with redis.sentinels the URL must be "
		    "redis:// (the master's host and port replace its own)");
		return -1;
	}
	if (r->sentinel_password_file[0] == '\0')
		return 0;
	sc->password = redisurl_read_password(r->sentinel_password_file, &e);
	if (sc->password != NULL)
		return 0;
	yamlconf_fail(c->y, node_or_map(c, "sentinel_password_file"), c->err,
	    "redis.sentinel_password_file: %s: %s",
	    r->sentinel_password_file, e.msg);
	return -1;
}

/* ERRWATCH_REDIS_URL over redis.url (SPEC §4), then the credential
 * (SPEC §7): what a program would find wrong at start is found here. */
static int
check_redis(struct config_ctx *c, void *base, size_t idx)
{
	struct config_redis *r = base;
	const struct yamlconf_node *pn;
	struct ew_err e = { 0 };
	struct redisurl u;
	const char *env;
	char *f;

	(void)idx;
	env = getenv("ERRWATCH_REDIS_URL");
	if (env != NULL && env[0] != '\0') {
		if (redisurl_parse(&u, env, &e) < 0) {
			ew_err_set(c->err, NULL, 0, 0, "ERRWATCH_REDIS_URL: %s",
			    e.msg);
			return -1;
		}
		redisurl_free(&r->target);
		r->target = u;
		replace(&r->url, xstrdup(env));
	}
	if (check_sentinels(c, r) < 0)
		return -1;
	f = redisurl_password_file(r->password_file);
	if (f == NULL)
		return 0;
	replace(&r->password_file, f);
	if (redisurl_credential(&r->target, f, &e) == 0)
		return 0;
	pn = yamlconf_find(c->y, c->map, "password_file");
	if (pn != NULL)
		yamlconf_fail(c->y, pn, c->err, "redis.password_file: %s: %s",
		    f, e.msg);
	else
		ew_err_set(c->err, c->cfg->path, 0, 0, "redis.password_file: "
		    "%s (the systemd credential): %s", f, e.msg);
	return -1;
}

/* SPEC §14: web.listen's syntax; errwatch-web binds it at start. */
static int
check_web(struct config_ctx *c, void *base, size_t idx)
{
	struct config_web *w = base;
	const struct yamlconf_node *n;
	struct webaddr a;
	const char *why;

	(void)idx;
	if (webaddr_parse(w->listen, &a, &why) == 0)
		return 0;
	n = yamlconf_find(c->y, c->map, "listen");
	if (n != NULL)
		yamlconf_fail(c->y, n, c->err, "web.listen: %s", why);
	else
		ew_err_set(c->err, c->cfg->path, 0, 0, "web.listen: %s", why);
	return -1;
}

static void
init_input(struct config_ctx *c, void *base, size_t idx)
{
	struct config_input *in = base;

	(void)c;
	in->name = xasprintf("input%zu", idx);	/* SPEC §4: input<N> */
}

static int
check_input(struct config_ctx *c, void *base, size_t idx)
{
	struct config_input *in = base, *all = in - idx;
	const struct yamlconf_node *nn;
	size_t j;

	/* SPEC §16: files or the journal, never both, never neither */
	if ((c->given & (INPUT_F_PATHS | INPUT_F_JOURNAL)) ==
	    (INPUT_F_PATHS | INPUT_F_JOURNAL)) {
		nn = yamlconf_find(c->y, c->map, "journal");
		yamlconf_fail(c->y, nn != NULL ? nn : c->map, c->err,
		    "%s: paths and journal both given: an input reads files "
		    "or the journal, not both", c->path);
		return -1;
	}
	if ((c->given & (INPUT_F_PATHS | INPUT_F_JOURNAL)) == 0) {
		yamlconf_fail(c->y, c->map, c->err, "%s: missing required key "
		    "\"paths\" (the globs of the files to follow) or "
		    "\"journal\"", c->path);
		return -1;
	}
	in->is_journal = (c->given & INPUT_F_JOURNAL) != 0;
	in->given = c->given;	/* --check-config lists the one given */
	for (j = 0; j < idx; j++) {
		if (strcmp(all[j].name, in->name) != 0)
			continue;
		nn = yamlconf_find(c->y, c->map, "name");
		yamlconf_fail(c->y, nn != NULL ? nn : c->map, c->err,
		    "%s.name: \"%s\" is already the name of inputs[%zu]",
		    c->path, in->name, j);
		return -1;
	}
	return 0;
}

static int
check_defaults(struct config_ctx *c, void *base, size_t idx)
{
	struct config_alerts *a = base;

	(void)idx;
	a->defaults.set = c->given;
	return 0;
}

/* A rule starts from alerts.defaults (walked before alerts.rules): its
 * own keys then overwrite what they set (SPEC §9). */
static void
init_rule(struct config_ctx *c, void *base, size_t idx)
{
	struct config_rule *rule = base;

	(void)idx;
	rule->params = c->cfg->alerts.defaults;
}

/* A fleet rule starts from alerts.fleet.defaults. */
static void
init_fleet_rule(struct config_ctx *c, void *base, size_t idx)
{
	struct config_rule *rule = base;

	(void)idx;
	rule->params = c->cfg->fleet.defaults;
}

static int
check_rule(struct config_ctx *c, void *base, size_t idx)
{
	struct config_rule *rule = base, *all = rule - idx;
	const struct yamlconf_node *mn = yamlconf_find(c->y, c->map, "match");
	char shown[YAMLCONF_SHOW_BUF];
	size_t j, sec = strcspn(c->path, "[");	/* "alerts[.fleet].rules" */

	if (strcmp(rule->match, "category:") == 0) {
		yamlconf_fail(c->y, mn, c->err, "%s.match: expected a category "
		    "name after \"category:\"", c->path);
		return -1;
	}
	/* SPEC §9: one spike rule and one drop rule per match */
	for (j = 0; j < idx; j++) {
		if (strcmp(all[j].match, rule->match) != 0 ||
		    all[j].drop != rule->drop)
			continue;
		yamlconf_fail(c->y, mn, c->err, "%s.match: \"%s\" already has "
		    "a %s rule (%.*s[%zu])", c->path,
		    yamlconf_show(rule->match, shown, sizeof(shown)),
		    rule->drop ? "drop" : "spike", (int)sec, c->path, j);
		return -1;
	}
	if (rule->drop && (c->given & ALERT_F_THRESHOLD)) {
		yamlconf_fail(c->y, yamlconf_find(c->y, c->map, "threshold"),
		    c->err, "%s.threshold: a drop rule has no threshold (it "
		    "fires below baseline / factor)", c->path);
		return -1;
	}
	rule->params.set = c->given;
	return 0;
}

/* An http:// or https:// URL with a host (SPEC §13); libcurl judges
 * the rest when it sends. */
static bool
is_http_url(const char *u)
{
	size_t n;

	if (strncmp(u, "http://", 7) == 0)
		n = 7;
	else if (strncmp(u, "https://", 8) == 0)
		n = 8;
	else
		return false;
	if (u[n] == '\0' || u[n] == '/' || u[n] == ':')
		return false;
	for (; u[n] != '\0'; n++)
		if ((unsigned char)u[n] <= ' ' || u[n] == 0x7f)
			return false;
	return true;
}

static int
check_delivery(struct config_ctx *c, void *base, size_t idx)
{
	struct config_delivery *d = base;
	const struct yamlconf_node *an;
	char shown[YAMLCONF_SHOW_BUF];
	size_t i;

	(void)idx;
	an = yamlconf_find(c->y, c->map, "alertmanager");
	for (i = 0; i < d->nalertmanager; i++) {
		if (is_http_url(d->alertmanager[i]))
			continue;
		yamlconf_fail(c->y, an != NULL ? yamlconf_item(c->y, an, i) :
		    c->map, c->err, "%s.alertmanager: expected an http:// or "
		    "https:// URL, got \"%s\"", c->path,
		    yamlconf_show(d->alertmanager[i], shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

static int
check_webhook(struct config_ctx *c, void *base, size_t idx)
{
	struct config_webhook *w = base;
	char shown[YAMLCONF_SHOW_BUF];

	(void)idx;
	if (is_http_url(w->url))
		return 0;
	yamlconf_fail(c->y, yamlconf_find(c->y, c->map, "url"), c->err,
	    "%s.url: expected an http:// or https:// URL, got \"%s\"",
	    c->path, yamlconf_show(w->url, shown, sizeof(shown)));
	return -1;
}

/* --- load and destroy --------------------------------------------------- */

/* The absolute directory of path, or NULL with err filled. */
static char *
config_dir(const char *path, struct ew_err *err)
{
	char *d = xstrdup(path), *slash, *abs;

	slash = strrchr(d, '/');
	if (slash == NULL)
		replace(&d, xstrdup("."));
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	abs = realpath(d, NULL);
	if (abs == NULL)
		ew_err_set(err, path, 0, 0, "%s: %s", d, strerror(errno));
	free(d);
	return abs;
}

static void
free_input(struct config_input *in)
{
	free(in->name);
	free_strv(in->paths, in->npaths);
	free_strv(in->journal.units, in->journal.nunits);
	free(in->journal.directory);
	free_strv(in->exclude, in->nexclude);
	free_strv(in->patterns, in->npatterns);
	free(in->pattern_pos);
}

void
config_destroy(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->dir);
	free(cfg->host);
	free(cfg->table);
	free(cfg->redis.url);
	free(cfg->redis.password_file);
	free(cfg->redis.prefix);
	sentinel_conf_free(&cfg->redis.sentinel);
	free(cfg->redis.sentinel_pos);
	free(cfg->redis.sentinel_password_file);
	redisurl_free(&cfg->redis.target);
	for (i = 0; i < cfg->ninputs; i++)
		free_input(&cfg->inputs[i]);
	free(cfg->inputs);
	for (i = 0; i < cfg->alerts.nrules; i++)
		free(cfg->alerts.rules[i].match);
	free(cfg->alerts.rules);
	for (i = 0; i < cfg->fleet.nrules; i++)
		free(cfg->fleet.rules[i].match);
	free(cfg->fleet.rules);
	free(cfg->web.listen);
	free(cfg->web.assets);
	free(cfg->delivery.group);
	free_strv(cfg->delivery.alertmanager, cfg->delivery.nalertmanager);
	for (i = 0; i < cfg->delivery.nwebhooks; i++) {
		free(cfg->delivery.webhooks[i].url);
		free_strv(cfg->delivery.webhooks[i].headers,
		    cfg->delivery.webhooks[i].nheaders);
	}
	free(cfg->delivery.webhooks);
	free(cfg->delivery.runbook_url);
	free(cfg->delivery.dashboard_url);
	free(cfg);
}

struct config *
config_load(const char *path, struct ew_err *err)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	const struct yamlconf_node *root;
	struct yamlconf *y = NULL;
	struct config_ctx c;

	cfg->path = xstrdup(path);
	if ((y = yamlconf_load(path, CONFIG_FILE_MAX, err)) == NULL ||
	    (cfg->dir = config_dir(path, err)) == NULL)
		goto fail;
	memset(&c, 0, sizeof(c));
	c.y = y;
	c.dir = cfg->dir;
	c.err = err;
	c.cfg = cfg;
	root = yamlconf_root(y);
	if (yamlconf_kind(root) == YAMLCONF_NULL)
		root = NULL;	/* an empty document */
	else if (yamlconf_kind(root) != YAMLCONF_MAP) {
		yamlconf_fail(y, root, err, "expected a mapping of settings at "
		    "the top level, got %s", yamlconf_kind_name(root));
		goto fail;
	}
	if (walk(&c, &schema[0], "", root, cfg, 0) < 0)
		goto fail;
	yamlconf_destroy(y);
	return cfg;
fail:
	yamlconf_destroy(y);
	config_destroy(cfg);
	return NULL;
}

/* --- the listing --------------------------------------------------------- */

static void
describe_strv(struct buf *out, char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(out, "%s%s", i > 0 ? ", " : "", v[i]);
}

/* The URL as the config writes it, with the password hidden. */
static void
describe_url(struct buf *out, const struct redisurl *u)
{
	if (u->scheme == REDISURL_UNIX) {
		buf_printf(out, "unix://%s", u->path);
	} else {
		buf_puts(out, "redis://");
		if (u->user != NULL || u->password != NULL)
			buf_printf(out, "%s%s@", u->user != NULL ? u->user : "",
			    u->password != NULL ? ":***" : "");
		if (strchr(u->host, ':') != NULL)
			buf_printf(out, "[%s]:%d", u->host, u->port);
		else
			buf_printf(out, "%s:%d", u->host, u->port);
	}
	buf_printf(out, u->scheme == REDISURL_UNIX ? "?db=%d" : "/%d", u->db);
}

static void
describe_value(struct buf *out, const struct config_key *k,
    const void *base)
{
	const void *p = cfield(base, k->off);
	const struct config_bucket *b;
	char tmp[64];
	size_t i;

	switch (k->type) {
	case CONFIG_WORD:
		buf_puts(out, p);
		break;
	case CONFIG_URL:
		describe_url(out, cfield(base, k->off2));
		break;
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_HOST:
	case CONFIG_NAME:
		buf_printf(out, "\"%s\"", *(char *const *)p);
		break;
	case CONFIG_BOOL:
		buf_puts(out, *(const bool *)p ? "true" : "false");
		break;
	case CONFIG_UINT:
		buf_printf(out, "%llu",
		    (unsigned long long)get_uint(p, k->width));
		break;
	case CONFIG_NUMBER:
		buf_printf(out, "%g", *(const double *)p);
		break;
	case CONFIG_DURATION:
		yamlconf_fmt_duration(get_uint(p, k->width), tmp, sizeof(tmp));
		buf_puts(out, tmp);
		break;
	case CONFIG_SIZE:
		yamlconf_fmt_size(get_uint(p, k->width), tmp, sizeof(tmp));
		buf_puts(out, tmp);
		break;
	case CONFIG_ENUM:
		buf_puts(out, k->choices[get_uint(p, k->width)]);
		break;
	case CONFIG_GLOBS:
	case CONFIG_STRINGS:
		buf_puts(out, "[");
		describe_strv(out, *(char **const *)p,
		    *(const size_t *)cfield(base, k->off2));
		buf_puts(out, "]");
		break;
	case CONFIG_HEADERS:
		buf_puts(out, "{");
		describe_strv(out, *(char **const *)p,
		    *(const size_t *)cfield(base, k->off2));
		buf_puts(out, "}");
		break;
	case CONFIG_BUCKETS:
		b = p;
		buf_puts(out, "{");
		for (i = 0; i < *(const size_t *)cfield(base, k->off2); i++) {
			yamlconf_fmt_duration(b[i].retention_ms, tmp,
			    sizeof(tmp));
			buf_printf(out, "%s%s: %s", i > 0 ? ", " : "",
			    b[i].name, tmp);
		}
		buf_puts(out, "}");
		break;
	default:
		break;
	}
}

static void
describe(struct buf *out, const struct config_key *sec, const char *path,
    const void *base)
{
	char sname[YAMLCONF_KEY_MAX], kpath[YAMLCONF_KEY_MAX];
	char epath[YAMLCONF_KEY_MAX + 24];
	const struct config_key *k;
	const char *leaf, *elems;
	unsigned set = ~0U;
	size_t i, j, n;

	snprintf(sname, sizeof(sname), "%s%s", sec->name,
	    sec->type == CONFIG_LIST ? "[]" : "");
	if (sec->flags & CONFIG_F_MASK)
		set = *(const unsigned *)cfield(base, sec->off3);
	for (i = 0; i < ARRAY_SIZE(schema); i++) {
		k = &schema[i];
		if ((leaf = child_leaf(k->name, sname)) == NULL)
			continue;
		/* a rule lists what it sets, not what it inherits */
		if (k->bit != 0 && k->def == NULL && !(set & k->bit))
			continue;
		yamlconf_join(kpath, path, leaf);
		if (k->type == CONFIG_SECTION) {
			describe(out, k, kpath, cfield(base, k->off));
			continue;
		}
		if (k->type == CONFIG_LIST) {
			elems = *(const char *const *)cfield(base, k->off);
			n = *(const size_t *)cfield(base, k->off2);
			for (j = 0; j < n; j++) {
				snprintf(epath, sizeof(epath), "%s[%zu]",
				    kpath, j);
				describe(out, k, epath, elems + j * k->width);
			}
			continue;
		}
		buf_printf(out, "%-32s ", kpath);
		describe_value(out, k, base);
		buf_puts(out, "\n");
	}
}

void
config_describe(const struct config *cfg, struct buf *out)
{
	describe(out, &schema[0], "", cfg);
}
