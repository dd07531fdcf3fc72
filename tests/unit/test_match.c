/*
 * test_match: SPEC §5's line semantics through matcher_scan: captures,
 * pattern order, first match in a line, no match across lines, CRLF, any
 * bytes, max_line, counts; the needle rule (match.c) as a table; then a
 * generated buffer checked against a naive per-line loop, with patterns on
 * the needle path and off it; then the configuration errors of SPEC §4 and
 * §11.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "config.h"
#include "lines.h"
#include "match.h"

#define DEFAULT_PAT \
	"\\bcode=(?<code>\\d{3,4})\\b(?:.*?\\bname=(?<name>[A-Za-z]+))?"
#define T(s)		s, sizeof(s) - 1	/* bytes (NULs too), length */
#define MAX_PATS	4

struct hits {
	struct buf	 out;	/* "code/name;" per hit */
};

static void
hit_cb(void *arg, const char *code, size_t code_len, const char *name,
    size_t name_len)
{
	struct hits *h = arg;

	CHECK(code != NULL && name != NULL);
	buf_append(&h->out, code, code_len);
	buf_puts(&h->out, "/");
	buf_append(&h->out, name, name_len);
	buf_puts(&h->out, ";");
}

static void
input_init(struct config_input *in, const char *const *pats)
{
	static struct config_pos pos[MAX_PATS];
	static char name[] = "gateway";
	size_t i;

	memset(in, 0, sizeof(*in));
	in->name = name;
	in->patterns = xcalloc(MAX_PATS, sizeof(*in->patterns));
	for (i = 0; i < MAX_PATS && pats[i] != NULL; i++) {
		in->patterns[i] = xstrdup(pats[i]);
		pos[i].line = 10 + (int)i;
		pos[i].col = 9;
	}
	in->npatterns = i;
	in->pattern_pos = pos;
	in->max_line = 65536;
}

static void
input_free(struct config_input *in)
{
	size_t i;

	for (i = 0; i < in->npatterns; i++)
		free(in->patterns[i]);
	free(in->patterns);
}

static struct matcher *
make(const char *const *pats)
{
	struct config_input in;
	struct ew_err err;
	struct matcher *m;

	ew_err_clear(&err);
	input_init(&in, pats);
	m = matcher_create(&in, "/etc/errwatch/errwatch.yaml", &err);
	if (m == NULL)
		fprintf(stderr, "%s\n", err.msg);
	CHECK(m != NULL);
	input_free(&in);
	return m;
}

/* --- a table of lines -------------------------------------------- */

struct scan_case {
	const char	*pats[MAX_PATS];
	const char	*text;
	size_t		 len;
	size_t		 max_line;
	const char	*want;		/* "code/name;" per match */
	uint64_t	 lines, matched, longs;
};

