/*
 * test_notify: the module against a real datagram socket in a temp dir,
 * set as NOTIFY_SOCKET, on a real loop run by a script of timers: READY,
 * STATUS (one sent, two held and the last one sent when the 2 s are up),
 * watchdog pings every 100 ms for WATCHDOG_USEC=200000, none while the
 * loop is stuck, RELOADING with MONOTONIC_USEC, READY again, a forced
 * STATUS that drops a held one, STOPPING, and nothing after close. Then
 * a table of environments (no socket, no or bad WATCHDOG_USEC, another
 * process's WATCHDOG_PID, a socket nobody listens on).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "base.h"
#include "check.h"
#include "notify.h"

#define MAX_MSGS	256
#define STUCK_MS	450

struct msg {
	char		 text[NOTIFY_STATUS_MAX + 64];
	uint64_t	 at_ms;		/* uv_hrtime when received, ms */
};

static char		 dir[64];
static char		*sock_path;
static int		 sock_fd = -1;
static uv_loop_t	 loop;
static uv_poll_t	 sock_poll;
static struct msg	 msgs[MAX_MSGS];
static size_t		 nmsgs;

static uint64_t
hr_ms(void)
{
	return uv_hrtime() / 1000000;
}

static uint64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Reads every datagram waiting on the socket. */
static void
drain(void)
{
	char buf[sizeof(msgs[0].text)];
	ssize_t r;

	for (;;) {
		r = recv(sock_fd, buf, sizeof(buf) - 1, 0);
		if (r < 0) {
			CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
			return;
		}
		CHECK(nmsgs < MAX_MSGS);
		buf[r] = '\0';
		memcpy(msgs[nmsgs].text, buf, (size_t)r + 1);
		msgs[nmsgs].at_ms = hr_ms();
		nmsgs++;
	}
}

static void
poll_cb(uv_poll_t *h, int status, int events)
{
	(void)h;
	(void)events;
	CHECK_INT_EQ(status, 0);
	drain();
}

