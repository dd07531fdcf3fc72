/*
 * amapi: an alert event of P alerts (SPEC §7) as the delivery targets
 * take it (SPEC §13): Alertmanager API v2 alert objects (labels,
 * annotations, startsAt, endsAt, generatorURL) and the webhook body (the
 * event's JSON, numbers as numbers). Core: no I/O, no clock; times come
 * in as arguments.
 */
#ifndef EW_AMAPI_H
#define EW_AMAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct amapi_event;		/* one alert event, fields copied */

#define AMAPI_MAX_FIELDS	32	/* fields of one event, at most */

/* The links of SPEC §13, templates with {name} {code} {category} {host}
 * (values URL-escaped); "" or NULL: not set. Borrowed for the call. */
struct amapi_links {
	const char	*runbook_url;
	const char	*dashboard_url;
};

/* An event from a stream entry's n fields and values (fields[i] is
 * lens[2i] bytes, ... in XRANGE order: field, value, field, value). The
 * bytes are copied. Returns NULL when the entry is not a valid event
 * (event not firing or resolved, name or host empty, ts not a whole
 * number, a number field that is not a number), with why filled (a
 * static string). */
struct amapi_event *amapi_event_parse(const char *const *kv,
		    const size_t *lens, size_t n, const char **why);
/* An event from its JSON (a P alerts:active value): a flat object of
 * strings, numbers and null. Same rules and return as above. */
struct amapi_event *amapi_event_from_json(const char *json, size_t len,
		    const char **why);
/* NULL: no-op. */
void		 amapi_event_destroy(struct amapi_event *ev);
/* The value of field f, NUL-ended, or "" when the event lacks it;
 * valid as long as ev. */
const char	*amapi_event_get(const struct amapi_event *ev, const char *f);
bool		 amapi_event_is_firing(const struct amapi_event *ev);
uint64_t	 amapi_event_ts(const struct amapi_event *ev);	/* unix ms */
/* The alert it belongs to, "<name>@<host>" as in P alerts:active;
 * valid as long as ev. */
const char	*amapi_event_key(const struct amapi_event *ev);

/* Appends one Alertmanager API v2 alert object for ev: startsAt =
 * starts_ms, endsAt = ends_ms (unix ms, RFC 3339 in UTC). */
void		 amapi_alert(struct buf *out, const struct amapi_event *ev,
		    const struct amapi_links *l, uint64_t starts_ms,
		    uint64_t ends_ms);
/* Appends the event's JSON (SPEC §7): its fields in order, code,
 * window_s, count, baseline, threshold and ts as numbers (null stays
 * null). */
void		 amapi_webhook(struct buf *out, const struct amapi_event *ev);
/* Appends tmpl with {name} {code} {category} {host} replaced by the
 * event's values, URL-escaped (RFC 3986 unreserved bytes kept). */
void		 amapi_expand(struct buf *out, const char *tmpl,
		    const struct amapi_event *ev);
/* Appends ms since the epoch as RFC 3339 UTC with milliseconds. */
void		 amapi_rfc3339(struct buf *out, uint64_t ms);

#endif
