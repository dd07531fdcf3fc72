/*
 * match_simd: the match module's two hot kernels, each in an SSE2, an AVX2
 * (picked at run time when the CPU has it) and a portable version: the
 * newline count that runs in the wake of the search, and the needle
 * search that finds each place a pattern's literal prefix starts (SPEC
 * §12). Both only read the bytes they are given, allocate nothing, keep
 * no state between calls and never read past the end they are told.
 * What a needle is, and the scan that calls them, are in match_needle.c
 * and match.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(EW_NO_AVX2)
#include <immintrin.h>
#define EW_HAVE_AVX2	1	/* a kernel chosen at run time */
#endif

#include "match_priv.h"

/* --- counting lines ------------------------------------------------ */

/*
 * The chunk kernels: count the '\n' in whole CHUNKs of p[0, n) into
 * *lines, and *run, the newline-free chunks in a row. Each stops after the
 * chunk that brings *run to k, or when less than a CHUNK is left; returns
 * the bytes it went through. Byte counters are summed before they could
 * wrap (a lane takes at most CHUNK / vector width per chunk).
 */

#define LOAD128(p)	_mm_loadu_si128((const __m128i *)(const void *)(p))
#define LOAD256(p)	_mm256_loadu_si256((const __m256i *)(const void *)(p))

#ifdef __SSE2__
static uint64_t
sum_bytes128(__m128i acc)
{
	__m128i s = _mm_sad_epu8(acc, _mm_setzero_si128());

	return (uint64_t)(unsigned)_mm_cvtsi128_si32(s) +
	    (uint64_t)(unsigned)_mm_cvtsi128_si32(_mm_srli_si128(s, 8));
}

static size_t
chunks_sse2(const char *p, size_t n, size_t k, size_t *run, uint64_t *lines)
{
	const __m128i nl = _mm_set1_epi8('\n');
	__m128i acc = _mm_setzero_si128(), any, e;
	size_t i = 0, j, r = *run;
	unsigned iters = 0;

	while (n - i >= CHUNK) {
		any = _mm_setzero_si128();
		for (j = 0; j < CHUNK; j += 16) {
			e = _mm_cmpeq_epi8(LOAD128(p + i + j), nl);
			acc = _mm_sub_epi8(acc, e);
			any = _mm_or_si128(any, e);
		}
		i += CHUNK;
		if (++iters == 255 / (CHUNK / 16)) {
			*lines += sum_bytes128(acc);
			acc = _mm_setzero_si128();
			iters = 0;
		}
		/* branch-free: lines are too short to predict this */
		r = (r + 1) & -(size_t)(_mm_movemask_epi8(any) == 0);
		if (r >= k)
			break;
	}
	*lines += sum_bytes128(acc);
	*run = r;
	return i;
}
#endif

#ifdef EW_HAVE_AVX2
__attribute__((target("avx2")))
static uint64_t
sum_bytes256(__m256i acc)
{
	__m256i s = _mm256_sad_epu8(acc, _mm256_setzero_si256());
	__m128i t = _mm_add_epi64(_mm256_castsi256_si128(s),
	    _mm256_extracti128_si256(s, 1));

	return (uint64_t)_mm_cvtsi128_si64(t) +
	    (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(t, t));
}

__attribute__((target("avx2")))
static size_t
chunks_avx2(const char *p, size_t n, size_t k, size_t *run, uint64_t *lines)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	__m256i acc = _mm256_setzero_si256(), a, b, c, d, sum;
	size_t i = 0, r = *run;
	unsigned iters = 0;

	while (n - i >= CHUNK) {
		a = _mm256_cmpeq_epi8(LOAD256(p + i), nl);
		b = _mm256_cmpeq_epi8(LOAD256(p + i + 32), nl);
		c = _mm256_cmpeq_epi8(LOAD256(p + i + 64), nl);
		d = _mm256_cmpeq_epi8(LOAD256(p + i + 96), nl);
		/* lanes of -1 each: their sum is -4..0, zero iff no '\n' */
		sum = _mm256_add_epi8(_mm256_add_epi8(a, b),
		    _mm256_add_epi8(c, d));
		acc = _mm256_sub_epi8(acc, sum);
		i += CHUNK;
		if (++iters == 255 / (CHUNK / 32)) {
			*lines += sum_bytes256(acc);
			acc = _mm256_setzero_si256();
			iters = 0;
		}
		r = (r + 1) & -(size_t)(_mm256_movemask_epi8(sum) == 0);
		if (r >= k)
			break;
	}
	*lines += sum_bytes256(acc);
	*run = r;
	return i;
}
#endif

