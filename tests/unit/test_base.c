/* base: error formatting, the first error wins, byte buffers, JSON strings. */
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
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} json[] = {
		{ "plain", 5, "\"plain\"" },
		{ "q\"b\\", 4, "\"q\\\"b\\\\\"" },
		{ "nl\n\t", 4, "\"nl\\u000a\\u0009\"" },
		{ "nul\0x", 5, "\"nul\\u0000x\"" },
		{ "\xff\xfe", 2, "\"\\u00ff\\u00fe\"" },
		{ "", 0, "\"\"" },
	};
	struct buf b = { 0 };
	size_t i;
	char *s;

	for (i = 0; i < ARRAY_SIZE(json); i++) {
		buf_reset(&b);
		buf_json_str(&b, json[i].in, json[i].len);
		CHECK_STR_EQ(b.p, json[i].want);
	}
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

int
main(void)
{
	test_err();
	test_buf();
	CHECK_DONE();
}
