/*
 * match: an input's PCRE2 patterns (JIT, byte mode) run over blocks of
 * whole lines. One JIT call searches a whole block; a hit is then checked
 * on its line alone, so a match never spans two lines whatever the pattern
 * (SPEC §5). First pattern that matches a line wins; each line counts at
 * most once. Core module: pcre2.h stays in the match files (match.c,
 * match_needle.c, match_simd.c and their private match_priv.h).
 */
#ifndef EW_MATCH_H
#define EW_MATCH_H

#include <stddef.h>
#include <stdint.h>

struct ew_err;
struct config_input;
struct matcher;

/* A matching line's code and name captures, borrowed until the callback
 * returns. A group that did not take part has len 0. */
typedef void match_hit_fn(void *arg, const char *code, size_t code_len,
    const char *name, size_t name_len);

struct match_stats {
	uint64_t lines;		/* lines seen */
	uint64_t matched;	/* lines that matched a pattern */
	uint64_t long_lines;	/* lines longer than max_line */
};

/* Compiles in->patterns (PCRE2_MULTILINE, byte mode, JIT). A pattern that
 * does not compile, or has neither a "code" nor a "name" group, fails
 * with err at the pattern's position in config_path and PCRE2's message
 * and offset. */
struct matcher	*matcher_create(const struct config_input *in,
		    const char *config_path, struct ew_err *err);
void		 matcher_destroy(struct matcher *m);

/* Scans buf[0..len): whole lines, each ending in '\n', except that the
 * last may lack it (a final line at end of input). "\r" before "\n" is
 * not part of the line. A line longer than max_line is matched on its
 * first max_line bytes. Calls hit once per matching line, in order, and
 * adds to st. Not thread-safe: one matcher per thread. */
void		 matcher_scan(struct matcher *m, const char *buf, size_t len,
		    size_t max_line, match_hit_fn *hit, void *arg,
		    struct match_stats *st);

/* The literal bytes that every match of pattern starts with, by the
 * conservative rule in match_needle.c that matcher_create uses: copies up
 * to cap of them to out and returns how many, or 0 when the rule finds
 * fewer than 2. Exposed for tests. */
size_t		 matcher_needle(const char *pattern, char *out, size_t cap);

#endif
