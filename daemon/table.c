/*
 * table: loads data/error-codes.tsv (SPEC §3) and says, for each matching
 * log line, which class it counts under (SPEC §5). It owns the classes and
 * their metadata. It never logs and reads no file but the table.
 *
 * Invariants: classes are the entries in file order, then one class per
 * code shared by several entries (in the order the codes first appear),
 * then Unclassified, always last. Entry names are unique and match
 * [A-Za-z][A-Za-z0-9]*, so they never collide with a shared code's class
 * name (digits) and "Unclassified" is refused as an entry name.
 * by_code[c] is 0 for a code not in the table, else 1 + the class a line
 * with code c and no known name counts under. table_classify() runs on
 * every matching line: it does one hash probe and one array load.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "hmap.h"
#include "table.h"

#define TABLE_CODE_MAX		99999	/* codes are 1..TABLE_CODE_MAX */
#define TABLE_CODE_DIGITS	9	/* longer code spans: unknown */
#define TABLE_ENTRIES_MAX	50000	/* by_code holds uint16_t classes */
#define TABLE_NAME_MAX		64	/* bytes */
#define TABLE_HEADER		"code\tname\tcategory\tdescription"
#define TABLE_AMBIGUOUS		"ambiguous"
#define UNCLASSIFIED_CATEGORY	"unknown"	/* in its JSON only */
#define UNCLASSIFIED_DESC \
	"Lines whose code and name are not in the error table; the " \
	"unclassified hash counts them by value"

static const char *const categories[] = {
	"success", "request", "auth", "account", "availability", "network",
	"sdk", "quota", "messaging", "user", "app", "unknown",
};

struct class {
	struct hnode	 node;		/* in table.names, by name */
	bool		 in_names;	/* node is linked */
	char		*name;
	size_t		 name_len;
	int		 code;		/* -1: Unclassified */
	const char	*category;	/* static string; "" for Unclassified */
	char		*description;
	size_t		*cand;		/* shared code: entries, file order */
	size_t		 ncand;
	int		 line;		/* entries: 1-based line in the file */
};

struct table {
	struct class	*cls;
	size_t		 ncls;
	size_t		 cap;
	size_t		 nentries;	/* classes [0, nentries) are entries */
	size_t		 max_name_len;	/* longest class name, bytes */
	uint16_t	*by_code;	/* TABLE_CODE_MAX + 1 slots */
	struct hmap	 names;		/* classes with a name, by name */
};

/* Returns the class named by the span, or -1. */
static long
names_find(const struct table *t, const char *s, size_t len)
{
	struct hnode *n;

	if (len > t->max_name_len)
		return -1;
	for (n = hmap_first(&t->names, ew_hash(s, len)); n != NULL;
	    n = hmap_next_same(n)) {
		const struct class *c = container_of(n, struct class, node);

		if (c->name_len == len && memcmp(c->name, s, len) == 0)
			return c - t->cls;
	}
	return -1;
}

/* Adds class cls to the name index. The caller has checked that the
 * name is not there yet. */
static void
names_insert(struct table *t, size_t cls)
{
	struct class *c = &t->cls[cls];

	hmap_insert(&t->names, &c->node, ew_hash(c->name, c->name_len));
	c->in_names = true;
	if (c->name_len > t->max_name_len)
		t->max_name_len = c->name_len;
}

/* Links the index again after the class array moved (amortised O(1)). */
static void
names_reindex(struct table *t)
{
	size_t i;

	hmap_free(&t->names);
	for (i = 0; i < t->ncls; i++)
		if (t->cls[i].in_names)
			hmap_insert(&t->names, &t->cls[i].node,
			    t->cls[i].node.hash);
}

static struct class *
class_add(struct table *t)
{
	struct class *c;

	if (t->ncls == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cls = xrealloc(t->cls, t->cap * sizeof(*t->cls));
		names_reindex(t);	/* the classes moved */
	}
	c = &t->cls[t->ncls++];
	memset(c, 0, sizeof(*c));
	return c;
}

/* A code span of decimal digits only, at most TABLE_CODE_DIGITS long:
 * its value; anything else: -1. */
static long
parse_code(const char *s, size_t len)
{
	uint64_t v;

	if (len == 0 || len > TABLE_CODE_DIGITS ||
	    ew_parse_dec(s, len, UINT64_MAX, &v) != len)
		return -1;
	return (long)v;
}