static const struct scan_case scan_cases[] = {
	{ { DEFAULT_PAT }, T("ts=1 level=error code=461 name=Punishment "
	    "msg=\"x\"\n"), 0, "461/Punishment;", 1, 1, 0 },
	{ { DEFAULT_PAT }, T("code=473 msg=down\n"), 0, "473/;", 1, 1, 0 },
	{ { DEFAULT_PAT }, T("name=Punishment code=461\n"), 0, "461/;",
	    1, 1, 0 },	/* the default pattern wants name after code */
	{ { "name=(?<name>\\w+).*?code=(?<code>\\d+)", DEFAULT_PAT },
	    T("name=Punishment code=461\ncode=461 name=Punishment\n"), 0,
	    "461/Punishment;461/Punishment;", 2, 2, 0 },
	/* first pattern wins, though the second matches earlier */
	{ { "code=(?<code>\\d+)", "name=(?<name>\\w+)" },
	    T("name=X code=1\nname=Y\nnothing\ncode=2\n"), 0,
	    "1/;/Y;2/;", 4, 3, 0 },
	{ { "code=(?<code>\\d+)", "name=(?<name>\\w+)" },
	    T("a name=Z\nb name=W code=3\n"), 0, "/Z;3/;", 2, 2, 0 },
	{ { DEFAULT_PAT }, T("code=401 code=403 name=A name=B\n"), 0,
	    "401/A;", 1, 1, 0 },	/* first match in the line */
	/* \s takes the '\n' over a buffer, never over a line */
	{ { "code=(?<code>\\d+)\\s+name=(?<name>\\w+)" },
	    T("code=461\nname=X\n"), 0, "", 2, 0, 0 },
	{ { "code=(?<code>\\d+)(?:\\s+name=(?<name>\\w+))?" },
	    T("code=461\nname=X\n"), 0, "461/;", 2, 1, 0 },
	{ { "id=(?<code>[^ ]+)" }, T("id=7\nid=8 x\nid=9"), 0,
	    "7/;8/;9/;", 3, 3, 0 },
	{ { "code=(?<code>\\d+)", "name=(?<name>[^ ]+)" },
	    T("a name=X\nb\ncode=5\n"), 0, "/X;5/;", 3, 2, 0 },
	/* CRLF: the '\r' is not part of the line */
	{ { DEFAULT_PAT }, T("code=461 name=Punishment\r\ncode=473\r\n\r\n"),
	    0, "461/Punishment;473/;", 3, 2, 0 },
	{ { "name=(?<name>[^ ]+)" }, T("name=X\r\nname=Y\r\n"), 0,
	    "/X;/Y;", 2, 2, 0 },
	{ { "name=(?<name>\\w+)$" }, T("a name=Punishment\r\nname=B x\r\n"),
	    0, "/Punishment;", 2, 1, 0 },
	{ { "code=(?<code>\\d+)$" }, T("code=1\rcode=2\r\n"), 0, "2/;",
	    1, 1, 0 },	/* a lone '\r' is a byte of the line */
	/* any bytes */
	{ { DEFAULT_PAT }, T("\xff\xfe\0code=461\0name=Punishment\xff\n"
	    "\0\0\0\n\xc3\x28" "code=9999\n"), 0, "461/Punishment;9999/;",
	    3, 2, 0 },
	/* max_line: matched on the first max_line bytes, long counted */
	{ { DEFAULT_PAT }, T("code=461 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"),
	    16, "461/;", 1, 1, 1 },
	{ { DEFAULT_PAT }, T("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx code=461\n"),
	    16, "", 1, 0, 1 },
	{ { DEFAULT_PAT }, T("xxxxxxx code=461\nxxxxxxxx code=461\n"), 16,
	    "461/;", 2, 1, 1 },	/* cut after "46": \b fails */
	{ { DEFAULT_PAT }, T("0123456789abcdef\r\n0123456789abcdefg\r\n"), 16,
	    "", 2, 0, 1 },	/* exactly 16 plus '\r': not long */
	{ { DEFAULT_PAT }, T("code=461 name=Punishment\n"), 12, "461/;",
	    1, 1, 1 },
	/* a code of 40 digits */
	{ { "code=(?<code>\\d+)" },
	    T("code=1234567890123456789012345678901234567890 x\n"), 0,
	    "1234567890123456789012345678901234567890/;", 1, 1, 0 },
	{ { DEFAULT_PAT },
	    T("code=1234567890123456789012345678901234567890 x\n"), 0,
	    "", 1, 0, 0 },
	/* a final line without '\n' */
	{ { DEFAULT_PAT }, T("a\ncode=461"), 0, "461/;", 2, 1, 0 },
	{ { DEFAULT_PAT }, T("a\nb"), 0, "", 2, 0, 0 },
	{ { DEFAULT_PAT }, T(""), 0, "", 0, 0, 0 },
	{ { DEFAULT_PAT }, T("\n\n\n"), 0, "", 3, 0, 0 },
	/* look-alikes of a code */
	{ { DEFAULT_PAT }, T("dur_ms=473 path=/rooms/461/join errcode=461 "
	    "code=46 code=46100 xcode=500 code_x=500\n"), 0, "", 1, 0, 0 },
	{ { DEFAULT_PAT }, T("errcode=461 code=473 dname=X name=Y\n"), 0,
	    "473/Y;", 1, 1, 0 },
	/* patterns anchored to lines */
	{ { "^(?<code>\\d{3}) " }, T("461 a\nx 473 b\n500 c"), 0,
	    "461/;500/;", 3, 2, 0 },
	/* an empty match counts the line */
	{ { "(?<code>\\d*)" }, T("a\n\n12\n"), 0, "/;/;12/;", 3, 3, 0 },
	/* a lookbehind at a line start sees no previous line */
	{ { "(?<=\\s)code=(?<code>\\d+)" }, T("x\ncode=1\n code=2\n"), 0,
	    "2/;", 3, 1, 0 },
};

