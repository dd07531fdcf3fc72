/*
 * test_yamlconf: the YAML getter layer on documents made from strings:
 * kinds, positions, lookups, each typed getter's accepted values and its
 * exact error at the value's line and column, and the duration and size
 * writers (which must read back as what they wrote).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "yamlconf.h"
#include "check.h"

static const char doc[] =
    "a: 1\n"			/* 1 */
    "b: [x, \"\", ~]\n"		/* 2 */
    "c: {d: 30s, e: ~}\n"	/* 3 */
    "f:\n"			/* 4 */
    "g: \"\"\n";		/* 5 */

static void
test_tree(void)
{
	struct ew_err err = { 0 };
	struct yamlconf *y = yamlconf_load_string(doc, "t.yaml", &err);
	const struct yamlconf_node *root, *b, *c;

	CHECK(y != NULL);
	root = yamlconf_root(y);
	CHECK_INT_EQ(yamlconf_kind(root), YAMLCONF_MAP);
	CHECK_UINT_EQ(yamlconf_count(root), 5);
	CHECK_STR_EQ(yamlconf_text(yamlconf_find(y, root, "a")), "1");
	b = yamlconf_find(y, root, "b");
	CHECK_INT_EQ(yamlconf_kind(b), YAMLCONF_LIST);
	CHECK_STR_EQ(yamlconf_kind_name(b), "a list");
	CHECK_UINT_EQ(yamlconf_count(b), 3);
	CHECK_INT_EQ(yamlconf_line(b), 2);
	CHECK_INT_EQ(yamlconf_col(b), 4);
	CHECK_INT_EQ(yamlconf_col(yamlconf_item(y, b, 1)), 8);
	CHECK_INT_EQ(yamlconf_kind(yamlconf_item(y, b, 1)), YAMLCONF_SCALAR);
	CHECK_INT_EQ(yamlconf_kind(yamlconf_item(y, b, 2)), YAMLCONF_NULL);
	c = yamlconf_find(y, root, "c");
	CHECK_STR_EQ(yamlconf_kind_name(c), "a mapping");
	CHECK(yamlconf_find(y, c, "e") == NULL);	/* null: absent */
	CHECK(yamlconf_find(y, root, "f") == NULL);
	CHECK(yamlconf_find(y, root, "zz") == NULL);
	CHECK(yamlconf_find(y, b, "x") == NULL);	/* not a map */
	CHECK_STR_EQ(yamlconf_text(yamlconf_find(y, root, "g")), "");
	CHECK_STR_EQ(yamlconf_text(yamlconf_key(y, c, 1)), "e");
	CHECK_STR_EQ(yamlconf_text(yamlconf_value(y, c, 0)), "30s");
	CHECK_UINT_EQ(yamlconf_count(NULL), 0);
	CHECK_INT_EQ(yamlconf_line(NULL), 0);
	CHECK_STR_EQ(yamlconf_kind_name(NULL), "nothing");
	/* a scalar is its own item 0 */
	CHECK(yamlconf_item(y, yamlconf_find(y, root, "a"), 0) ==
	    yamlconf_find(y, root, "a"));
	yamlconf_destroy(y);
	yamlconf_destroy(NULL);

	/* an empty document has no root; a second document is refused */
	y = yamlconf_load_string("", "t.yaml", &err);
	CHECK(y != NULL && yamlconf_root(y) == NULL);
	yamlconf_destroy(y);
	ew_err_clear(&err);
	CHECK(yamlconf_load_string("a: 1\n---\nb: 2\n", "t.yaml", &err) ==
	    NULL);
	CHECK_INT_EQ(err.line, 3);
	CHECK_STR_EQ(err.msg, "expected one YAML document, found a second "
	    "one");
	ew_err_clear(&err);
	CHECK(yamlconf_load("/nonexistent/x.yaml", 1024, &err) == NULL);
	CHECK_STR_EQ(err.msg, "No such file or directory");
}

enum getter { G_UINT, G_DUR, G_SIZE, G_NUM, G_BOOL, G_CHOICE, G_STR,
	G_KEYS };

struct get_case {
	enum getter	 g;
	const char	*yaml;		/* the value of key v */
	int		 rc;		/* 0 or -EINVAL */
	uint64_t	 want;		/* rc 0: the value (bool, index) */
	const char	*msg;		/* rc != 0: exact */
};

