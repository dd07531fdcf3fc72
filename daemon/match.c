/*
 * match: an input's PCRE2 patterns run over blocks of whole lines (SPEC §5,
 * §12). It owns the compiled patterns, one match data block and one JIT
 * stack per matcher; matcher_scan allocates nothing, logs nothing and keeps
 * no pointer into the block after it returns. This file compiles and
 * scans; the needle rule is in match_needle.c, the SIMD kernels (newline
 * count, needle search) in match_simd.c, and match_priv.h is what the
 * three share.
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
 * rule" in match_needle.c) is searched another way, as a JSON pattern's
 * first byte, '"', would stop the JIT search at every key: a SIMD
 * substring search finds each place the needle starts, and there an
 * anchored copy of the pattern (anc_re, NEWLINE_LF) runs on that line
 * alone, cut to max_line, unless a cheap test shows it would fail (a \b,
 * the byte after the needle). Every match starts at such a place, so
 * trying them left to right finds the line's first match, and a line
 * without the needle cannot match: skipping it is exact, long lines
 * included, and none of the misses above can happen. Such a pattern has
 * no buf_re.
 *
 * Lines are counted in the wake of the search, WINDOW bytes at most behind
 * it so the bytes are still in cache, CHUNK bytes at a time (SSE2, or AVX2
 * when the CPU has it: match_simd.c). The same pass spots the
 * newline-free runs long enough to hold a line over max_line; only those
 * get per-line work.
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

#include "base.h"
#include "config.h"
#include "match.h"
#include "match_priv.h"

#define WINDOW		(256u << 10)	/* bytes: searched, then counted */
#define JIT_STACK_MIN	(32u << 10)	/* bytes */
#define JIT_STACK_MAX	(1u << 20)	/* bytes */

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

/* The last '\n' in p[0, n), or NULL (memrchr is a GNU extension). Not a
 * kernel of match_simd.c: the scan calls it at every hit, and here the
 * compiler sees it whole. */
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

/* Whether byte c is in the 256-bit set (a needle's next[]). */
static bool
byte_in(const uint8_t *set, char c)
{
	unsigned char u = (unsigned char)c;

	return (set[u / 8] >> (u % 8)) & 1;
}

/* --- compiling ----------------------------------------------------- */

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

	m->chunks = match_pick_chunks();
	m->find = match_pick_find();
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
