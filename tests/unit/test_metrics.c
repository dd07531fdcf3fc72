/*
 * test_metrics: label escaping of the exposition format, and one whole
 * exposition of a small fleet, as exact strings.
 */
#include <string.h>

#include "base.h"
#include "check.h"
#include "snapshot.h"
#include "metrics.h"

static const struct {
	const char	*in;
	size_t		 len;
	const char	*out;
} labels[] = {
	{ "web-01", 6, "web-01" },
	{ "a\"b", 3, "a\\\"b" },
	{ "back\\slash", 10, "back\\\\slash" },
	{ "two\nlines", 9, "two\\nlines" },
	{ "<img src=x onerror=alert(1)>", 28, "<img src=x onerror=alert(1)>" },
	{ "</script>", 9, "</script>" },
	{ "\xff" "x", 2, "\xef\xbf\xbdx" },		/* invalid UTF-8 */
	{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
	{ "\x01", 1, "\x01" },		/* the format allows it, quoted */
};

static const char want[] =
    "# HELP errwatch_lines_total Lines counted per class, all hosts "
    "(P count:total).\n"
    "# TYPE errwatch_lines_total counter\n"
    "errwatch_lines_total{class=\"Punishment\",code=\"461\","
    "category=\"account\"} 30\n"
    "# HELP errwatch_host_lines_total Lines counted per host and class.\n"
    "# TYPE errwatch_host_lines_total counter\n"
    "errwatch_host_lines_total{host=\"h\\\"1\\n\",class=\"Punishment\"} 30\n"
    "# HELP errwatch_alerts_firing 1 for each alert firing now "
    "(P alerts:active).\n"
    "# TYPE errwatch_alerts_firing gauge\n"
    "errwatch_alerts_firing{class=\"Punishment\",host=\"h\\\"1\\n\","
    "severity=\"critical\"} 1\n"
    "# HELP errwatch_host_heartbeat_age_seconds Seconds since the host's "
    "last flush to Redis.\n"
    "# TYPE errwatch_host_heartbeat_age_seconds gauge\n"
    "errwatch_host_heartbeat_age_seconds{host=\"h\\\"1\\n\"} 7\n"
    "# HELP errwatch_unclassified_total Lines whose code or name is not in "
    "the table.\n"
    "# TYPE errwatch_unclassified_total counter\n"
    "errwatch_unclassified_total 4\n";

int
main(void)
{
	struct buf b = { NULL, 0, 0 };
	struct snapshot *f;
	struct snapshot_kv kv;
	static const char code[] = "{\"code\":461,\"name\":\"Punishment\","
	    "\"category\":\"account\",\"description\":\"d\"}";
	static const char alert[] = "{\"event\":\"firing\",\"name\":"
	    "\"Punishment\",\"host\":\"h\\\"1\\n\",\"severity\":\"critical\","
	    "\"count\":30,\"threshold\":20,\"ts\":1700000000000}";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(labels); i++) {
		buf_reset(&b);
		metrics_label(&b, labels[i].in, labels[i].len);
		CHECK_MEM_EQ(b.p, b.len, labels[i].out,
		    strlen(labels[i].out));
	}
	f = snapshot_create(1700000007000ULL, 60);
	kv = (struct snapshot_kv){ "Punishment", 10, code, sizeof(code) - 1 };
	snapshot_add_codes(f, &kv, 1);
	kv = (struct snapshot_kv){ "Punishment", 10, "30", 2 };
	snapshot_add_totals(f, &kv, 1);
	kv = (struct snapshot_kv){ "h\"1\n", 4, "1700000000", 10 };
	snapshot_add_hosts(f, &kv, 1);
	kv = (struct snapshot_kv){ "Punishment", 10, "30", 2 };
	snapshot_add_host_counts(f, 0, &kv, 1);
	kv = (struct snapshot_kv){ "Punishment@h\"1\n", 15, alert,
	    sizeof(alert) - 1 };
	snapshot_add_active(f, &kv, 1);
	kv = (struct snapshot_kv){ "12345", 5, "4", 1 };
	snapshot_add_uncl(f, &kv, 1);
	snapshot_finish(f);
	buf_reset(&b);
	metrics_render(&b, f);
	CHECK_STR_EQ(b.p, want);
	snapshot_destroy(f);
	buf_free(&b);
	CHECK_DONE();
}
