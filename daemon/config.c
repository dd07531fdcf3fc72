/*
 * config: errwatch.yaml (SPEC §4) to an immutable struct config. This file
 * owns the schema: every key, its type, its default and its limits. It
 * never compiles patterns, opens the table or talks to Redis; those modules
 * report their own errors at the config_pos kept here.
 *
 * The whole file is read into memory and loaded with libyaml's document
 * API, so keys can be checked (unknown, duplicate) before any value is
 * used, and alerts.defaults is known before the rules merge over it.
 *
 * Invariants of a returned config: every string is non-NULL; table,
 * password_file (unless ""), paths and the excludes holding a '/' are
 * absolute; buckets are sorted by resolution and unique; every input has
 * at least one path and one pattern and a unique name; rules carry
 * alerts.defaults merged under what they set. Errors name the file,
 * 1-based line and column (a key for unknown and duplicate keys, the value
 * for bad values) and the key path, e.g. inputs[0].rotate_wait.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE	700	/* realpath(3) */
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "base.h"
#include "config.h"

#define CONFIG_FILE_MAX		(1024 * 1024)	/* bytes; a config is small */
#define MAX_LINE_MIN		256		/* bytes */
#define MAX_LINE_MAX		(1024 * 1024 * 1024)	/* bytes */
#define INPUT_NAME_MAX		64
#define KEY_MAX			192	/* bytes of a key path: inputs[3].x */
#define SHOW_MAX		60	/* bytes of a bad value quoted */

#define DEFAULT_TABLE		"/usr/share/errwatch/error-codes.tsv"
#define DEFAULT_URL		"redis://127.0.0.1:6379/0"
#define DEFAULT_PATTERN \
	"\\bcode=(?<code>\\d{3,4})\\b(?:.*?\\bname=(?<name>[A-Za-z]+))?"

/* get_list() flags */
#define LIST_NONEMPTY		0x1	/* [] is an error */
#define LIST_GLOB		0x2	/* each item must be a valid glob */
#define LIST_RESOLVE		0x4	/* relative items become absolute */
#define LIST_RESOLVE_SLASH	0x8	/* only items holding a '/' */

/* get_duration() flags */
#define DUR_WHOLE_S		0x1	/* a multiple of 1s */

struct ctx {
	const char	*file;	/* the config path, for errors */
	const char	*dir;	/* its directory, absolute */
	struct ew_err	*err;
	yaml_document_t	*doc;
};

static const char *const top_keys[] = {
	"host", "table", "max_open_files", "redis", "inputs", "alerts", NULL
};
static const char *const redis_keys[] = {
	"url", "password_file", "prefix", "connect_timeout", "flush_interval",
	"buckets", NULL
};
static const char *const input_keys[] = {
	"name", "paths", "exclude", "start_at", "max_line", "rotate_wait",
	"poll", "patterns", NULL
};
static const char *const alerts_keys[] = {
	"defaults", "rules", "fleet", NULL
};
static const char *const fleet_keys[] = { "defaults", "rules", NULL };
static const char *const defaults_keys[] = {
	"window", "baseline", "min_count", "factor", "p", "cooldown",
	"severity", "enabled", NULL
};
static const char *const rule_keys[] = {
	"match", "drop", "threshold", "window", "baseline", "min_count",
	"factor", "p", "cooldown", "severity", "enabled", NULL
};

static void	fail_at(struct ctx *, const yaml_node_t *, const char *, ...)
		    EW_PRINTF(3, 4);

/* Fills the error at node n (NULL: line and column unknown). */
static void
fail_at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[EW_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n == NULL)
		ew_err_set(c->err, c->file, 0, 0, "%s", msg);
	else
		ew_err_set(c->err, c->file, (int)n->start_mark.line + 1,
		    (int)n->start_mark.column + 1, "%s", msg);
}

static yaml_node_t *
node_at(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static struct config_pos
pos_of(const yaml_node_t *n)
{
	struct config_pos p;

	p.line = (int)n->start_mark.line + 1;
	p.col = (int)n->start_mark.column + 1;
	return p;
}

static const char *
kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return "a single value";
	default:
		return "nothing";
	}
}

static const char *
sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, ~ or null value: the key is treated as absent. */
static bool
is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = sval(n);
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* s, cut to SHOW_MAX bytes, with bytes that are not printable ASCII, '"'
 * and '\' escaped: safe to quote in a message. */
static const char *
show(const char *s, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && o + 5 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == SHOW_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
	return out;
}

/* out (KEY_MAX bytes) = prefix.key, or key at the top level. */
static void
join_key(char *out, const char *prefix, const char *key)
{
	int n;

	if (prefix[0] == '\0')
		n = snprintf(out, KEY_MAX, "%s", key);
	else
		n = snprintf(out, KEY_MAX, "%s.%s", prefix, key);
	if (n >= KEY_MAX)	/* show that the path was cut */
		memcpy(out + KEY_MAX - 4, "...", 4);
}

/* Checks that every key of map is a known, unique name. allowed NULL:
 * any name. */
