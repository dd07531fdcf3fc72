/*
 * html: the dashboard's pages (SPEC §14) rendered from a fleet snapshot,
 * and the one HTML escaper. Core: a page is a function of the snapshot
 * and the options, written into a buf. Every value that came from Redis
 * (a class, a host, an unclassified value) goes through html_esc, so no
 * log line can open a tag or an attribute.
 */
#ifndef EW_HTML_H
#define EW_HTML_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct snapshot;

struct html_opts {
	uint64_t	 refresh_ms;	/* how often the page's script updates */
	const char	*redis_error;	/* NULL: Redis answered; else shown */
};

/* Appends s escaped for HTML text and quoted attribute values: & < > " '
 * become references, control bytes but \t and \n and every byte that is
 * not valid UTF-8 become U+FFFD. */
void	 html_esc(struct buf *b, const char *s, size_t len);
/* Appends s percent-encoded for one path segment (all but A-Z a-z 0-9
 * - . _ ~). */
void	 html_url_seg(struct buf *b, const char *s, size_t len);

/* The pages. Each appends a whole document. */
void	 html_fleet(struct buf *b, const struct snapshot *f,
	    const struct html_opts *o);
/* name: the class asked for (any bytes). */
void	 html_class(struct buf *b, const struct snapshot *f, const char *name,
	    size_t len, const struct html_opts *o);
void	 html_host(struct buf *b, const struct snapshot *f, const char *name,
	    size_t len, const struct html_opts *o);
/* A small page for an error: status and reason (reason: ASCII, ours). */
void	 html_error(struct buf *b, unsigned status, const char *reason);

#endif
