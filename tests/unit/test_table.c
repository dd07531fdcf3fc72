/*
 * test_table: the real data/error-codes.tsv (SPEC §3), classification
 * (SPEC §5), the `P codes` JSON (SPEC §7), and every kind of bad row,
 * each written to a temp file, with the exact line it is reported on.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "check.h"
#include "table.h"

#define HDR	"code\tname\tcategory\tdescription\n"

static const struct {
	const char	*name;
	const char	*category;
	int		 code;
} spots[] = {
	{ "Success", "success", 200 },
	{ "NotExistData", "request", 406 },
	{ "AlreadyUsedIdpAccount", "request", 406 },
	{ "Punishment", "account", 461 },
	{ "NotAllowed", "account", 483 },
	{ "AccountCreationLimit", "account", 493 },
	{ "ServiceUnavailable", "availability", 473 },
	{ "NotAuthorized", "auth", 3002 },
	{ "IdpAuthFailure", "auth", 4010 },
	{ "ConnectionFailed", "network", 2004 },
	{ "APINotExists", "sdk", 6001 },
	{ "ExceedMaxUploadNumber", "quota", 7004 },
	{ "NotKakaoTalkUser", "messaging", 7202 },
	{ "UserCanceled", "user", 9001 },
	{ "AppTerminate", "app", 9900 },
	{ "Unknown", "unknown", 9999 },
	{ "406", "request", 406 },
	{ "Unclassified", "", -1 },
};

static const struct {
	const char	*name;
	const char	*code;
	const char	*want;
} classify_cases[] = {
	{ "NotExistData", "406", "NotExistData" },
	{ "AlreadyUsedIdpAccount", "406", "AlreadyUsedIdpAccount" },
	{ "", "406", "406" },		/* shared code, no name to settle it */
	{ "Punishment", "500", "Punishment" },	/* the name wins */
	{ "Punishment", "", "Punishment" },
	{ "", "461", "Punishment" },
	{ "", "200", "Success" },
	{ "", "12345", "Unclassified" },	/* code not in the table */
	{ "Bogus", "", "Unclassified" },	/* unknown name, no code */
	{ "Bogus", "461", "Punishment" },	/* unknown name, known code */
	{ "Bogus", "406", "406" },
	{ "punishment", "", "Unclassified" },	/* names are case-sensitive */
	{ "406", "", "Unclassified" },		/* a class, not an entry name */
	{ "Unclassified", "473", "ServiceUnavailable" },
	{ "", "0000000000000000000000000000000000000461", "Unclassified" },
	{ "", "0461", "Punishment" },		/* decimal digits */
	{ "", "000000461", "Punishment" },	/* 9 digits: still a code */
	{ "", "0000000461", "Unclassified" },	/* 10 digits: too long */
	{ "", "99999999", "Unclassified" },
	{ "", "", "Unclassified" },
	{ "", "46a", "Unclassified" },
	{ "", "461 ", "Unclassified" },
	{ "", "-461", "Unclassified" },
	{ "", "+461", "Unclassified" },
};

static const struct {
	const char	*match;
	bool		 known;
} match_cases[] = {
	{ "Punishment", true },
	{ "Unclassified", true },
	{ "406", true },
	{ "461", true },
	{ "9999", true },
	{ "category:account", true },
	{ "category:success", true },
	{ "category:unknown", true },
	{ "category:bogus", false },
	{ "category:", false },
	{ "category:ambiguous", false },	/* no code spans categories */
	{ "12345", false },
	{ "punishment", false },
	{ "Bogus", false },
	{ "", false },
};

