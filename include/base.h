/*
 * base: what every module needs and nothing else: the error carrier
 * (struct ew_err), exit statuses, allocation that never returns NULL,
 * a growable byte buffer, and container_of.
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
/* Appends s as a JSON string literal, quotes included; bytes that are not
 * printable ASCII are written as \u00XX, so any bytes give valid JSON. */
void	 buf_json_str(struct buf *b, const char *s, size_t len);
void	 buf_reset(struct buf *b);
void	 buf_free(struct buf *b);

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define EW_MIN(a, b)	((a) < (b) ? (a) : (b))
#define EW_MAX(a, b)	((a) > (b) ? (a) : (b))

#endif