static void
open_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	sock_path = xasprintf("%s/notify.sock", dir);
	CHECK(strlen(sock_path) < sizeof(sa.sun_path));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	sock_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	CHECK(sock_fd != -1);
	CHECK_INT_EQ(bind(sock_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void
close_socket(void)
{
	close(sock_fd);
	sock_fd = -1;
	unlink(sock_path);
	free(sock_path);
	sock_path = NULL;
}

static void
set_env(const char *name, const char *value)
{
	if (value == NULL)
		CHECK_INT_EQ(unsetenv(name), 0);
	else
		CHECK_INT_EQ(setenv(name, value, 1), 0);
}

/* --- the scripted run -------------------------------------------------- */

enum step {
	STEP_STUCK,		/* block the loop for STUCK_MS */
	STEP_RELOAD,		/* reloading, ready, statuses, stopping */
	STEP_CLOSE,		/* notify_close */
	STEP_END,		/* stop listening: the loop ends */
};

static const struct {
	enum step	 step;
	uint64_t	 at_ms;		/* after notify_create */
} script[] = {
	{ STEP_STUCK,	750 },		/* between two pings */
	{ STEP_RELOAD,	2300 },		/* after the held status went */
	{ STEP_CLOSE,	2550 },
	{ STEP_END,	2900 },		/* 300 ms with no pings */
};

static struct notify	*run_n;
static uv_timer_t	 step_timer;
static size_t		 next_step;
static uint64_t		 t0_ms;		/* notify_create */
static uint64_t		 stuck_from, stuck_to;	/* hr_ms */
static size_t		 stuck_before;	/* messages before the block */
static uint64_t		 mono_before, mono_after;	/* around RELOADING */
static uint64_t		 reload_ms, close_ms;

static void	arm_step(void);

static void
step_cb(uv_timer_t *h)
{
	(void)h;
	switch (script[next_step].step) {
	case STEP_STUCK:
		drain();
		stuck_before = nmsgs;
		stuck_from = hr_ms();
		while (hr_ms() - stuck_from < STUCK_MS) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		stuck_to = hr_ms();
		/* Nothing may have arrived while the loop was stuck. */
		drain();
		CHECK_UINT_EQ(nmsgs, stuck_before);
		break;
	case STEP_RELOAD:
		drain();
		reload_ms = hr_ms();
		mono_before = mono_usec();
		CHECK_INT_EQ(notify_reloading(run_n), 0);
		mono_after = mono_usec();
		CHECK_INT_EQ(notify_ready(run_n), 0);
		CHECK_INT_EQ(notify_status_force(run_n, "reloaded"), 0);
		/* Held (a status went out just now), then dropped. */
		CHECK_INT_EQ(notify_status(run_n, "dropped"), 0);
		CHECK_INT_EQ(notify_stopping(run_n), 0);
		CHECK_INT_EQ(notify_status_force(run_n, "stopping, %d left",
		    3), 0);
		break;
	case STEP_CLOSE:
		drain();
		close_ms = hr_ms();
		notify_close(run_n);
		run_n = NULL;
		break;
	case STEP_END:
		uv_poll_stop(&sock_poll);
		uv_close((uv_handle_t *)&sock_poll, NULL);
		uv_close((uv_handle_t *)&step_timer, NULL);
		return;
	}
	next_step++;
	arm_step();
}

static void
arm_step(void)
{
	uint64_t now = hr_ms() - t0_ms, at = script[next_step].at_ms;

	uv_update_time(&loop);	/* the stuck step outran the loop's clock */
	uv_timer_start(&step_timer, step_cb, at > now ? at - now : 0, 0);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_run(void)
{
	static const char *const want[] = {
		"READY=1",
		"STATUS=files 1",
		"STATUS=files 3 of 3",	/* held; its newline is a space */
		"RELOADING=1",		/* + MONOTONIC_USEC, checked below */
		"READY=1",
		"STATUS=reloaded",
		"STOPPING=1",
		"STATUS=stopping, 3 left",
	};
	uint64_t gaps[MAX_MSGS], last = 0, sent1_ms, held_ms = 0;
	uint64_t mono;
	size_t i, k = 0, ngaps = 0, npings = 0, after_reload = 0;
	bool stuck_gap = false;
	char *end;

	set_env("NOTIFY_SOCKET", sock_path);
	set_env("WATCHDOG_USEC", "200000");
	set_env("WATCHDOG_PID", NULL);
	nmsgs = 0;
	next_step = 0;
	CHECK_INT_EQ(uv_loop_init(&loop), 0);
	CHECK_INT_EQ(uv_poll_init(&loop, &sock_poll, sock_fd), 0);
	CHECK_INT_EQ(uv_poll_start(&sock_poll, UV_READABLE, poll_cb), 0);
	uv_timer_init(&loop, &step_timer);

	t0_ms = hr_ms();
	run_n = notify_create(&loop);
	CHECK(run_n != NULL);
	CHECK_UINT_EQ(notify_watchdog_ms(run_n), 100);
	CHECK_INT_EQ(notify_ready(run_n), 0);
	sent1_ms = hr_ms();	/* the first STATUS goes out after this */
	CHECK_INT_EQ(notify_status(run_n, "files %d", 1), 0);	/* sent */
	CHECK_INT_EQ(notify_status(run_n, "files 2"), 0);	/* held */
	CHECK_INT_EQ(notify_status(run_n, "files 3\nof 3"), 0); /* replaces */
	arm_step();
	CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
	CHECK_INT_EQ(uv_loop_close(&loop), 0);
	CHECK_UINT_EQ(next_step, ARRAY_SIZE(script) - 1);

	for (i = 0; i < nmsgs; i++) {
		const struct msg *m = &msgs[i];

		CHECK(m->at_ms < close_ms + 5);	/* nothing after close */
		if (strcmp(m->text, "WATCHDOG=1") == 0) {
			uint64_t from = last ? last : t0_ms;

			npings++;
			if (m->at_ms > reload_ms)
				after_reload++;
			/* the first ping comes a period after create */
			if (last == 0)
				CHECK(m->at_ms - from >= 90);
			else if (from <= stuck_from && m->at_ms >= stuck_to) {
				CHECK(m->at_ms - from >= STUCK_MS);
				stuck_gap = true;
			} else {
				CHECK(m->at_ms - from >= 50);
				CHECK(m->at_ms - from <= 400);
				gaps[ngaps++] = m->at_ms - from;
			}
			last = m->at_ms;
			continue;
		}
		CHECK(k < ARRAY_SIZE(want));
		if (k == 3) {
			CHECK(strncmp(m->text, "RELOADING=1\nMONOTONIC_USEC=",
			    27) == 0);
			mono = strtoull(m->text + 27, &end, 10);
			CHECK(*end == '\0');
			CHECK(mono >= mono_before && mono <= mono_after);
		} else
			CHECK_STR_EQ(m->text, want[k]);
		if (k == 2)
			held_ms = m->at_ms;
		k++;
	}
	CHECK_UINT_EQ(k, ARRAY_SIZE(want));
	/* The held status went out when its 2 s were up, not before. The
	 * first one's arrival waits for uv_run, so the gap is measured from
	 * before it was sent (the same uv_hrtime clock as notify's). */
	CHECK(held_ms - sent1_ms >= NOTIFY_STATUS_MS - 1);
	CHECK(held_ms - sent1_ms <= NOTIFY_STATUS_MS + 300);
	/* About every 100 ms: 2550 ms less the stuck 450 ms. */
	CHECK(stuck_gap);
	CHECK(npings >= 15 && npings <= 24);
	CHECK(after_reload >= 1);
	qsort(gaps, ngaps, sizeof(gaps[0]), cmp_u64);
	CHECK(ngaps >= 10);
	CHECK(gaps[ngaps / 2] >= 95 && gaps[ngaps / 2] <= 130);
}

/* --- environments ------------------------------------------------------ */

static const struct {
	const char	*socket;	/* NOTIFY_SOCKET; "@": ours */
	const char	*usec;		/* WATCHDOG_USEC */
	const char	*pid;		/* WATCHDOG_PID; "$": ours */
	uint64_t	 ms;		/* notify_watchdog_ms */
	bool		 exists;	/* notify_create returns non-NULL */
	bool		 delivered;	/* READY=1 reaches our socket */
} envs[] = {
	{ NULL,  "200000", NULL, 0,   false, false },	/* not under systemd */
	{ "",    "200000", NULL, 0,   false, false },	/* empty is unset */
	{ "@",   NULL,     NULL, 0,   true,  true },	/* no watchdog */
	{ "@",   "abc",    NULL, 0,   true,  true },	/* bad: warned, off */
	{ "@",   "0",      NULL, 0,   true,  true },	/* zero: off */
	{ "@",   "200000", "1",  0,   true,  true },	/* another process's */
	{ "@",   "200000", "$",  100, true,  true },	/* ours */
	{ "@",   "1500",   NULL, 1,   true,  true },	/* at least 1 ms */
	{ "/nonexistent/notify.sock", "200000", NULL, 100, true, false },
};

static void
count_handles_cb(uv_handle_t *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
}

static void
test_envs(void)
{
	char pid[32];
	size_t i;

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	for (i = 0; i < ARRAY_SIZE(envs); i++) {
		const char *s = envs[i].socket;
		struct notify *n;
		int handles = 0, r;

		set_env("NOTIFY_SOCKET", s != NULL && strcmp(s, "@") == 0 ?
		    sock_path : s);
		set_env("WATCHDOG_USEC", envs[i].usec);
		set_env("WATCHDOG_PID", envs[i].pid != NULL &&
		    strcmp(envs[i].pid, "$") == 0 ? pid : envs[i].pid);
		CHECK_INT_EQ(uv_loop_init(&loop), 0);
		nmsgs = 0;
		n = notify_create(&loop);
		CHECK_INT_EQ(n != NULL, envs[i].exists);
		CHECK_UINT_EQ(notify_watchdog_ms(n), envs[i].ms);
		uv_walk(&loop, count_handles_cb, &handles);
		CHECK_INT_EQ(handles, n != NULL ? 2 : 0);
		/* The timers never keep the loop alive by themselves. */
		CHECK_INT_EQ(uv_loop_alive(&loop), 0);

		r = notify_ready(n);
		if (envs[i].exists && !envs[i].delivered)
			CHECK(r < 0);	/* logged once, not fatal */
		else
			CHECK_INT_EQ(r, 0);
		CHECK_INT_EQ(notify_status(n, "a"), n != NULL &&
		    !envs[i].delivered ? r : 0);
		CHECK_INT_EQ(notify_status(n, "b"), 0);	/* held */
		CHECK_INT_EQ(notify_reloading(n), n != NULL &&
		    !envs[i].delivered ? r : 0);
		CHECK_INT_EQ(notify_stopping(n), n != NULL &&
		    !envs[i].delivered ? r : 0);
		drain();
		if (envs[i].delivered) {
			CHECK_UINT_EQ(nmsgs, 4);
			CHECK_STR_EQ(msgs[0].text, "READY=1");
			CHECK_STR_EQ(msgs[1].text, "STATUS=a");
			CHECK(strncmp(msgs[2].text, "RELOADING=1\n", 12) == 0);
			CHECK_STR_EQ(msgs[3].text, "STOPPING=1");
		} else
			CHECK_UINT_EQ(nmsgs, 0);
		/* Closing with a status held sends nothing more. */
		notify_close(n);
		CHECK_INT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
		drain();
		CHECK_UINT_EQ(nmsgs, envs[i].delivered ? 4 : 0);
		CHECK_INT_EQ(uv_loop_close(&loop), 0);
	}
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ew-notify.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	open_socket();
	test_run();
	test_envs();
	close_socket();
	CHECK_INT_EQ(rmdir(dir), 0);
	CHECK_DONE();
}
