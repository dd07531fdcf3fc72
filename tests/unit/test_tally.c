/*
 * test_tally: class counts, the bounded unclassified breakdown (SPEC §5)
 * with its exact 256 bound, value cleaning, merge and reset.
 */
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "tally.h"

static const struct {
	const char	*v;
	size_t		 len;
	const char	*stored;
} clean_cases[] = {
	{ "12345", 5, "12345" },
	{ "Bogus", 5, "Bogus" },
	{ "a\0b", 3, "a?b" },			/* NUL bytes */
	{ "caf\xc3\xa9", 5, "caf??" },		/* non-ASCII bytes */
	{ "tab\there\n", 9, "tab?here?" },
	{ "", 0, "(empty)" },
	{ "12345XYZ", 5, "12345" },		/* the span, not the string */
};

static void
test_counts(void)
{
	struct tally *t = tally_create(5);

	CHECK_UINT_EQ(tally_nclasses(t), 5);
	CHECK_UINT_EQ(tally_total(t), 0);
	tally_add(t, 0, 1);
	tally_add(t, 4, 3);
	tally_add(t, 4, 2);
	tally_add(t, 5, 100);		/* not a class: ignored */
	CHECK_UINT_EQ(tally_get(t, 0), 1);
	CHECK_UINT_EQ(tally_get(t, 1), 0);
	CHECK_UINT_EQ(tally_get(t, 4), 5);
	CHECK_UINT_EQ(tally_get(t, 5), 0);
	CHECK_UINT_EQ(tally_total(t), 6);
	CHECK_UINT_EQ(tally_uncl_count(t), 0);
	CHECK(tally_uncl_at(t, 0, NULL) == NULL);
	tally_destroy(t);
	tally_destroy(NULL);
}

static void
test_clean(void)
{
	struct tally *t = tally_create(1);
	char big[TALLY_UNCL_VALUE_MAX * 2];
	uint64_t n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(clean_cases); i++)
		tally_add_uncl(t, clean_cases[i].v, clean_cases[i].len, i + 1);
	/* "12345XYZ" cut to 5 bytes is "12345": one entry, 1 + 7 */
	CHECK_UINT_EQ(tally_uncl_count(t), ARRAY_SIZE(clean_cases) - 1);
	for (i = 0; i + 1 < ARRAY_SIZE(clean_cases); i++) {
		CHECK_STR_EQ(tally_uncl_at(t, i, &n), clean_cases[i].stored);
		CHECK_UINT_EQ(n, i == 0 ? 1 + 7 : i + 1);
	}

	/* values longer than TALLY_UNCL_VALUE_MAX are cut, and values
	 * equal up to the cut share an entry */
	tally_reset(t);
	memset(big, 'x', sizeof(big));
	tally_add_uncl(t, big, sizeof(big), 1);
	big[sizeof(big) - 1] = 'y';
	tally_add_uncl(t, big, sizeof(big), 1);
	tally_add_uncl(t, big, TALLY_UNCL_VALUE_MAX, 1);
	tally_add_uncl(t, big, TALLY_UNCL_VALUE_MAX - 1, 1);
	CHECK_UINT_EQ(tally_uncl_count(t), 2);
	CHECK_UINT_EQ(strlen(tally_uncl_at(t, 0, &n)), TALLY_UNCL_VALUE_MAX);
	CHECK_UINT_EQ(n, 3);
	CHECK_UINT_EQ(strlen(tally_uncl_at(t, 1, &n)),
	    TALLY_UNCL_VALUE_MAX - 1);
	CHECK_UINT_EQ(n, 1);

	/* the value "other" is the overflow field itself; n == 0 is no-op */
	tally_reset(t);
	tally_add_uncl(t, "other", 5, 2);
	tally_add_uncl(t, "zero", 4, 0);
	CHECK_UINT_EQ(tally_uncl_count(t), 1);
	CHECK_STR_EQ(tally_uncl_at(t, 0, &n), TALLY_UNCL_OTHER);
	CHECK_UINT_EQ(n, 2);
	CHECK_UINT_EQ(tally_total(t), 0);	/* the caller adds the class */
	tally_destroy(t);
}

static void
add_value(struct tally *t, unsigned v, uint64_t n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", 10000 + v);

	tally_add_uncl(t, s, (size_t)len, n);
}