static int
check_keys(struct ctx *c, const yaml_node_t *map, const char *prefix,
    const char *const *allowed)
{
	yaml_node_pair_t *p, *q;
	const char *const *a;
	const char *sep = prefix[0] != '\0' ? ": " : "";
	char shown[SHOW_MAX * 4 + 8], list[512];
	yaml_node_t *k, *k2;

	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = node_at(c, p->key);
		if (k->type != YAML_SCALAR_NODE || is_null(k)) {
			fail_at(c, k, "%s%sexpected a key name, got %s", prefix,
			    sep, is_null(k) ? "nothing" : kind(k));
			return -1;
		}
		for (a = allowed; a != NULL && *a != NULL; a++)
			if (strcmp(*a, sval(k)) == 0)
				break;
		if (allowed != NULL && *a == NULL) {
			list[0] = '\0';
			for (a = allowed; *a != NULL; a++) {
				if (a != allowed)
					strcat(list, ", ");
				strcat(list, *a);
			}
			fail_at(c, k, "%s%sunknown key \"%s\" (known: %s)",
			    prefix, sep, show(sval(k), shown, sizeof(shown)),
			    list);
			return -1;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			k2 = node_at(c, q->key);
			if (k2->type == YAML_SCALAR_NODE &&
			    strcmp(sval(k2), sval(k)) == 0) {
				fail_at(c, k, "%s%sduplicate key \"%s\" (first "
				    "at line %d)", prefix, sep,
				    show(sval(k), shown, sizeof(shown)),
				    (int)k2->start_mark.line + 1);
				return -1;
			}
		}
	}
	return 0;
}

/* The value of key in map, or NULL when it is absent or null. */
static yaml_node_t *
find(struct ctx *c, const yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = node_at(c, p->key);
		if (k->type == YAML_SCALAR_NODE && strcmp(sval(k), key) == 0) {
			v = node_at(c, p->value);
			return v == NULL || is_null(v) ? NULL : v;
		}
	}
	return NULL;
}

/* n must be a scalar without NUL bytes; what names the expected value. */
static int
want_scalar(struct ctx *c, const yaml_node_t *n, const char *path,
    const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		fail_at(c, n, "%s: expected %s, got %s", path, what, kind(n));
		return -1;
	}
	if (strlen(sval(n)) != n->data.scalar.length) {
		fail_at(c, n, "%s: expected %s, got a value with a NUL byte",
		    path, what);
		return -1;
	}
	return 0;
}

static int
want_mapping(struct ctx *c, const yaml_node_t *n, const char *path)
{
	if (n->type != YAML_MAPPING_NODE) {
		fail_at(c, n, "%s: expected a mapping, got %s", path, kind(n));
		return -1;
	}
	return 0;
}

/* Looks key up in map. Returns 1 with *val and *vn set, 0 when absent,
 * -1 (err filled) when it is not a single value. */
static int
get_scalar(struct ctx *c, const yaml_node_t *map, const char *prefix,
    const char *key, const char *what, const char **val, yaml_node_t **vn)
{
	char path[KEY_MAX];
	yaml_node_t *n = find(c, map, key);

	if (n == NULL)
		return 0;
	join_key(path, prefix, key);
	if (want_scalar(c, n, path, what) < 0)
		return -1;
	*val = sval(n);
	if (vn != NULL)
		*vn = n;
	return 1;
}

