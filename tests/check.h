/*
 * check.h: the unit tests' assertions. A failed check prints the file,
 * the line, the expression and both values, then aborts.
 */
#ifndef EW_CHECK_H
#define EW_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_count;

#define CHECK_FAIL_(...) do { \
	fprintf(stderr, "%s:%d: check failed: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	abort(); \
} while (0)

#define CHECK(e) do { check_count++; if (!(e)) \
	CHECK_FAIL_("%s", #e); } while (0)

#define CHECK_INT_EQ(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	check_count++; \
	if (a_ != b_) \
		CHECK_FAIL_("%s == %s (%lld != %lld)", #a, #b, a_, b_); \
} while (0)

#define CHECK_UINT_EQ(a, b) do { \
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
	check_count++; \
	if (a_ != b_) \
		CHECK_FAIL_("%s == %s (%" PRIu64 " != %" PRIu64 ")", \
		    #a, #b, a_, b_); \
} while (0)

#define CHECK_STR_EQ(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	check_count++; \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) \
		CHECK_FAIL_("%s == %s (\"%s\" != \"%s\")", #a, #b, \
		    a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
} while (0)

#define CHECK_MEM_EQ(a, alen, b, blen) do { \
	const char *a_ = (const char *)(a), *b_ = (const char *)(b); \
	size_t al_ = (alen), bl_ = (blen); \
	check_count++; \
	if (al_ != bl_ || (al_ > 0 && memcmp(a_, b_, al_) != 0)) \
		CHECK_FAIL_("%s == %s (\"%.*s\" != \"%.*s\")", #a, #b, \
		    (int)al_, a_ ? a_ : "", (int)bl_, b_ ? b_ : ""); \
} while (0)

#define CHECK_DONE() do { \
	printf("%s: %d checks passed\n", __FILE__, check_count); \
	return 0; \
} while (0)

#endif
