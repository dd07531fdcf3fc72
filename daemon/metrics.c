/*
 * metrics: the exposition of SPEC §14. Fleet counters per class, per host
 * and class, the alerts firing, heartbeat ages and the unclassified
 * total, each family with its HELP and TYPE. It reads a fleet snapshot;
 * the label escaping is the format's, here and nowhere else.
 */
#include <inttypes.h>
#include <string.h>

#include "base.h"
#include "snapshot.h"
#include "html.h"
#include "metrics.h"

void
metrics_label(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = ew_utf8_len(p + i, len - i);
		if (n == 0) {
			buf_puts(b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (p[i] == '\\')
			buf_puts(b, "\\\\");
		else if (p[i] == '"')
			buf_puts(b, "\\\"");
		else if (p[i] == '\n')
			buf_puts(b, "\\n");
		else
			buf_append(b, p + i, n);
		i += n;
	}
}

static void
label(struct buf *b, const char *name, const struct snapshot_str *v, int more)
{
	buf_printf(b, "%s=\"", name);
	metrics_label(b, v->p, v->len);
	buf_puts(b, more ? "\"," : "\"");
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
metrics_render(struct buf *b, const struct snapshot *f)
{
	const struct snapshot_class *c;
	const struct snapshot_host *h;
	const struct snapshot_alert *a;
	size_t i, j;

	family(b, "errwatch_lines_total", "counter",
	    "Lines counted per class, all hosts (P count:total).");
	for (i = 0; i < f->nclasses; i++) {
		c = &f->classes[i];
		buf_puts(b, "errwatch_lines_total{");
		label(b, "class", &c->name, 1);
		label(b, "code", &c->code, 1);
		label(b, "category", &c->category, 0);
		buf_printf(b, "} %" PRIu64 "\n", c->total);
	}
	family(b, "errwatch_host_lines_total", "counter",
	    "Lines counted per host and class.");
	for (i = 0; i < f->nhosts; i++) {
		h = &f->hosts[i];
		for (j = 0; j < h->ncounts; j++) {
			buf_puts(b, "errwatch_host_lines_total{");
			label(b, "host", &h->name, 1);
			label(b, "class", &h->counts[j].key, 0);
			buf_printf(b, "} %" PRIu64 "\n", h->counts[j].n);
		}
	}
	family(b, "errwatch_alerts_firing", "gauge",
	    "1 for each alert firing now (P alerts:active).");
	for (i = 0; i < f->nactive; i++) {
		a = &f->active[i];
		buf_puts(b, "errwatch_alerts_firing{");
		label(b, "class", &a->name, 1);
		label(b, "host", &a->host, 1);
		label(b, "severity", &a->severity, 0);
		buf_puts(b, "} 1\n");
	}
	family(b, "errwatch_host_heartbeat_age_seconds", "gauge",
	    "Seconds since the host's last flush to Redis.");
	for (i = 0; i < f->nhosts; i++) {
		h = &f->hosts[i];
		buf_puts(b, "errwatch_host_heartbeat_age_seconds{");
		label(b, "host", &h->name, 0);
		buf_printf(b, "} %" PRIu64 "\n", snapshot_host_age_s(f, h));
	}
	family(b, "errwatch_unclassified_total", "counter",
	    "Lines whose code or name is not in the table.");
	buf_printf(b, "errwatch_unclassified_total %" PRIu64 "\n",
	    f->uncl_total);
}
