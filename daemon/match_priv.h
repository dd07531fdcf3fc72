/*
 * match_priv.h: what the three files of the match module share, and no
 * one else includes. match.c compiles the patterns and scans blocks;
 * match_needle.c finds a pattern's needle (its literal prefix) and what
 * may follow it; match_simd.c holds the kernels that count newlines and
 * search for a needle, picked at run time for the CPU. include/match.h
 * stays the module's public face.
 */
#ifndef EW_MATCH_PRIV_H
#define EW_MATCH_PRIV_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8	/* byte mode, as in match.c */
#endif

#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CHUNK		128		/* bytes per newline count step */
#define NO_HIT		SIZE_MAX	/* hit_ls: no more in the window */
#define NEEDLE_MAX	32		/* bytes of a needle kept */

/* A newline-count kernel: see chunks_sse2() in match_simd.c. */
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

/* A needle search kernel: see "The needle kernels" in match_simd.c. */
typedef size_t find_fn(const struct needle *nd, const char *buf, size_t i,
    size_t end);

/* A word byte for \b: PCRE2's default tables, byte mode, no UCP. */
static inline bool
is_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z') || c == '_';
}

/* The first and last 8, 4 or 2 bytes of p[0, n), 2 <= n <= 16: together
 * they cover it. */
static inline void
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

/* match_simd.c: the widest newline-count and needle search kernels this
 * CPU runs. They allocate nothing and keep no state. */
chunks_fn	*match_pick_chunks(void);
find_fn		*match_pick_find(void);

/* match_needle.c. Fills *nd from pattern by the needle rule; nd->len 0:
 * no needle. */
void		 needle_init(struct needle *nd, const char *pattern);
/* Fills nd->next (and sets nd->has_next) from PCRE2's start-of-match
 * analysis of the pattern after the needle, compiled with cc; leaves it
 * unknown when that analysis says nothing. Call after needle_init() on a
 * pattern with a needle. */
void		 needle_next(struct needle *nd, const char *pattern,
		    pcre2_compile_context *cc);

#endif