static void
replace(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

static void
fmt_duration(uint64_t ms, char *out, size_t len)
{
	if (ms != 0 && ms % 86400000 == 0)
		snprintf(out, len, "%llud",
		    (unsigned long long)(ms / 86400000));
	else if (ms != 0 && ms % 3600000 == 0)
		snprintf(out, len, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(out, len, "%llum", (unsigned long long)(ms / 60000));
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(out, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(out, len, "%llums", (unsigned long long)ms);
}

/* Parses a run of decimal digits (at least one) at *s, advancing *s.
 * Returns -1 on no digit or overflow. */
static int
parse_digits(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t n = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*v = n;
	return 0;
}

int
config_parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char	*unit;
		uint64_t	 mult;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	uint64_t n;
	size_t i;

	if (s == NULL || parse_digits(&s, &n) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(s, units[i].unit) != 0)
			continue;
		if (n > UINT64_MAX / units[i].mult)
			return -1;
		*ms = n * units[i].mult;
		return 0;
	}
	return -1;	/* a unit is required: "30" is not a duration */
}

int
config_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t n, mult;

	if (s == NULL || parse_digits(&s, &n) < 0)
		return -1;
	if (*s == '\0')
		mult = 1;
	else if (strcmp(s, "KiB") == 0)
		mult = 1024;
	else if (strcmp(s, "MiB") == 0)
		mult = 1024 * 1024;
	else if (strcmp(s, "GiB") == 0)
		mult = 1024 * 1024 * 1024;
	else
		return -1;
	if (n > UINT64_MAX / mult)
		return -1;
	*bytes = n * mult;
	return 0;
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

/* s made absolute against the config's directory; "./" is dropped. */
static char *
resolve(struct ctx *c, const char *s)
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

/* Optional string: 1 and *out replaced when given, 0 absent, -1 error. */
static int
get_string(struct ctx *c, const yaml_node_t *map, const char *prefix,
    const char *key, bool nonempty, char **out, yaml_node_t **vn)
{
	const char *v;
	char path[KEY_MAX];
	yaml_node_t *n;
	int r;

	r = get_scalar(c, map, prefix, key, "a string", &v, &n);
	if (r <= 0)
		return r;
	if (nonempty && v[0] == '\0') {
		join_key(path, prefix, key);
		fail_at(c, n, "%s: expected a non-empty string", path);
		return -1;
	}
	replace(out, xstrdup(v));
	if (vn != NULL)
		*vn = n;
	return 1;
}

/* The value at n is not what key path takes: -1 with the message. */
static int
bad_value(struct ctx *c, const yaml_node_t *n, const char *path,
    const char *what, const char *v)
{
	char shown[SHOW_MAX * 4 + 8];

	fail_at(c, n, "%s: expected %s, got \"%s\"", path, what,
	    show(v, shown, sizeof(shown)));
	return -1;
}

static int
get_duration(struct ctx *c, const yaml_node_t *map, const char *prefix,
    const char *key, uint64_t min_ms, unsigned flags, uint64_t *out)
{
	const char *what = "a duration such as 500ms or 30s";
	char path[KEY_MAX], shown[SHOW_MAX * 4 + 8], mins[32];
	const char *v;
	yaml_node_t *n;
	uint64_t ms;
	int r;

	r = get_scalar(c, map, prefix, key, what, &v, &n);
	if (r <= 0)
		return r;
	join_key(path, prefix, key);
	if (config_parse_duration(v, &ms) < 0) {
		return bad_value(c, n, path, what, v);
	}
	if (ms < min_ms) {
		fmt_duration(min_ms, mins, sizeof(mins));
		fail_at(c, n, "%s: must be at least %s, got \"%s\"", path,
		    mins, show(v, shown, sizeof(shown)));
		return -1;
	}
	if ((flags & DUR_WHOLE_S) && ms % 1000 != 0) {
		fail_at(c, n, "%s: must be whole seconds, got \"%s\"", path,
		    show(v, shown, sizeof(shown)));
		return -1;
	}
	*out = ms;
	return 1;
}

static int
get_uint(struct ctx *c, const yaml_node_t *map, const char *prefix,
    const char *key, uint64_t min, uint64_t *out)
{
	const char *what = "a whole number such as 20";
	char path[KEY_MAX], shown[SHOW_MAX * 4 + 8];
	const char *v, *p;
	yaml_node_t *n;
	uint64_t u;
	int r;

	r = get_scalar(c, map, prefix, key, what, &v, &n);
	if (r <= 0)
		return r;
	join_key(path, prefix, key);
	p = v;
	if (parse_digits(&p, &u) < 0 || *p != '\0') {
		return bad_value(c, n, path, what, v);
	}
	if (u < min) {
		fail_at(c, n, "%s: must be at least %llu, got \"%s\"", path,
		    (unsigned long long)min, show(v, shown, sizeof(shown)));
		return -1;
	}
	*out = u;
	return 1;
}

static int
get_size(struct ctx *c, const yaml_node_t *map, const char *prefix,
    const char *key, uint64_t min, uint64_t max, size_t *out)
{
	const char *what = "a size such as 65536, 64KiB or 1MiB";
	char path[KEY_MAX], shown[SHOW_MAX * 4 + 8];
	const char *v;
	yaml_node_t *n;
	uint64_t b;
	int r;

	r = get_scalar(c, map, prefix, key, what, &v, &n);
	if (r <= 0)
		return r;
	join_key(path, prefix, key);
	if (config_parse_size(v, &b) < 0) {
		return bad_value(c, n, path, what, v);
	}
	if (b < min || b > max) {
		fail_at(c, n, "%s: must be from %llu bytes to %lluMiB, got "
		    "\"%s\"", path, (unsigned long long)min,
		    (unsigned long long)(max >> 20),
		    show(v, shown, sizeof(shown)));
		return -1;
	}
	*out = (size_t)b;
	return 1;
}

/* A number x with lo < x <= hi. */
static int
get_double(struct ctx *c, const yaml_node_t *map, const char *prefix,
    const char *key, const char *what, double lo, double hi, double *out)
{
	char path[KEY_MAX];
	const char *v;
	char *end;
	yaml_node_t *n;
	double d;
	int r;

	r = get_scalar(c, map, prefix, key, what, &v, &n);
	if (r <= 0)
		return r;
	join_key(path, prefix, key);
	errno = 0;
	end = NULL;
	d = strtod(v, &end);
	/* strtod skips leading blanks and takes "nan": neither is a number */
	if (v[0] == '\0' || v[0] == ' ' || v[0] == '\t' || end == NULL ||
	    *end != '\0' || errno == ERANGE || !isfinite(d) || d <= lo ||
	    d > hi)
		return bad_value(c, n, path, what, v);
	*out = d;
	return 1;
}

static int
get_bool(struct ctx *c, const yaml_node_t *map, const char *prefix,
    const char *key, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *what = "true or false";
	char path[KEY_MAX], shown[SHOW_MAX * 4 + 8];
	const char *v;
	yaml_node_t *n;
	size_t i;
	int r;

	r = get_scalar(c, map, prefix, key, what, &v, &n);
	if (r <= 0)
		return r;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 1;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 1;
		}
	}
	join_key(path, prefix, key);
	fail_at(c, n, "%s: expected %s (or yes/no, on/off), got \"%s\"", path,
	    what, show(v, shown, sizeof(shown)));
	return -1;
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

/* A single value or a list of them, each a non-empty string. On success
 * *out (and *posout when given) are replaced. */
