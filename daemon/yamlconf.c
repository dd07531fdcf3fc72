/*
 * yamlconf: libyaml's document API behind typed getters. A file is read
 * whole and loaded as one document, so a reader can check a map's keys
 * before it uses any value; a second document is an error, not ignored.
 * Nodes handed out are libyaml's own, cast to an opaque type: they live
 * as long as the document. This layer never allocates a value for its
 * caller and never knows what a key means; it owns the YAML syntax, the
 * kinds of values, the duration and size notations, and the wording and
 * position of every "expected X, got V" error.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "base.h"
#include "yamlconf.h"

struct yamlconf {
	char		*path;		/* for errors */
	struct buf	 text;
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	bool		 parser_ok;
	bool		 doc_ok;
};

static const yaml_node_t *
node(const struct yamlconf_node *n)
{
	return (const yaml_node_t *)(const void *)n;
}

static const struct yamlconf_node *
wrap(const yaml_node_t *n)
{
	return (const struct yamlconf_node *)(const void *)n;
}

static const struct yamlconf_node *
by_id(const struct yamlconf *y, int id)
{
	/* libyaml takes a non-const document for a lookup */
	return wrap(yaml_document_get_node((yaml_document_t *)(uintptr_t)
	    &y->doc, id));
}

void
yamlconf_destroy(struct yamlconf *y)
{
	if (y == NULL)
		return;
	if (y->doc_ok)
		yaml_document_delete(&y->doc);
	if (y->parser_ok)
		yaml_parser_delete(&y->parser);
	buf_free(&y->text);
	free(y->path);
	free(y);
}

/* Reads path into b, NUL-terminated. */
static int
read_file(const char *path, size_t max, struct buf *b, struct ew_err *err)
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
		if (b->len > max) {
			ew_err_set(err, path, 0, 0, "larger than %zu bytes: "
			    "not a config file", max);
			goto fail;
		}
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

/* Turns a libyaml failure into err at its 1-based position. */
static void
syntax_error(struct yamlconf *y, struct ew_err *err)
{
	const yaml_parser_t *parser = &y->parser;
	const struct buf *b = &y->text;
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
	ew_err_set(err, y->path, (int)line, (int)col, "invalid YAML: %s%s",
	    parser->problem != NULL ? parser->problem : "cannot parse", ctx);
}

/* Parses y->text: exactly one document. */
static int
parse(struct yamlconf *y, struct ew_err *err)
{
	yaml_document_t extra;
	yaml_node_t *second;

	if (!yaml_parser_initialize(&y->parser)) {
		ew_err_set(err, y->path, 0, 0, "cannot start the YAML parser");
		return -1;
	}
	y->parser_ok = true;
	yaml_parser_set_input_string(&y->parser,
	    (const unsigned char *)y->text.p, y->text.len);
	if (!yaml_parser_load(&y->parser, &y->doc)) {
		syntax_error(y, err);
		return -1;
	}
	y->doc_ok = true;
	if (yaml_document_get_root_node(&y->doc) == NULL)
		return 0;
	if (!yaml_parser_load(&y->parser, &extra)) {
		syntax_error(y, err);
		return -1;
	}
	second = yaml_document_get_root_node(&extra);
	if (second != NULL)
		ew_err_set(err, y->path, (int)second->start_mark.line + 1,
		    (int)second->start_mark.column + 1, "expected one YAML "
		    "document, found a second one");
	yaml_document_delete(&extra);
	return second != NULL ? -1 : 0;
}

struct yamlconf *
yamlconf_load(const char *path, size_t max, struct ew_err *err)
{
	struct yamlconf *y = xcalloc(1, sizeof(*y));

	y->path = xstrdup(path);
	if (read_file(path, max, &y->text, err) < 0 || parse(y, err) < 0) {
		yamlconf_destroy(y);
		return NULL;
	}
	return y;
}