static const char *const choices[] = { "end", "middle", "beginning" };
static const char *const keys[] = { "x", "y" };

static const struct get_case cases[] = {
	{ G_UINT, "20", 0, 20, NULL },
	{ G_UINT, "007", 0, 7, NULL },
	{ G_UINT, "18446744073709551615", -EINVAL, 0,
	    "v: must be at most 1000, got \"18446744073709551615\"" },
	{ G_UINT, "1001", -EINVAL, 0, "v: must be at most 1000, got "
	    "\"1001\"" },
	{ G_UINT, "1", -EINVAL, 0, "v: must be at least 2, got \"1\"" },
	{ G_UINT, "-1", -EINVAL, 0, "v: expected a whole number such as 20, "
	    "got \"-1\"" },
	{ G_UINT, "2x", -EINVAL, 0, "v: expected a whole number such as 20, "
	    "got \"2x\"" },
	{ G_UINT, "[1]", -EINVAL, 0, "v: expected a whole number such as 20, "
	    "got a list" },
	{ G_DUR, "90s", 0, 90000, NULL },
	{ G_DUR, "1500ms", -EINVAL, 0, "v: must be whole seconds, got "
	    "\"1500ms\"" },
	{ G_DUR, "0s", -EINVAL, 0, "v: must be at least 1s, got \"0s\"" },
	{ G_DUR, "5", -EINVAL, 0, "v: expected a duration such as 500ms or "
	    "30s, got \"5\"" },
	{ G_SIZE, "64KiB", 0, 65536, NULL },
	{ G_SIZE, "2MiB", -EINVAL, 0, "v: must be from 256 bytes to 1MiB, got "
	    "\"2MiB\"" },
	{ G_SIZE, "64kb", -EINVAL, 0, "v: expected a size such as 65536, "
	    "64KiB or 1MiB, got \"64kb\"" },
	{ G_NUM, "2.5", 0, 2, NULL },
	{ G_NUM, "0", -EINVAL, 0, "v: expected a number, got \"0\"" },
	{ G_NUM, "inf", -EINVAL, 0, "v: expected a number, got \"inf\"" },
	{ G_BOOL, "On", 0, 1, NULL },
	{ G_BOOL, "no", 0, 0, NULL },
	{ G_BOOL, "1", -EINVAL, 0, "v: expected true or false (or yes/no, "
	    "on/off), got \"1\"" },
	{ G_CHOICE, "beginning", 0, 2, NULL },
	{ G_CHOICE, "start", -EINVAL, 0, "v: expected end, middle or "
	    "beginning, got \"start\"" },
	{ G_CHOICE, "{a: b}", -EINVAL, 0, "v: expected end, middle or "
	    "beginning, got a mapping" },
	{ G_STR, "\"\"", -EINVAL, 0, "v: expected a non-empty string" },
	{ G_STR, "\"a\\0b\"", -EINVAL, 0, "v: expected a string, got a value "
	    "with a NUL byte" },
	{ G_STR, "\"\\x01\\u00e9\"", 0, 0, NULL },
	{ G_KEYS, "{x: 1, y: 2}", 0, 0, NULL },
	{ G_KEYS, "{x: 1, z: 2}", -EINVAL, 0, "v: unknown key \"z\" (known: "
	    "x, y)" },
	{ G_KEYS, "{x: 1, x: 2}", -EINVAL, 0, "v: duplicate key \"x\" (first "
	    "at line 1)" },
	{ G_KEYS, "{[a]: 1}", -EINVAL, 0, "v: expected a key name, got a "
	    "list" },
	{ G_KEYS, "[1]", -EINVAL, 0, "v: expected a mapping, got a list" },
};