#ifndef __SSE2__
static size_t
chunks_word(const char *p, size_t n, size_t k, size_t *run, uint64_t *lines)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
	uint64_t w, x, z, count;
	size_t i = 0, j, r = *run;

	while (n - i >= CHUNK) {
		count = 0;
		for (j = 0; j < CHUNK; j += 8) {
			memcpy(&w, p + i + j, 8);
			x = w ^ (ones * '\n');
			/* 0x80 in each byte of x that is zero, exactly */
			z = ~(((x & low7) + low7) | x | low7);
			count += ((z >> 7) * ones) >> 56;
		}
		*lines += count;
		i += CHUNK;
		r = (r + 1) & -(size_t)(count == 0);
		if (r >= k)
			break;
	}
	*run = r;
	return i;
}
#endif

chunks_fn *
match_pick_chunks(void)
{
#ifdef EW_HAVE_AVX2
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		return chunks_avx2;
#endif
#ifdef __SSE2__
	return chunks_sse2;
#else
	return chunks_word;
#endif
}

/* --- needles ------------------------------------------------------- */

/* Whether the needle is at p, which has nd->len bytes. No calls: the
 * kernels keep their vectors in registers. */
static inline bool
needle_at(const struct needle *nd, const char *p)
{
	uint64_t a, b;
	size_t i;

	if (nd->len <= 16) {
		ends(p, nd->len, &a, &b);
		return a == nd->head && b == nd->tail;
	}
	for (i = 0; i < nd->len; i += 8) {
		if (i + 8 > nd->len)
			i = nd->len - 8;
		memcpy(&a, p + i, 8);
		memcpy(&b, nd->s + i, 8);
		if (a != b)
			return false;
	}
	return true;
}

/*
 * The needle kernels: the first i' >= i with the needle at buf[i', end),
 * or NO_HIT. Each compares a block of start positions at once ("generic
 * SIMD"): the bytes at o1, o2 and o3 from each start against the needle's,
 * and checks each start where all three agree with needle_at().
 */

#if defined(__SSE2__) || defined(EW_HAVE_AVX2)
/* Blocks come from a read() a few MiB long, so from L3: fetch ahead, across
 * the page boundaries where the hardware stops. A prefetch never faults;
 * the address is computed as an integer, as it may be past the end. */
#define PREFETCH(buf, off) \
	_mm_prefetch((const char *)((uintptr_t)(buf) + (off)), _MM_HINT_T0)

/* Starts i .. end - len, one by one: the tail of the SIMD kernels. */
static size_t
find_tail(const struct needle *nd, const char *buf, size_t i, size_t end)
{
	const unsigned char *b = (const unsigned char *)buf;

	for (; end - i >= nd->len; i++)
		if (b[i + nd->o1] == nd->s[nd->o1] && needle_at(nd, buf + i))
			return i;
	return NO_HIT;
}

/* The first start in the mask bits (bit j: start i + j) with the whole
 * needle, or NO_HIT. */
static size_t
find_bits(const struct needle *nd, const char *buf, size_t i, uint64_t bits)
{
	size_t j;

	while (bits != 0) {
		j = i + (size_t)__builtin_ctzll(bits);
		if (needle_at(nd, buf + j))
			return j;
		bits &= bits - 1;
	}
	return NO_HIT;
}
#endif