static int
get_list(struct ctx *c, const yaml_node_t *map, const char *prefix,
    const char *key, const char *what, unsigned flags, char ***out,
    size_t *nout, struct config_pos **posout)
{
	char path[KEY_MAX], epath[KEY_MAX + 24], shown[SHOW_MAX * 4 + 8];
	struct config_pos *pos = NULL;
	char **v = NULL;
	const char *s, *why;
	yaml_node_t *n, *e;
	size_t i, count;

	n = find(c, map, key);
	if (n == NULL)
		return 0;
	join_key(path, prefix, key);
	if (n->type == YAML_SCALAR_NODE)
		count = 1;
	else if (n->type == YAML_SEQUENCE_NODE)
		count = (size_t)(n->data.sequence.items.top -
		    n->data.sequence.items.start);
	else {
		fail_at(c, n, "%s: expected %s, got %s", path, what, kind(n));
		return -1;
	}
	if (count == 0 && (flags & LIST_NONEMPTY)) {
		fail_at(c, n, "%s: expected %s, got an empty list", path, what);
		return -1;
	}
	v = xcalloc(count, sizeof(*v));
	pos = xcalloc(count, sizeof(*pos));
	for (i = 0; i < count; i++) {
		if (n->type == YAML_SCALAR_NODE) {
			e = n;
			snprintf(epath, sizeof(epath), "%s", path);
		} else {
			e = node_at(c, n->data.sequence.items.start[i]);
			snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		}
		if (want_scalar(c, e, epath, "a string") < 0)
			goto fail;
		s = sval(e);
		if (s[0] == '\0' || is_null(e)) {
			fail_at(c, e, "%s: expected a non-empty string", epath);
			goto fail;
		}
		if ((flags & LIST_GLOB) && (why = glob_problem(s)) != NULL) {
			fail_at(c, e, "%s: not a valid glob (%s), got \"%s\"",
			    epath, why, show(s, shown, sizeof(shown)));
			goto fail;
		}
		if ((flags & LIST_RESOLVE) ||
		    ((flags & LIST_RESOLVE_SLASH) && strchr(s, '/') != NULL))
			v[i] = resolve(c, s);
		else
			v[i] = xstrdup(s);
		pos[i] = pos_of(e);
	}
	free_strv(*out, *nout);
	*out = v;
	*nout = count;
	if (posout != NULL) {
		free(*posout);
		*posout = pos;
	} else
		free(pos);
	return 1;
fail:
	free_strv(v, count);
	free(pos);
	return -1;
}

static int
parse_buckets(struct ctx *c, const yaml_node_t *n, struct config_redis *r)
{
	const char *path = "redis.buckets";
	struct config_bucket b[CONFIG_MAX_BUCKETS], t;
	char vpath[KEY_MAX + 32], shown[SHOW_MAX * 4 + 8];
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	size_t nb = 0, i, j;
	const char *s;

	if (want_mapping(c, n, path) < 0 || check_keys(c, n, path, NULL) < 0)
		return -1;
	if (n->data.mapping.pairs.top == n->data.mapping.pairs.start) {
		fail_at(c, n, "%s: expected at least one resolution: retention "
		    "pair such as {10s: 6h}", path);
		return -1;
	}
	memset(b, 0, sizeof(b));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = node_at(c, p->key);
		v = node_at(c, p->value);
		s = sval(k);
		if (nb == CONFIG_MAX_BUCKETS) {
			fail_at(c, k, "%s: at most %d resolutions", path,
			    CONFIG_MAX_BUCKETS);
			return -1;
		}
		if (config_parse_duration(s, &b[nb].res_ms) < 0 ||
		    strlen(s) >= sizeof(b[nb].name)) {
			fail_at(c, k, "%s: expected a resolution such as 10s "
			    "or 1m, got \"%s\"", path, show(s, shown,
			    sizeof(shown)));
			return -1;
		}
		if (b[nb].res_ms < 1000 || b[nb].res_ms % 1000 != 0) {
			fail_at(c, k, "%s: a resolution must be whole seconds, "
			    "at least 1s, got \"%s\"", path,
			    show(s, shown, sizeof(shown)));
			return -1;
		}
		for (i = 0; i < nb; i++) {
			if (b[i].res_ms == b[nb].res_ms) {
				fail_at(c, k, "%s: \"%s\" is the same "
				    "resolution as \"%s\"", path,
				    show(s, shown, sizeof(shown)), b[i].name);
				return -1;
			}
		}
		snprintf(b[nb].name, sizeof(b[nb].name), "%s", s);
		snprintf(vpath, sizeof(vpath), "%s.%s", path, b[nb].name);
		if (is_null(v) || want_scalar(c, v, vpath,
		    "a retention such as 6h or 90d") < 0) {
			fail_at(c, v, "%s: expected a retention such as 6h or "
			    "90d, got nothing", vpath);
			return -1;
		}
		if (config_parse_duration(sval(v), &b[nb].retention_ms) < 0) {
			fail_at(c, v, "%s: expected a retention such as 6h or "
			    "90d, got \"%s\"", vpath, show(sval(v), shown,
			    sizeof(shown)));
			return -1;
		}
		if (b[nb].retention_ms < b[nb].res_ms) {
			fail_at(c, v, "%s: the retention must be at least the "
			    "resolution, got \"%s\"", vpath, show(sval(v),
			    shown, sizeof(shown)));
			return -1;
		}
		nb++;
	}
	for (i = 1; i < nb; i++) {	/* insertion sort by resolution */
		t = b[i];
		for (j = i; j > 0 && b[j - 1].res_ms > t.res_ms; j--)
			b[j] = b[j - 1];
		b[j] = t;
	}
	memcpy(r->buckets, b, sizeof(b));
	r->nbuckets = nb;
	return 0;
}

static bool
is_redis_url(const char *u)
{
	return (strncmp(u, "redis://", 8) == 0 && u[8] != '\0') ||
	    (strncmp(u, "unix://", 7) == 0 && u[7] != '\0');
}

#define URL_WHAT "redis://[user:password@]host[:port][/db] or " \
	"unix:///path/redis.sock[?db=N]"

