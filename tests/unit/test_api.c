/*
 * test_api: the JSON answers of a small fleet with hostile values, as
 * exact strings (buf_json_str keeps them valid and HTML-safe).
 */
#include <string.h>

#include "api.h"
#include "base.h"
#include "check.h"
#include "snapshot.h"

static struct snapshot *
small(void)
{
	struct snapshot *f = snapshot_create(1700000010000ULL, 60);
	struct snapshot_kv kv;
	static const char alert[] = "{\"event\":\"firing\",\"id\":\"h:1:0\","
	    "\"name\":\"Punishment\",\"host\":\"h\",\"severity\":\"critical\","
	    "\"rule\":\"static\",\"count\":30,\"threshold\":20,"
	    "\"ts\":1700000000000}";
	static const char evil[] = "<img src=x onerror=alert(1)>\"\\\n\x01\xff";

	kv = (struct snapshot_kv){ "Punishment", 10, "30", 2 };
	snapshot_add_totals(f, &kv, 1);
	snapshot_add_window(f, 0, &kv, 1);
	kv = (struct snapshot_kv){ "h", 1, "1700000000", 10 };
	snapshot_add_hosts(f, &kv, 1);
	kv = (struct snapshot_kv){ evil, sizeof(evil) - 1, "1", 1 };
	snapshot_add_host_counts(f, 0, &kv, 1);
	kv = (struct snapshot_kv){ "Punishment@h", 12, alert, sizeof(alert) - 1 };
	snapshot_add_active(f, &kv, 1);
	kv = (struct snapshot_kv){ evil, sizeof(evil) - 1, "3", 1 };
	snapshot_add_uncl(f, &kv, 1);
	snapshot_finish(f);
	return f;
}

#define EVIL_JSON "\"\\u003cimg src=x onerror=alert(1)\\u003e\\\"\\\\\\u000a" \
	"\\u0001\\ufffd\""

static const struct {
	void		(*fn)(struct buf *, const struct snapshot *);
	const char	*want;
} cases[] = {
	{ api_totals, "{\"ts\":1700000010000,\"classes\":[{\"name\":"
	    "\"Punishment\",\"code\":\"\",\"category\":\"\",\"description\":"
	    "\"\",\"last_10m\":30,\"last_1h\":0,\"last_24h\":0,\"total\":30}],"
	    "\"unclassified_total\":3,\"unclassified\":{" EVIL_JSON ":3}}\n" },
	{ api_hosts, "{\"ts\":1700000010000,\"hosts\":[{\"host\":\"h\","
	    "\"heartbeat_age_s\":10,\"silent\":false,\"lines_per_s\":0,"
	    "\"top\":[{\"class\":" EVIL_JSON ",\"count\":1}]}]}\n" },
	{ api_alerts, "{\"ts\":1700000010000,\"active\":[{\"event\":"
	    "\"firing\",\"id\":\"h:1:0\",\"class\":\"Punishment\",\"host\":"
	    "\"h\",\"severity\":\"critical\",\"rule\":\"static\",\"count\":30,"
	    "\"threshold\":20,\"ts\":1700000000000,\"age_s\":10}],"
	    "\"recent\":[]}\n" },
};

int
main(void)
{
	struct buf b = { NULL, 0, 0 };
	struct snapshot *f = small();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_reset(&b);
		cases[i].fn(&b, f);
		CHECK_STR_EQ(b.p, cases[i].want);
	}
	buf_reset(&b);
	api_class(&b, f, "Punishment", 10);
	CHECK(strncmp(b.p, "{\"class\":{\"name\":\"Punishment\"", 29) == 0);
	CHECK(strstr(b.p, "\"hosts\":{}") != NULL);
	buf_reset(&b);
	api_host(&b, f, "nope", 4);
	CHECK(strncmp(b.p, "{\"host\":null,\"active\":[],\"recent\":[]}",
	    37) == 0);
	buf_reset(&b);
	api_error(&b, "from must be before to");
	CHECK_STR_EQ(b.p, "{\"error\":\"from must be before to\"}\n");
	snapshot_destroy(f);
	buf_free(&b);
	CHECK_DONE();
}
