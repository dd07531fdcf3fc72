/*
 * match: an input's PCRE2 patterns run over blocks of whole lines (SPEC §5,
 * §12). It owns the compiled patterns, one match data block and one JIT
 * stack per matcher; matcher_scan allocates nothing, logs nothing and keeps
 * no pointer into the block after it returns.
 *
 * Each pattern is compiled twice, PCRE2_MULTILINE, in byte mode (never
 * UTF, so NUL and invalid UTF-8 are plain bytes), both JIT-compiled (a
 * pattern with a needle: line_re and anc_re, below):
 *
 * - buf_re, with NEWLINE_ANYCRLF, searches a window of whole lines from a
 *   position, one call per hit rather than one per line. It is only a
 *   filter: it finds the next line worth a closer look. ANYCRLF lets `$`
 *   match before the "\r\n" of CRLF logs.
 * - line_re, with NEWLINE_LF, runs on one line alone (trailing "\r"
 *   dropped, cut to max_line): that result is the one that counts, so a
 *   match never spans two lines even when `\s` or `[^x]` could take the
 *   '\n' inside a buffer.
 *
 * A buffer hit whose match, captures and lookbehind lie strictly inside its
 * line, on a line with no '\r' and not cut, is taken as is: there the two
 * subjects look the same to the pattern, so the second call would say the
 * same thing. Every other hit line is matched again alone.
 *
 * Lines the buffer search skips do not match under line semantics, except
 * for patterns that look past a line's edges in ways a line alone cannot:
 * \A or \G (never true after the first line of a window), \z or \Z, a
 * lookahead that needs bytes beyond the line end, a lookbehind into the
 * line before, and `.` or `$` around a lone '\r' in mid-line (ANYCRLF
 * takes it for a line break). Such patterns are legal but may miss lines.
 * Lines over max_line are exact: each is tried alone by every pattern.
 *
 * A pattern that starts with a literal (its "needle", see "The needle
 * rule" below) is searched another way, as a JSON pattern's first byte,
 * '"', would stop the JIT search at every key: a SIMD substring search
 * finds each place the needle starts, and there an anchored copy of the
 * pattern (anc_re, NEWLINE_LF) runs on that line alone, cut to max_line,
 * unless a cheap test shows it would fail (a \b, the byte after the
 * needle). Every match starts at such a place, so trying them left to
 * right finds the line's first match, and a line without the needle
 * cannot match: skipping it is exact, long lines included, and none of
 * the misses above can happen. Such a pattern has no buf_re.
 *
 * Lines are counted in the wake of the search, WINDOW bytes at most behind
 * it so the bytes are still in cache, CHUNK bytes at a time (SSE2, or AVX2
 * when the CPU has it). The same pass spots the newline-free runs long
 * enough to hold a line over max_line; only those get per-line work.
 *
 * Invariants: windows start at a line start and end just after a '\n' (or
 * at the block end), so no per-line state crosses a window; a pattern's
 * next hit is never before the scan position.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(EW_NO_AVX2)
#include <immintrin.h>
#define EW_HAVE_AVX2	1	/* a kernel chosen at run time */
#endif

#include "base.h"
#include "config.h"
#include "match.h"

#define WINDOW		(256u << 10)	/* bytes: searched, then counted */
#define JIT_STACK_MIN	(32u << 10)	/* bytes */
#define JIT_STACK_MAX	(1u << 20)	/* bytes */
#define CHUNK		128		/* bytes per newline count step */
#define NO_HIT		SIZE_MAX	/* hit_ls: no more in the window */
#define NEEDLE_MAX	32		/* bytes of a needle kept */

/* A newline-count kernel: see chunks_sse2(). */
typedef size_t chunks_fn(const char *p, size_t n, size_t k, size_t *run,
    uint64_t *lines);

/* A literal every match starts with; searched by its two rarest bytes. */
struct needle {
	unsigned char	 s[NEEDLE_MAX];
	size_t		 len;		/* 0: the pattern has none */
	size_t		 o1, o2, o3;	/* offsets of the bytes compared */
	uint64_t	 head, tail;	/* see ends() */
	bool		 word_start;	/* a \b before a word byte: the byte
					 * before a match is not one */
	size_t		 used;		/* pattern bytes it stands for */
	bool		 has_next;	/* next[] is known */
	uint8_t		 next[32];	/* bit set: the bytes that may come
					 * after it in a match */
};

/* A needle search kernel: see "The needle kernels" below. */
typedef size_t find_fn(const struct needle *nd, const char *buf, size_t i,
    size_t end);