static int
parse_redis(struct ctx *c, const yaml_node_t *n, struct config_redis *r)
{
	char shown[SHOW_MAX * 4 + 8];
	yaml_node_t *vn = NULL, *b;
	int rv;

	if (n == NULL)
		return 0;
	if (want_mapping(c, n, "redis") < 0 ||
	    check_keys(c, n, "redis", redis_keys) < 0)
		return -1;
	if ((rv = get_string(c, n, "redis", "url", true, &r->url, &vn)) < 0)
		return -1;
	if (rv > 0 && !is_redis_url(r->url)) {
		fail_at(c, vn, "redis.url: expected " URL_WHAT ", got \"%s\"",
		    show(r->url, shown, sizeof(shown)));
		return -1;
	}
	if ((rv = get_string(c, n, "redis", "password_file", false,
	    &r->password_file, NULL)) < 0)
		return -1;
	if (rv > 0 && r->password_file[0] != '\0')
		replace(&r->password_file, resolve(c, r->password_file));
	if (get_string(c, n, "redis", "prefix", false, &r->prefix, NULL) < 0 ||
	    get_duration(c, n, "redis", "connect_timeout", 1, 0,
	    &r->connect_timeout_ms) < 0 ||
	    get_duration(c, n, "redis", "flush_interval", 1, 0,
	    &r->flush_interval_ms) < 0)
		return -1;
	if ((b = find(c, n, "buckets")) != NULL && parse_buckets(c, b, r) < 0)
		return -1;
	return 0;
}

static bool
is_name(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return i > 0;
}

static int
parse_input(struct ctx *c, const yaml_node_t *n, size_t idx,
    struct config_input *in)
{
	const char *globs = "a glob or a list of globs";
	char prefix[KEY_MAX], path[KEY_MAX], shown[SHOW_MAX * 4 + 8];
	yaml_node_t *vn = NULL;
	const char *v;
	int r;

	snprintf(prefix, sizeof(prefix), "inputs[%zu]", idx);
	in->name = xasprintf("input%zu", idx);
	in->start_at = START_AT_END;
	in->max_line = 64 * 1024;
	in->rotate_wait_ms = 5000;
	in->poll = false;
	if (want_mapping(c, n, prefix) < 0 ||
	    check_keys(c, n, prefix, input_keys) < 0)
		return -1;
	if ((r = get_string(c, n, prefix, "name", true, &in->name, &vn)) < 0)
		return -1;
	if (r > 0 && (!is_name(in->name) ||
	    strlen(in->name) > INPUT_NAME_MAX)) {
		fail_at(c, vn, "%s.name: expected letters, digits, '_', '-' or "
		    "'.' (at most %d), got \"%s\"", prefix, INPUT_NAME_MAX,
		    show(in->name, shown, sizeof(shown)));
		return -1;
	}
	r = get_list(c, n, prefix, "paths", globs,
	    LIST_NONEMPTY | LIST_GLOB | LIST_RESOLVE, &in->paths, &in->npaths,
	    NULL);
	if (r < 0)
		return -1;
	if (r == 0) {
		fail_at(c, n, "%s: missing required key \"paths\" (the globs "
		    "of the files to follow)", prefix);
		return -1;
	}
	if (get_list(c, n, prefix, "exclude", globs,
	    LIST_GLOB | LIST_RESOLVE_SLASH, &in->exclude, &in->nexclude,
	    NULL) < 0)
		return -1;
	if ((r = get_scalar(c, n, prefix, "start_at", "end or beginning", &v,
	    &vn)) < 0)
		return -1;
	if (r > 0) {
		if (strcmp(v, "end") == 0)
			in->start_at = START_AT_END;
		else if (strcmp(v, "beginning") == 0)
			in->start_at = START_AT_BEGINNING;
		else {
			join_key(path, prefix, "start_at");
			fail_at(c, vn, "%s: expected end or beginning, got "
			    "\"%s\"", path, show(v, shown, sizeof(shown)));
			return -1;
		}
	}
	if (get_size(c, n, prefix, "max_line", MAX_LINE_MIN, MAX_LINE_MAX,
	    &in->max_line) < 0 ||
	    get_duration(c, n, prefix, "rotate_wait", 0, 0,
	    &in->rotate_wait_ms) < 0 ||
	    get_bool(c, n, prefix, "poll", &in->poll) < 0)
		return -1;
	if ((r = get_list(c, n, prefix, "patterns",
	    "a pattern or a list of patterns", LIST_NONEMPTY, &in->patterns,
	    &in->npatterns, &in->pattern_pos)) < 0)
		return -1;
	if (r == 0) {	/* SPEC §4: the example pattern */
		in->patterns = xcalloc(1, sizeof(*in->patterns));
		in->patterns[0] = xstrdup(DEFAULT_PATTERN);
		in->pattern_pos = xcalloc(1, sizeof(*in->pattern_pos));
		in->npatterns = 1;
	}
	return 0;
}

static int
parse_inputs(struct ctx *c, const yaml_node_t *n, struct config *cfg)
{
	yaml_node_t *e, *nn;
	size_t i, j, count;

	if (n == NULL) {
		/* Absent: there is no node to point at, so 1:1. */
		ew_err_set(c->err, c->file, 1, 1, "inputs: missing required "
		    "key: at least one input with its paths is needed");
		return -1;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		fail_at(c, n, "inputs: expected a list of inputs, got %s",
		    kind(n));
		return -1;
	}
	count = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (count == 0) {
		fail_at(c, n, "inputs: expected at least one input, got an "
		    "empty list");
		return -1;
	}
	cfg->inputs = xcalloc(count, sizeof(*cfg->inputs));
	cfg->ninputs = count;	/* zeroed entries are safe to destroy */
	for (i = 0; i < count; i++) {
		e = node_at(c, n->data.sequence.items.start[i]);
		if (parse_input(c, e, i, &cfg->inputs[i]) < 0)
			return -1;
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->inputs[j].name,
			    cfg->inputs[i].name) != 0)
				continue;
			nn = find(c, e, "name");
			fail_at(c, nn != NULL ? nn : e, "inputs[%zu].name: "
			    "\"%s\" is already the name of inputs[%zu]", i,
			    cfg->inputs[i].name, j);
			return -1;
		}
	}
	return 0;
}