static const char *
find_category(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(categories); i++)
		if (strlen(categories[i]) == len &&
		    memcmp(categories[i], s, len) == 0)
			return categories[i];
	return NULL;
}

/* Writes a short printable rendering of a field for error messages:
 * tabs as \t, other unprintable bytes as ?, cut with "..." when long. */
static void
excerpt(char *out, size_t cap, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else {
			out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		}
	}
	if (i < len) {
		while (o + 4 > cap)
			o--;
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* True if s is well-formed UTF-8 with no control characters. */
static bool
is_clean_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			if (p[i] < 0x20 || p[i] == 0x7f)
				return false;
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
			return false;
		i += n + 1;
	}
	return true;
}

/* Checks one row and appends it as an entry. Returns 0, or -1 with err
 * set. Fields are spans of line. */
static int
add_row(struct table *t, const char *path, int lineno, const char *line,
    size_t len, struct ew_err *err)
{
	const char *f[4];
	size_t flen[4], nf = 0, i, start = 0;
	char x[96];
	const char *cat;
	struct class *c;
	long code, dup;

	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (nf < 4) {
			f[nf] = line + start;
			flen[nf] = i - start;
		}
		nf++;
		start = i + 1;
	}
	if (nf < 4) {
		excerpt(x, sizeof(x), line, len);
		ew_err_set(err, path, lineno, 0, "missing column: expected 4 "
		    "tab-separated fields (code, name, category, description), "
		    "got %zu in \"%s\"", nf, x);
		return -1;
	}
	if (nf > 4) {
		excerpt(x, sizeof(x), f[3] + flen[3],
		    len - (size_t)(f[3] + flen[3] - line));
		ew_err_set(err, path, lineno, 0, "extra field: expected 4 "
		    "tab-separated fields, got %zu (extra: \"%s\"); "
		    "descriptions may not contain tabs", nf, x);
		return -1;
	}

	excerpt(x, sizeof(x), f[0], flen[0]);
	if (flen[0] == 0) {
		ew_err_set(err, path, lineno, 0, "empty code");
		return -1;
	}
	for (i = 0; i < flen[0]; i++)
		if (f[0][i] < '0' || f[0][i] > '9')
			break;
	if (i < flen[0]) {
		ew_err_set(err, path, lineno, 0,
		    "code \"%s\" is not a decimal number", x);
		return -1;
	}
	code = parse_code(f[0], flen[0]);	/* -1: over 9 digits */
	if (code < 1 || code > TABLE_CODE_MAX) {
		ew_err_set(err, path, lineno, 0,
		    "code %s out of range 1..%d", x, TABLE_CODE_MAX);
		return -1;
	}

	excerpt(x, sizeof(x), f[1], flen[1]);
	if (flen[1] == 0) {
		ew_err_set(err, path, lineno, 0, "empty name");
		return -1;
	}
	for (i = 0; i < flen[1]; i++) {
		char ch = f[1][i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (i > 0 && ch >= '0' && ch <= '9'))
			continue;
		ew_err_set(err, path, lineno, 0,
		    "name \"%s\" must match [A-Za-z][A-Za-z0-9]*", x);
		return -1;
	}
	if (flen[1] > TABLE_NAME_MAX) {
		ew_err_set(err, path, lineno, 0,
		    "name \"%s\" longer than %d bytes", x, TABLE_NAME_MAX);
		return -1;
	}
	if (flen[1] == strlen(TABLE_UNCLASSIFIED_NAME) &&
	    memcmp(f[1], TABLE_UNCLASSIFIED_NAME, flen[1]) == 0) {
		ew_err_set(err, path, lineno, 0,
		    "name \"%s\" is reserved for unclassified lines", x);
		return -1;
	}
	if ((dup = names_find(t, f[1], flen[1])) >= 0) {
		ew_err_set(err, path, lineno, 0,
		    "duplicate name \"%s\" (first on line %d)", x,
		    t->cls[dup].line);
		return -1;
	}

	excerpt(x, sizeof(x), f[2], flen[2]);
	if ((cat = find_category(f[2], flen[2])) == NULL) {
		ew_err_set(err, path, lineno, 0, "unknown category \"%s\" "
		    "(one of success, request, auth, account, availability, "
		    "network, sdk, quota, messaging, user, app, unknown)", x);
		return -1;
	}

	if (!is_clean_utf8(f[3], flen[3])) {
		ew_err_set(err, path, lineno, 0, "description is not valid "
		    "UTF-8 text (invalid bytes or control characters)");
		return -1;
	}
	if (t->nentries == TABLE_ENTRIES_MAX) {
		ew_err_set(err, path, lineno, 0,
		    "too many entries (at most %d)", TABLE_ENTRIES_MAX);
		return -1;
	}

	c = class_add(t);
	c->name = xstrndup(f[1], flen[1]);
	c->name_len = flen[1];
	c->code = (int)code;
	c->category = cat;
	c->description = xstrndup(f[3], flen[3]);
	c->line = lineno;
	t->nentries++;
	names_insert(t, t->ncls - 1);
	return 0;
}