static void
test_scan_cases(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(scan_cases); i++) {
		const struct scan_case *c = &scan_cases[i];
		struct match_stats st = { 0 };
		struct hits h = { { 0 } };
		struct matcher *m = make(c->pats);
		char *copy = xmalloc(c->len + 1);

		/* a private copy, so ASan sees any read past the end */
		memcpy(copy, c->text, c->len);
		buf_puts(&h.out, "");
		matcher_scan(m, copy, c->len, c->max_line ? c->max_line :
		    65536, hit_cb, &h, &st);
		if (strcmp(h.out.p, c->want) != 0 || st.lines != c->lines ||
		    st.matched != c->matched || st.long_lines != c->longs)
			fprintf(stderr, "scan case %zu\n", i);
		CHECK_STR_EQ(h.out.p, c->want);
		CHECK_UINT_EQ(st.lines, c->lines);
		CHECK_UINT_EQ(st.matched, c->matched);
		CHECK_UINT_EQ(st.long_lines, c->longs);
		buf_free(&h.out);
		free(copy);
		matcher_destroy(m);
	}
}

/* --- needles ------------------------------------------------------ */

struct needle_case {
	const char	*pat;
	const char	*want;		/* NULL: no needle */
};

static const struct needle_case needle_cases[] = {
	{ DEFAULT_PAT, "code=" },
	{ "\\bcode=(?<code>\\d+)", "code=" },
	{ "\"code\":(?<code>\\d{3,4})\\b"
	    "(?:.*?\"name\":\"(?<name>[A-Za-z]+)\")?", "\"code\":" },
	{ "\\berr=(?<code>\\d{3,4})\\b(?: errname=(?<name>[A-Za-z]+))?",
	    "err=" },
	{ "\\b\\bcode=(?<code>\\d)", "code=" },
	{ "code\\=(?<code>\\d)", "code=" },
	{ "code\\ \\\"x(?<code>\\d)", "code \"x" },
	{ "code = #(?<code>\\d)", "code = #" },
	/* a quantified byte may be missing or repeated: the run stops */
	{ "c?ode=(?<code>\\d)", NULL },
	{ "co?de=(?<code>\\d)", NULL },	/* "c": too short */
	{ "code?=(?<code>\\d)", "cod" },
	{ "code*=(?<code>\\d)", "cod" },
	{ "code+=(?<code>\\d)", "cod" },
	{ "code{2}=(?<code>\\d)", "cod" },
	{ "code\\=?(?<code>\\d)", "code" },
	{ "cod(?:e)=(?<code>\\d)", "cod" },
	/* the run stops at anything but a byte */
	{ "code\\d=(?<code>\\d)", "code" },
	{ "code.=(?<code>\\d)", "code" },
	{ "code\\t=(?<code>\\d)", "code" },
	{ "code[=:](?<code>\\d)", "code" },
	{ "code\\b=(?<code>\\d)", "code" },
	{ "co\nde(?<code>\\d)", "co" },
	{ "a(?<code>\\d)", NULL },
	{ "\\x41BC(?<code>\\d)", NULL },
	{ "\\Bcode=(?<code>\\d)", NULL },
	{ "(?<code>\\d+) code", NULL },
	{ "abcdefghijklmnopqrstuvwxyz0123456789(?<code>\\d)",
	    "abcdefghijklmnopqrstuvwxyz012345" },	/* NEEDLE_MAX */
	/* top-level alternation, options, anchors, verbs: none */
	{ "(?:a|b)code=(?<code>\\d)", NULL },
	{ "code=|x(?<code>\\d)", NULL },
	{ "code=(?<code>\\d)|x", NULL },
	{ "code=(?<code>\\d)(?:x)|y", NULL },
	{ "(?i)code=(?<code>\\d)", NULL },
	{ "code=(?i)(?<code>\\d)", NULL },
	{ "code=(?i:x)(?<code>\\d)", NULL },
	{ "code=(?x)#(\n|x(?<code>\\d)", NULL },
	{ "code=(?#()|x(?<code>\\d)", NULL },
	{ "(*CRLF)code=(?<code>\\d)", NULL },
	{ "code=(*SKIP)(?<code>\\d)", NULL },
	{ "^code=(?<code>\\d)", NULL },
	{ "code=(?<code>\\d)^", NULL },
	{ "\\Acode=(?<code>\\d)", NULL },
	{ "code=\\G(?<code>\\d)", NULL },
	{ "code=\\Q|\\E(?<code>\\d)", NULL },
	{ "code=\\c(|x(?<code>\\d)", NULL },	/* \c( is a byte */
	{ "code=(?(1)a|b)(?<code>\\d)", NULL },
	{ "code=(?R)?(?<code>\\d)", NULL },
	/* alternation and metacharacters inside groups and classes: fine */
	{ "code=(?:a|b)?(?<code>\\d)", "code=" },
	{ "code=(?<code>\\d|x)", "code=" },
	{ "code=(?=\\d)(?<=e=)(?<!x)(?>\\d)(?<code>\\d)", "code=" },
	{ "code=(?|(?<code>a)|(?<code>b))", "code=" },
	{ "code=(?P<code>\\d)(?'name'x)", "code=" },
	{ "code=[|(^](?<code>\\d)", "code=" },
	{ "code=[]|(](?<code>\\d)", "code=" },
	{ "code=[^]|(](?<code>\\d)", "code=" },
	{ "code=[\\]|(](?<code>\\d)", "code=" },
	{ "code=\\((?<code>\\d)\\|", "code=(" },
	{ "code=[[:digit:]](?<code>\\d)", NULL },	/* POSIX class */
};

