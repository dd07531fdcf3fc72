/*
 * notify: errwatchd's side of systemd's Type=notify protocol (SPEC §10):
 * READY=1, STATUS=, WATCHDOG=1, RELOADING=1 with MONOTONIC_USEC, and
 * STOPPING=1, sent through libsystemd's sd_notify. It does nothing at
 * all when NOTIFY_SOCKET is unset: notify_create returns NULL and every
 * call below accepts NULL. The watchdog pings come from a timer on the
 * caller's loop, so a loop that is stuck stops pinging and systemd
 * restarts the service.
 */
#ifndef EW_NOTIFY_H
#define EW_NOTIFY_H

#include <stdint.h>
#include <uv.h>

#include "base.h"

struct notify;			/* the link to the service manager */

#define NOTIFY_STATUS_MS	2000	/* at most one STATUS= this often */
#define NOTIFY_STATUS_MAX	512	/* bytes of status text kept */

/* Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once (the values
 * stay in the environment). Returns NULL when NOTIFY_SOCKET is unset or
 * empty: nothing is registered on the loop and every call below is a
 * no-op returning 0. Otherwise, when the watchdog is on for this process,
 * a repeating timer sends WATCHDOG=1 every half of WATCHDOG_USEC from the
 * first period on (not at once). A bad WATCHDOG_USEC is logged and means
 * no pings. Never fails. The module's timers are unreferenced: they never
 * keep uv_run going by themselves. */
struct notify	*notify_create(uv_loop_t *loop);

/* Each sends one datagram now. They return 0 (also when n is NULL) or the
 * negative errno of a failed send; a failure is logged once, until a send
 * works again, and is never fatal. */

/* READY=1: at start once config, table and inputs are set up, and again
 * after every reload attempt, good or bad (it ends "reloading"). */
int		 notify_ready(struct notify *n);
/* RELOADING=1 and MONOTONIC_USEC=<CLOCK_MONOTONIC in microseconds> in one
 * message: at the start of a reload, before the new config is read. */
int		 notify_reloading(struct notify *n);
/* A reload does this. Loads the new config and puts it in force, or
 * leaves the old running; returns 0, or -1 with the reason in why. */
typedef int notify_reload_fn(void *arg, char *why, size_t len);
/* SPEC §10's SIGHUP, the same in every program: RELOADING=1, then fn,
 * then STATUS ("reloaded PATH", or "new config rejected (why); still
 * running the previous one") and READY=1. n may be NULL (no systemd):
 * fn still runs. */
void		 notify_reload(struct notify *n, const char *path,
		    notify_reload_fn *fn, void *arg);
/* STOPPING=1: when a stop begins, before the final flush. */
int		 notify_stopping(struct notify *n);

/* STATUS=<text>, rate-limited: sent at once when the last STATUS= went
 * out at least NOTIFY_STATUS_MS ago; otherwise the text is held (a newer
 * one replaces it) and sent when the interval is up, so the last status
 * always reaches systemd. Newlines in the text become spaces; the text
 * is cut at NOTIFY_STATUS_MAX bytes. The arguments are only read during
 * the call. Returns 0 when the text was held. */
int		 notify_status(struct notify *n, const char *fmt, ...)
		    EW_PRINTF(2, 3);
/* The same, sent at once whatever the rate; drops any held text. For a
 * status that must not wait: "config rejected", "stopping". */
int		 notify_status_force(struct notify *n, const char *fmt, ...)
		    EW_PRINTF(2, 3);

/* The ping period in ms: half of WATCHDOG_USEC; 0 when there is no
 * watchdog (or n is NULL). */
uint64_t	 notify_watchdog_ms(const struct notify *n);

/* Stops the pings, drops any held status and closes the timers; the
 * memory goes in the last close callback, so the loop must run once more.
 * Sends nothing. NULL: no-op. */
void		 notify_close(struct notify *n);

#endif