/* After the entries: fills by_code, adds one class per shared code and
 * Unclassified last. */
static void
finish(struct table *t)
{
	uint32_t *per_code = xcalloc(TABLE_CODE_MAX + 1, sizeof(*per_code));
	struct class *c;
	struct buf b = { 0 };
	size_t i, k, first_shared = t->nentries;

	for (i = 0; i < t->nentries; i++)
		per_code[t->cls[i].code]++;
	for (i = 0; i < t->nentries; i++) {
		int code = t->cls[i].code;

		if (per_code[code] == 1) {
			t->by_code[code] = (uint16_t)(i + 1);
			continue;
		}
		if (t->by_code[code] == 0) {
			c = class_add(t);
			c->name = xasprintf("%d", code);
			c->name_len = strlen(c->name);
			c->code = code;
			c->category = t->cls[i].category;
			c->cand = xcalloc(per_code[code], sizeof(*c->cand));
			t->by_code[code] = (uint16_t)t->ncls;
			names_insert(t, t->ncls - 1);
		}
		c = &t->cls[t->by_code[code] - 1];
		c->cand[c->ncand++] = i;
		if (strcmp(c->category, t->cls[i].category) != 0)
			c->category = TABLE_AMBIGUOUS;
	}
	free(per_code);

	for (i = first_shared; i < t->ncls; i++) {
		c = &t->cls[i];
		buf_printf(&b, "Ambiguous code %d: ", c->code);
		for (k = 0; k < c->ncand; k++) {
			if (k > 0)
				buf_puts(&b, k + 1 == c->ncand ? " or " : ", ");
			buf_puts(&b, t->cls[c->cand[k]].name);
		}
		c->description = xstrdup(b.p);
		buf_reset(&b);
	}
	buf_free(&b);

	c = class_add(t);
	c->name = xstrdup(TABLE_UNCLASSIFIED_NAME);
	c->name_len = strlen(c->name);
	c->code = -1;
	c->category = "";
	c->description = xstrdup(UNCLASSIFIED_DESC);
	names_insert(t, t->ncls - 1);
}

struct table *
table_load(const char *path, struct ew_err *err)
{
	struct table *t = xcalloc(1, sizeof(*t));
	FILE *fp;
	char *line = NULL, x[96];
	size_t cap = 0, len;
	ssize_t got;
	int lineno = 0, header_line = 0;

	t->by_code = xcalloc(TABLE_CODE_MAX + 1, sizeof(*t->by_code));
	if ((fp = fopen(path, "r")) == NULL) {
		ew_err_set(err, path, 0, 0, "open: %s", strerror(errno));
		goto fail;
	}
	while ((got = getline(&line, &cap, fp)) != -1) {
		char *p = line;

		lineno++;
		len = (size_t)got;
		if (len > 0 && p[len - 1] == '\n')
			len--;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (lineno == 1 && len >= 3 &&
		    memcmp(p, "\xef\xbb\xbf", 3) == 0) {
			p += 3;		/* a UTF-8 byte order mark */
			len -= 3;
		}
		if (len == 0 || p[0] == '#')
			continue;
		if (header_line == 0) {
			if (len != strlen(TABLE_HEADER) ||
			    memcmp(p, TABLE_HEADER, len) != 0) {
				excerpt(x, sizeof(x), p, len);
				ew_err_set(err, path, lineno, 0,
				    "missing or wrong header: expected "
				    "\"code\\tname\\tcategory\\tdescription\", "
				    "got \"%s\"", x);
				goto fail;
			}
			header_line = lineno;
			continue;
		}
		if (add_row(t, path, lineno, p, len, err) < 0)
			goto fail;
	}
	if (ferror(fp)) {
		ew_err_set(err, path, lineno, 0, "read: %s", strerror(errno));
		goto fail;
	}
	if (header_line == 0) {
		ew_err_set(err, path, lineno + 1, 0,
		    "missing header: expected "
		    "\"code\\tname\\tcategory\\tdescription\", "
		    "got end of file");
		goto fail;
	}
	if (t->nentries == 0) {
		ew_err_set(err, path, header_line, 0,
		    "the table has a header but no entries");
		goto fail;
	}
	finish(t);
	free(line);
	fclose(fp);
	return t;
fail:
	free(line);
	if (fp != NULL)
		fclose(fp);
	table_destroy(t);
	return NULL;
}