struct pattern {
	pcre2_code	*buf_re;	/* NEWLINE_ANYCRLF: the search */
	pcre2_code	*line_re;	/* NEWLINE_LF: one line alone */
	pcre2_code	*anc_re;	/* line_re, ANCHORED: needle only */
	struct needle	 nd;
	bool		 jit;		/* all JIT-compiled */
	int		 code_group;	/* group number, 0: none */
	int		 name_group;
	uint32_t	 lookbehind;	/* bytes a match may look back */

	/* Next buffer hit in the window: offsets into the block. */
	size_t		 hit_ls;	/* its line's start, or NO_HIT */
	size_t		 hit_eol;	/* its '\n', or the window end */
	bool		 hit_exact;	/* the fields below are a match */
	bool		 hit_line;	/* ... found on the line alone */
	size_t		 hit_s;		/* where the attempt began */
	size_t		 hit_e;		/* where it ended */
	size_t		 code_a, code_b;	/* a == b: no capture */
	size_t		 name_a, name_b;
};

struct matcher {
	struct pattern		*pat;
	size_t			 npat;
	pcre2_match_data	*md;	/* sized for the widest pattern */
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*stack;
	chunks_fn		*chunks;	/* newline count kernel */
	find_fn			*find;		/* needle search kernel */
};

static int
run(const struct matcher *m, const struct pattern *p, const pcre2_code *re,
    const char *s, size_t len, size_t off)
{
	if (p->jit)
		return pcre2_jit_match(re, (PCRE2_SPTR)s, len, off, 0, m->md,
		    m->mctx);
	return pcre2_match(re, (PCRE2_SPTR)s, len, off, 0, m->md, m->mctx);
}

static void
group_span(const PCRE2_SIZE *ov, int g, size_t *a, size_t *b)
{
	if (g <= 0 || ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g]) {
		*a = *b = 0;
		return;
	}
	*a = ov[2 * g];
	*b = ov[2 * g + 1];
}

static void
report(match_hit_fn *hit, void *arg, const char *base, size_t ca, size_t cb,
    size_t na, size_t nb)
{
	if (hit == NULL)
		return;
	hit(arg, ca < cb ? base + ca : "", cb - ca, na < nb ? base + na : "",
	    nb - na);
}

/* --- counting lines ------------------------------------------------ */

/* The last '\n' in p[0, n), or NULL (memrchr is a GNU extension). */
static const char *
last_nl(const char *p, size_t n)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n');
	int mask;

	while (n >= 16) {
		mask = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(
		    (const __m128i *)(const void *)(p + n - 16)), nl));
		if (mask != 0)
			return p + n - 16 +
			    (31 - __builtin_clz((unsigned)mask));
		n -= 16;
	}
#endif
	while (n > 0)
		if (p[--n] == '\n')
			return p + n;
	return NULL;
}

/* Bytes of a line's content: without its '\n' and a '\r' before it. */
static size_t
content_len(const char *ls, size_t raw)
{
	return raw > 0 && ls[raw - 1] == '\r' ? raw - 1 : raw;
}

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

/* The widest kernel this CPU runs. */
static chunks_fn *
chunks_pick(void)
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

/*
 * The needle rule. A pattern has a needle when all of this holds, read
 * conservatively (anything unexpected: no needle, the JIT search path):
 *
 * - nowhere: a '|' outside groups (a top-level alternation); a '^' outside
 *   a class; \A or \G (an anchored try at the needle would change them);
 *   \Q (it hides metacharacters); "(*" (verbs such as (*SKIP) and
 *   (*COMMIT) steer the start positions of a search, and the leading ones
 *   set options); "(?" other than the groups "(?:", "(?<name>", "(?'",
 *   "(?P<", "(?|", "(?>" and the assertions "(?=", "(?!", "(?<=", "(?<!"
 *   (so no inline options such as (?i) or (?x), no comments, callouts,
 *   conditions or recursion); a '[' inside a class (POSIX classes);
 * - at the start: any number of \b, then a run of literal bytes: a byte
 *   that is none of \ ^ $ . [ ] | ( ) ? * + { }, or a backslash and an
 *   ASCII byte that is neither a letter nor a digit ("\=" is "=");
 *   '\n' and '\r' end the run. A byte followed by ? * + or { is left
 *   out, and ends the run, as it may be missing or repeated;
 * - that run is at least 2 bytes (one byte: PCRE2's own first code unit
 *   search does as well); it is kept up to NEEDLE_MAX bytes.
 *
 * The patterns are compiled without PCRE2_CASELESS or PCRE2_EXTENDED and
 * in byte mode, so those bytes stand for themselves, and as no top-level
 * branch can skip them, every match starts with them, after \b assertions
 * that consume nothing.
 */

