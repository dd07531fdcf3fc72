/*
 * fleetwatch: errwatch-alerts' fleet duties (SPEC §13): the lease
 * `P lease:fleet` between instances, and for its holder only, fleet-wide
 * detection over the closed 10 s buckets of `P series:10s` with the
 * alerts.fleet rules, and silent hosts from the `P hosts` heartbeats.
 * Its events go into `P alerts` and `P alerts:active` like host events.
 * Shell module: two timers of its own on the caller's loop, commands
 * through the caller's sink (a link that never blocks: not the one that
 * waits in XREADGROUP).
 */
#ifndef EW_FLEETWATCH_H
#define EW_FLEETWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct config_alerts;
struct ew_err;
struct sink;
struct table;
struct fleetwatch;

#define FLEETWATCH_LEASE_MS	10000	/* SPEC §13: the lease's life */
#define FLEETWATCH_RENEW_MS	2000	/* and how often it is renewed */
#define FLEETWATCH_POLL_MS	1000	/* series read, host check */
#define FLEETWATCH_BUCKET_MS	10000	/* the series it reads: 10s */
#define FLEETWATCH_PAGE		1000	/* entries per XRANGE */

enum fleetwatch_state {
	FLEETWATCH_STANDBY,	/* not the holder: claims every renew_ms */
	FLEETWATCH_LOADING,	/* holder: reads alerts:active, replays */
	FLEETWATCH_LIVE,	/* holder: follows the series and hosts */
	FLEETWATCH_CLOSED,	/* fleetwatch_close called */
};

/* Called on every change of state, after it happened. */
typedef void fleetwatch_state_fn(void *arg, enum fleetwatch_state st);

/* All borrowed for the call: the module copies what it keeps. */
struct fleetwatch_opts {
	const struct config_alerts *rules;	/* alerts.fleet */
	const struct table *table;	/* codes and categories of the
					 * classes; NULL: none known */
	uint64_t	 silent_after_ms;	/* delivery.silent_after; 0:
						 * no silence checks */
	const char	*silent_severity;	/* delivery.silent_severity */
	const char	*prefix;		/* redis.prefix */
	const char	*instance;	/* the lease's value, unique per
					 * process: host name and pid */
	uint64_t	 lease_ms;	/* 0: FLEETWATCH_LEASE_MS */
	uint64_t	 renew_ms;	/* 0: FLEETWATCH_RENEW_MS */
	uint64_t	 poll_ms;	/* 0: FLEETWATCH_POLL_MS */
	fleetwatch_state_fn *on_state;	/* may be NULL */
	void		*arg;
};

/* Copies the options and arms the timers: the first claim of the lease
 * goes as soon as the loop runs and the sink is READY. sink is borrowed
 * and must outlive the fleetwatch's last callback (close it after
 * fleetwatch_close). Returns NULL with err when an option is missing. */
struct fleetwatch *fleetwatch_create(uv_loop_t *loop, struct sink *sink,
		    const struct fleetwatch_opts *o, struct ew_err *err);
/* A SIGHUP: new rules (firing alerts keep their frozen level), table,
 * silence settings and periods. prefix and instance are kept. */
void		 fleetwatch_reload(struct fleetwatch *fw,
		    const struct fleetwatch_opts *o);
enum fleetwatch_state fleetwatch_state(const struct fleetwatch *fw);
const char	*fleetwatch_state_name(enum fleetwatch_state st);
/* Replies to lease claims received so far, whatever they said. */
uint64_t	 fleetwatch_claims(const struct fleetwatch *fw);
/* Starts closing: timers stop, replies still due are awaited, memory
 * goes with the last of them. The lease is not released: it runs out
 * within lease_ms and another instance takes it. NULL: no-op. */
void		 fleetwatch_close(struct fleetwatch *fw);

#endif