static const struct {
	const char	*text;
	int		 line;
	const char	*msg;		/* a part of the message */
} bad_cases[] = {
	{ "", 1, "missing header" },
	{ "# only\n# comments\n", 3, "missing header" },
	{ "# c\n461\tPunishment\taccount\tx\n", 2, "wrong header" },
	{ "code\tname\tcategory\n1\tA\tapp\tx\n", 1, "wrong header" },
	{ "Code\tName\tCategory\tDescription\n", 1, "wrong header" },
	{ HDR, 1, "no entries" },
	{ HDR "461\tPunishment\taccount\n", 2, "missing column" },
	{ HDR "461\n", 2, "got 1 in \"461\"" },
	{ HDR "1\tA\tapp\tx\n# c\n2\tB\tapp\tx\ty\n", 4,
	    "extra field: expected 4 tab-separated fields, got 5 (extra: "
	    "\"\\ty\")" },
	{ HDR "1\tA\tapp\tx\t\n", 2, "extra field" },
	{ HDR "abc\tA\tapp\tx\n", 2, "code \"abc\" is not a decimal number" },
	{ HDR "-5\tA\tapp\tx\n", 2, "code \"-5\" is not a decimal number" },
	{ HDR "4 61\tA\tapp\tx\n", 2, "code \"4 61\" is not a decimal" },
	{ HDR "\tA\tapp\tx\n", 2, "empty code" },
	{ HDR "0\tA\tapp\tx\n", 2, "code 0 out of range 1..99999" },
	{ HDR "100000\tA\tapp\tx\n", 2, "code 100000 out of range" },
	{ HDR "12345678901234567890\tA\tapp\tx\n", 2,
	    "code 12345678901234567890 out of range" },
	{ HDR "1\t\tapp\tx\n", 2, "empty name" },
	{ HDR "1\t9Lives\tapp\tx\n", 2,
	    "name \"9Lives\" must match [A-Za-z][A-Za-z0-9]*" },
	{ HDR "1\tBad-Name\tapp\tx\n", 2, "name \"Bad-Name\" must match" },
	{ HDR "1\tA B\tapp\tx\n", 2, "name \"A B\" must match" },
	{ HDR "1\tUnclassified\tapp\tx\n", 2, "reserved" },
	{ HDR "1\tA\tapp\tx\n\n# c\n2\tA\tapp\ty\n", 5,
	    "duplicate name \"A\" (first on line 2)" },
	{ HDR "1\tA\tacount\tx\n", 2, "unknown category \"acount\"" },
	{ HDR "1\tA\t\tx\n", 2, "unknown category \"\"" },
	{ HDR "1\tA\tambiguous\tx\n", 2, "unknown category \"ambiguous\"" },
	{ HDR "1\tA\tapp\tbad \xff byte\n", 2, "not valid UTF-8" },
	{ HDR "1\tA\tapp\tbell \a\n", 2, "not valid UTF-8" },
};

static char *
write_temp(const char *text)
{
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/ew_table_XXXXXX",
	    dir != NULL && dir[0] != '\0' ? dir : "/tmp");
	int fd = mkstemp(path);
	size_t len = strlen(text);

	CHECK(fd >= 0);
	CHECK_INT_EQ(write(fd, text, len), len);
	CHECK_INT_EQ(close(fd), 0);
	return path;
}

static const char *
json_of(const struct table *t, const char *cls, struct buf *b)
{
	long i = table_find_class(t, cls);

	CHECK(i >= 0);
	buf_reset(b);
	table_class_json(t, (size_t)i, b);
	return b->p;
}

