/*
 * route: which answer a request gets (SPEC §14). GET and HEAD only; the
 * path is bounded, free of control bytes and of "." and ".." segments
 * (so no file outside web.assets can be named, whatever the encoding:
 * libmicrohttpd has decoded it before), and a name (class, host, file)
 * is one non-empty segment. Series queries are checked here too, so the
 * work of one request is bounded by the range asked.
 */
#include <stdbool.h>
#include <string.h>

#include "base.h"
#include "config.h"
#include "route.h"

static const struct {
	const char	*path;
	enum route_kind	 kind;
	bool		 named;	/* a name follows the prefix */
} routes[] = {
	{ "/", ROUTE_FLEET, false },
	{ "/class/", ROUTE_CLASS, true },
	{ "/host/", ROUTE_HOST, true },
	{ "/api/v1/totals", ROUTE_API_TOTALS, false },
	{ "/api/v1/series", ROUTE_API_SERIES, false },
	{ "/api/v1/alerts", ROUTE_API_ALERTS, false },
	{ "/api/v1/hosts", ROUTE_API_HOSTS, false },
	{ "/api/v1/classes", ROUTE_API_CLASSES, false },
	{ "/api/v1/class/", ROUTE_API_CLASS, true },
	{ "/api/v1/host/", ROUTE_API_HOST, true },
	{ "/metrics", ROUTE_METRICS, false },
	{ "/healthz", ROUTE_HEALTHZ, false },
	{ "/static/", ROUTE_STATIC, true },
	{ "/javascript/dygraphs/", ROUTE_DYGRAPHS, true },
};

/* A "." or ".." segment anywhere, "/./", "/../", a final "/..". */
static bool
has_dot_segment(const char *p, size_t n)
{
	size_t i, start = 0, len;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		len = i - start;
		if ((len == 1 && p[start] == '.') ||
		    (len == 2 && p[start] == '.' && p[start + 1] == '.'))
			return true;
		start = i + 1;
	}
	return false;
}

static bool
file_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || p[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
		    p[i] == '-' || p[i] == '_'))
			return false;
	return true;
}

unsigned
route_parse(const char *method, const char *path, struct route *out,
    const char **why)
{
	size_t i, n, plen;
	const char *rest;

	memset(out, 0, sizeof(*out));
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		*why = "only GET and HEAD are served";
		return 405;
	}
	n = strnlen(path, ROUTE_PATH_MAX + 1);
	if (n > ROUTE_PATH_MAX) {
		*why = "the path is longer than 1024 bytes";
		return 400;
	}
	if (n == 0 || path[0] != '/') {
		*why = "the path must start with /";
		return 400;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f) {
			*why = "a control byte in the path";
			return 400;
		}
	if (has_dot_segment(path, n)) {
		*why = "a . or .. segment in the path";
		return 400;
	}
	for (i = 0; i < ARRAY_SIZE(routes); i++) {
		plen = strlen(routes[i].path);
		if (!routes[i].named) {
			if (n == plen && memcmp(path, routes[i].path, n) == 0)
				break;
			continue;
		}
		if (n <= plen || memcmp(path, routes[i].path, plen) != 0)
			continue;
		rest = path + plen;
		if (memchr(rest, '/', n - plen) != NULL ||
		    n - plen > ROUTE_NAME_MAX)
			continue;
		out->name = rest;
		out->len = n - plen;
		break;
	}
	if (i == ARRAY_SIZE(routes)) {
		*why = "no such page";
		return 404;
	}
	out->kind = routes[i].kind;
	if ((out->kind == ROUTE_STATIC || out->kind == ROUTE_DYGRAPHS) &&
	    !file_ok(out->name, out->len)) {
		*why = "not a file name";
		return 400;
	}
	return 0;
}

static bool
ms_value(const char *s, uint64_t *out)
{
	size_t n = strnlen(s, 20);

	return n > 0 && n <= 16 && s[n] == '\0' &&
	    ew_parse_dec(s, n, UINT64_MAX, out) == n;
}

unsigned
route_series(const char *res, const char *from, const char *to,
    const struct config_bucket *buckets, size_t nbuckets, uint64_t now_ms,
    size_t *bucket, uint64_t *from_ms, uint64_t *to_ms, const char **why)
{
	size_t i;

	for (i = 0; i < nbuckets; i++)
		if (res != NULL && strcmp(res, buckets[i].name) == 0)
			break;
	if (res == NULL || i == nbuckets) {
		*why = "res must name a bucket resolution such as 10s, 1m "
		    "or 1h";
		return 400;
	}
	*bucket = i;
	*to_ms = now_ms;
	if (to != NULL && !ms_value(to, to_ms)) {
		*why = "to must be unix milliseconds";
		return 400;
	}
	*from_ms = *to_ms > 3600000 ? *to_ms - 3600000 : 0;
	if (from != NULL && !ms_value(from, from_ms)) {
		*why = "from must be unix milliseconds";
		return 400;
	}
	if (*from_ms >= *to_ms) {
		*why = "from must be before to";
		return 400;
	}
	if ((*to_ms - *from_ms) / buckets[i].res_ms > ROUTE_SERIES_POINTS) {
		*why = "the range holds more than 10000 points at this res";
		return 400;
	}
	return 0;
}
