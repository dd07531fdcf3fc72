/*
 * spike: spike and drop alerts for one host, or for the fleet (SPEC §9,
 * §13). Per class, counts per second over the rule's window W and
 * baseline B, and 10-second counts over the 6 h before the window for the
 * dispersion D. Per class a spike rule (name over code over category over
 * the rule set's defaults), static or adaptive, and a drop rule when one
 * matches (the same precedence; never from the defaults); each with its
 * own firing, resolved and cooldown, but one alert of a class fires at a
 * time (they share its P alerts:active field): a drop that comes while
 * the class's spike fires waits for its resolve, and the other way round.
 * Core module: no clock, no I/O, no logging; time comes in as now_ms,
 * events go out through a callback.
 *
 * The fleet (SPEC §13) runs one detector with cfg->fleet; its clock is
 * the buckets' time: each closed 10-second bucket of P series:10s is one
 * spike_observe per class at the bucket's start, then a spike_tick at its
 * end. The events do not say whose counts they came from: the caller
 * gives them their host and scope (keys_alert).
 *
 * Time: now_ms is a millisecond clock that never steps (SPEC §6: the
 * daemon passes the monotonic uv_now, never the wall clock); second s is
 * [s * 1000, s * 1000 + 1000). The detector starts at its first
 * spike_observe or spike_tick. Closing second s evaluates the window
 * (s - W, s]; an event's ts_ms is s * 1000 on that same clock, and whoever
 * writes the event converts it to wall time. Adaptive
 * and drop rules arm once B/2 has passed since the start; static rules
 * need no baseline and fire from the first second.
 */
#ifndef EW_SPIKE_H
#define EW_SPIKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_alerts;
struct spike;

/* The 6 h of 10-second slots D is measured over. */
#define SPIKE_SLOT_S		10
#define SPIKE_NSLOTS		2160
/* now_ms moving more than this far from the open second, either way
 * (suspend, a clock step), forgets all counts: the detector warms up
 * again, and alerts that were firing resolve. */
#define SPIKE_JUMP_S		3600

struct spike_event {
	bool		 firing;	/* false: resolved */
	size_t		 cls;		/* the daemon's class id */
	const char	*name;
	int		 code;		/* -1: none */
	const char	*category;
	const char	*severity;	/* the rule's, as at firing */
	const char	*rule;		/* the kind, as at firing: "static",
					 * "adaptive" or "drop" */
	const char	*match;		/* the rule's match, or "defaults" */
	uint64_t	 window_s;	/* W */
	uint64_t	 count;		/* X: lines in (s - W, s] */
	double		 baseline;	/* mu, frozen at firing */
	double		 threshold;	/* frozen at firing: the level L a
					 * spike fired at, or mu / factor
					 * for a drop */
	uint64_t	 ts_ms;		/* s * 1000 on now_ms's clock: the
					 * second that fired or resolved */
};

/* Called once per event, in time order (then class order). ev and its
 * strings are borrowed: valid only until the callback returns. It may call
 * spike_observe; events that causes wait for the next spike_tick. */
typedef void spike_event_fn(void *arg, const struct spike_event *ev);

/* Copies the rules (cfg->alerts for a host, cfg->fleet for the fleet);
 * a keeps no tie to the detector. No class yet. */
struct spike	*spike_create(const struct config_alerts *a);
/* NULL: no-op. Events not yet delivered are dropped. */
void		 spike_destroy(struct spike *sp);
/* Replaces the rules (copied) and resolves every class's rule again.
 * Counts and alert states stay; a class whose window or baseline changes
 * keeps the seconds both rings cover, and an alert that is firing keeps
 * its frozen level. A class whose rule is now disabled resolves at the
 * next second closed. */
void		 spike_reload(struct spike *sp, const struct config_alerts *a);
/* Names class id cls (ids need not be dense; memory grows to the largest)
 * and resolves its rule. name and category are copied; category "" or
 * NULL: none; code -1: none. Call again after a reload of the table: the
 * class keeps its counts. */
void		 spike_set_class(struct spike *sp, size_t cls,
		    const char *name, int code, const char *category);
/* n lines of class cls read at now_ms. An id never named is ignored. A
 * time before the open second counts in the open second; a later one
 * first closes the seconds before it (their events wait for the next
 * spike_tick). */
void		 spike_observe(struct spike *sp, size_t cls, uint64_t now_ms,
		    uint64_t n);
/* Closes every whole second before now_ms and delivers the events, its
 * own and those waiting since spike_observe. fn NULL: events dropped.
 * Constant work per class seen and second closed; call at least once a
 * second. */
void		 spike_tick(struct spike *sp, uint64_t now_ms,
		    spike_event_fn *fn, void *arg);

/* The spike rule that applies to cls: its match, "defaults", or NULL when
 * the rule is disabled or cls was never named. Lives until the next
 * reload. */
const char	*spike_class_rule(const struct spike *sp, size_t cls);
/* The drop rule of cls: its match, or NULL when it has none (or it is
 * disabled). Lives until the next reload. */
const char	*spike_class_drop_rule(const struct spike *sp, size_t cls);
/* True while cls has an alert firing, spike or drop. */
bool		 spike_is_firing(const struct spike *sp, size_t cls);
/* Bytes of memory held. */
size_t		 spike_memory(const struct spike *sp);

/* ln P(Poisson(m) >= k), for m > 0: relative error below 1e-9 for m from
 * 1e-6 to 1e6 and any k. Exposed for the tests. */
double		 spike_log_poisson_tail(double m, uint64_t k);
/* ln P(Poisson(m) <= k), the lower tail drop rules test, for m > 0; the
 * same accuracy. m <= 0: 0 (a Poisson(0) is always 0). */
double		 spike_log_poisson_head(double m, uint64_t k);

#endif
