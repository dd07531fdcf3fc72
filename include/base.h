/*
 * base: what every module needs and nothing else: the error carrier
 * (struct ew_err), exit statuses, allocation that never returns NULL,
 * a growable byte buffer with its JSON and number writers, the decimal
 * parser, the two clocks, and container_of.
 */
#ifndef EW_BASE_H
#define EW_BASE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, SPEC §2. Only main picks one. */
enum ew_exit {
	EW_EX_OK = 0,
	EW_EX_FAIL = 1,
	EW_EX_USAGE = 64,
	EW_EX_UNAVAILABLE = 69,
	EW_EX_CONFIG = 78,
};

#define EW_ERR_MSG	512
#define EW_ERR_FILE	256

/* Why something failed, and where: file, 1-based line and column (0 when
 * not known). Filled by constructors that return NULL. */
struct ew_err {
	char	file[EW_ERR_FILE];
	int	line;
	int	col;
	char	msg[EW_ERR_MSG];
};

#define EW_PRINTF(f, a)	__attribute__((format(printf, f, a)))

/* Sets err (NULL err: no-op). file may be NULL. Keeps the first error:
 * a second call on a filled err does nothing, so the root cause wins. */
void	 ew_err_set(struct ew_err *err, const char *file, int line, int col,
	    const char *fmt, ...) EW_PRINTF(5, 6);
void	 ew_err_clear(struct ew_err *err);
/* "file:line:col: msg", dropping the parts that are unknown. */
void	 ew_err_format(const struct ew_err *err, char *buf, size_t len);

/* Out of memory is fatal: these log the size and abort. */
void	*xmalloc(size_t size);
void	*xcalloc(size_t n, size_t size);
void	*xrealloc(void *p, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* Formats into a fresh string. */
char	*xasprintf(const char *fmt, ...) EW_PRINTF(1, 2);

/* A growable byte buffer; always NUL-terminated after its len bytes. */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void	 buf_reserve(struct buf *b, size_t extra);
void	 buf_append(struct buf *b, const void *data, size_t len);
void	 buf_puts(struct buf *b, const char *s);
void	 buf_printf(struct buf *b, const char *fmt, ...) EW_PRINTF(2, 3);
/* Appends the bytes s as a JSON string literal, quotes included. Valid
 * UTF-8 is kept as it is; '"', '\\', control bytes and DEL are escaped,
 * and so are '<', '>', '&', U+2028 and U+2029, so the literal is safe
 * inside an HTML <script> too; every byte that is not part of valid UTF-8
 * becomes U+FFFD. Any bytes give valid JSON. */
void	 buf_json_str(struct buf *b, const char *s, size_t len);
/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 when the
 * bytes there are not one: overlong forms, surrogates and code points
 * past U+10FFFF are invalid. The one UTF-8 check of the tree. */
size_t	 ew_utf8_len(const void *p, size_t n);
/* Appends v as a person writes it (SPEC §7): a whole number without a
 * decimal point ("10"), any other with at most 3 decimals and no trailing
 * zeros ("48.1", "0.001"); NaN and infinities as "0". */
void	 buf_num(struct buf *b, double v);
void	 buf_reset(struct buf *b);
void	 buf_free(struct buf *b);

/* Reads the run of decimal digits at the start of the n bytes at p (n may
 * be SIZE_MAX for a NUL-terminated string: NUL is not a digit). Returns
 * the number of bytes taken, 0 when p does not start with a digit or the
 * value exceeds max (then *out is unchanged). No sign, no blank. Callers
 * that want the whole span check the result against n. */
size_t	 ew_parse_dec(const char *p, size_t n, uint64_t max, uint64_t *out);

/* The two clocks (SPEC §6). Durations (time-outs, rotate_wait, alert
 * windows) run on the monotonic clock, which libuv's uv_now also reads;
 * the wall clock only names buckets and stamps events. */
uint64_t ew_mono_ms(void);	/* CLOCK_MONOTONIC, ms */
uint64_t ew_wall_ms(void);	/* CLOCK_REALTIME, ms since the epoch */

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define EW_MIN(a, b)	((a) < (b) ? (a) : (b))
#define EW_MAX(a, b)	((a) > (b) ? (a) : (b))

#endif
