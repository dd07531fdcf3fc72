/*
 * lines: a byte stream in arbitrary chunks to blocks of whole lines. The
 * bytes after the last newline are held (at most max_line of them; the
 * rest of an overlong line is skipped, never buffered) until the newline
 * comes. Core module, one per followed stream.
 */
#ifndef EW_LINES_H
#define EW_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lines;

/* Whole lines, each ending in '\n'. Borrowed: valid until the callback
 * returns. A held line that was longer than max_line arrives cut to
 * max_line bytes plus its '\n'. */
typedef void lines_block_fn(void *arg, const char *buf, size_t len);

struct lines	*lines_create(size_t max_line);
void		 lines_destroy(struct lines *l);

/* Feeds len bytes. Calls block at most twice: once for the held line the
 * chunk completes, once for the run of whole lines inside the chunk
 * (passed straight from buf, not copied). */
void		 lines_feed(struct lines *l, const char *buf, size_t len,
		    lines_block_fn *block, void *arg);
/* End of stream: the held partial line, if any, counts as a line (passed
 * with a '\n' appended). */
void		 lines_flush(struct lines *l, lines_block_fn *block,
		    void *arg);
/* Raw bytes after the last newline (what the stream offset must not yet
 * cover), including skipped bytes of an overlong line. */
uint64_t	 lines_pending(const struct lines *l);
/* Drops the held partial line (after a truncation or a seek). */
void		 lines_reset(struct lines *l);
/* Overlong lines completed through the held path so far (lines that are
 * whole inside one chunk are counted by matcher_scan instead). */
uint64_t	 lines_long_count(const struct lines *l);

#endif
