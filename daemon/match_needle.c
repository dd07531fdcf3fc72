/*
 * match_needle: a pattern's needle, the literal bytes every match of it
 * starts with, found by the conservative rule below, and the bytes that
 * may follow it (from PCRE2's own analysis). It reads pattern text only:
 * no subject, no matching, nothing kept past the call. match.c searches
 * for the needle with match_simd.c's kernels and runs the anchored
 * pattern where it starts. The rule may say "no needle" for a pattern
 * that has one; it never gives a needle that some match lacks.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "match.h"
#include "match_priv.h"

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

/* How common a byte is in log lines: 0 for the rarest. */
static size_t
byte_rank(unsigned char c)
{
	static const char common[] =
	    " \"e:,ta=o0in1sr2l_dc3u-p/4h5m6g7.8f9yvwbkTEZ{}";
	const char *q = c != 0 ? strchr(common, (char)c) : NULL;

	return q != NULL ? sizeof(common) - (size_t)(q - common) : 0;
}

void
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
 * The bytes that may follow p's needle in a match, from PCRE2's own
 * start-of-match analysis of the rest of the pattern compiled alone: its
 * first code unit or its start bitmap, when it cannot match empty. That
 * rest reads the same alone: the needle holds no group, and the rule
 * keeps out verbs, recursion and callouts; \K, which makes the minimum
 * length moot, leaves next[] unknown, as does anything unexpected.
 */
void
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