/* Reads the alert_params keys of map into p, recording them in p->set. */
static int
parse_params(struct ctx *c, const yaml_node_t *map, const char *prefix,
    struct alert_params *p)
{
	char path[KEY_MAX], shown[SHOW_MAX * 4 + 8];
	char *sev = NULL;
	yaml_node_t *vn = NULL;
	size_t i;
	int r;

#define TRACK(call, bit) do {						\
	if ((r = (call)) < 0)						\
		return -1;						\
	if (r > 0)							\
		p->set |= (bit);					\
} while (0)
	TRACK(get_duration(c, map, prefix, "window", 1000, DUR_WHOLE_S,
	    &p->window_ms), ALERT_F_WINDOW);
	TRACK(get_duration(c, map, prefix, "baseline", 1000, DUR_WHOLE_S,
	    &p->baseline_ms), ALERT_F_BASELINE);
	TRACK(get_uint(c, map, prefix, "min_count", 0, &p->min_count),
	    ALERT_F_MIN_COUNT);
	TRACK(get_double(c, map, prefix, "factor",
	    "a number above 0 such as 4", 0.0, HUGE_VAL, &p->factor),
	    ALERT_F_FACTOR);
	TRACK(get_double(c, map, prefix, "p",
	    "a probability above 0 and at most 1 such as 1e-6", 0.0, 1.0,
	    &p->p), ALERT_F_P);
	TRACK(get_duration(c, map, prefix, "cooldown", 0, 0, &p->cooldown_ms),
	    ALERT_F_COOLDOWN);
	TRACK(get_uint(c, map, prefix, "threshold", 1, &p->threshold),
	    ALERT_F_THRESHOLD);
	TRACK(get_bool(c, map, prefix, "enabled", &p->enabled),
	    ALERT_F_ENABLED);
#undef TRACK
	if ((r = get_string(c, map, prefix, "severity", true, &sev, &vn)) < 0)
		return -1;
	if (r > 0) {
		for (i = 0; sev[i] != '\0'; i++)
			if (!((sev[i] >= 'a' && sev[i] <= 'z') ||
			    (sev[i] >= 'A' && sev[i] <= 'Z') ||
			    (sev[i] >= '0' && sev[i] <= '9') ||
			    sev[i] == '_' || sev[i] == '-'))
				break;
		if (sev[i] != '\0' || i >= sizeof(p->severity)) {
			join_key(path, prefix, "severity");
			fail_at(c, vn, "%s: expected a word such as warning or "
			    "critical (at most %zu letters), got \"%s\"", path,
			    sizeof(p->severity) - 1,
			    show(sev, shown, sizeof(shown)));
			free(sev);
			return -1;
		}
		snprintf(p->severity, sizeof(p->severity), "%s", sev);
		p->set |= ALERT_F_SEVERITY;
		free(sev);
	}
	return 0;
}

/* sec: "alerts" or "alerts.fleet". SPEC §9: a match has at most one
 * spike rule and one drop rule. */
static int
parse_rules(struct ctx *c, const yaml_node_t *n, const char *sec,
    struct config_alerts *a)
{
	char prefix[KEY_MAX], shown[SHOW_MAX * 4 + 8];
	struct config_rule *rule;
	yaml_node_t *e, *mn = NULL;
	size_t i, j, count;
	int r;

	if (n->type != YAML_SEQUENCE_NODE) {
		fail_at(c, n, "%s.rules: expected a list of rules, got %s",
		    sec, kind(n));
		return -1;
	}
	count = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	a->rules = xcalloc(count, sizeof(*a->rules));
	a->nrules = count;
	for (i = 0; i < count; i++) {
		rule = &a->rules[i];
		e = node_at(c, n->data.sequence.items.start[i]);
		snprintf(prefix, sizeof(prefix), "%s.rules[%zu]", sec, i);
		if (want_mapping(c, e, prefix) < 0 ||
		    check_keys(c, e, prefix, rule_keys) < 0)
			return -1;
		r = get_string(c, e, prefix, "match", true, &rule->match, &mn);
		if (r < 0)
			return -1;
		if (r == 0) {
			fail_at(c, e, "%s: missing required key \"match\" (a "
			    "name, a code or category:NAME)", prefix);
			return -1;
		}
		rule->match_pos = pos_of(mn);
		if (strcmp(rule->match, "category:") == 0) {
			fail_at(c, mn, "%s.match: expected a category name "
			    "after \"category:\"", prefix);
			return -1;
		}
		if (get_bool(c, e, prefix, "drop", &rule->drop) < 0)
			return -1;
		for (j = 0; j < i; j++) {
			if (strcmp(a->rules[j].match, rule->match) == 0 &&
			    a->rules[j].drop == rule->drop) {
				fail_at(c, mn, "%s.match: \"%s\" already has a "
				    "%s rule (%s.rules[%zu])", prefix,
				    show(rule->match, shown, sizeof(shown)),
				    rule->drop ? "drop" : "spike", sec, j);
				return -1;
			}
		}
		rule->params = a->defaults;
		rule->params.set = 0;
		if (parse_params(c, e, prefix, &rule->params) < 0)
			return -1;
		if (rule->drop && (rule->params.set & ALERT_F_THRESHOLD)) {
			fail_at(c, find(c, e, "threshold"), "%s.threshold: a "
			    "drop rule has no threshold (it fires below "
			    "baseline / factor)", prefix);
			return -1;
		}
	}
	return 0;
}