static bool
group_ok(const char *s)		/* s: just after "(?" */
{
	switch (s[0]) {
	case ':': case '=': case '!': case '>': case '|': case '\'':
		return true;
	case '<':
		return true;	/* (?<name>, (?<= or (?<! */
	case 'P':
		return s[1] == '<';
	default:
		return false;
	}
}

/* Whether pattern s passes the "nowhere" part of the needle rule. */
static bool
pattern_is_plain(const char *s)
{
	int depth = 0;
	bool cls = false;

	for (; *s != '\0'; s++) {
		if (*s == '\\') {
			if (s[1] == '\0' || s[1] == 'Q' || s[1] == 'A' ||
			    s[1] == 'G')
				return false;
			if (s[1] == 'c') {	/* \cX: X is any byte */
				if (s[2] == '\0')
					return false;
				s++;
			}
			s++;
			continue;
		}
		if (cls) {
			if (*s == '[')
				return false;
			if (*s == ']')
				cls = false;
			continue;
		}
		switch (*s) {
		case '[':
			cls = true;
			if (s[1] == '^')
				s++;
			if (s[1] == ']')	/* a leading ']' is a byte */
				s++;
			break;
		case '(':
			if (s[1] == '*' || (s[1] == '?' && !group_ok(s + 2)))
				return false;
			depth++;
			break;
		case ')':
			if (--depth < 0)
				return false;
			break;
		case '|':
			if (depth == 0)
				return false;
			break;
		case '^':
			return false;
		default:
			break;
		}
	}
	return depth == 0 && !cls;
}

static bool
is_quantifier(char c)
{
	return c == '?' || c == '*' || c == '+' || c == '{';
}

/* matcher_needle(); *lead_b: the needle comes after a \b; *used: the
 * pattern bytes it stands for, \b included. */
static size_t
needle_parse(const char *pattern, char *out, size_t cap, bool *lead_b,
    size_t *used)
{
	const char *s = pattern;
	unsigned char c;
	size_t n = 0, step;

	*lead_b = false;
	if (!pattern_is_plain(pattern))
		return 0;
	while (s[0] == '\\' && s[1] == 'b') {
		s += 2;
		*lead_b = true;
	}
	while (n < cap) {
		c = (unsigned char)s[0];
		if (c == '\\') {
			c = (unsigned char)s[1];
			if (c == '\0' || c >= 0x80 || (c >= '0' && c <= '9') ||
			    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
				break;
			step = 2;
		} else {
			if (c == '\0' || strchr("^$.[]|()?*+{}", c) != NULL)
				break;
			step = 1;
		}
		if (c == '\n' || c == '\r' || is_quantifier(s[step]))
			break;
		out[n++] = (char)c;
		s += step;
	}
	*used = (size_t)(s - pattern);
	return n >= 2 ? n : 0;
}

size_t
matcher_needle(const char *pattern, char *out, size_t cap)
{
	bool lead_b;
	size_t used;

	return needle_parse(pattern, out, cap, &lead_b, &used);
}

static bool
byte_in(const uint8_t *set, char c)
{
	unsigned char u = (unsigned char)c;

	return (set[u / 8] >> (u % 8)) & 1;
}

/* A word byte for \b: PCRE2's default tables, byte mode, no UCP. */
static bool
is_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z') || c == '_';
}

/* How common a byte is in log lines: 0 for the rarest. */
static size_t
byte_rank(unsigned char c)
{
	static const char common[] =
	    " \"e:,ta=o0in1sr2l_dc3u-p/4h5m6g7.8f9yvwbkTEZ{}";
	const char *q = c != 0 ? strchr(common, (char)c) : NULL;

	return q != NULL ? sizeof(common) - (size_t)(q - common) : 0;
}

/* The first and last 8, 4 or 2 bytes of p[0, n), 2 <= n <= 16: together
 * they cover it. */