static void
test_needles(void)
{
	char out[64];
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(needle_cases); i++) {
		const struct needle_case *c = &needle_cases[i];

		memset(out, 0, sizeof(out));
		n = matcher_needle(c->pat, out, 32);
		if (n != (c->want != NULL ? strlen(c->want) : 0) ||
		    (c->want != NULL && memcmp(out, c->want, n) != 0))
			fprintf(stderr, "needle case %zu: %s -> \"%.*s\"\n", i,
			    c->pat, (int)n, out);
		CHECK_UINT_EQ(n, c->want != NULL ? strlen(c->want) : 0);
		if (c->want != NULL)
			CHECK(memcmp(out, c->want, n) == 0);
	}
	/* cap: a prefix of the needle, never under 2 bytes */
	CHECK_UINT_EQ(matcher_needle("code=(?<code>x)", out, 3), 3);
	CHECK(memcmp(out, "cod", 3) == 0);
	CHECK_UINT_EQ(matcher_needle("code=(?<code>x)", out, 1), 0);
}

/* --- a generated buffer against a naive per-line loop ------------ */

static const char *const gen_pats[] = {
	DEFAULT_PAT,
	"name=(?<name>[A-Z][a-z]+)\\s+id=(?<code>\\d+)",
	"id=(?<code>[^ ]+)",
	"(?<name>Fatal)$",
	NULL,
};

/* Needles of 2 to over 16 bytes, a lookbehind that reaches back past the
 * needle, anchors at the line end, empty captures; what may follow the
 * needle: a class, a byte, anything (a rest that can match empty). */
