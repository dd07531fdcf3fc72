/*
 * test_html: the escaper, the path-segment encoder and the pages' treatment
 * of hostile values, as exact strings.
 */
#include <stdbool.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "snapshot.h"
#include "html.h"

#define HOSTILE "<img src=x onerror=alert(1)>"

static const struct {
	const char	*in;
	size_t		 len;
	const char	*out;
} escs[] = {
	{ "plain", 5, "plain" },
	{ HOSTILE, sizeof(HOSTILE) - 1,
	    "&lt;img src=x onerror=alert(1)&gt;" },
	{ "</script>", 9, "&lt;/script&gt;" },
	{ "a\"b'c&d", 7, "a&quot;b&#39;c&amp;d" },
	{ "back\\slash", 10, "back\\slash" },
	{ "nl\ntab\t", 7, "nl\ntab\t" },
	{ "cr\r\x01\x7f", 5, "cr\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "nul\0x", 5, "nul\xef\xbf\xbdx" },
	{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },		/* valid UTF-8 kept */
	{ "\xff\xfe", 2, "\xef\xbf\xbd\xef\xbf\xbd" },	/* invalid */
	{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong '/' */
	{ "\xed\xa0\x80", 3,				/* a surrogate */
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd" },	/* cut short */
	{ "\xf0\x9f\x94\xa5", 4, "\xf0\x9f\x94\xa5" },	/* 4 bytes */
};

static const struct {
	const char	*in;
	const char	*out;
} segs[] = {
	{ "Punishment", "Punishment" },
	{ "web-01.example_x~", "web-01.example_x~" },
	{ "a/b", "a%2Fb" },
	{ "../x", "..%2Fx" },
	{ HOSTILE, "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E" },
	{ "\"\n", "%22%0A" },
};

static bool
has(const struct buf *b, const char *s)
{
	return strstr(b->p, s) != NULL;
}

int
main(void)
{
	struct buf b = { NULL, 0, 0 };
	struct html_opts o = { 5000, NULL };
	struct snapshot *f;
	struct snapshot_kv kv[2];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(escs); i++) {
		buf_reset(&b);
		html_esc(&b, escs[i].in, escs[i].len);
		CHECK_MEM_EQ(b.p, b.len, escs[i].out, strlen(escs[i].out));
	}
	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		buf_reset(&b);
		html_url_seg(&b, segs[i].in, strlen(segs[i].in));
		CHECK_STR_EQ(b.p, segs[i].out);
	}

	/* A hostile host and unclassified value: text, never markup. */
	f = snapshot_create(1700000060000ULL, 60);
	kv[0] = (struct snapshot_kv){ HOSTILE "</script>", 37, "1700000000", 10 };
	snapshot_add_hosts(f, kv, 1);
	kv[0] = (struct snapshot_kv){ "\"onmouseover=x", 14, "3", 1 };
	snapshot_add_uncl(f, kv, 1);
	kv[0] = (struct snapshot_kv){ "Punishment", 10, "30", 2 };
	kv[1] = (struct snapshot_kv){ "Success", 7, "12", 2 };
	snapshot_add_totals(f, kv, 2);
	snapshot_finish(f);
	buf_reset(&b);
	html_fleet(&b, f, &o);
	CHECK(!has(&b, "<img"));
	CHECK(!has(&b, "</script></a>"));
	CHECK(has(&b, "<a href=\"/host/%3Cimg%20src%3Dx%20onerror%3Dalert%28"
	    "1%29%3E%3C%2Fscript%3E\">&lt;img src=x onerror=alert(1)&gt;"
	    "&lt;/script&gt;</a>"));
	CHECK(has(&b, "<tr><td>&quot;onmouseover=x</td><td class=\"n\">3"
	    "</td></tr>"));
	CHECK(has(&b, "<tr><td><a href=\"/class/Punishment\">Punishment</a>"
	    "</td><td></td><td></td><td class=\"n w0\">0</td>"
	    "<td class=\"n w1\">0</td><td class=\"n w2\">0</td>"
	    "<td class=\"n total\">30</td></tr>"));
	CHECK(has(&b, "<h2>Unclassified: 3</h2>"));
	CHECK(has(&b, "<p class=\"calm\">Nothing is firing.</p>"));
	/* heartbeat 60 s old: not yet silent */
	CHECK(has(&b, "<h2>Hosts: 1</h2>"));
	CHECK(has(&b, "data-refresh=\"5000\""));
	CHECK(!has(&b, "<script>"));	/* no inline script, ever */
	snapshot_destroy(f);

	/* Redis down: the page says so. */
	f = snapshot_create(0, 60);
	o.redis_error = "connection refused";
	buf_reset(&b);
	html_host(&b, f, "h<1>", 4, &o);
	CHECK(has(&b, "<p class=\"down\">Redis is unreachable (connection "
	    "refused)"));
	CHECK(has(&b, "<title>h&lt;1&gt; - errwatch</title>"));
	CHECK(has(&b, "Redis holds no heartbeat of this host."));
	snapshot_destroy(f);

	buf_reset(&b);
	html_error(&b, 404, "no such page");
	CHECK(has(&b, "<h1>404</h1><p>no such page</p>"));
	buf_free(&b);
	CHECK_DONE();
}