static void
ends(const void *p, size_t n, uint64_t *a, uint64_t *b)
{
	const char *s = p;
	uint32_t a4, b4;
	uint16_t a2, b2;

	if (n >= 8) {
		memcpy(a, s, 8);
		memcpy(b, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(&a4, s, 4);
		memcpy(&b4, s + n - 4, 4);
		*a = a4;
		*b = b4;
	} else {
		memcpy(&a2, s, 2);
		memcpy(&b2, s + n - 2, 2);
		*a = a2;
		*b = b2;
	}
}

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

static void
needle_init(struct needle *nd, const char *pattern)
{
	bool lead_b;
	size_t i;

	memset(nd, 0, sizeof(*nd));
	nd->len = needle_parse(pattern, (char *)nd->s, NEEDLE_MAX, &lead_b,
	    &nd->used);
	if (nd->len == 0)
		return;
	nd->word_start = lead_b && is_word(nd->s[0]);
	/* the rarest byte, the last and the first (bytes far apart go
	 * together less often than neighbours); or the next rarest when
	 * the rarest is one of those */
	nd->o1 = 0;
	for (i = 1; i < nd->len; i++)
		if (byte_rank(nd->s[i]) < byte_rank(nd->s[nd->o1]))
			nd->o1 = i;
	nd->o2 = nd->len - 1;
	nd->o3 = 0;
	if (nd->o1 == 0 || nd->o1 == nd->len - 1) {
		nd->o1 = nd->len > 2 ? 1 : 0;
		for (i = 2; i + 1 < nd->len; i++)
			if (byte_rank(nd->s[i]) < byte_rank(nd->s[nd->o1]))
				nd->o1 = i;
	}
	ends(nd->s, nd->len, &nd->head, &nd->tail);
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

/* The widest needle kernel this CPU runs. */
static find_fn *
find_pick(void)
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

/* --- compiling ----------------------------------------------------- */

/*
 * The bytes that may follow p's needle in a match, from PCRE2's own
 * start-of-match analysis of the rest of the pattern compiled alone: its
 * first code unit or its start bitmap, when it cannot match empty. That
 * rest reads the same alone: the needle holds no group, and the rule
 * keeps out verbs, recursion and callouts; \K, which makes the minimum
 * length moot, leaves next[] unknown, as does anything unexpected.
 */
static void
needle_next(struct needle *nd, const char *pattern, pcre2_compile_context *cc)
{
	const uint8_t *map = NULL;
	pcre2_code *re;
	PCRE2_SIZE erroff;
	uint32_t type = 2, unit = 0, minlen = 0;
	int rc;

	if (strstr(pattern, "\\K") != NULL)
		return;
	re = pcre2_compile((PCRE2_SPTR)(pattern + nd->used),
	    PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE | PCRE2_NEVER_UTF, &rc,
	    &erroff, cc);
	if (re == NULL)
		return;
	if (pcre2_pattern_info(re, PCRE2_INFO_MINLENGTH, &minlen) == 0 &&
	    minlen > 0 &&
	    pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &type) == 0) {
		if (type == 1 && pcre2_pattern_info(re,
		    PCRE2_INFO_FIRSTCODEUNIT, &unit) == 0 && unit < 256) {
			nd->next[unit / 8] |= (uint8_t)(1u << (unit % 8));
			nd->has_next = true;
		} else if (type == 0 && pcre2_pattern_info(re,
		    PCRE2_INFO_FIRSTBITMAP, &map) == 0 && map != NULL) {
			memcpy(nd->next, map, sizeof(nd->next));
			nd->has_next = true;
		}
	}
	pcre2_code_free(re);
}

static pcre2_code *
compile(const struct config_input *in, size_t i, const char *config_path,
    pcre2_compile_context *cc, uint32_t opts, struct ew_err *err)
{
	const char *src = in->patterns[i];
	const char *iname = in->name != NULL ? in->name : "?";
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff;
	pcre2_code *re;
	int rc, line = 0, col = 0;

	if (in->pattern_pos != NULL) {
		line = in->pattern_pos[i].line;
		col = in->pattern_pos[i].col;
	}
	re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	    PCRE2_MULTILINE | PCRE2_NEVER_UTF | opts, &rc, &erroff, cc);
	if (re == NULL) {
		if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", rc);
		ew_err_set(err, config_path, line, col,
		    "inputs[%s].patterns[%zu]: %s at offset %zu", iname, i,
		    (const char *)msg, (size_t)erroff);
	}
	return re;
}

