/* base: error formatting, the first error wins, byte buffers, JSON
 * strings, numbers as people write them, the decimal parser, clocks. */
#include <stdint.h>

#include "base.h"
#include "check.h"

static void
test_err(void)
{
	static const struct {
		const char *file;
		int line, col;
		const char *want;
	} cases[] = {
		{ NULL, 0, 0, "boom 7" },
		{ "a.yaml", 0, 0, "a.yaml: boom 7" },
		{ "a.yaml", 3, 0, "a.yaml:3: boom 7" },
		{ "a.yaml", 3, 9, "a.yaml:3:9: boom 7" },
	};
	char out[EW_ERR_MSG + EW_ERR_FILE + 32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ew_err err = { 0 };

		ew_err_set(&err, cases[i].file, cases[i].line, cases[i].col,
		    "boom %d", 7);
		/* the root cause wins: a second error changes nothing */
		ew_err_set(&err, "later.yaml", 1, 1, "ignored");
		ew_err_format(&err, out, sizeof(out));
		CHECK_STR_EQ(out, cases[i].want);
		ew_err_clear(&err);
		CHECK_INT_EQ(err.msg[0], 0);
	}
	ew_err_set(NULL, "x", 1, 1, "no-op");
}

static void
test_buf(void)
{
	struct buf b = { 0 };
	size_t i;
	char *s;

	buf_reset(&b);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%zu,", i % 10);
	CHECK_UINT_EQ(b.len, 2000);
	CHECK_INT_EQ(b.p[b.len], '\0');
	buf_append(&b, "ab", 2);
	CHECK_MEM_EQ(b.p + 2000, 2, "ab", 2);
	buf_free(&b);
	CHECK(b.p == NULL && b.len == 0);

	s = xasprintf("%s-%d", "x", 42);
	CHECK_STR_EQ(s, "x-42");
	free(s);
	s = xstrndup("abcdef", 3);
	CHECK_STR_EQ(s, "abc");
	free(s);
}

static void
json_is(const char *in, size_t len, const char *want)
{
	struct buf b = { 0 };

	buf_json_str(&b, in, len);
	CHECK_STR_EQ(b.p, want);
	buf_free(&b);
}

static void
test_json(void)
{
	json_is("", 0, "\"\"");
	json_is("plain", 5, "\"plain\"");
	json_is("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
	json_is("\n\t\x01\x7f", 4, "\"\\u000a\\u0009\\u0001\\u007f\"");
	json_is("a\0b", 3, "\"a\\u0000b\"");
	/* HTML-safe: a log line cannot close a <script> */
	json_is("</script>&", 10, "\"\\u003c/script\\u003e\\u0026\"");
	/* valid UTF-8 is kept as it is: 2, 3 and 4 bytes */
	json_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* JavaScript's line terminators */
	json_is("\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\"");
	/* bytes that are not UTF-8: one U+FFFD each */
	json_is("\xff", 1, "\"\\ufffd\"");
	json_is("\xc3", 1, "\"\\ufffd\"");		/* cut short */
	json_is("\xc3(", 2, "\"\\ufffd(\"");
	json_is("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");	/* overlong */
	json_is("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");	/* surrogate */
	json_is("\xf4\x90\x80\x80", 4,
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > U+10FFFF */
}

static void
num_is(double v, const char *want)
{
	struct buf b = { 0 };

	buf_num(&b, v);
	CHECK_STR_EQ(b.p, want);
	buf_free(&b);
}

static void
test_num(void)
{
	num_is(10, "10");
	num_is(0, "0");
	num_is(-3, "-3");
	num_is(48.1, "48.1");
	num_is(48.125, "48.125");
	num_is(2.0 / 3.0, "0.667");
	num_is(0.001, "0.001");
	num_is(0.0004, "0");
	num_is(-0.0004, "0");
	num_is(1.9999, "2");
	num_is(1e6, "1000000");
	num_is(0.0 / 0.0, "0");
}

static void
test_parse_dec(void)
{
	static const struct {
		const char	*in;
		size_t		 n;
		uint64_t	 max;
		size_t		 used;
		uint64_t	 v;
	} rows[] = {
		{ "0", 1, 10, 1, 0 },
		{ "123", 3, 1000, 3, 123 },
		{ "123abc", 6, 1000, 3, 123 },	/* stops at the first non-digit */
		{ "12345", 3, 1000, 3, 123 },	/* never past n */
		{ "65535", 5, 65535, 5, 65535 },
		{ "65536", 5, 65535, 0, 0 },	/* above max */
		{ "18446744073709551615", SIZE_MAX, UINT64_MAX, 20,
		    UINT64_MAX },
		{ "18446744073709551616", SIZE_MAX, UINT64_MAX, 0, 0 },
		{ "-1", 2, 10, 0, 0 },
		{ " 1", 2, 10, 0, 0 },
		{ "", SIZE_MAX, 10, 0, 0 },
		{ "9", 1, 8, 0, 0 },
	};
	size_t i, used;
	uint64_t v;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		v = 7;
		used = ew_parse_dec(rows[i].in, rows[i].n, rows[i].max, &v);
		CHECK_UINT_EQ(used, rows[i].used);
		CHECK_UINT_EQ(v, rows[i].used ? rows[i].v : 7);
	}
}

static void
test_clocks(void)
{
	uint64_t m1 = ew_mono_ms(), w = ew_wall_ms(), m2 = ew_mono_ms();

	CHECK(m1 > 0 && m2 >= m1);
	CHECK(w > 1600000000000ULL);	/* after 2020 */
}

int
main(void)
{
	test_err();
	test_buf();
	test_json();
	test_num();
	test_parse_dec();
	test_clocks();
	CHECK_DONE();
}