/* defaults, then rules: the rules merge over the defaults, whatever the
 * order in the file. */
static int
parse_ruleset(struct ctx *c, const yaml_node_t *n, const char *sec,
    struct config_alerts *a)
{
	char key[KEY_MAX];
	yaml_node_t *d, *rules;

	if ((d = find(c, n, "defaults")) != NULL) {
		snprintf(key, sizeof(key), "%s.defaults", sec);
		if (want_mapping(c, d, key) < 0 ||
		    check_keys(c, d, key, defaults_keys) < 0 ||
		    parse_params(c, d, key, &a->defaults) < 0)
			return -1;
	}
	if ((rules = find(c, n, "rules")) != NULL &&
	    parse_rules(c, rules, sec, a) < 0)
		return -1;
	return 0;
}

/* alerts, and alerts.fleet (SPEC §13) into fleet. */
static int
parse_alerts(struct ctx *c, const yaml_node_t *n, struct config_alerts *a,
    struct config_alerts *fleet)
{
	yaml_node_t *f;

	if (n == NULL)
		return 0;
	if (want_mapping(c, n, "alerts") < 0 ||
	    check_keys(c, n, "alerts", alerts_keys) < 0 ||
	    parse_ruleset(c, n, "alerts", a) < 0)
		return -1;
	if ((f = find(c, n, "fleet")) != NULL &&
	    (want_mapping(c, f, "alerts.fleet") < 0 ||
	    check_keys(c, f, "alerts.fleet", fleet_keys) < 0 ||
	    parse_ruleset(c, f, "alerts.fleet", fleet) < 0))
		return -1;
	return 0;
}