static int
pattern_init(struct pattern *p, const struct config_input *in, size_t i,
    const char *config_path, pcre2_compile_context *cc_buf,
    pcre2_compile_context *cc_line, struct ew_err *err)
{
	int line = 0, col = 0;

	if (in->pattern_pos != NULL) {
		line = in->pattern_pos[i].line;
		col = in->pattern_pos[i].col;
	}
	p->line_re = compile(in, i, config_path, cc_line, 0, err);
	if (p->line_re == NULL)
		return -1;
	needle_init(&p->nd, in->patterns[i]);
	if (p->nd.len > 0) {
		needle_next(&p->nd, in->patterns[i], cc_line);
		p->anc_re = compile(in, i, config_path, cc_line,
		    PCRE2_ANCHORED, err);
	}
	else
		p->buf_re = compile(in, i, config_path, cc_buf, 0, err);
	if (p->anc_re == NULL && p->buf_re == NULL)
		return -1;
	p->code_group = pcre2_substring_number_from_name(p->line_re,
	    (PCRE2_SPTR)"code");
	p->name_group = pcre2_substring_number_from_name(p->line_re,
	    (PCRE2_SPTR)"name");
	if (p->code_group <= 0 && p->name_group <= 0) {
		ew_err_set(err, config_path, line, col,
		    "inputs[%s].patterns[%zu]: '%s' has neither a "
		    "(?<code>...) nor a (?<name>...) group",
		    in->name != NULL ? in->name : "?", i, in->patterns[i]);
		return -1;
	}
	if (p->code_group < 0)
		p->code_group = 0;
	if (p->name_group < 0)
		p->name_group = 0;
	if (pcre2_pattern_info(p->line_re, PCRE2_INFO_MAXLOOKBEHIND,
	    &p->lookbehind) != 0)
		p->lookbehind = UINT32_MAX;
	/* Without JIT (not built in, or no executable memory) the
	 * interpreter gives the same results, only slower. */
	p->jit = pcre2_jit_compile(p->line_re, PCRE2_JIT_COMPLETE) == 0 &&
	    pcre2_jit_compile(p->nd.len > 0 ? p->anc_re : p->buf_re,
	    PCRE2_JIT_COMPLETE) == 0;
	return 0;
}

struct matcher *
matcher_create(const struct config_input *in, const char *config_path,
    struct ew_err *err)
{
	struct matcher *m = xcalloc(1, sizeof(*m));
	pcre2_compile_context *cc_buf = NULL, *cc_line = NULL;
	uint32_t ncap, maxcap = 0;
	size_t i;

	m->chunks = chunks_pick();
	m->find = find_pick();
	m->pat = xcalloc(in->npatterns > 0 ? in->npatterns : 1,
	    sizeof(*m->pat));
	cc_buf = pcre2_compile_context_create(NULL);
	cc_line = pcre2_compile_context_create(NULL);
	if (cc_buf == NULL || cc_line == NULL)
		goto nomem;
	pcre2_set_newline(cc_buf, PCRE2_NEWLINE_ANYCRLF);
	pcre2_set_newline(cc_line, PCRE2_NEWLINE_LF);
	for (i = 0; i < in->npatterns; i++) {
		m->npat++;
		if (pattern_init(&m->pat[i], in, i, config_path, cc_buf,
		    cc_line, err) < 0)
			goto fail;
		if (pcre2_pattern_info(m->pat[i].line_re,
		    PCRE2_INFO_CAPTURECOUNT, &ncap) == 0 && ncap > maxcap)
			maxcap = ncap;
	}
	m->md = pcre2_match_data_create(maxcap + 1, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	m->stack = pcre2_jit_stack_create(JIT_STACK_MIN, JIT_STACK_MAX, NULL);
	if (m->md == NULL || m->mctx == NULL)
		goto nomem;
	if (m->stack != NULL)	/* NULL: JIT's own 32K stack */
		pcre2_jit_stack_assign(m->mctx, NULL, m->stack);
	pcre2_compile_context_free(cc_buf);
	pcre2_compile_context_free(cc_line);
	return m;
nomem:
	ew_err_set(err, config_path, 0, 0, "inputs[%s]: pcre2: out of memory",
	    in->name != NULL ? in->name : "?");
fail:
	pcre2_compile_context_free(cc_buf);
	pcre2_compile_context_free(cc_line);
	matcher_destroy(m);
	return NULL;
}

void
matcher_destroy(struct matcher *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->npat; i++) {
		pcre2_code_free(m->pat[i].buf_re);
		pcre2_code_free(m->pat[i].line_re);
		pcre2_code_free(m->pat[i].anc_re);
	}
	free(m->pat);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->stack);
	free(m);
}

/* --- scanning ------------------------------------------------------ */

/* The end of the window that starts at w0: just after a '\n', WINDOW
 * bytes on or the first line end after that, else the block end. */
static size_t
window_end(const char *buf, size_t len, size_t w0)
{
	const char *nl;

	if (len - w0 <= WINDOW)
		return len;
	nl = last_nl(buf + w0, WINDOW);
	if (nl == NULL)
		nl = memchr(buf + w0 + WINDOW, '\n', len - w0 - WINDOW);
	return nl != NULL ? (size_t)(nl - buf) + 1 : len;
}