static const char *const needle_pats[] = {
	"level=error code=(?<code>\\d+)(?:.*?\\bname=(?<name>\\w+))?",
	"code=(?<=x code=)(?<code>\\d+)",
	"\\bname=(?<name>[A-Z][a-z]+)\\s*$",
	"id=(?<code>\\d*)",
	NULL,
};

static const char *const needle_pats2[] = {
	"path=/rooms/(?<code>\\d+)/join",
	"\\bcod(?:e)=(?<code>\\d{3,4})\\b",
	"(?<name>Fatal)$",
	"\\berrcode=(?<code>[^ ]+)",
	NULL,
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11) % n;
}

static void
gen_line(struct buf *b)
{
	static const char *const words[] = {
		"ts=2024-05-01T10:00:00Z", "level=info", "level=error",
		"code=461", "code=473", "code=200", "code=12345",
		"name=Punishment", "name=Fatal", "Fatal", "id=7", "id=",
		"dur_ms=473", "errcode=461", "path=/rooms/461/join",
		"msg=\"hello world\"", "\r", "\t", "\xff\xfe", "code=",
		"name=", "x", "",
	};
	size_t n = rnd(12), i, j;

	if (rnd(50) == 0) {		/* long: over max_line often */
		for (j = rnd(700); j > 0; j--)
			buf_puts(b, rnd(40) == 0 ? " code=500 " : "y");
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_append(b, rnd(8) == 0 ? "\0" : " ", 1);
		buf_puts(b, words[rnd(ARRAY_SIZE(words))]);
	}
	if (rnd(10) == 0)
		buf_puts(b, "\r");
}

struct ref {
	pcre2_code		*re[MAX_PATS];
	int			 code[MAX_PATS];
	int			 name[MAX_PATS];
	size_t			 n;
	pcre2_match_data	*md;
};

/* SPEC §5 as written: each line alone, interpreted, first pattern wins. */
static void
ref_scan(struct ref *r, const char *p, size_t len, size_t max_line,
    struct hits *h, struct match_stats *st)
{
	const char *end = p + len, *nl;
	size_t ll, i;
	int rc, g;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ll = (size_t)((nl != NULL ? nl : end) - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll > max_line) {
			st->long_lines++;
			ll = max_line;
		}
		st->lines++;
		for (i = 0; i < r->n; i++) {
			PCRE2_SIZE *ov;
			size_t a[2] = { 0, 0 }, b[2] = { 0, 0 };
			int k;

			rc = pcre2_match(r->re[i], (PCRE2_SPTR)p, ll, 0,
			    PCRE2_NO_JIT, r->md, NULL);
			if (rc < 0)
				continue;
			ov = pcre2_get_ovector_pointer(r->md);
			for (k = 0; k < 2; k++) {
				g = k == 0 ? r->code[i] : r->name[i];
				if (g > 0 && ov[2 * g] != PCRE2_UNSET) {
					a[k] = ov[2 * g];
					b[k] = ov[2 * g + 1];
				}
			}
			st->matched++;
			hit_cb(h, p + a[0], b[0] - a[0], p + a[1],
			    b[1] - a[1]);
			break;
		}
		p = nl != NULL ? nl + 1 : end;
	}
}

static void
ref_init(struct ref *r, const char *const *pats)
{
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	PCRE2_SIZE off;
	int rc;

	memset(r, 0, sizeof(*r));
	pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
	for (r->n = 0; pats[r->n] != NULL; r->n++) {
		r->re[r->n] = pcre2_compile((PCRE2_SPTR)pats[r->n],
		    PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE, &rc, &off, cc);
		CHECK(r->re[r->n] != NULL);
		r->code[r->n] = pcre2_substring_number_from_name(r->re[r->n],
		    (PCRE2_SPTR)"code");
		r->name[r->n] = pcre2_substring_number_from_name(r->re[r->n],
		    (PCRE2_SPTR)"name");
	}
	r->md = pcre2_match_data_create(16, NULL);
	pcre2_compile_context_free(cc);
}

