/*
 * notify: the only caller of sd_notify (STYLE §7). It owns two timers on
 * the daemon's loop: the watchdog timer, which sends WATCHDOG=1 every
 * half of WATCHDOG_USEC, and the status timer, which sends a STATUS= that
 * the rate limit held back. It never decides what to say or when the
 * service is ready: the daemon does; it never blocks beyond one datagram
 * send, and a failed send is never fatal.
 *
 * Invariants: a held status exists only while the status timer is armed;
 * nopen counts the timers not yet closed, and the memory goes in the
 * close callback that brings it to zero. Without NOTIFY_SOCKET there is
 * no struct notify at all.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "base.h"
#include "log.h"
#include "notify.h"

struct notify {
	uv_timer_t	 watchdog_timer;
	uv_timer_t	 status_timer;	/* armed while a status is held */
	int		 nopen;		/* timers not yet closed */
	bool		 closing;
	bool		 failing;	/* the last send failed; logged once */
	uint64_t	 watchdog_ms;	/* ping period; 0: no watchdog */
	bool		 status_sent;	/* a STATUS= went out already */
	uint64_t	 status_ms;	/* uv_hrtime of it, in ms */
	bool		 has_held;
	char		 held[NOTIFY_STATUS_MAX];
};

static uint64_t
now_ms(void)
{
	/* Not uv_now: a reload may have blocked since the loop last
	 * updated its time, and the rate limit must not drift. */
	return uv_hrtime() / 1000000;
}

static int
send_msg(struct notify *n, const char *msg)
{
	int r = sd_notify(0, msg);

	if (r < 0) {
		if (!n->failing)
			log_warn("systemd: cannot notify %s: %s; trying "
			    "again with the next message",
			    getenv("NOTIFY_SOCKET"), strerror(-r));
		n->failing = true;
		return r;
	}
	if (n->failing && r > 0)
		log_info("systemd: notifications go through again");
	if (r > 0)
		n->failing = false;
	return 0;
}

static int
send_status(struct notify *n, const char *text)
{
	char msg[sizeof("STATUS=") + NOTIFY_STATUS_MAX];

	snprintf(msg, sizeof(msg), "STATUS=%s", text);
	n->status_sent = true;
	n->status_ms = now_ms();
	return send_msg(n, msg);
}

static void	format_text(char *buf, size_t len, const char *fmt,
		    va_list ap) EW_PRINTF(3, 0);

/* Formats the text into buf, newlines turned into spaces: the protocol
 * is one VAR=value per line. */