void
table_destroy(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncls; i++) {
		free(t->cls[i].name);
		free(t->cls[i].description);
		free(t->cls[i].cand);
	}
	free(t->cls);
	free(t->by_code);
	hmap_free(&t->names);
	free(t);
}

size_t
table_nclasses(const struct table *t)
{
	return t->ncls;
}

size_t
table_unclassified(const struct table *t)
{
	return t->ncls - 1;
}

long
table_find_class(const struct table *t, const char *name)
{
	if (name == NULL)
		return -1;
	return names_find(t, name, strlen(name));
}

const char *
table_class_name(const struct table *t, size_t cls)
{
	return cls < t->ncls ? t->cls[cls].name : NULL;
}

int
table_class_code(const struct table *t, size_t cls)
{
	return cls < t->ncls ? t->cls[cls].code : -1;
}

const char *
table_class_category(const struct table *t, size_t cls)
{
	return cls < t->ncls ? t->cls[cls].category : NULL;
}

bool
table_is_category(const char *category)
{
	return category != NULL &&
	    find_category(category, strlen(category)) != NULL;
}

bool
table_match_is_known(const struct table *t, const char *match)
{
	static const char pfx[] = "category:";
	long code;
	size_t i;

	if (match == NULL)
		return false;
	if (strncmp(match, pfx, sizeof(pfx) - 1) == 0) {
		match += sizeof(pfx) - 1;
		if (table_is_category(match))
			return true;
		for (i = 0; i < t->ncls; i++)	/* "ambiguous", if used */
			if (t->cls[i].category[0] != '\0' &&
			    strcmp(t->cls[i].category, match) == 0)
				return true;
		return false;
	}
	if (names_find(t, match, strlen(match)) >= 0)
		return true;
	code = parse_code(match, strlen(match));
	return code >= 0 && code <= TABLE_CODE_MAX && t->by_code[code] != 0;
}

void
table_class_json(const struct table *t, size_t cls, struct buf *out)
{
	const struct class *c;
	size_t k;

	if (cls >= t->ncls)
		return;
	c = &t->cls[cls];
	if (c->code < 0)
		buf_puts(out, "{\"code\":null,\"name\":");
	else
		buf_printf(out, "{\"code\":%d,\"name\":", c->code);
	buf_json_str(out, c->name, c->name_len);
	buf_puts(out, ",\"category\":");
	if (c->code < 0)	/* SPEC §7: dashboards group it with Unknown */
		buf_json_str(out, UNCLASSIFIED_CATEGORY,
		    strlen(UNCLASSIFIED_CATEGORY));
	else
		buf_json_str(out, c->category, strlen(c->category));
	buf_puts(out, ",\"description\":");
	buf_json_str(out, c->description, strlen(c->description));
	if (c->ncand > 0) {
		buf_puts(out, ",\"candidates\":[");
		for (k = 0; k < c->ncand; k++) {
			const struct class *e = &t->cls[c->cand[k]];

			if (k > 0)
				buf_puts(out, ",");
			buf_json_str(out, e->name, e->name_len);
		}
		buf_puts(out, "]");
	}
	buf_puts(out, "}");
}

size_t
table_classify(const struct table *t, const char *name, size_t name_len,
    const char *code, size_t code_len)
{
	long c;

	/* SPEC §5: a known name wins, even over a disagreeing code */
	if (name_len > 0 && (c = names_find(t, name, name_len)) >= 0 &&
	    (size_t)c < t->nentries)
		return (size_t)c;
	c = parse_code(code, code_len);
	if (c >= 0 && c <= TABLE_CODE_MAX && t->by_code[c] != 0)
		return (size_t)t->by_code[c] - 1;
	return t->ncls - 1;
}