static int
get(const struct yamlconf *y, const struct get_case *t,
    const struct yamlconf_node *n, uint64_t *out, struct ew_err *err)
{
	const char *s;
	unsigned u;
	double d;
	bool b;
	int r;

	switch (t->g) {
	case G_UINT:
		return yamlconf_uint(y, n, "v", 2, 1000, out, err);
	case G_DUR:
		return yamlconf_duration(y, n, "v", 1000, true, out, err);
	case G_SIZE:
		return yamlconf_size(y, n, "v", 256, 1024 * 1024, out, err);
	case G_NUM:
		r = yamlconf_number(y, n, "v", "a number", 0, 10, &d, err);
		*out = (uint64_t)d;
		return r;
	case G_BOOL:
		r = yamlconf_bool(y, n, "v", &b, err);
		*out = b;
		return r;
	case G_CHOICE:
		r = yamlconf_choice(y, n, "v", choices, ARRAY_SIZE(choices),
		    &u, err);
		*out = u;
		return r;
	case G_STR:
		return yamlconf_string(y, n, "v", true, &s, err);
	case G_KEYS:
		if ((r = yamlconf_want_map(y, n, "v", err)) < 0)
			return r;
		return yamlconf_check_keys(y, n, "v", keys, ARRAY_SIZE(keys),
		    err);
	}
	return -1;
}

static void
test_getters(void)
{
	struct ew_err err;
	struct yamlconf *y;
	const struct yamlconf_node *n;
	uint64_t v;
	size_t i;
	char *text;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		text = xasprintf("v: %s\n", cases[i].yaml);
		ew_err_clear(&err);
		y = yamlconf_load_string(text, "t.yaml", &err);
		CHECK(y != NULL);
		n = yamlconf_find(y, yamlconf_root(y), "v");
		v = 12345;
		if (get(y, &cases[i], n, &v, &err) != cases[i].rc)
			fprintf(stderr, "row %zu: %s\n", i, err.msg);
		CHECK_INT_EQ(get(y, &cases[i], n, &v, &err), cases[i].rc);
		if (cases[i].rc == 0) {
			if (cases[i].g != G_STR && cases[i].g != G_KEYS)
				CHECK_UINT_EQ(v, cases[i].want);
		} else {
			CHECK_STR_EQ(err.msg, cases[i].msg);
			CHECK_STR_EQ(err.file, "t.yaml");
			CHECK_INT_EQ(err.line, 1);
			/* at the value, or at the offending key inside */
			CHECK(err.col >= 4);
		}
		yamlconf_destroy(y);
		free(text);
	}
}

static void
test_show_and_fmt(void)
{
	static const uint64_t durs[] = { 0, 1, 999, 1000, 90000, 5400000,
		86400000, 90061001 };
	static const uint64_t sizes[] = { 0, 100, 1024, 65536, 1536,
		1048576, 1073741824 };
	char out[YAMLCONF_SHOW_BUF], f[64], key[YAMLCONF_KEY_MAX];
	uint64_t v;
	size_t i;

	CHECK_STR_EQ(yamlconf_show("a\"b\\c\n\xff", out, sizeof(out)),
	    "a\\\"b\\\\c\\x0a\\xff");
	memset(f, 'x', 63);
	f[63] = '\0';
	yamlconf_show(f, out, sizeof(out));
	CHECK_UINT_EQ(strlen(out), 63);		/* 60 bytes and "..." */
	CHECK_STR_EQ(out + 60, "...");
	yamlconf_join(key, "", "host");
	CHECK_STR_EQ(key, "host");
	yamlconf_join(key, "inputs[0]", "paths");
	CHECK_STR_EQ(key, "inputs[0].paths");
	yamlconf_fmt_duration(5400000, f, sizeof(f));
	CHECK_STR_EQ(f, "90m");
	yamlconf_fmt_duration(1500, f, sizeof(f));
	CHECK_STR_EQ(f, "1500ms");
	yamlconf_fmt_size(65536, f, sizeof(f));
	CHECK_STR_EQ(f, "64KiB");
	yamlconf_fmt_size(1536, f, sizeof(f));
	CHECK_STR_EQ(f, "1536");
	for (i = 0; i < ARRAY_SIZE(durs); i++) {	/* they read back */
		yamlconf_fmt_duration(durs[i], f, sizeof(f));
		CHECK_INT_EQ(yamlconf_parse_duration(f, &v), 0);
		CHECK_UINT_EQ(v, durs[i]);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		yamlconf_fmt_size(sizes[i], f, sizeof(f));
		CHECK_INT_EQ(yamlconf_parse_size(f, &v), 0);
		CHECK_UINT_EQ(v, sizes[i]);
	}
}

int
main(void)
{
	test_tree();
	test_getters();
	test_show_and_fmt();
	CHECK_DONE();
}