struct yamlconf *
yamlconf_load_string(const char *text, const char *name, struct ew_err *err)
{
	struct yamlconf *y = xcalloc(1, sizeof(*y));

	y->path = xstrdup(name);
	buf_puts(&y->text, text);
	if (parse(y, err) < 0) {
		yamlconf_destroy(y);
		return NULL;
	}
	return y;
}

const struct yamlconf_node *
yamlconf_root(const struct yamlconf *y)
{
	return wrap(yaml_document_get_root_node((yaml_document_t *)
	    (uintptr_t)&y->doc));
}

const char *
yamlconf_text(const struct yamlconf_node *n)
{
	return (const char *)node(n)->data.scalar.value;
}

enum yamlconf_kind
yamlconf_kind(const struct yamlconf_node *n)
{
	const char *v;

	if (n == NULL)
		return YAMLCONF_NULL;
	switch (node(n)->type) {
	case YAML_MAPPING_NODE:
		return YAMLCONF_MAP;
	case YAML_SEQUENCE_NODE:
		return YAMLCONF_LIST;
	case YAML_SCALAR_NODE:
		break;
	default:
		return YAMLCONF_NULL;
	}
	if (node(n)->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return YAMLCONF_SCALAR;
	v = yamlconf_text(n);
	if (v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0)
		return YAMLCONF_NULL;
	return YAMLCONF_SCALAR;
}

const char *
yamlconf_kind_name(const struct yamlconf_node *n)
{
	switch (yamlconf_kind(n)) {
	case YAMLCONF_MAP:
		return "a mapping";
	case YAMLCONF_LIST:
		return "a list";
	case YAMLCONF_SCALAR:
		return "a single value";
	default:
		return "nothing";
	}
}

int
yamlconf_line(const struct yamlconf_node *n)
{
	return n != NULL ? (int)node(n)->start_mark.line + 1 : 0;
}

int
yamlconf_col(const struct yamlconf_node *n)
{
	return n != NULL ? (int)node(n)->start_mark.column + 1 : 0;
}

size_t
yamlconf_count(const struct yamlconf_node *n)
{
	const yaml_node_t *p = node(n);

	if (n == NULL)
		return 0;
	if (p->type == YAML_SEQUENCE_NODE)
		return (size_t)(p->data.sequence.items.top -
		    p->data.sequence.items.start);
	if (p->type == YAML_MAPPING_NODE)
		return (size_t)(p->data.mapping.pairs.top -
		    p->data.mapping.pairs.start);
	return 1;
}

const struct yamlconf_node *
yamlconf_item(const struct yamlconf *y, const struct yamlconf_node *n,
    size_t i)
{
	if (node(n)->type != YAML_SEQUENCE_NODE)
		return n;
	return by_id(y, node(n)->data.sequence.items.start[i]);
}

const struct yamlconf_node *
yamlconf_key(const struct yamlconf *y, const struct yamlconf_node *map,
    size_t i)
{
	return by_id(y, node(map)->data.mapping.pairs.start[i].key);
}

const struct yamlconf_node *
yamlconf_value(const struct yamlconf *y, const struct yamlconf_node *map,
    size_t i)
{
	return by_id(y, node(map)->data.mapping.pairs.start[i].value);
}

const struct yamlconf_node *
yamlconf_find(const struct yamlconf *y, const struct yamlconf_node *map,
    const char *key)
{
	const struct yamlconf_node *k, *v;
	size_t i, n;

	if (yamlconf_kind(map) != YAMLCONF_MAP)
		return NULL;
	n = yamlconf_count(map);
	for (i = 0; i < n; i++) {
		k = yamlconf_key(y, map, i);
		if (node(k)->type != YAML_SCALAR_NODE ||
		    strcmp(yamlconf_text(k), key) != 0)
			continue;
		v = yamlconf_value(y, map, i);
		return yamlconf_kind(v) == YAMLCONF_NULL ? NULL : v;
	}
	return NULL;
}

void
yamlconf_fail(const struct yamlconf *y, const struct yamlconf_node *n,
    struct ew_err *err, const char *fmt, ...)
{
	char msg[EW_ERR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ew_err_set(err, y->path, yamlconf_line(n), yamlconf_col(n), "%s",
	    msg);
}

const char *
yamlconf_show(const char *s, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && o + 5 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == YAMLCONF_SHOW_MAX) {
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

void
yamlconf_join(char *out, const char *prefix, const char *key)
{
	int n;

	if (prefix[0] == '\0')
		n = snprintf(out, YAMLCONF_KEY_MAX, "%s", key);
	else
		n = snprintf(out, YAMLCONF_KEY_MAX, "%s.%s", prefix, key);
	if (n >= YAMLCONF_KEY_MAX)	/* show that the path was cut */
		memcpy(out + YAMLCONF_KEY_MAX - 4, "...", 4);
}

int
yamlconf_check_keys(const struct yamlconf *y,
    const struct yamlconf_node *map, const char *path,
    const char *const *names, size_t count, struct ew_err *err)
{
	const char *sep = path[0] != '\0' ? ": " : "";
	char shown[YAMLCONF_SHOW_BUF];
	const struct yamlconf_node *k, *k2;
	struct buf list = { NULL, 0, 0 };
	size_t i, j, n = yamlconf_count(map);

	for (i = 0; i < n; i++) {
		k = yamlconf_key(y, map, i);
		if (yamlconf_kind(k) != YAMLCONF_SCALAR) {
			yamlconf_fail(y, k, err, "%s%sexpected a key name, got "
			    "%s", path, sep, yamlconf_kind_name(k));
			return -EINVAL;
		}
		for (j = 0; names != NULL && j < count; j++)
			if (strcmp(names[j], yamlconf_text(k)) == 0)
				break;
		if (names != NULL && j == count) {
			for (j = 0; j < count; j++)
				buf_printf(&list, "%s%s", j > 0 ? ", " : "",
				    names[j]);
			yamlconf_fail(y, k, err, "%s%sunknown key \"%s\" "
			    "(known: %s)", path, sep, yamlconf_show(
			    yamlconf_text(k), shown, sizeof(shown)),
			    list.p != NULL ? list.p : "");
			buf_free(&list);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			k2 = yamlconf_key(y, map, j);
			if (strcmp(yamlconf_text(k2), yamlconf_text(k)) != 0)
				continue;
			yamlconf_fail(y, k, err, "%s%sduplicate key \"%s\" "
			    "(first at line %d)", path, sep, yamlconf_show(
			    yamlconf_text(k), shown, sizeof(shown)),
			    yamlconf_line(k2));
			return -EINVAL;
		}
	}
	return 0;
}

int
yamlconf_want_map(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, struct ew_err *err)
{
	if (yamlconf_kind(n) != YAMLCONF_MAP) {
		yamlconf_fail(y, n, err, "%s: expected a mapping, got %s", path,
		    yamlconf_kind_name(n));
		return -EINVAL;
	}
	return 0;
}

int
yamlconf_scalar(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, const char *what, const char **out,
    struct ew_err *err)
{
	if (n == NULL || node(n)->type != YAML_SCALAR_NODE) {
		yamlconf_fail(y, n, err, "%s: expected %s, got %s", path, what,
		    yamlconf_kind_name(n));
		return -EINVAL;
	}
	if (strlen(yamlconf_text(n)) != node(n)->data.scalar.length) {
		yamlconf_fail(y, n, err, "%s: expected %s, got a value with a "
		    "NUL byte", path, what);
		return -EINVAL;
	}
	*out = yamlconf_text(n);
	return 0;
}

/* The value at n is not what key path takes. */
static int
bad_value(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, const char *what, const char *v, struct ew_err *err)
{
	char shown[YAMLCONF_SHOW_BUF];

	yamlconf_fail(y, n, err, "%s: expected %s, got \"%s\"", path, what,
	    yamlconf_show(v, shown, sizeof(shown)));
	return -EINVAL;
}

int
yamlconf_string(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, bool nonempty, const char **out, struct ew_err *err)
{
	if (yamlconf_scalar(y, n, path, "a string", out, err) < 0)
		return -EINVAL;
	if (nonempty && (*out)[0] == '\0') {
		yamlconf_fail(y, n, err, "%s: expected a non-empty string",
		    path);
		return -EINVAL;
	}
	return 0;
}

int
yamlconf_uint(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, uint64_t min, uint64_t max, uint64_t *out,
    struct ew_err *err)
{
	const char *what = "a whole number such as 20", *v;
	char shown[YAMLCONF_SHOW_BUF];
	uint64_t u;
	size_t len;

	if (yamlconf_scalar(y, n, path, what, &v, err) < 0)
		return -EINVAL;
	len = strlen(v);
	if (len == 0 || ew_parse_dec(v, len, UINT64_MAX, &u) != len)
		return bad_value(y, n, path, what, v, err);
	if (u < min) {
		yamlconf_fail(y, n, err, "%s: must be at least %llu, got "
		    "\"%s\"", path, (unsigned long long)min,
		    yamlconf_show(v, shown, sizeof(shown)));
		return -EINVAL;
	}
	if (u > max) {
		yamlconf_fail(y, n, err, "%s: must be at most %llu, got \"%s\"",
		    path, (unsigned long long)max,
		    yamlconf_show(v, shown, sizeof(shown)));
		return -EINVAL;
	}
	*out = u;
	return 0;
}

int
yamlconf_number(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, const char *what, double lo, double hi, double *out,
    struct ew_err *err)
{
	const char *v;
	char *end = NULL;
	double d;

	if (yamlconf_scalar(y, n, path, what, &v, err) < 0)
		return -EINVAL;
	errno = 0;
	d = strtod(v, &end);
	/* strtod skips leading blanks and takes "nan": neither is a number */
	if (v[0] == '\0' || v[0] == ' ' || v[0] == '\t' || end == NULL ||
	    *end != '\0' || errno == ERANGE || !isfinite(d) || d <= lo ||
	    d > hi)
		return bad_value(y, n, path, what, v, err);
	*out = d;
	return 0;
}

int
yamlconf_bool(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, bool *out, struct ew_err *err)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *what = "true or false", *v;
	char shown[YAMLCONF_SHOW_BUF];
	size_t i;

	if (yamlconf_scalar(y, n, path, what, &v, err) < 0)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	yamlconf_fail(y, n, err, "%s: expected %s (or yes/no, on/off), got "
	    "\"%s\"", path, what, yamlconf_show(v, shown, sizeof(shown)));
	return -EINVAL;
}

int
yamlconf_duration(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, uint64_t min_ms, bool whole_s, uint64_t *out,
    struct ew_err *err)
{
	const char *what = "a duration such as 500ms or 30s", *v;
	char shown[YAMLCONF_SHOW_BUF], mins[32];
	uint64_t ms;

	if (yamlconf_scalar(y, n, path, what, &v, err) < 0)
		return -EINVAL;
	if (yamlconf_parse_duration(v, &ms) < 0)
		return bad_value(y, n, path, what, v, err);
	if (ms < min_ms) {
		yamlconf_fmt_duration(min_ms, mins, sizeof(mins));
		yamlconf_fail(y, n, err, "%s: must be at least %s, got \"%s\"",
		    path, mins, yamlconf_show(v, shown, sizeof(shown)));
		return -EINVAL;
	}
	if (whole_s && ms % 1000 != 0) {
		yamlconf_fail(y, n, err, "%s: must be whole seconds, got "
		    "\"%s\"", path, yamlconf_show(v, shown, sizeof(shown)));
		return -EINVAL;
	}
	*out = ms;
	return 0;
}

int
yamlconf_size(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, uint64_t min, uint64_t max, uint64_t *out,
    struct ew_err *err)
{
	const char *what = "a size such as 65536, 64KiB or 1MiB", *v;
	char shown[YAMLCONF_SHOW_BUF];
	uint64_t b;

	if (yamlconf_scalar(y, n, path, what, &v, err) < 0)
		return -EINVAL;
	if (yamlconf_parse_size(v, &b) < 0)
		return bad_value(y, n, path, what, v, err);
	if (b < min || b > max) {
		yamlconf_fail(y, n, err, "%s: must be from %llu bytes to "
		    "%lluMiB, got \"%s\"", path, (unsigned long long)min,
		    (unsigned long long)(max >> 20),
		    yamlconf_show(v, shown, sizeof(shown)));
		return -EINVAL;
	}
	*out = b;
	return 0;
}

int
yamlconf_choice(const struct yamlconf *y, const struct yamlconf_node *n,
    const char *path, const char *const *names, size_t count,
    unsigned *out, struct ew_err *err)
{
	char shown[YAMLCONF_SHOW_BUF];
	struct buf what = { NULL, 0, 0 };
	const char *v;
	size_t i;
	int r;

	for (i = 0; i < count; i++)
		buf_printf(&what, "%s%s", i == 0 ? "" : i + 1 == count ?
		    " or " : ", ", names[i]);
	r = yamlconf_scalar(y, n, path, what.p, &v, err);
	for (i = 0; r == 0 && i < count; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = (unsigned)i;
			buf_free(&what);
			return 0;
		}
	}
	if (r == 0)
		yamlconf_fail(y, n, err, "%s: expected %s, got \"%s\"", path,
		    what.p, yamlconf_show(v, shown, sizeof(shown)));
	buf_free(&what);
	return -EINVAL;
}

/* A run of digits at *s, advancing *s; -1 on none or overflow. */
static int
digits(const char **s, uint64_t *v)
{
	size_t n = ew_parse_dec(*s, SIZE_MAX, UINT64_MAX, v);

	if (n == 0)
		return -1;
	*s += n;
	return 0;
}

int
yamlconf_parse_duration(const char *s, uint64_t *ms)
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

	if (s == NULL || digits(&s, &n) < 0)
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
yamlconf_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t n, mult;

	if (s == NULL || digits(&s, &n) < 0)
		return -1;
	if (*s == '\0')
		mult = 1;
	else if (strcmp(s, "KiB") == 0)
		mult = 1ULL << 10;
	else if (strcmp(s, "MiB") == 0)
		mult = 1ULL << 20;
	else if (strcmp(s, "GiB") == 0)
		mult = 1ULL << 30;
	else
		return -1;
	if (n > UINT64_MAX / mult)
		return -1;
	*bytes = n * mult;
	return 0;
}

void
yamlconf_fmt_duration(uint64_t ms, char *out, size_t len)
{
	static const struct {
		uint64_t	 mult;
		const char	*unit;
	} units[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" },
		{ 1000, "s" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (ms != 0 && ms % units[i].mult == 0) {
			snprintf(out, len, "%llu%s",
			    (unsigned long long)(ms / units[i].mult),
			    units[i].unit);
			return;
		}
	}
	snprintf(out, len, "%llums", (unsigned long long)ms);
}

void
yamlconf_fmt_size(uint64_t bytes, char *out, size_t len)
{
	static const struct {
		unsigned	 shift;
		const char	*unit;
	} units[] = { { 30, "GiB" }, { 20, "MiB" }, { 10, "KiB" } };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (bytes != 0 && bytes % (1ULL << units[i].shift) == 0) {
			snprintf(out, len, "%llu%s", (unsigned long long)
			    (bytes >> units[i].shift), units[i].unit);
			return;
		}
	}
	snprintf(out, len, "%llu", (unsigned long long)bytes);
}