#ifdef __SSE2__
static size_t
find_sse2(const struct needle *nd, const char *buf, size_t i, size_t end)
{
	const __m128i b1 = _mm_set1_epi8((char)nd->s[nd->o1]);
	const __m128i b2 = _mm_set1_epi8((char)nd->s[nd->o2]);
	const __m128i b3 = _mm_set1_epi8((char)nd->s[nd->o3]);
	const char *p1 = buf + nd->o1, *p2 = buf + nd->o2, *p3 = buf + nd->o3;
	uint64_t bits;
	size_t j, r, len = nd->len;

	if (i > end)
		return NO_HIT;
	/* starts i .. i + 63 and their loads stay inside buf[0, end) */
	for (; end - i >= 64 + len; i += 64) {
		PREFETCH(buf, i + 1024);
		bits = 0;
		for (j = 0; j < 64; j += 16)
			bits |= (uint64_t)(unsigned)_mm_movemask_epi8(
			    _mm_and_si128(_mm_and_si128(
			    _mm_cmpeq_epi8(LOAD128(p1 + i + j), b1),
			    _mm_cmpeq_epi8(LOAD128(p2 + i + j), b2)),
			    _mm_cmpeq_epi8(LOAD128(p3 + i + j), b3))) << j;
		if (bits != 0 && (r = find_bits(nd, buf, i, bits)) != NO_HIT)
			return r;
	}
	return find_tail(nd, buf, i, end);
}
#endif

#ifdef EW_HAVE_AVX2
__attribute__((target("avx2")))
static size_t
find_avx2(const struct needle *nd, const char *buf, size_t i, size_t end)
{
	const __m256i b1 = _mm256_set1_epi8((char)nd->s[nd->o1]);
	const __m256i b2 = _mm256_set1_epi8((char)nd->s[nd->o2]);
	const __m256i b3 = _mm256_set1_epi8((char)nd->s[nd->o3]);
	const char *p1 = buf + nd->o1, *p2 = buf + nd->o2, *p3 = buf + nd->o3;
	__m256i x, y;
	uint64_t bits;
	size_t r, len = nd->len;

	if (i > end)
		return NO_HIT;
	for (; end - i >= 64 + len; i += 64) {
		PREFETCH(buf, i + 1024);
		x = _mm256_and_si256(_mm256_and_si256(
		    _mm256_cmpeq_epi8(LOAD256(p1 + i), b1),
		    _mm256_cmpeq_epi8(LOAD256(p2 + i), b2)),
		    _mm256_cmpeq_epi8(LOAD256(p3 + i), b3));
		y = _mm256_and_si256(_mm256_and_si256(
		    _mm256_cmpeq_epi8(LOAD256(p1 + i + 32), b1),
		    _mm256_cmpeq_epi8(LOAD256(p2 + i + 32), b2)),
		    _mm256_cmpeq_epi8(LOAD256(p3 + i + 32), b3));
		if (!_mm256_testz_si256(_mm256_or_si256(x, y),
		    _mm256_or_si256(x, y))) {
			bits = (uint64_t)(uint32_t)_mm256_movemask_epi8(x) |
			    (uint64_t)(uint32_t)_mm256_movemask_epi8(y) << 32;
			if ((r = find_bits(nd, buf, i, bits)) != NO_HIT)
				return r;
		}
	}
	return find_tail(nd, buf, i, end);
}
#endif

#ifndef __SSE2__
static size_t
find_word(const struct needle *nd, const char *buf, size_t i, size_t end)
{
	const char *q;

	while (i <= end && end - i >= nd->len) {
		q = memchr(buf + i + nd->o1, nd->s[nd->o1],
		    end - i - nd->len + 1);
		if (q == NULL)
			return NO_HIT;
		i = (size_t)(q - buf) - nd->o1;
		if (needle_at(nd, buf + i))
			return i;
		i++;
	}
	return NO_HIT;
}
#endif

find_fn *
match_pick_find(void)
{
#ifdef EW_HAVE_AVX2
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		return find_avx2;
#endif
#ifdef __SSE2__
	return find_sse2;
#else
	return find_word;
#endif
}