static void
test_bound(void)
{
	struct tally *t = tally_create(1);
	uint64_t n;
	unsigned v;
	char s[16];

	for (v = 0; v < TALLY_UNCL_MAX; v++)
		add_value(t, v, 1);
	CHECK_UINT_EQ(tally_uncl_count(t), TALLY_UNCL_MAX);	/* no other */
	for (v = 0; v < TALLY_UNCL_MAX; v++) {
		snprintf(s, sizeof(s), "%u", 10000 + v);
		CHECK_STR_EQ(tally_uncl_at(t, v, &n), s);
		CHECK_UINT_EQ(n, 1);
	}
	add_value(t, TALLY_UNCL_MAX, 1);	/* the 257th: other */
	CHECK_UINT_EQ(tally_uncl_count(t), TALLY_UNCL_MAX + 1);
	CHECK_STR_EQ(tally_uncl_at(t, TALLY_UNCL_MAX, &n), TALLY_UNCL_OTHER);
	CHECK_UINT_EQ(n, 1);
	add_value(t, TALLY_UNCL_MAX, 1);	/* again: still other */
	add_value(t, TALLY_UNCL_MAX + 1, 5);	/* later new values too */
	add_value(t, 0, 10);			/* an early value: its field */
	add_value(t, TALLY_UNCL_MAX - 1, 1);	/* the 256th: its field */
	CHECK_UINT_EQ(tally_uncl_count(t), TALLY_UNCL_MAX + 1);
	CHECK_STR_EQ(tally_uncl_at(t, 0, &n), "10000");
	CHECK_UINT_EQ(n, 11);
	CHECK_STR_EQ(tally_uncl_at(t, TALLY_UNCL_MAX - 1, &n), "10255");
	CHECK_UINT_EQ(n, 2);
	CHECK_STR_EQ(tally_uncl_at(t, TALLY_UNCL_MAX, &n), TALLY_UNCL_OTHER);
	CHECK_UINT_EQ(n, 7);
	CHECK(tally_uncl_at(t, TALLY_UNCL_MAX + 1, &n) == NULL);
	CHECK_UINT_EQ(n, 0);

	/* reset empties everything and frees the bound again */
	tally_add(t, 0, 9);
	tally_reset(t);
	CHECK_UINT_EQ(tally_get(t, 0), 0);
	CHECK_UINT_EQ(tally_total(t), 0);
	CHECK_UINT_EQ(tally_uncl_count(t), 0);
	add_value(t, 999, 1);
	add_value(t, 0, 1);
	CHECK_UINT_EQ(tally_uncl_count(t), 2);
	CHECK_STR_EQ(tally_uncl_at(t, 0, &n), "10999");
	CHECK_STR_EQ(tally_uncl_at(t, 1, &n), "10000");
	tally_destroy(t);
}

static void
test_merge(void)
{
	struct tally *dst = tally_create(3), *src = tally_create(3);
	uint64_t n;
	unsigned v;

	tally_add(dst, 0, 1);
	tally_add(dst, 2, 2);
	tally_add(src, 2, 3);
	tally_add(src, 1, 4);
	tally_add_uncl(dst, "a", 1, 1);
	tally_add_uncl(src, "b", 1, 2);
	tally_add_uncl(src, "a", 1, 3);
	tally_merge(dst, src);
	CHECK_UINT_EQ(tally_get(dst, 0), 1);
	CHECK_UINT_EQ(tally_get(dst, 1), 4);
	CHECK_UINT_EQ(tally_get(dst, 2), 5);
	CHECK_UINT_EQ(tally_total(dst), 10);
	CHECK_UINT_EQ(tally_uncl_count(dst), 2);
	CHECK_STR_EQ(tally_uncl_at(dst, 0, &n), "a");
	CHECK_UINT_EQ(n, 4);
	CHECK_STR_EQ(tally_uncl_at(dst, 1, &n), "b");
	CHECK_UINT_EQ(n, 2);
	CHECK_UINT_EQ(tally_total(src), 7);	/* src untouched */
	CHECK_UINT_EQ(tally_uncl_count(src), 2);

	/* dst's bound holds: dst has 255 values of its own, src brings
	 * one known value, two new ones and an "other" */
	tally_reset(dst);
	tally_reset(src);
	for (v = 0; v < TALLY_UNCL_MAX - 1; v++)
		add_value(dst, v, 1);
	add_value(src, 0, 2);			/* known to dst */
	add_value(src, 1000, 3);		/* takes the 256th field */
	add_value(src, 1001, 4);		/* dst is full: other */
	tally_add_uncl(src, "other", 5, 6);	/* src's own other */
	tally_merge(dst, src);
	CHECK_UINT_EQ(tally_uncl_count(dst), TALLY_UNCL_MAX + 1);
	CHECK_STR_EQ(tally_uncl_at(dst, 0, &n), "10000");
	CHECK_UINT_EQ(n, 3);
	CHECK_STR_EQ(tally_uncl_at(dst, TALLY_UNCL_MAX - 1, &n), "11000");
	CHECK_UINT_EQ(n, 3);
	CHECK_STR_EQ(tally_uncl_at(dst, TALLY_UNCL_MAX, &n), TALLY_UNCL_OTHER);
	CHECK_UINT_EQ(n, 4 + 6);

	/* merging into an empty tally copies src, other last */
	tally_reset(dst);
	tally_merge(dst, src);
	CHECK_UINT_EQ(tally_uncl_count(dst), 4);
	CHECK_STR_EQ(tally_uncl_at(dst, 2, &n), "11001");
	CHECK_UINT_EQ(n, 4);
	CHECK_STR_EQ(tally_uncl_at(dst, 3, &n), TALLY_UNCL_OTHER);
	CHECK_UINT_EQ(n, 6);
	tally_destroy(dst);
	tally_destroy(src);
}

int
main(void)
{
	test_counts();
	test_clean();
	test_bound();
	test_merge();
	CHECK_DONE();
}