static void
format_text(char *buf, size_t len, const char *fmt, va_list ap)
{
	char *p;

	if (vsnprintf(buf, len, fmt, ap) < 0)
		buf[0] = '\0';
	for (p = buf; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void
watchdog_cb(uv_timer_t *h)
{
	struct notify *n = container_of(h, struct notify, watchdog_timer);

	if (n->closing)
		return;
	(void)send_msg(n, "WATCHDOG=1");
}

static void
status_timer_cb(uv_timer_t *h)
{
	struct notify *n = container_of(h, struct notify, status_timer);

	if (n->closing || !n->has_held)
		return;
	n->has_held = false;
	(void)send_status(n, n->held);
}

static void
close_cb(uv_handle_t *h)
{
	struct notify *n = h->data;

	if (--n->nopen == 0)
		free(n);
}

struct notify *
notify_create(uv_loop_t *loop)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	struct notify *n;
	uint64_t usec = 0;
	int r;

	if (sock == NULL || sock[0] == '\0')
		return NULL;
	n = xcalloc(1, sizeof(*n));
	uv_timer_init(loop, &n->watchdog_timer);
	uv_timer_init(loop, &n->status_timer);
	n->watchdog_timer.data = n->status_timer.data = n;
	n->nopen = 2;
	uv_unref((uv_handle_t *)&n->watchdog_timer);
	uv_unref((uv_handle_t *)&n->status_timer);

	/* Also honours WATCHDOG_PID: pings for another process are off. */
	r = sd_watchdog_enabled(0, &usec);
	if (r < 0)
		log_warn("systemd: WATCHDOG_USEC=%s is not valid (%s), "
		    "sending no watchdog pings", getenv("WATCHDOG_USEC"),
		    strerror(-r));
	else if (r > 0 && usec > 0) {
		n->watchdog_ms = EW_MAX(usec / 2000, 1);
		uv_timer_start(&n->watchdog_timer, watchdog_cb,
		    n->watchdog_ms, n->watchdog_ms);
	}
	if (n->watchdog_ms > 0)
		log_info("systemd: notifying %s, watchdog ping every %" PRIu64
		    " ms", sock, n->watchdog_ms);
	else
		log_info("systemd: notifying %s, no watchdog", sock);
	return n;
}

int
notify_ready(struct notify *n)
{
	if (n == NULL)
		return 0;
	return send_msg(n, "READY=1");
}

int
notify_reloading(struct notify *n)
{
	struct timespec ts;
	char msg[64];
	uint64_t usec;

	if (n == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	/* One datagram: systemd >= 253 (Type=notify-reload) wants both
	 * together; 252 reads RELOADING=1 and ignores the rest. */
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    usec);
	return send_msg(n, msg);
}

int
notify_stopping(struct notify *n)
{
	if (n == NULL)
		return 0;
	return send_msg(n, "STOPPING=1");
}

void
notify_reload(struct notify *n, const char *path, notify_reload_fn *fn,
    void *arg)
{
	char why[EW_ERR_MSG + EW_ERR_FILE + 32];

	(void)notify_reloading(n);
	if (fn(arg, why, sizeof(why)) < 0)
		(void)notify_status_force(n, "new config rejected (%s); "
		    "still running the previous one", why);
	else
		(void)notify_status_force(n, "reloaded %s", path);
	(void)notify_ready(n);
}

int
notify_status(struct notify *n, const char *fmt, ...)
{
	char text[NOTIFY_STATUS_MAX];
	uint64_t now, since;
	va_list ap;

	if (n == NULL || n->closing)
		return 0;
	va_start(ap, fmt);
	format_text(text, sizeof(text), fmt, ap);
	va_end(ap);
	now = now_ms();
	since = n->status_sent ? now - n->status_ms : NOTIFY_STATUS_MS;
	if (since >= NOTIFY_STATUS_MS && !n->has_held)
		return send_status(n, text);
	memcpy(n->held, text, sizeof(n->held));
	if (!n->has_held) {
		n->has_held = true;
		/* the timer counts from the loop's cached time, which may be
		 * older than now (a reload that blocked): refresh it, or the
		 * held status would go out early */
		uv_update_time(n->status_timer.loop);
		uv_timer_start(&n->status_timer, status_timer_cb,
		    since >= NOTIFY_STATUS_MS ? 0 : NOTIFY_STATUS_MS - since, 0);
	}
	return 0;
}

int
notify_status_force(struct notify *n, const char *fmt, ...)
{
	char text[NOTIFY_STATUS_MAX];
	va_list ap;

	if (n == NULL || n->closing)
		return 0;
	va_start(ap, fmt);
	format_text(text, sizeof(text), fmt, ap);
	va_end(ap);
	n->has_held = false;	/* older than this one */
	uv_timer_stop(&n->status_timer);
	return send_status(n, text);
}

uint64_t
notify_watchdog_ms(const struct notify *n)
{
	return n == NULL ? 0 : n->watchdog_ms;
}

void
notify_close(struct notify *n)
{
	if (n == NULL || n->closing)
		return;
	n->closing = true;
	n->has_held = false;
	uv_timer_stop(&n->watchdog_timer);
	uv_timer_stop(&n->status_timer);
	uv_close((uv_handle_t *)&n->watchdog_timer, close_cb);
	uv_close((uv_handle_t *)&n->status_timer, close_cb);
}
