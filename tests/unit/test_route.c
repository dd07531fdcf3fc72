/*
 * test_route: methods, paths and series queries to routes or refusals,
 * one row each.
 */
#include <string.h>

#include "base.h"
#include "check.h"
#include "config.h"
#include "route.h"

static const struct {
	const char	*method;
	const char	*path;
	unsigned	 status;
	int		 kind;
	const char	*name;
} paths[] = {
	{ "GET", "/", 0, ROUTE_FLEET, NULL },
	{ "HEAD", "/", 0, ROUTE_FLEET, NULL },
	{ "POST", "/", 405, 0, NULL },
	{ "DELETE", "/api/v1/totals", 405, 0, NULL },
	{ "GET", "/class/Punishment", 0, ROUTE_CLASS, "Punishment" },
	{ "GET", "/host/web-01", 0, ROUTE_HOST, "web-01" },
	{ "GET", "/host/<img>", 0, ROUTE_HOST, "<img>" },
	{ "GET", "/class/", 404, 0, NULL },
	{ "GET", "/class/a/b", 404, 0, NULL },
	{ "GET", "/api/v1/totals", 0, ROUTE_API_TOTALS, NULL },
	{ "GET", "/api/v1/series", 0, ROUTE_API_SERIES, NULL },
	{ "GET", "/api/v1/alerts", 0, ROUTE_API_ALERTS, NULL },
	{ "GET", "/api/v1/hosts", 0, ROUTE_API_HOSTS, NULL },
	{ "GET", "/api/v1/classes", 0, ROUTE_API_CLASSES, NULL },
	{ "GET", "/api/v1/class/Success", 0, ROUTE_API_CLASS, "Success" },
	{ "GET", "/api/v1/host/h", 0, ROUTE_API_HOST, "h" },
	{ "GET", "/metrics", 0, ROUTE_METRICS, NULL },
	{ "GET", "/healthz", 0, ROUTE_HEALTHZ, NULL },
	{ "GET", "/static/errwatch.js", 0, ROUTE_STATIC, "errwatch.js" },
	{ "GET", "/javascript/dygraphs/dygraph.min.js", 0, ROUTE_DYGRAPHS,
	    "dygraph.min.js" },
	{ "GET", "/static/.hidden", 400, 0, NULL },
	{ "GET", "/static/a b", 400, 0, NULL },
	{ "GET", "/static/../etc/passwd", 400, 0, NULL },
	{ "GET", "/static/..", 400, 0, NULL },
	{ "GET", "/./metrics", 400, 0, NULL },
	{ "GET", "/host/..", 400, 0, NULL },
	{ "GET", "/host/a\x01", 400, 0, NULL },
	{ "GET", "/nope", 404, 0, NULL },
	{ "GET", "", 400, 0, NULL },
	{ "GET", "x", 400, 0, NULL },
};

static const struct config_bucket buckets[] = {
	{ 10000, 21600000, "10s" },
	{ 60000, 172800000, "1m" },
	{ 3600000, 7776000000ULL, "1h" },
};

static const struct {
	const char	*res, *from, *to;
	unsigned	 status;
	size_t		 bucket;
	uint64_t	 from_ms, to_ms;
} series[] = {
	{ "10s", NULL, NULL, 0, 0, 1696400000000ULL, 1696403600000ULL },
	{ "1m", "1000", "2000", 0, 1, 1000, 2000 },
	{ "1h", "0", "7776000000", 0, 2, 0, 7776000000ULL },
	{ "5s", NULL, NULL, 400, 0, 0, 0 },
	{ NULL, NULL, NULL, 400, 0, 0, 0 },
	{ "10s", "x", NULL, 400, 0, 0, 0 },
	{ "10s", "-1", NULL, 400, 0, 0, 0 },
	{ "10s", "12345678901234567", NULL, 400, 0, 0, 0 },
	{ "10s", "2000", "1000", 400, 0, 0, 0 },
	{ "10s", "0", "100010000", 400, 0, 0, 0 },	/* 10001 points */
	{ "10s", "0", "100000000", 0, 0, 0, 100000000 },
};

int
main(void)
{
	struct route r;
	const char *why;
	char long_path[ROUTE_PATH_MAX + 2];
	size_t i, b;
	uint64_t from, to;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		why = NULL;
		CHECK_UINT_EQ(route_parse(paths[i].method, paths[i].path, &r,
		    &why), paths[i].status);
		if (paths[i].status != 0) {
			CHECK(why != NULL);
			continue;
		}
		CHECK_INT_EQ(r.kind, paths[i].kind);
		if (paths[i].name == NULL)
			CHECK(r.name == NULL);
		else
			CHECK_MEM_EQ(r.name, r.len, paths[i].name,
			    strlen(paths[i].name));
	}
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	CHECK_UINT_EQ(route_parse("GET", long_path, &r, &why), 400);
	for (i = 0; i < ARRAY_SIZE(series); i++) {
		why = NULL;
		CHECK_UINT_EQ(route_series(series[i].res, series[i].from,
		    series[i].to, buckets, ARRAY_SIZE(buckets),
		    1696403600000ULL, &b, &from, &to, &why),
		    series[i].status);
		if (series[i].status != 0) {
			CHECK(why != NULL);
			continue;
		}
		CHECK_UINT_EQ(b, series[i].bucket);
		CHECK_UINT_EQ(from, series[i].from_ms);
		CHECK_UINT_EQ(to, series[i].to_ms);
	}
	CHECK_DONE();
}