/* The line that holds offset s of buf[0, w1), lines starting at pos: a
 * '\n' belongs to the line it ends. False when s is past the last line. */
static bool
line_at(const char *buf, size_t pos, size_t w1, size_t s, size_t *ls,
    size_t *eol)
{
	const char *q;

	if (s >= w1 && (w1 == pos || buf[w1 - 1] == '\n'))
		return false;
	if (s > w1)
		s = w1;
	q = last_nl(buf + pos, s - pos);
	*ls = q != NULL ? (size_t)(q - buf) + 1 : pos;
	q = s < w1 ? memchr(buf + s, '\n', w1 - s) : NULL;
	*eol = q != NULL ? (size_t)(q - buf) : w1;
	return true;
}

/* Finds p's next hit in buf[pos, w1). */
static void
search(struct matcher *m, struct pattern *p, const char *buf, size_t pos,
    size_t w1)
{
	const PCRE2_SIZE *ov;
	int rc;

	p->hit_ls = NO_HIT;
	p->hit_exact = false;
	p->hit_line = false;
	if (pos >= w1)
		return;
	rc = run(m, p, p->buf_re, buf, w1, pos);
	if (rc == PCRE2_ERROR_NOMATCH)
		return;
	if (rc < 0) {
		/* Match or depth limit, JIT stack (SPEC §11: bad input is
		 * never an error): the line at pos is tried alone, the
		 * search goes on after it. */
		line_at(buf, pos, w1, pos, &p->hit_ls, &p->hit_eol);
		return;
	}
	ov = pcre2_get_ovector_pointer(m->md);
	p->hit_s = pcre2_get_startchar(m->md);	/* before any \K */
	p->hit_e = ov[1];
	if (!line_at(buf, pos, w1, p->hit_s, &p->hit_ls, &p->hit_eol)) {
		p->hit_ls = NO_HIT;
		return;
	}
	group_span(ov, p->code_group, &p->code_a, &p->code_b);
	group_span(ov, p->name_group, &p->name_a, &p->name_b);
	p->hit_exact = true;
}

/*
 * Finds the next line of buf[pos, w1) that p, a pattern with a needle,
 * matches alone, cut to max_line: at each place c the needle starts, left
 * to right, anc_re tries the line from there (see the top comment). The
 * subject ends where the line's content does (or its cut) and starts at
 * the line start or, nearer, lookbehind bytes before c: a match at c
 * never looks further back, and the rule rules out ^, \A and \G, so
 * both subjects give the same result. ls, a line start at or before c,
 * is exact only when needed: for the cut and for a hit.
 */
static void
needle_search(struct matcher *m, struct pattern *p, const char *buf,
    size_t pos, size_t w1, size_t max_line)
{
	const PCRE2_SIZE *ov;
	const char *q;
	size_t c, ls = pos, eol = pos, sb, cut = 0;
	int rc;

	p->hit_ls = NO_HIT;
	p->hit_exact = false;
	p->hit_line = false;
	for (c = pos; (c = m->find(&p->nd, buf, c, w1)) != NO_HIT; c++) {
		/* first what the JIT would see at once, and cheaply */
		if (p->nd.word_start && c > pos &&
		    is_word((unsigned char)buf[c - 1]))
			continue;	/* \b fails */
		if (p->nd.has_next && (c + p->nd.len >= w1 ||
		    !byte_in(p->nd.next, buf[c + p->nd.len])))
			continue;	/* the rest cannot start there (or
					 * there is no byte there) */
		if (c >= eol) {		/* a new line: no '\n' in a needle */
			if (eol > pos)	/* past the line of the last c */
				ls = eol + 1;
			q = memchr(buf + c, '\n', w1 - c);
			eol = q != NULL ? (size_t)(q - buf) : w1;
			cut = eol - (buf[eol - 1] == '\r');
			if (cut - ls > max_line) {
				q = last_nl(buf + ls, c - ls);
				if (q != NULL)
					ls = (size_t)(q - buf) + 1;
				if (cut - ls > max_line)
					cut = ls + max_line;
			}
		}
		if (c + p->nd.len > cut)
			goto next_line;	/* no match starts further on */
		sb = c - ls > p->lookbehind ? c - p->lookbehind : ls;
		q = last_nl(buf + sb, c - sb);
		if (q != NULL)
			sb = ls = (size_t)(q - buf) + 1;
		rc = run(m, p, p->anc_re, buf + sb, cut - sb, c - sb);
		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0)	/* a limit: the line does not count, as in */
			goto next_line;	/* scan_line() */
		ov = pcre2_get_ovector_pointer(m->md);
		group_span(ov, p->code_group, &p->code_a, &p->code_b);
		group_span(ov, p->name_group, &p->name_a, &p->name_b);
		p->code_a += sb;
		p->code_b += sb;
		p->name_a += sb;
		p->name_b += sb;
		q = last_nl(buf + ls, sb - ls);
		p->hit_ls = q != NULL ? (size_t)(q - buf) + 1 : ls;
		p->hit_eol = eol;
		p->hit_line = true;
		return;
next_line:
		if (eol >= w1)
			return;
		c = eol;
	}
}