static void
ref_free(struct ref *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		pcre2_code_free(r->re[i]);
	pcre2_match_data_free(r->md);
}

static void
compare_scan(const char *const *pats, const char *text, size_t len,
    size_t max_line, size_t pieces)
{
	struct match_stats st = { 0 }, want = { 0 };
	struct hits h = { { 0 } }, w = { { 0 } };
	struct matcher *m = make(pats);
	struct ref r;
	size_t off = 0, cut;
	const char *nl;

	ref_init(&r, pats);
	buf_puts(&h.out, "");
	buf_puts(&w.out, "");
	ref_scan(&r, text, len, max_line, &w, &want);
	/* scan in line-aligned pieces: the totals do not change */
	while (off < len) {
		cut = pieces > 1 ? off + rnd((uint32_t)(len / pieces * 2 + 1)) :
		    len;
		if (cut >= len)
			cut = len;
		else {
			nl = memchr(text + cut, '\n', len - cut);
			cut = nl != NULL ? (size_t)(nl - text) + 1 : len;
		}
		matcher_scan(m, text + off, cut - off, max_line, hit_cb, &h,
		    &st);
		off = cut;
	}
	CHECK(want.matched > 0);
	if (st.matched != want.matched || strcmp(h.out.p, w.out.p) != 0) {
		size_t d = 0;

		while (h.out.p[d] == w.out.p[d])
			d++;
		fprintf(stderr, "max_line %zu pieces %zu pats[0] %s: got "
		    "\"%.60s\" want \"%.60s\"\n", max_line, pieces, pats[0],
		    h.out.p + (d > 20 ? d - 20 : 0),
		    w.out.p + (d > 20 ? d - 20 : 0));
	}
	CHECK_UINT_EQ(st.lines, want.lines);
	CHECK_UINT_EQ(st.matched, want.matched);
	CHECK_UINT_EQ(st.long_lines, want.long_lines);
	CHECK_UINT_EQ(h.out.len, w.out.len);
	CHECK(strcmp(h.out.p, w.out.p) == 0);
	buf_free(&h.out);
	buf_free(&w.out);
	ref_free(&r);
	matcher_destroy(m);
}

static void
test_generated(void)
{
	static const size_t max_lines[] = {
		150, 40, 255, 256, 300, 383, 384, 500, 65536,
	};
	struct buf b = { 0 };
	char *copy;
	size_t i, j;

	for (i = 0; i < 30000; i++) {
		gen_line(&b);
		buf_puts(&b, "\n");
	}
	gen_line(&b);			/* a final line without '\n' */
	buf_puts(&b, " code=473");
	copy = xmalloc(b.len);
	memcpy(copy, b.p, b.len);
	for (i = 0; i < ARRAY_SIZE(max_lines); i++) {
		compare_scan(gen_pats, copy, b.len, max_lines[i], 1);
		compare_scan(gen_pats, copy, b.len, max_lines[i], 50);
		compare_scan(needle_pats, copy, b.len, max_lines[i], 1);
		compare_scan(needle_pats2, copy, b.len, max_lines[i], 50);
		for (j = 0; gen_pats[j] != NULL; j++) {
			const char *one[2] = { gen_pats[j], NULL };

			compare_scan(one, copy, b.len, max_lines[i], 1);
		}
		for (j = 0; needle_pats[j] != NULL; j++) {
			const char *one[2] = { needle_pats[j], NULL };

			compare_scan(one, copy, b.len, max_lines[i], 7);
			one[0] = needle_pats2[j];
			compare_scan(one, copy, b.len, max_lines[i], 1);
		}
	}
	free(copy);
	buf_free(&b);
}

/* Through lines first, in chunks: the two long counts add up. */
static struct matcher *chain_m;
static struct match_stats chain_st;
static struct hits chain_h;

static void
chain_block_cb(void *arg, const char *buf, size_t len)
{
	(void)arg;
	matcher_scan(chain_m, buf, len, 150, hit_cb, &chain_h, &chain_st);
}

