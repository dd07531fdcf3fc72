/*
 * redisfix.h: a private redis-server for the unit tests that need a real
 * one: its own temp dir, a unix socket there, no TCP, no persistence
 * unless the test saves; killed and removed at exit and on the SIGABRT of
 * a failed check, and by the kernel when the test dies (PDEATHSIG). One
 * server per test program; include after check.h.
 */
#ifndef EW_REDISFIX_H
#define EW_REDISFIX_H

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REDISFIX_SERVER	"/usr/bin/redis-server"
#define REDISFIX_EXTRA	4

static char	 rfix_dir[64];
static char	 rfix_sock[96];		/* redis-server's socket (< sun_path) */
static char	 rfix_url[160];		/* unix://<rfix_sock> */
static pid_t	 rfix_pid = -1;
/* Files of the test's own in rfix_dir, removed with it (base names). */
static const char *rfix_extra[REDISFIX_EXTRA];

/* Async-signal-safe: also runs from the SIGABRT of a failed check. */
static inline void
rfix_cleanup(void)
{
	static const char *const files[] = { "r.sock", "redis.log",
	    "dump.rdb" };
	char p[192];
	size_t i;
	int st;

	if (rfix_pid > 0) {
		kill(rfix_pid, SIGKILL);
		waitpid(rfix_pid, &st, 0);
		rfix_pid = -1;
	}
	if (rfix_dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", rfix_dir, files[i]);
		unlink(p);
	}
	for (i = 0; i < REDISFIX_EXTRA && rfix_extra[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", rfix_dir, rfix_extra[i]);
		unlink(p);
	}
	rmdir(rfix_dir);
	rfix_dir[0] = '\0';
}

static inline void
rfix_abort_handler(int sig)
{
	rfix_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Makes /tmp/ew_test_<name>.XXXXXX and arms the cleanup. */
static inline void
rfix_setup(const char *name)
{
	struct sigaction sa;

	snprintf(rfix_dir, sizeof(rfix_dir), "/tmp/ew_test_%s.XXXXXX", name);
	CHECK(mkdtemp(rfix_dir) != NULL);
	snprintf(rfix_sock, sizeof(rfix_sock), "%s/r.sock", rfix_dir);
	snprintf(rfix_url, sizeof(rfix_url), "unix://%s", rfix_sock);
	atexit(rfix_cleanup);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rfix_abort_handler;
	sigaction(SIGABRT, &sa, NULL);
}

/* Starts redis-server on rfix_sock (it loads rfix_dir/dump.rdb when there
 * is one) and returns a connection to it once it answers (10 s at most). */
static inline redisContext *
rfix_start(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	redisContext *c;
	char logp[192];
	int i, fd;

	snprintf(logp, sizeof(logp), "%s/redis.log", rfix_dir);
	rfix_pid = fork();
	CHECK(rfix_pid >= 0);
	if (rfix_pid == 0) {
		/* dies with the test, whatever kills the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(REDISFIX_SERVER, "redis-server", "--port", "0",
		    "--unixsocket", rfix_sock, "--save", "", "--appendonly",
		    "no", "--dir", rfix_dir, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		c = redisConnectUnix(rfix_sock);
		if (c != NULL && c->err == 0)
			return c;
		redisFree(c);
		nanosleep(&ts, NULL);
	}
	CHECK(!"redis-server did not come up");
	return NULL;
}

/* SIGKILL: whatever was not saved is gone. */
static inline void
rfix_kill(void)
{
	int st;

	if (rfix_pid <= 0)
		return;
	kill(rfix_pid, SIGKILL);
	waitpid(rfix_pid, &st, 0);
	rfix_pid = -1;
}

#endif