/* Whether p's buffer hit on line [ls, ce) is what the line alone gives:
 * everything the match saw lies inside the line (see the top comment). */
static bool
hit_is_exact(const struct pattern *p, size_t ls, size_t ce)
{
	return p->hit_exact && p->hit_e < ce && p->hit_e >= p->hit_s &&
	    p->hit_s - ls >= p->lookbehind && p->code_b <= ce &&
	    p->name_b <= ce;
}

/* Tries the patterns in order on the line [ls, eol); the first that
 * matches the line alone counts. A line within max_line is tried only by
 * the patterns whose buffer hit is on it; a cut line by all of them, as
 * the buffer search saw bytes past the cut. */
static void
scan_line(struct matcher *m, const char *buf, size_t ls, size_t eol,
    size_t max_line, match_hit_fn *hit, void *arg, struct match_stats *st)
{
	struct pattern *p;
	const PCRE2_SIZE *ov;
	size_t i, ce, cut, ca, cb, na, nb;
	int cr = -1;	/* a '\r' in the content: -1 not looked yet */
	int rc;

	ce = ls + content_len(buf + ls, eol - ls);
	cut = ce - ls > max_line ? ls + max_line : ce;
	for (i = 0; i < m->npat; i++) {
		p = &m->pat[i];
		if (p->nd.len > 0) {
			/* tried on this line alone, cut, by needle_search():
			 * no hit on it, no match */
			if (p->hit_ls != ls || !p->hit_line)
				continue;
			report(hit, arg, buf, p->code_a, p->code_b,
			    p->name_a, p->name_b);
			st->matched++;
			return;
		}
		if (cut == ce && p->hit_ls != ls)
			continue;	/* no hit in the buffer: no match */
		if (cut == ce && hit_is_exact(p, ls, ce)) {
			if (cr < 0)
				cr = memchr(buf + ls, '\r', ce - ls) != NULL;
			if (!cr) {
				report(hit, arg, buf, p->code_a, p->code_b,
				    p->name_a, p->name_b);
				st->matched++;
				return;
			}
		}
		rc = run(m, p, p->line_re, buf + ls, cut - ls, 0);
		if (rc < 0)
			continue;	/* no match, or a limit: not counted */
		ov = pcre2_get_ovector_pointer(m->md);
		group_span(ov, p->code_group, &ca, &cb);
		group_span(ov, p->name_group, &na, &nb);
		report(hit, arg, buf + ls, ca, cb, na, nb);
		st->matched++;
		return;
	}
}

/* One matcher_scan call: its arguments, and where the line count of the
 * current window stands. */
struct scan {
	struct matcher		*m;
	const char		*buf;
	size_t			 max_line;
	match_hit_fn		*hit;
	void			*arg;
	struct match_stats	*st;

	size_t			 w1;		/* window end */
	size_t			 pos;	/* counted up to here */
	size_t			 base;	/* a line start <= pos */
	size_t			 run;	/* newline-free chunks */
	size_t			 k;	/* a run that may be long */
	size_t			 scanned;	/* last hit line tried */
};

/* The line [ls, eol) is longer than max_line. The buffer search saw
 * bytes past the cut, so the line is tried alone by every pattern, unless
 * it is the hit line that was tried already. */
static void
long_line(struct scan *sc, size_t ls, size_t eol)
{
	sc->st->long_lines++;
	if (ls != sc->scanned)
		scan_line(sc->m, sc->buf, ls, eol, sc->max_line, sc->hit,
		    sc->arg, sc->st);
}

/* Counts the lines of buf[from, to) one by one: the exact path, for
 * short max_line values and the tail of a window. */
static void
count_exact(struct scan *sc, size_t from, size_t to)
{
	const char *nl;
	size_t eol;

	while (from < to) {
		nl = memchr(sc->buf + from, '\n', to - from);
		eol = nl != NULL ? (size_t)(nl - sc->buf) : to;
		sc->st->lines++;
		if (content_len(sc->buf + from, eol - from) > sc->max_line)
			long_line(sc, from, eol);
		from = eol < to ? eol + 1 : to;
	}
}