static void
test_through_lines(void)
{
	struct match_stats want = { 0 };
	struct hits w = { { 0 } };
	struct buf b = { 0 };
	struct lines *l;
	struct ref r;
	size_t i, off, n;

	for (i = 0; i < 5000; i++) {
		gen_line(&b);
		buf_puts(&b, "\n");
	}
	chain_m = make(gen_pats);
	ref_init(&r, gen_pats);
	buf_puts(&w.out, "");
	buf_puts(&chain_h.out, "");
	ref_scan(&r, b.p, b.len, 150, &w, &want);
	l = lines_create(150);
	for (off = 0; off < b.len; off += n) {
		n = EW_MIN(b.len - off, 1 + rnd(300));
		lines_feed(l, b.p + off, n, chain_block_cb, NULL);
	}
	lines_flush(l, chain_block_cb, NULL);
	CHECK_UINT_EQ(chain_st.lines, want.lines);
	CHECK_UINT_EQ(chain_st.matched, want.matched);
	CHECK_UINT_EQ(chain_st.long_lines + lines_long_count(l),
	    want.long_lines);
	CHECK(strcmp(chain_h.out.p, w.out.p) == 0);
	lines_destroy(l);
	matcher_destroy(chain_m);
	ref_free(&r);
	buf_free(&w.out);
	buf_free(&chain_h.out);
	buf_free(&b);
}

/* --- configuration errors ---------------------------------------- */

struct bad_case {
	const char	*pats[MAX_PATS];
	int		 line, col;	/* of the bad pattern */
	const char	*msg;
};

static const struct bad_case bad_cases[] = {
	{ { DEFAULT_PAT, "code=(?<code>\\d+" }, 11, 9,
	    "inputs[gateway].patterns[1]: missing closing parenthesis at "
	    "offset 16" },
	{ { "code=(?<code>\\d+))" }, 10, 9,
	    "inputs[gateway].patterns[0]: unmatched closing parenthesis at "
	    "offset 17" },
	{ { "(?<code>[z-a])" }, 10, 9,
	    "inputs[gateway].patterns[0]: range out of order in character "
	    "class at offset 11" },
	{ { "(*UTF)(?<code>x)" }, 10, 9,
	    "inputs[gateway].patterns[0]: using UTF is disabled by the "
	    "application at offset 6" },
	{ { DEFAULT_PAT, "x", "code=\\d+" }, 11, 9,
	    "inputs[gateway].patterns[1]: 'x' has neither a (?<code>...) nor "
	    "a (?<name>...) group" },
	{ { "(?<Code>\\d+)(?<names>x)" }, 10, 9,
	    "inputs[gateway].patterns[0]: '(?<Code>\\d+)(?<names>x)' has "
	    "neither" },
};

static void
test_bad_patterns(void)
{
	struct config_input in;
	struct ew_err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];

		ew_err_clear(&err);
		input_init(&in, c->pats);
		CHECK(matcher_create(&in, "/etc/ew.yaml", &err) == NULL);
		if (strncmp(err.msg, c->msg, strlen(c->msg)) != 0)
			fprintf(stderr, "bad case %zu: %s\n", i, err.msg);
		CHECK(strncmp(err.msg, c->msg, strlen(c->msg)) == 0);
		CHECK_STR_EQ(err.file, "/etc/ew.yaml");
		CHECK_INT_EQ(err.line, c->line);
		CHECK_INT_EQ(err.col, c->col);
		input_free(&in);
	}
	/* either group alone is enough */
	{
		const char *code_only[] = { "(?<code>\\d+)", NULL };
		const char *name_only[] = { "(?<name>[A-Z]\\w+)", NULL };

		matcher_destroy(make(code_only));
		matcher_destroy(make(name_only));
		matcher_destroy(NULL);
	}
}

int
main(void)
{
	test_scan_cases();
	test_needles();
	test_generated();
	test_through_lines();
	test_bad_patterns();
	CHECK_DONE();
}
