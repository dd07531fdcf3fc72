/*
 * deliver: what errwatch-alerts owes each target (SPEC §13), with no I/O:
 * the events read from P alerts, in stream order, each with its state per
 * target; which request each target is to get next (one at a time per
 * target, so the events of one alert reach it in stream order); the
 * per-target backoff (1 s doubling to 60 s); which events every target
 * has taken, so they may be acknowledged; and the re-send of firing and
 * recently resolved alerts to Alertmanager. Times come in as arguments:
 * mono_ms for backoff, wall_ms (unix ms) for endsAt and retention.
 */
#ifndef EW_DELIVER_H
#define EW_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amapi.h"

struct buf;
struct deliver;

#define DELIVER_BACKOFF_MIN_MS	1000
#define DELIVER_BACKOFF_MAX_MS	60000
#define DELIVER_BATCH_MAX	64	/* alerts in one Alertmanager POST */

enum deliver_kind {
	DELIVER_ALERTMANAGER,	/* POST /api/v2/alerts: an array of alerts */
	DELIVER_WEBHOOK,	/* POST the event's JSON, one per event */
};

enum deliver_outcome {
	DELIVER_OK,		/* 2xx: taken */
	DELIVER_REJECTED,	/* 4xx: never to be taken; done with */
	DELIVER_RETRY,		/* 5xx, time-out, refused: again later */
};

struct deliver_opts {
	size_t		 nalertmanager;	/* targets 0 .. nalertmanager - 1 */
	size_t		 nwebhooks;	/* then the webhooks */
	uint64_t	 resend_ms;
	uint64_t	 resolved_retention_ms;
	struct amapi_links links;	/* copied */
};

struct deliver	*deliver_create(const struct deliver_opts *o);
/* NULL: no-op. */
void		 deliver_destroy(struct deliver *d);
/* New targets (a reload): every event not yet taken by every old target
 * is owed to every new one; requests in flight are forgotten (their
 * deliver_done, with the old generation, is ignored). */
void		 deliver_reload(struct deliver *d,
		    const struct deliver_opts *o);
enum deliver_kind deliver_kind(const struct deliver *d, size_t target);
size_t		 deliver_ntargets(const struct deliver *d);
/* Bumped by deliver_reload. */
unsigned	 deliver_generation(const struct deliver *d);

/* An entry of P alerts, id "<ms>-<seq>", read or claimed. Takes ev
 * (NULL: not a valid event, to be acknowledged unsent). Entries are kept
 * in stream order, whatever order they come in. Returns 0, or -EEXIST
 * when id is held already (ev is then destroyed), -EINVAL when id is not
 * a stream id. */
int		 deliver_add(struct deliver *d, const char *id,
		    struct amapi_event *ev);
/* Entries held (not yet acknowledged). */
size_t		 deliver_held(const struct deliver *d);

/* The next request of target, when it is idle, out of backoff and owed
 * something: body is reset and filled, the events it carries are in
 * flight, and true is returned. */
bool		 deliver_next(struct deliver *d, size_t target,
		    uint64_t mono_ms, uint64_t wall_ms, struct buf *body);
/* The answer to target's request of generation gen. */
void		 deliver_done(struct deliver *d, size_t target, unsigned gen,
		    enum deliver_outcome oc, uint64_t mono_ms);
/* When target's backoff ends (mono ms); 0: not backing off. */
uint64_t	 deliver_retry_at(const struct deliver *d, size_t target);

/* The id of an entry every target is done with, not handed out yet;
 * valid until deliver_acked. NULL: none. */
const char	*deliver_next_ack(struct deliver *d);
/* The XACK of id went through (ok) or not (handed out again). */
void		 deliver_acked(struct deliver *d, const char *id, bool ok);

/* The Alertmanager re-send (SPEC §13): an array of the firing alerts of
 * active (P alerts:active; borrowed), endsAt = wall_ms + 4 x resend,
 * less those resolved since, and of the alerts resolved within
 * resolved_retention, endsAt = their resolve time. Returns how many. */
size_t		 deliver_resend(struct deliver *d,
		    struct amapi_event *const *active, size_t n,
		    uint64_t wall_ms, struct buf *body);

#endif