/*
 * Counts the window's lines up to limit, a line start, in whole chunks;
 * what is left over waits for the next call. It runs just after the
 * search went over these bytes, so they are in cache. A line over
 * max_line covers at least k whole newline-free chunks (of any grid), and
 * ends before limit, so it is found, and handed to long_line(), before the
 * hit line at limit is tried: hits stay in order.
 */
static void
count_to(struct scan *sc, size_t limit)
{
	const char *buf = sc->buf, *nl, *lnl;
	uint64_t lines = 0;
	size_t ls, eol;

	if (sc->k == 0) {
		count_exact(sc, sc->pos, limit);
		sc->pos = limit;
		return;
	}
	while (sc->pos < limit && limit - sc->pos >= CHUNK) {
		sc->pos += sc->m->chunks(buf + sc->pos, limit - sc->pos, sc->k,
		    &sc->run, &lines);
		if (sc->run < sc->k)
			break;
		/* A line may be over max_line: measure it. */
		lnl = last_nl(buf + sc->base, sc->pos - sc->base);
		ls = lnl != NULL ? (size_t)(lnl - buf) + 1 : sc->base;
		nl = memchr(buf + sc->pos, '\n', sc->w1 - sc->pos);
		eol = nl != NULL ? (size_t)(nl - buf) : sc->w1;
		lines++;
		sc->pos = sc->base = eol < sc->w1 ? eol + 1 : sc->w1;
		sc->run = 0;
		if (content_len(buf + ls, eol - ls) > sc->max_line)
			long_line(sc, ls, eol);
	}
	sc->st->lines += lines;
}

/* Counts the rest of the window, the part-chunk tail line by line. */
static void
count_end(struct scan *sc)
{
	const char *lnl;
	size_t ls;

	count_to(sc, sc->w1);
	if (sc->pos >= sc->w1)
		return;
	lnl = last_nl(sc->buf + sc->base, sc->pos - sc->base);
	ls = lnl != NULL ? (size_t)(lnl - sc->buf) + 1 : sc->base;
	count_exact(sc, ls, sc->w1);
	sc->pos = sc->w1;
}

/* p's next hit at or after pos, a line start, in the window. */
static void
next_hit(struct scan *sc, struct pattern *p, size_t pos)
{
	if (p->nd.len > 0)
		needle_search(sc->m, p, sc->buf, pos, sc->w1, sc->max_line);
	else
		search(sc->m, p, sc->buf, pos, sc->w1);
}

/* Visits, in order, every line of buf[w0, w1) that a pattern's buffer
 * search hits and every overlong line, counting the lines in between. */
static void
scan_window(struct scan *sc, size_t w0, size_t w1)
{
	struct matcher *m = sc->m;
	size_t i, ls, eol = 0, next;

	sc->w1 = w1;
	sc->pos = sc->base = w0;
	sc->run = 0;
	sc->scanned = NO_HIT;
	for (i = 0; i < m->npat; i++)
		next_hit(sc, &m->pat[i], w0);
	for (;;) {
		ls = NO_HIT;
		for (i = 0; i < m->npat; i++)
			if (m->pat[i].hit_ls < ls) {
				ls = m->pat[i].hit_ls;
				eol = m->pat[i].hit_eol;
			}
		if (ls == NO_HIT)
			break;
		count_to(sc, ls);	/* a long line before it may match */
		scan_line(m, sc->buf, ls, eol, sc->max_line, sc->hit,
		    sc->arg, sc->st);
		sc->scanned = ls;
		/* Patterns whose hit was on this line look again after it;
		 * the others' hits are on later lines and still stand. */
		next = eol < w1 ? eol + 1 : w1;
		for (i = 0; i < m->npat; i++)
			if (m->pat[i].hit_ls == ls)
				next_hit(sc, &m->pat[i], next);
	}
	count_end(sc);
}

void
matcher_scan(struct matcher *m, const char *buf, size_t len,
    size_t max_line, match_hit_fn *hit, void *arg, struct match_stats *st)
{
	struct scan sc = { m, buf, max_line, hit, arg, st, 0, 0, 0, 0, 0, 0 };
	size_t w0, w1;

	/* SPEC §5: a line over max_line spans k whole chunks; below two,
	 * lines are measured one by one */
	sc.k = (max_line + 1) / CHUNK;
	sc.k = sc.k >= 2 ? sc.k - 1 : 0;
	for (w0 = 0; w0 < len; w0 = w1) {
		w1 = window_end(buf, len, w0);
		scan_window(&sc, w0, w1);
	}
}