static void
test_real_table(void)
{
	const char *src = getenv("EW_SRC");
	char *path = xasprintf("%s/data/error-codes.tsv", src ? src : ".");
	struct ew_err err = { 0 };
	struct table *t = table_load(path, &err);
	struct buf b = { 0 };
	size_t i, cls;

	if (t == NULL) {
		char msg[1024];

		ew_err_format(&err, msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
	}
	CHECK(t != NULL);
	CHECK_UINT_EQ(table_nclasses(t), 40);	/* 38 entries, 406, Uncl. */
	CHECK_UINT_EQ(table_unclassified(t), 39);
	CHECK_STR_EQ(table_class_name(t, 0), "Success");
	CHECK_STR_EQ(table_class_name(t, 37), "Unknown");
	CHECK_STR_EQ(table_class_name(t, 38), "406");
	CHECK_STR_EQ(table_class_name(t, 39), TABLE_UNCLASSIFIED_NAME);
	CHECK_INT_EQ(table_find_class(t, "Bogus"), -1);
	CHECK_INT_EQ(table_find_class(t, "12345"), -1);

	for (i = 0; i < ARRAY_SIZE(spots); i++) {
		long c = table_find_class(t, spots[i].name);

		CHECK(c >= 0);
		CHECK_STR_EQ(table_class_name(t, (size_t)c), spots[i].name);
		CHECK_STR_EQ(table_class_category(t, (size_t)c),
		    spots[i].category);
		CHECK_INT_EQ(table_class_code(t, (size_t)c), spots[i].code);
	}

	for (i = 0; i < ARRAY_SIZE(classify_cases); i++) {
		const char *n = classify_cases[i].name;
		const char *c = classify_cases[i].code;

		cls = table_classify(t, n, strlen(n), c, strlen(c));
		if (strcmp(table_class_name(t, cls), classify_cases[i].want))
			fprintf(stderr, "classify case %zu (\"%s\", \"%s\")\n",
			    i, n, c);
		CHECK_STR_EQ(table_class_name(t, cls), classify_cases[i].want);
	}
	/* spans are not NUL-terminated */
	cls = table_classify(t, "PunishmentXYZ", 10, "4619", 3);
	CHECK_STR_EQ(table_class_name(t, cls), "Punishment");
	cls = table_classify(t, "Punish", 6, "4739", 3);
	CHECK_STR_EQ(table_class_name(t, cls), "ServiceUnavailable");
	cls = table_classify(t, NULL, 0, NULL, 0);
	CHECK_UINT_EQ(cls, table_unclassified(t));

	for (i = 0; i < ARRAY_SIZE(match_cases); i++)
		CHECK_INT_EQ(table_match_is_known(t, match_cases[i].match),
		    match_cases[i].known);
	CHECK(table_is_category("quota"));
	CHECK(!table_is_category("Quota"));
	CHECK(!table_is_category(NULL));

	CHECK_STR_EQ(json_of(t, "Punishment", &b),
	    "{\"code\":461,\"name\":\"Punishment\",\"category\":\"account\","
	    "\"description\":\"User punishment: the user's account is under "
	    "a sanction.\"}");
	CHECK_STR_EQ(json_of(t, "406", &b),
	    "{\"code\":406,\"name\":\"406\",\"category\":\"request\","
	    "\"description\":\"Ambiguous code 406: NotExistData or "
	    "AlreadyUsedIdpAccount\",\"candidates\":[\"NotExistData\","
	    "\"AlreadyUsedIdpAccount\"]}");
	CHECK_STR_EQ(json_of(t, "Unclassified", &b),
	    "{\"code\":null,\"name\":\"Unclassified\",\"category\":\"unknown\","
	    "\"description\":\"Lines whose code and name are not in the error "
	    "table; the unclassified hash counts them by value\"}");
	/* every class gives an object, and no description is empty */
	for (i = 0; i < table_nclasses(t); i++) {
		buf_reset(&b);
		table_class_json(t, i, &b);
		CHECK(b.len > 2 && b.p[0] == '{' && b.p[b.len - 1] == '}');
		CHECK(strstr(b.p, "\"description\":\"\"") == NULL);
	}

	buf_free(&b);
	table_destroy(t);
	free(path);
}

/* A table of our own: CRLF, a BOM, blank lines, UTF-8, a code shared
 * across categories, JSON escapes. */
static void
test_custom_table(void)
{
	char *path = write_temp("\xef\xbb\xbf# comment\r\n\r\n"
	    "code\tname\tcategory\tdescription\r\n"
	    "7\tAa\tapp\tCaf\xc3\xa9 \"quoted\" \\ back\r\n"
	    "9\tBb\tuser\t\r\n"
	    "7\tCc\tuser\tc\r\n"
	    "9\tDd\tuser\td\r\n"
	    "7\tEe\tsdk\te\r\n");
	struct ew_err err = { 0 };
	struct table *t = table_load(path, &err);
	struct buf b = { 0 };

	CHECK(t != NULL);
	CHECK_UINT_EQ(table_nclasses(t), 5 + 2 + 1);
	CHECK_STR_EQ(table_class_name(t, 5), "7");	/* first-seen order */
	CHECK_STR_EQ(table_class_name(t, 6), "9");
	CHECK_STR_EQ(table_class_category(t, 5), "ambiguous");
	CHECK_STR_EQ(table_class_category(t, 6), "user");
	CHECK(table_match_is_known(t, "category:ambiguous"));
	CHECK_STR_EQ(json_of(t, "7", &b),
	    "{\"code\":7,\"name\":\"7\",\"category\":\"ambiguous\","
	    "\"description\":\"Ambiguous code 7: Aa, Cc or Ee\","
	    "\"candidates\":[\"Aa\",\"Cc\",\"Ee\"]}");
	CHECK_STR_EQ(json_of(t, "Aa", &b),
	    "{\"code\":7,\"name\":\"Aa\",\"category\":\"app\","
	    "\"description\":\"Caf\xc3\xa9 \\\"quoted\\\" \\\\ back\"}");
	CHECK_STR_EQ(json_of(t, "Bb", &b),
	    "{\"code\":9,\"name\":\"Bb\",\"category\":\"user\","
	    "\"description\":\"\"}");
	CHECK_STR_EQ(table_class_name(t, table_classify(t, "", 0, "7", 1)),
	    "7");
	CHECK_STR_EQ(table_class_name(t, table_classify(t, "Dd", 2, "7", 1)),
	    "Dd");
	buf_free(&b);
	table_destroy(t);
	unlink(path);
	free(path);
}

static void
test_bad_tables(void)
{
	struct ew_err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		char *path = write_temp(bad_cases[i].text);

		ew_err_clear(&err);
		CHECK(table_load(path, &err) == NULL);
		if (err.line != bad_cases[i].line ||
		    strstr(err.msg, bad_cases[i].msg) == NULL)
			fprintf(stderr, "bad case %zu: line %d: %s\n", i,
			    err.line, err.msg);
		CHECK_STR_EQ(err.file, path);
		CHECK_INT_EQ(err.line, bad_cases[i].line);
		CHECK_INT_EQ(err.col, 0);
		CHECK(strstr(err.msg, bad_cases[i].msg) != NULL);
		unlink(path);
		free(path);
	}
	ew_err_clear(&err);
	CHECK(table_load("/nonexistent/error-codes.tsv", &err) == NULL);
	CHECK_STR_EQ(err.file, "/nonexistent/error-codes.tsv");
	CHECK(strstr(err.msg, "open: ") != NULL);
	table_destroy(NULL);
}

int
main(void)
{
	test_real_table();
	test_custom_table();
	test_bad_tables();
	CHECK_DONE();
}
