/*
 * api: the JSON answers of SPEC §14's /api/v1, rendered from a fleet
 * snapshot. Core. Every string goes through buf_json_str, so any bytes
 * from a log line give valid JSON that is also safe inside HTML.
 */
#ifndef EW_API_H
#define EW_API_H

#include <stddef.h>

struct buf;
struct snapshot;

/* Each appends one JSON document and a newline. */
void	 api_totals(struct buf *b, const struct snapshot *f);
void	 api_classes(struct buf *b, const struct snapshot *f);
void	 api_alerts(struct buf *b, const struct snapshot *f);
void	 api_hosts(struct buf *b, const struct snapshot *f);
void	 api_class(struct buf *b, const struct snapshot *f, const char *name,
	    size_t len);
void	 api_host(struct buf *b, const struct snapshot *f, const char *name,
	    size_t len);
/* The series points of f: {"res","from","to","classes":[...],
 * "points":[[ts_ms,n,...],...]}; from and to in unix ms. */
void	 api_series(struct buf *b, const struct snapshot *f,
	    unsigned long long from, unsigned long long to);
/* {"error": reason}. */
void	 api_error(struct buf *b, const char *reason);

#endif
