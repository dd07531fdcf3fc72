/*
 * metrics: /metrics, the Prometheus text exposition format 0.0.4 (SPEC
 * §14), rendered from a fleet snapshot. Core. Label values are escaped
 * as the format asks (\\, \", \n) and bytes that are not UTF-8 become
 * U+FFFD, so a log line can never break a sample or forge one.
 */
#ifndef EW_METRICS_H
#define EW_METRICS_H

#include <stddef.h>

struct buf;
struct snapshot;

/* Appends s as a label value, without the quotes. */
void	 metrics_label(struct buf *b, const char *s, size_t len);
/* Appends the whole exposition. */
void	 metrics_render(struct buf *b, const struct snapshot *f);

#endif
