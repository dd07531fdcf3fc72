/*
 * route: a request's method, path and query values to what errwatch-web
 * answers (SPEC §14), or to the status and reason of a refusal. Core: the
 * shell hands in what libmicrohttpd decoded; nothing here touches a
 * socket or a file. Bounds: a path of at most ROUTE_PATH_MAX bytes, a name
 * of at most ROUTE_NAME_MAX, no control byte, no "." or ".." segment.
 */
#ifndef EW_ROUTE_H
#define EW_ROUTE_H

#include <stddef.h>
#include <stdint.h>

struct config_bucket;

#define ROUTE_PATH_MAX		1024	/* bytes, decoded */
#define ROUTE_NAME_MAX		256	/* a class, a host or a file name */
#define ROUTE_SERIES_POINTS	10000	/* most points one series answer */

enum route_kind {
	ROUTE_FLEET,		/* / */
	ROUTE_CLASS,		/* /class/<name> */
	ROUTE_HOST,		/* /host/<host> */
	ROUTE_API_TOTALS,
	ROUTE_API_SERIES,
	ROUTE_API_ALERTS,
	ROUTE_API_HOSTS,
	ROUTE_API_CLASSES,
	ROUTE_API_CLASS,
	ROUTE_API_HOST,
	ROUTE_METRICS,
	ROUTE_HEALTHZ,
	ROUTE_STATIC,		/* /static/<file>: from web.assets */
	ROUTE_DYGRAPHS,		/* /javascript/dygraphs/<file> */
};

struct route {
	enum route_kind	 kind;
	const char	*name;	/* class, host or file: points into the
				 * path given; NULL for the others */
	size_t		 len;
};

/* Parses method and path (decoded, without the query). Returns 0 and
 * fills *out, or the HTTP status of the refusal (400, 404 or 405) with
 * *why set to a static reason. */
unsigned	 route_parse(const char *method, const char *path,
		    struct route *out, const char **why);

/* A series query: res (one of buckets' names), from and to (unix ms;
 * NULL: to = now_ms, from = to - 1 h). Returns 0 with the bucket index,
 * from and to filled, or 400 with *why: an unknown res, a value that is
 * not a number, from not before to, or more than ROUTE_SERIES_POINTS
 * points. */
unsigned	 route_series(const char *res, const char *from,
		    const char *to, const struct config_bucket *buckets,
		    size_t nbuckets, uint64_t now_ms, size_t *bucket,
		    uint64_t *from_ms, uint64_t *to_ms, const char **why);

#endif