static int
resolve_host(struct ctx *c, struct config *cfg, const yaml_node_t *vn)
{
	char hn[256], shown[SHOW_MAX * 4 + 8];
	size_t i;

	if (strcmp(cfg->host, "auto") == 0) {
		memset(hn, 0, sizeof(hn));
		if (gethostname(hn, sizeof(hn) - 1) == -1) {
			fail_at(c, vn, "host: auto: gethostname: %s",
			    strerror(errno));
			return -1;
		}
		replace(&cfg->host, xstrdup(hn));
	}
	for (i = 0; cfg->host[i] != '\0'; i++)
		if ((unsigned char)cfg->host[i] <= ' ' ||
		    (unsigned char)cfg->host[i] == 0x7f)
			break;
	if (i == 0 || cfg->host[i] != '\0') {
		fail_at(c, vn, "host: expected a host name without spaces, got "
		    "\"%s\"", show(cfg->host, shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

static int
parse_root(struct ctx *c, const yaml_node_t *root, struct config *cfg)
{
	yaml_node_t *vn = NULL;
	uint64_t u;
	int r;

	if (root != NULL && root->type != YAML_MAPPING_NODE && !is_null(root)) {
		fail_at(c, root, "expected a mapping of settings at the top "
		    "level, got %s", kind(root));
		return -1;
	}
	if (root != NULL && root->type != YAML_MAPPING_NODE)
		root = NULL;	/* an empty document */
	if (root != NULL && check_keys(c, root, "", top_keys) < 0)
		return -1;
	if (get_string(c, root, "", "host", true, &cfg->host, &vn) < 0 ||
	    resolve_host(c, cfg, vn) < 0)
		return -1;
	vn = NULL;
	if ((r = get_string(c, root, "", "table", true, &cfg->table, &vn)) < 0)
		return -1;
	if (r > 0) {
		replace(&cfg->table, resolve(c, cfg->table));
		cfg->table_pos = pos_of(vn);
	}
	if ((r = get_uint(c, root, "", "max_open_files", 1, &u)) < 0)
		return -1;
	if (r > 0)
		cfg->max_open_files = (size_t)u;
	if (parse_redis(c, find(c, root, "redis"), &cfg->redis) < 0 ||
	    parse_inputs(c, find(c, root, "inputs"), cfg) < 0 ||
	    parse_alerts(c, find(c, root, "alerts"), &cfg->alerts,
	    &cfg->fleet) < 0)
		return -1;
	return 0;
}

/* Reads path into b, NUL-terminated. */
static int
read_file(const char *path, struct buf *b, struct ew_err *err)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		ew_err_set(err, path, 0, 0, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		ew_err_set(err, path, 0, 0, "%s", strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		ew_err_set(err, path, 0, 0, "%s", strerror(EISDIR));
		goto fail;
	}
	buf_reserve(b, 4096);
	b->p[0] = '\0';
	for (;;) {
		buf_reserve(b, 4096);
		n = read(fd, b->p + b->len, b->cap - b->len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ew_err_set(err, path, 0, 0, "%s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->p[b->len] = '\0';
		if (b->len > CONFIG_FILE_MAX) {
			ew_err_set(err, path, 0, 0, "larger than %d bytes: not "
			    "a config file", CONFIG_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

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

/* Turns a libyaml failure into err at its 1-based position. */
static void
syntax_error(yaml_parser_t *parser, const struct buf *b, const char *path,
    struct ew_err *err)
{
	size_t line = 1, col = 1, i;
	char ctx[128] = "";

	if (parser->error == YAML_READER_ERROR) {
		/* the reader reports a byte offset, not a mark */
		for (i = 0; i < parser->problem_offset && i < b->len; i++) {
			if (b->p[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)b->p[i] & 0xc0) != 0x80)
				col++;
		}
	} else {
		line = parser->problem_mark.line + 1;
		col = parser->problem_mark.column + 1;
	}
	if (parser->context != NULL)
		snprintf(ctx, sizeof(ctx), " (%s at line %zu)",
		    parser->context, parser->context_mark.line + 1);
	ew_err_set(err, path, (int)line, (int)col, "invalid YAML: %s%s",
	    parser->problem != NULL ? parser->problem : "cannot parse", ctx);
}

static void
free_input(struct config_input *in)
{
	free(in->name);
	free_strv(in->paths, in->npaths);
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
	for (i = 0; i < cfg->ninputs; i++)
		free_input(&cfg->inputs[i]);
	free(cfg->inputs);
	for (i = 0; i < cfg->alerts.nrules; i++)
		free(cfg->alerts.rules[i].match);
	free(cfg->alerts.rules);
	for (i = 0; i < cfg->fleet.nrules; i++)
		free(cfg->fleet.rules[i].match);
	free(cfg->fleet.rules);
	free(cfg);
}

/* Every default of SPEC §4, before the file is read. */
static void
set_defaults(struct config *cfg)
{
	static const struct config_bucket buckets[] = {
		{ 10000, 6 * 3600000ULL, "10s" },
		{ 60000, 48 * 3600000ULL, "1m" },
		{ 3600000, 90 * 86400000ULL, "1h" },
	};
	struct alert_params *d = &cfg->alerts.defaults;

	cfg->host = xstrdup("auto");
	cfg->table = xstrdup(DEFAULT_TABLE);
	cfg->max_open_files = 1024;
	cfg->redis.url = xstrdup(DEFAULT_URL);
	cfg->redis.password_file = xstrdup("");
	cfg->redis.prefix = xstrdup("errwatch:");
	cfg->redis.connect_timeout_ms = 2000;
	cfg->redis.flush_interval_ms = 500;
	memcpy(cfg->redis.buckets, buckets, sizeof(buckets));
	cfg->redis.nbuckets = ARRAY_SIZE(buckets);
	d->window_ms = 60000;
	d->baseline_ms = 30 * 60000;
	d->min_count = 20;
	d->factor = 4;
	d->p = 1e-6;
	d->cooldown_ms = 5 * 60000;
	d->threshold = 0;
	snprintf(d->severity, sizeof(d->severity), "warning");
	d->enabled = true;
	d->set = 0;
	/* SPEC §13: the fleet's defaults; min_count is higher, since a
	 * fleet's counts are the sum of many hosts' */
	cfg->fleet.defaults = *d;
	cfg->fleet.defaults.min_count = 50;
}

/* What the environment adds: ERRWATCH_REDIS_URL over redis.url, and
 * systemd's credential as the password file when none is configured
 * (absent or "", the documented default: SPEC §7). */
static int
apply_env(struct config *cfg, struct ew_err *err)
{
	char shown[SHOW_MAX * 4 + 8];
	const char *env;
	char *f;

	env = getenv("ERRWATCH_REDIS_URL");
	if (env != NULL && env[0] != '\0') {
		if (!is_redis_url(env)) {
			ew_err_set(err, cfg->path, 0, 0, "ERRWATCH_REDIS_URL: "
			    "expected " URL_WHAT ", got \"%s\"",
			    show(env, shown, sizeof(shown)));
			return -1;
		}
		replace(&cfg->redis.url, xstrdup(env));
	}
	/* SPEC §7: under systemd, $CREDENTIALS_DIRECTORY/redis-password */
	env = getenv("CREDENTIALS_DIRECTORY");
	if (cfg->redis.password_file[0] == '\0' && env != NULL &&
	    env[0] == '/') {
		f = xasprintf("%s/redis-password", env);
		if (access(f, F_OK) == 0)
			replace(&cfg->redis.password_file, f);
		else
			free(f);
	}
	return 0;
}

struct config *
config_load(const char *path, struct ew_err *err)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	yaml_document_t doc, extra;
	yaml_node_t *root, *second;
	yaml_parser_t parser;
	struct buf b = { NULL, 0, 0 };
	bool parser_ok = false, doc_ok = false;
	struct ctx c;

	cfg->path = xstrdup(path);
	set_defaults(cfg);
	if (read_file(path, &b, err) < 0)
		goto fail;
	if ((cfg->dir = config_dir(path, err)) == NULL)
		goto fail;
	if (!yaml_parser_initialize(&parser)) {
		ew_err_set(err, path, 0, 0, "cannot start the YAML parser");
		goto fail;
	}
	parser_ok = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)b.p,
	    b.len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(&parser, &b, path, err);
		goto fail;
	}
	doc_ok = true;
	root = yaml_document_get_root_node(&doc);
	if (root != NULL) {
		/* One document only: a second one would be ignored. */
		if (!yaml_parser_load(&parser, &extra)) {
			syntax_error(&parser, &b, path, err);
			goto fail;
		}
		second = yaml_document_get_root_node(&extra);
		if (second != NULL)
			ew_err_set(err, path, (int)second->start_mark.line + 1,
			    (int)second->start_mark.column + 1, "expected one "
			    "YAML document, found a second one");
		yaml_document_delete(&extra);
		if (second != NULL)
			goto fail;
	}
	c.file = path;
	c.dir = cfg->dir;
	c.err = err;
	c.doc = &doc;
	if (parse_root(&c, root, cfg) < 0 || apply_env(cfg, err) < 0)
		goto fail;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	buf_free(&b);
	return cfg;
fail:
	if (doc_ok)
		yaml_document_delete(&doc);
	if (parser_ok)
		yaml_parser_delete(&parser);
	buf_free(&b);
	config_destroy(cfg);
	return NULL;
}
