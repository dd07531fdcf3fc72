/*
 * test_sink: the Redis link on a real uv loop against real redis-servers
 * this test starts in a temporary directory (one on a unix socket, one on
 * a free loopback port, one with requirepass; killed and the directory
 * removed at exit or abort), a port nobody listens on, and a socket that
 * accepts and never answers; and a redis-sentinel with requirepass that
 * monitors the TCP one (SPEC §15). Every wait is bounded by a deadline
 * timer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "base.h"
#include "check.h"
#include "log.h"
#include "redisurl.h"
#include "sentinel.h"
#include "sink.h"

#define REDIS_SERVER	"/usr/bin/redis-server"
#define REDIS_SENTINEL	"/usr/bin/redis-sentinel"
#define MAX_STATES	128

/* --- redis-servers ----------------------------------------------------- */

struct server {
	const char	*name;		/* files are DIR/<name>.{sock,log} */
	int		 port;		/* 0: unix socket only */
	const char	*pass;		/* requirepass, or NULL */
	pid_t		 pid;
	char		 sock[96];
};

static char		 tdir[64];
static struct server	 srv_unix = { "u", 0, NULL, -1, "" };
static struct server	 srv_tcp = { "t", 0, NULL, -1, "" };
static struct server	 srv_auth = { "a", 0, "secret", -1, "" };
static struct server	*const servers[] = { &srv_unix, &srv_tcp, &srv_auth };
static pid_t		 sentinel_pid = -1;
static int		 sentinel_port;

static void
server_kill(struct server *sv)
{
	int st;

	if (sv->pid > 0) {
		kill(sv->pid, SIGKILL);
		waitpid(sv->pid, &st, 0);
		sv->pid = -1;
	}
}

/* Async-signal-safe: also runs from the SIGABRT of a failed check. */
static void
cleanup(void)
{
	static const char *const ext[] = { "sock", "log", "rdb" };
	char p[192];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(servers); i++) {
		server_kill(servers[i]);
		if (tdir[0] == '\0')
			continue;
		for (j = 0; j < ARRAY_SIZE(ext); j++) {
			snprintf(p, sizeof(p), "%s/%s.%s", tdir,
			    servers[i]->name, ext[j]);
			unlink(p);
		}
	}
	if (sentinel_pid > 0) {
		kill(sentinel_pid, SIGKILL);
		waitpid(sentinel_pid, NULL, 0);
		sentinel_pid = -1;
	}
	if (tdir[0] != '\0') {
		/* Sentinel rewrites its config in place (same name) */
		snprintf(p, sizeof(p), "%s/sentinel.conf", tdir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/sentinel.log", tdir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/pw", tdir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/sink.log", tdir);
		unlink(p);
		rmdir(tdir);
		tdir[0] = '\0';
	}
}

static void
abort_handler(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A loopback port nobody listens on (bound once, then let go). */
static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool
can_connect(const struct server *sv)
{
	struct sockaddr_un un;
	struct sockaddr_in in;
	int fd, r;

	if (sv->port == 0) {
		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", sv->sock);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		r = connect(fd, (struct sockaddr *)&un, sizeof(un));
	} else {
		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		in.sin_port = htons((uint16_t)sv->port);
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		r = connect(fd, (struct sockaddr *)&in, sizeof(in));
	}
	close(fd);
	return r == 0;
}

static void
server_start(struct server *sv)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char logp[192], rdb[64], port[16];
	int i, fd;

	snprintf(sv->sock, sizeof(sv->sock), "%s/%s.sock", tdir, sv->name);
	snprintf(logp, sizeof(logp), "%s/%s.log", tdir, sv->name);
	snprintf(rdb, sizeof(rdb), "%s.rdb", sv->name);
	snprintf(port, sizeof(port), "%d", sv->port);
	sv->pid = fork();
	CHECK(sv->pid >= 0);
	if (sv->pid == 0) {
		/* dies with the test, whatever kills the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(REDIS_SERVER, "redis-server", "--port", port,
		    "--bind", "127.0.0.1", "-::1", "--unixsocket", sv->sock,
		    "--save", "", "--appendonly", "no", "--dir", tdir,
		    "--dbfilename", rdb, "--requirepass",
		    sv->pass != NULL ? sv->pass : "", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {	/* up to 10 s */
		if (can_connect(sv))
			return;
		nanosleep(&ts, NULL);
	}
	CHECK(!"redis-server did not come up");
}

/* --- the loop and what a test sees -------------------------------------- */

static uv_loop_t	 loop;
static uv_timer_t	 deadline;
static bool		 expired;

/* Everything one sink reported. */
struct rec {
	struct sink	*s;
	int		 n;
	enum sink_state	 st[MAX_STATES];
	uint64_t	 at[MAX_STATES];	/* uv_now, ms */
	char		 why[MAX_STATES][160];
	int		 ready;		/* READY entries */
	int		 down;		/* DOWN entries */
	int		 handshakes;
};

/* One command's answer, copied out of the borrowed reply. */
struct res {
	int			 calls;
	bool			 null;
	enum sink_reply_type	 type;
	long long		 integer;
	char			 str[1024];
	size_t			 len;
	size_t			 nelem;
	enum sink_reply_type	 etype[8];
	char			 estr[8][64];
	long long		 eint[8];
	size_t			 enelem[8];
};

static void
state_cb(void *arg, enum sink_state st, const char *why)
{
	struct rec *r = arg;

	CHECK(why != NULL);
	if (r->n < MAX_STATES) {
		r->st[r->n] = st;
		r->at[r->n] = uv_now(&loop);
		snprintf(r->why[r->n], sizeof(r->why[0]), "%s", why);
		r->n++;
	}
	if (st == SINK_READY)
		r->ready++;
	if (st == SINK_DOWN)
		r->down++;
	if (st == SINK_HANDSHAKE)
		r->handshakes++;
}

static void
reply_cb(void *arg, const struct sink_reply *r)
{
	struct res *x = arg;
	size_t i;

	x->calls++;
	x->null = r == NULL;
	if (r == NULL)
		return;
	x->type = r->type;
	x->integer = r->integer;
	x->len = r->len;
	if (r->str != NULL) {
		CHECK(r->len < sizeof(x->str));
		memcpy(x->str, r->str, r->len + 1);	/* NUL-ended */
	}
	x->nelem = r->nelem;
	for (i = 0; i < r->nelem && i < ARRAY_SIZE(x->etype); i++) {
		x->etype[i] = r->elem[i].type;
		x->eint[i] = r->elem[i].integer;
		x->enelem[i] = r->elem[i].nelem;
		if (r->elem[i].str != NULL)
			snprintf(x->estr[i], sizeof(x->estr[0]), "%s",
			    r->elem[i].str);
	}
}

static void
deadline_cb(uv_timer_t *t)
{
	(void)t;
	expired = true;
}

typedef bool pred_fn(const void *arg);

/* Runs the loop until pred holds or ms pass; returns pred. */
static bool
run_until(pred_fn *pred, const void *arg, uint64_t ms)
{
	expired = false;
	uv_update_time(&loop);
	uv_timer_start(&deadline, deadline_cb, ms, 0);
	while (!pred(arg) && !expired)
		uv_run(&loop, UV_RUN_ONCE);
	uv_timer_stop(&deadline);
	return pred(arg);
}

static bool
never(const void *arg)
{
	(void)arg;
	return false;
}

static void
run_for(uint64_t ms)
{
	(void)run_until(never, NULL, ms);
}

static bool
is_ready(const void *arg)
{
	const struct rec *r = arg;

	return r->s != NULL && sink_state(r->s) == SINK_READY;
}

static bool
is_down(const void *arg)
{
	const struct rec *r = arg;

	return sink_state(r->s) == SINK_DOWN;
}

static bool
answered(const void *arg)
{
	const struct res *x = arg;

	return x->calls > 0;
}

static int want_downs;

static bool
enough_downs(const void *arg)
{
	const struct rec *r = arg;

	return r->down >= want_downs;
}

static void
open_sink(struct rec *r, const char *url, const char *password,
    const char *script, uint64_t connect_ms, uint64_t reply_ms)
{
	struct sink_opts o;
	struct ew_err err;

	memset(r, 0, sizeof(*r));
	memset(&o, 0, sizeof(o));
	ew_err_clear(&err);
	o.url = url;
	o.password = password;
	o.script = script;
	o.connect_timeout_ms = connect_ms;
	o.reply_timeout_ms = reply_ms;
	o.on_state = state_cb;
	o.arg = r;
	r->s = sink_create(&loop, &o, &err);
	if (r->s == NULL)
		fprintf(stderr, "sink_create: %s\n", err.msg);
	CHECK(r->s != NULL);
	CHECK_INT_EQ(sink_state(r->s), SINK_DOWN);
}

/* Closes and lets every handle go: nothing of the sink stays active. */
static void
close_sink(struct rec *r)
{
	sink_close(r->s);
	CHECK_INT_EQ(r->st[r->n - 1], SINK_CLOSED);
	r->s = NULL;
	uv_run(&loop, UV_RUN_DEFAULT);
}

static void
connect_ok(struct rec *r, const char *url, const char *password,
    const char *script)
{
	open_sink(r, url, password, script, 2000, 2000);
	CHECK(run_until(is_ready, r, 5000));
	CHECK_INT_EQ(r->ready, 1);
	CHECK_INT_EQ(r->down, 0);
}

/* Sends argv (NULL-ended) and waits for its one answer. */
static void
call(struct rec *r, struct res *x, bool eval, const char *const *argv)
{
	const char *v[16];
	int argc = 0, rc;

	while (argv[argc] != NULL) {
		CHECK(argc < (int)ARRAY_SIZE(v));
		v[argc] = argv[argc];
		argc++;
	}
	memset(x, 0, sizeof(*x));
	if (eval)
		rc = sink_eval(r->s, argc, v, NULL, reply_cb, x);
	else
		rc = sink_command(r->s, argc, v, NULL, reply_cb, x);
	CHECK_INT_EQ(rc, 0);
	CHECK(run_until(answered, x, 5000));
	run_for(5);		/* a second callback would show now */
	CHECK_INT_EQ(x->calls, 1);
	CHECK(!x->null);
}

#define CALL(r, x, ...) do { \
	static const char *const argv_[] = { __VA_ARGS__, NULL }; \
	call((r), (x), false, argv_); \
} while (0)
#define EVAL(r, x, ...) do { \
	static const char *const argv_[] = { __VA_ARGS__, NULL }; \
	call((r), (x), true, argv_); \
} while (0)

/* Sends without waiting; the answer lands in x. */
static void
send_only(struct rec *r, struct res *x, int argc, const char **argv)
{
	memset(x, 0, sizeof(*x));
	CHECK_INT_EQ(sink_command(r->s, argc, argv, NULL, reply_cb, x), 0);
}

/* --- URL and password file ---------------------------------------------- */

struct url_case {
	const char	*url;
	const char	*err;		/* NULL: accepted */
};

static const struct url_case url_cases[] = {
	{ "redis://127.0.0.1", NULL },
	{ "redis://127.0.0.1:6380/2", NULL },
	{ "redis://u:p%40ss@host:1/0", NULL },
	{ "redis://:pw@[::1]:6379", NULL },
	{ "redis://[::1]/15?db=3", NULL },
	{ "redis://host/", NULL },
	{ "unix:///run/redis/redis.sock", NULL },
	{ "unix:///run/redis/redis.sock?db=4", NULL },
	{ "http://host", "redis url: expected redis://" },
	{ "rediss://host", "TLS" },
	{ "redis://", "no host" },
	{ "redis://:6379", "no host" },
	{ "redis://host:0", "bad port" },
	{ "redis://host:65536", "bad port" },
	{ "redis://host:12ab", "bad port" },
	{ "redis://host:", "bad port" },
	{ "redis://host/x", "bad db" },
	{ "redis://host/-1", "bad db" },
	{ "redis://host?foo=1", "unknown query" },
	{ "redis://[::1", "IPv6" },
	{ "redis://[::1]x", "IPv6" },
	{ "redis://u:pw%4@host", "escape" },
	{ "unix://run/redis.sock", "absolute" },
	{ "unix:///s?db=x", "bad db" },
	{ "redis://u:topsecret@host:99999", "bad port" },
};

static void
test_url(void)
{
	struct redisurl u;
	struct sink_opts o;
	struct ew_err err;
	struct sink *s;
	size_t i;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < ARRAY_SIZE(url_cases); i++) {
		ew_err_clear(&err);
		o.url = url_cases[i].url;
		s = sink_create(&loop, &o, &err);
		if (url_cases[i].err == NULL) {
			CHECK(s != NULL);
			CHECK_INT_EQ(sink_state(s), SINK_DOWN);
			CHECK_INT_EQ(sink_inflight(s), 0);
			sink_close(s);
			uv_run(&loop, UV_RUN_DEFAULT);
			continue;
		}
		CHECK(s == NULL);
		if (strstr(err.msg, url_cases[i].err) == NULL)
			fprintf(stderr, "%s: %s\n", url_cases[i].url, err.msg);
		CHECK(strstr(err.msg, url_cases[i].err) != NULL);
		CHECK(strstr(err.msg, "topsecret") == NULL);
	}
	/* the parsed target, as config_load gives it: no URL at all */
	CHECK_INT_EQ(redisurl_parse(&u, "redis://:pw@[::1]:7/2", &err), 0);
	o.url = "not a url: the target wins";
	o.target = &u;
	s = sink_create(&loop, &o, &err);
	redisurl_free(&u);	/* the sink has its own copy */
	CHECK(s != NULL);
	CHECK_INT_EQ(sink_state(s), SINK_DOWN);
	sink_close(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	sink_close(NULL);
	CHECK_STR_EQ(sink_state_name(SINK_READY), "ready");
	CHECK_STR_EQ(sink_state_name(SINK_DOWN), "down");
}

/* --- round trips --------------------------------------------------------- */

static void
round_trip(struct rec *r)
{
	static const char bin[] = "a\0b\r\nc";
	const char *argv[3] = { "SET", "bin", bin };
	size_t lens[3] = { 3, 3, sizeof(bin) - 1 };
	struct res x, y;

	CALL(r, &x, "SET", "k", "v");
	CHECK_INT_EQ(x.type, SINK_REPLY_STATUS);
	CHECK_STR_EQ(x.str, "OK");
	CALL(r, &x, "GET", "k");
	CHECK_INT_EQ(x.type, SINK_REPLY_STRING);
	CHECK_STR_EQ(x.str, "v");
	CHECK_UINT_EQ(x.len, 1);
	CALL(r, &x, "DEL", "n");
	CALL(r, &x, "INCRBY", "n", "41");
	CALL(r, &x, "INCRBY", "n", "1");
	CHECK_INT_EQ(x.type, SINK_REPLY_INTEGER);
	CHECK_INT_EQ(x.integer, 42);
	CALL(r, &x, "GET", "missing");
	CHECK_INT_EQ(x.type, SINK_REPLY_NIL);
	CALL(r, &x, "DEL", "l");
	CALL(r, &x, "RPUSH", "l", "a", "bb", "ccc");
	CHECK_INT_EQ(x.integer, 3);
	CALL(r, &x, "LRANGE", "l", "0", "-1");
	CHECK_INT_EQ(x.type, SINK_REPLY_ARRAY);
	CHECK_UINT_EQ(x.nelem, 3);
	CHECK_INT_EQ(x.etype[2], SINK_REPLY_STRING);
	CHECK_STR_EQ(x.estr[0], "a");
	CHECK_STR_EQ(x.estr[2], "ccc");
	/* nested arrays, integers and nils in one reply */
	CALL(r, &x, "EVAL", "return {1, {'x', 'y'}, false, 'z'}", "0");
	CHECK_UINT_EQ(x.nelem, 4);
	CHECK_INT_EQ(x.etype[0], SINK_REPLY_INTEGER);
	CHECK_INT_EQ(x.eint[0], 1);
	CHECK_INT_EQ(x.etype[1], SINK_REPLY_ARRAY);
	CHECK_UINT_EQ(x.enelem[1], 2);
	CHECK_INT_EQ(x.etype[2], SINK_REPLY_NIL);
	CHECK_STR_EQ(x.estr[3], "z");
	/* binary-safe both ways */
	memset(&y, 0, sizeof(y));
	CHECK_INT_EQ(sink_command(r->s, 3, argv, lens, reply_cb, &y), 0);
	CHECK(run_until(answered, &y, 5000));
	CHECK_STR_EQ(y.str, "OK");
	CALL(r, &x, "GET", "bin");
	CHECK_MEM_EQ(x.str, x.len, bin, sizeof(bin) - 1);
	/* an error reply is a reply: the link stays */
	CALL(r, &x, "NOSUCHCOMMAND");
	CHECK_INT_EQ(x.type, SINK_REPLY_ERROR);
	CHECK(strncmp(x.str, "ERR ", 4) == 0);
	CHECK_INT_EQ(sink_state(r->s), SINK_READY);
	CHECK_INT_EQ(sink_inflight(r->s), 0);
}

static void
test_unix(void)
{
	static const char *ping[] = { "PING" };
	struct res x, a, b;
	struct rec r;
	char url[192];

	snprintf(url, sizeof(url), "unix://%s", srv_unix.sock);
	open_sink(&r, url, NULL, NULL, 2000, 2000);
	CHECK_INT_EQ(sink_command(r.s, 1, ping, NULL,
	    reply_cb, &x), -ENOTCONN);
	CHECK(run_until(is_ready, &r, 5000));
	/* down -> connecting -> handshake -> ready; nothing resolved */
	CHECK_INT_EQ(r.n, 3);
	CHECK_INT_EQ(r.st[0], SINK_CONNECTING);
	CHECK_INT_EQ(r.st[1], SINK_HANDSHAKE);
	CHECK(strstr(r.why[2], "unix") != NULL);
	round_trip(&r);

	/* pipelined: inflight counts, replies in order */
	send_only(&r, &a, 1, (const char *[]){ "PING" });
	send_only(&r, &b, 2, (const char *[]){ "ECHO", "hi" });
	CHECK_INT_EQ(sink_inflight(r.s), 2);
	CHECK(run_until(answered, &b, 5000));
	CHECK_INT_EQ(a.calls, 1);
	CHECK_STR_EQ(a.str, "PONG");
	CHECK_STR_EQ(b.str, "hi");
	CHECK_INT_EQ(sink_inflight(r.s), 0);

	/* -OOM goes to the caller; the link stays up (SPEC §7) */
	CALL(&r, &x, "CONFIG", "SET", "maxmemory", "1");
	CALL(&r, &x, "SET", "oom", "1");
	CHECK_INT_EQ(x.type, SINK_REPLY_ERROR);
	CHECK(strncmp(x.str, "OOM ", 4) == 0);
	CALL(&r, &x, "CONFIG", "SET", "maxmemory", "0");
	CHECK_INT_EQ(sink_state(r.s), SINK_READY);
	CHECK_INT_EQ(r.down, 0);

	/* sink_reconnect: down, then back */
	sink_reconnect(r.s, "test asked");
	CHECK_INT_EQ(sink_state(r.s), SINK_DOWN);
	CHECK_STR_EQ(r.why[r.n - 1], "test asked");
	CHECK(run_until(is_ready, &r, 5000));
	CHECK_INT_EQ(r.ready, 2);
	CALL(&r, &x, "GET", "k");
	CHECK_STR_EQ(x.str, "v");
	close_sink(&r);
}

static void
test_tcp(void)
{
	struct res x;
	struct rec r;
	char url[192];

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", srv_tcp.port);
	connect_ok(&r, url, NULL, NULL);
	CHECK_INT_EQ(r.st[0], SINK_CONNECTING);
	round_trip(&r);
	close_sink(&r);

	/* a name: resolved off the loop first */
	snprintf(url, sizeof(url), "redis://localhost:%d/0", srv_tcp.port);
	open_sink(&r, url, NULL, NULL, 2000, 2000);
	CHECK(run_until(is_ready, &r, 5000));
	CHECK_INT_EQ(r.st[0], SINK_RESOLVING);
	CHECK_STR_EQ(r.why[0], "localhost");
	CALL(&r, &x, "GET", "k");
	CHECK_STR_EQ(x.str, "v");
	close_sink(&r);
}

static void
test_eval(void)
{
	static const char script[] =
	    "return ARGV[1] .. ':' .. #ARGV";
	struct res x;
	struct rec r;
	char url[192];

	snprintf(url, sizeof(url), "unix://%s", srv_unix.sock);
	connect_ok(&r, url, NULL, script);
	EVAL(&r, &x, "a", "b");
	CHECK_INT_EQ(x.type, SINK_REPLY_STRING);
	CHECK_STR_EQ(x.str, "a:2");
	/* the cache emptied under us: loaded again, answered once */
	CALL(&r, &x, "SCRIPT", "FLUSH");
	EVAL(&r, &x, "c");
	CHECK_INT_EQ(x.type, SINK_REPLY_STRING);
	CHECK_STR_EQ(x.str, "c:1");
	CHECK_INT_EQ(sink_inflight(r.s), 0);
	CHECK_INT_EQ(r.down, 0);
	close_sink(&r);

	/* no script configured: the NOSCRIPT is the answer */
	connect_ok(&r, url, NULL, NULL);
	EVAL(&r, &x, "a");
	CHECK_INT_EQ(x.type, SINK_REPLY_ERROR);
	CHECK(strncmp(x.str, "NOSCRIPT", 8) == 0);
	CHECK_INT_EQ(sink_state(r.s), SINK_READY);
	close_sink(&r);
}

static void
test_select(void)
{
	struct res x;
	struct rec r;
	char url[192];

	snprintf(url, sizeof(url), "unix://%s?db=3", srv_unix.sock);
	connect_ok(&r, url, NULL, "return 1");
	CHECK(strstr(r.why[r.n - 1], "db 3") != NULL);
	CALL(&r, &x, "CLIENT", "INFO");
	CHECK(strstr(x.str, " db=3 ") != NULL);
	CALL(&r, &x, "SET", "in3", "yes");
	close_sink(&r);

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/3", srv_tcp.port);
	connect_ok(&r, url, NULL, NULL);
	CALL(&r, &x, "CLIENT", "INFO");
	CHECK(strstr(x.str, " db=3 ") != NULL);
	close_sink(&r);

	/* db 0 does not see it */
	snprintf(url, sizeof(url), "unix://%s", srv_unix.sock);
	connect_ok(&r, url, NULL, NULL);
	CALL(&r, &x, "GET", "in3");
	CHECK_INT_EQ(x.type, SINK_REPLY_NIL);
	CALL(&r, &x, "SELECT", "3");
	CALL(&r, &x, "GET", "in3");
	CHECK_STR_EQ(x.str, "yes");
	close_sink(&r);
}

static void
test_auth(void)
{
	struct res x;
	struct rec r;
	char url[192];
	int i;

	snprintf(url, sizeof(url), "redis://:secret@127.0.0.1:%d",
	    srv_auth.port);
	connect_ok(&r, url, NULL, "return 1");
	CALL(&r, &x, "ACL", "SETUSER", "alice", "on", ">pw%@", "~*", "+@all");
	CHECK_STR_EQ(x.str, "OK");
	close_sink(&r);

	/* the password from the options wins over the URL's */
	snprintf(url, sizeof(url), "redis://:wrong@127.0.0.1:%d/2",
	    srv_auth.port);
	connect_ok(&r, url, "secret", NULL);
	close_sink(&r);

	/* an ACL user, password %-escaped */
	snprintf(url, sizeof(url), "redis://alice:pw%%25%%40@127.0.0.1:%d",
	    srv_auth.port);
	connect_ok(&r, url, NULL, NULL);
	CALL(&r, &x, "ACL", "WHOAMI");
	CHECK_STR_EQ(x.str, "alice");
	close_sink(&r);

	/* wrong: stays down, retries, says why */
	snprintf(url, sizeof(url), "redis://:nope@127.0.0.1:%d",
	    srv_auth.port);
	open_sink(&r, url, NULL, "return 1", 2000, 2000);
	want_downs = 3;
	CHECK(run_until(enough_downs, &r, 5000));
	CHECK_INT_EQ(r.ready, 0);
	CHECK(r.handshakes >= 3);
	for (i = 0; i < r.n; i++)
		if (r.st[i] == SINK_DOWN)
			CHECK(strstr(r.why[i], "AUTH: WRONGPASS") != NULL);
	close_sink(&r);
}

/* --- failures ------------------------------------------------------------ */

static void
test_refused(void)
{
	struct rec r;
	char url[192], logp[192], buf[8192];
	uint64_t d[8] = { 0 };
	int i, nd = 0, fd, saved;
	ssize_t n;
	int lines = 0, level = log_level;
	char *p;

	/* capture our log: one line per change, not per retry */
	snprintf(logp, sizeof(logp), "%s/sink.log", tdir);
	fflush(stderr);
	saved = dup(2);
	fd = open(logp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	dup2(fd, 2);
	log_level = LOG_LEVEL_INFO;

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", free_port());
	open_sink(&r, url, NULL, NULL, 2000, 2000);
	want_downs = 6;
	CHECK(run_until(enough_downs, &r, 8000));
	/* a DOWN and the attempt after it */
	for (i = 0; i + 1 < r.n && nd < 8; i++)
		if (r.st[i] == SINK_DOWN && r.st[i + 1] == SINK_CONNECTING)
			d[nd++] = r.at[i + 1] - r.at[i];
	CHECK(nd >= 5);
	for (i = 0; i < nd; i++) {
		CHECK(d[i] >= 99);
		CHECK(d[i] <= 5000 + 50);
	}
	CHECK(d[0] <= 150);		/* the first base is 100 ms */
	CHECK(d[4] >= 790);		/* base 1600: at least half */
	CHECK(d[4] > d[0] && d[3] > d[0]);
	CHECK_INT_EQ(r.ready, 0);
	CHECK_INT_EQ(r.handshakes, 0);
	CHECK(strstr(r.why[r.n - 1], "refused") != NULL);
	close_sink(&r);

	fflush(stderr);
	log_level = level;
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "redis: ")) != NULL; p++)
		lines++;
	/* down -> connecting, connecting -> down, down -> closed */
	CHECK_INT_EQ(lines, 3);
	CHECK(strstr(buf, "-> closed") != NULL);

	/* a unix socket that is not there */
	snprintf(url, sizeof(url), "unix://%s/none.sock", tdir);
	open_sink(&r, url, NULL, NULL, 2000, 2000);
	want_downs = 2;
	CHECK(run_until(enough_downs, &r, 3000));
	CHECK(strstr(r.why[r.n - 1], "No such file") != NULL);
	close_sink(&r);
}

/* Takes every connection waiting on lfd and resets it (RST, no FIN). */
static void
reset_one(int lfd)
{
	struct linger lg = { 1, 0 };
	int fd;

	CHECK(fcntl(lfd, F_SETFL, O_NONBLOCK) == 0);
	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		CHECK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg)) == 0);
		close(fd);
	}
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
test_silent(void)
{
	static const char *ping[] = { "PING" };
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	struct res x;
	struct rec r;
	char url[192];
	uint64_t t0;
	int lfd;

	/* accepts (the kernel does) and never answers */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(lfd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(lfd, (struct sockaddr *)&a, &len) == 0);
	CHECK(listen(lfd, 64) == 0);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d",
	    ntohs(a.sin_port));

	/* nothing to say at connect: READY, then the command times out */
	open_sink(&r, url, NULL, NULL, 2000, 300);
	CHECK(run_until(is_ready, &r, 3000));
	memset(&x, 0, sizeof(x));
	CHECK_INT_EQ(sink_command(r.s, 1, ping, NULL,
	    reply_cb, &x), 0);
	t0 = uv_now(&loop);
	CHECK(run_until(answered, &x, 3000));
	CHECK(uv_now(&loop) - t0 >= 295);
	CHECK(x.null);
	CHECK_INT_EQ(sink_state(r.s), SINK_DOWN);
	CHECK(strstr(r.why[r.n - 1], "no reply within 300 ms") != NULL);
	CHECK_INT_EQ(sink_inflight(r.s), 0);
	run_for(20);
	CHECK_INT_EQ(x.calls, 1);
	close_sink(&r);

	/* a handshake that never ends: the connect time-out */
	open_sink(&r, url, NULL, "return 1", 250, 5000);
	want_downs = 1;
	CHECK(run_until(enough_downs, &r, 3000));
	CHECK_INT_EQ(r.ready, 0);
	CHECK_INT_EQ(r.handshakes, 1);
	CHECK(strstr(r.why[r.n - 1], "not ready within 250 ms") != NULL);
	close_sink(&r);

	/* a reset with a reply pending: NULL at once, not at the time-out */
	open_sink(&r, url, NULL, NULL, 2000, 5000);
	CHECK(run_until(is_ready, &r, 3000));
	send_only(&r, &x, 1, ping);
	run_for(20);
	reset_one(lfd);
	t0 = uv_now(&loop);
	CHECK(run_until(answered, &x, 3000));
	CHECK(x.null);
	CHECK(uv_now(&loop) - t0 < 1000);
	CHECK_INT_EQ(sink_state(r.s), SINK_DOWN);
	CHECK(strstr(r.why[r.n - 1], "reset") != NULL);
	close_sink(&r);
	close(lfd);
}

static void
test_killed(void)
{
	static const char *blpop[] = { "BLPOP", "q", "0" };
	static const char *get[] = { "GET", "k" };
	struct res a, b, x;
	struct rec r;
	char url[192];
	int downs;

	snprintf(url, sizeof(url), "unix://%s", srv_unix.sock);
	connect_ok(&r, url, NULL, "return 1");
	CALL(&r, &x, "SET", "k", "before");
	send_only(&r, &a, 3, blpop);
	send_only(&r, &b, 2, get);
	run_for(50);
	CHECK_INT_EQ(a.calls, 0);
	CHECK_INT_EQ(sink_inflight(r.s), 2);
	server_kill(&srv_unix);
	CHECK(run_until(is_down, &r, 3000));
	CHECK_INT_EQ(a.calls, 1);
	CHECK(a.null);
	CHECK_INT_EQ(b.calls, 1);
	CHECK(b.null);
	CHECK_INT_EQ(sink_inflight(r.s), 0);
	CHECK_INT_EQ(sink_command(r.s, 2, get, NULL,
	    reply_cb, &x), -ENOTCONN);
	/* retries against the dead socket, then the server is back */
	want_downs = 3;
	CHECK(run_until(enough_downs, &r, 3000));
	downs = r.down;
	CHECK_INT_EQ(r.ready, 1);
	server_start(&srv_unix);
	CHECK(run_until(is_ready, &r, 8000));
	CHECK_INT_EQ(r.ready, 2);
	CHECK(r.down >= downs);
	CALL(&r, &x, "GET", "k");
	CHECK_INT_EQ(x.type, SINK_REPLY_NIL);	/* no persistence */
	EVAL(&r, &x, "z");
	CHECK_INT_EQ(x.integer, 1);
	close_sink(&r);
}

/* --- Sentinel (SPEC §15) ------------------------------------------------ */

/* A redis-sentinel on a free port that monitors srv_tcp as "mymaster"
 * and wants the password "spw" from its clients. */
static void
sentinel_start(void)
{
	struct server probe = { "s", 0, NULL, -1, "" };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char conf[192], logp[192];
	FILE *f;
	int i;

	if (access(REDIS_SENTINEL, X_OK) != 0)
		return;
	sentinel_port = free_port();
	snprintf(conf, sizeof(conf), "%s/sentinel.conf", tdir);
	snprintf(logp, sizeof(logp), "%s/sentinel.log", tdir);
	f = fopen(conf, "w");
	CHECK(f != NULL);
	fprintf(f, "port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n"
	    "requirepass spw\nsentinel monitor mymaster 127.0.0.1 %d 1\n",
	    sentinel_port, tdir, logp, srv_tcp.port);
	CHECK(fclose(f) == 0);
	sentinel_pid = fork();
	CHECK(sentinel_pid >= 0);
	if (sentinel_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(REDIS_SENTINEL, "redis-sentinel", conf, (char *)NULL);
		_exit(127);
	}
	probe.port = sentinel_port;
	for (i = 0; i < 500; i++) {	/* up to 10 s */
		if (can_connect(&probe))
			return;
		nanosleep(&ts, NULL);
	}
	CHECK(!"redis-sentinel did not come up");
}

static void
open_sentinel_sink(struct rec *r, const struct sentinel_conf *sc,
    const char *script)
{
	struct sink_opts o;
	struct ew_err err;

	memset(r, 0, sizeof(*r));
	memset(&o, 0, sizeof(o));
	ew_err_clear(&err);
	/* its host and port are never used, its db is */
	o.url = "redis://192.0.2.1:1/3";
	o.sentinel = sc;
	o.script = script;
	o.connect_timeout_ms = 2000;
	o.reply_timeout_ms = 2000;
	o.on_state = state_cb;
	o.arg = r;
	r->s = sink_create(&loop, &o, &err);
	if (r->s == NULL)
		fprintf(stderr, "sink_create: %s\n", err.msg);
	CHECK(r->s != NULL);
}

static void
test_sentinel(void)
{
	static const char script[] = "return redis.call('GET', KEYS[1] or "
	    "ARGV[1])";
	char dead[32], live[32], name[] = "mymaster", pw[] = "spw";
	char bad[] = "nope", other[] = "othermaster";
	char *addrs[2] = { dead, live };
	struct sentinel_conf sc = { addrs, 2, name, pw };
	char port[16], url[192];
	const char *argv[3];
	struct sink_opts o;
	struct ew_err err;
	struct rec r, r2;
	struct res x;
	int i;

	if (sentinel_pid <= 0) {
		fprintf(stderr, "test_sentinel: no %s, skipped\n",
		    REDIS_SENTINEL);
		return;
	}
	snprintf(dead, sizeof(dead), "127.0.0.1:%d", free_port());
	snprintf(live, sizeof(live), "127.0.0.1:%d", sentinel_port);

	/* the first refuses: the second names srv_tcp in the same
	 * attempt, which says ROLE master and gets the script */
	open_sentinel_sink(&r, &sc, script);
	CHECK(run_until(is_ready, &r, 5000));
	CHECK_INT_EQ(r.st[0], SINK_DISCOVERING);
	CHECK_STR_EQ(r.why[0], dead);
	CHECK_INT_EQ(r.down, 0);
	for (i = 0; i < r.n && r.st[i] != SINK_HANDSHAKE; i++)
		;
	CHECK(i < r.n);
	CHECK_INT_EQ(r.st[i - 1], SINK_CONNECTING);
	CHECK(strstr(r.why[r.n - 1], ", db 3, master mymaster") != NULL);
	CALL(&r, &x, "SET", "sk", "sv");
	EVAL(&r, &x, "sk");
	CHECK_STR_EQ(x.str, "sv");

	/* demoted under a stable link: -READONLY goes to the caller, the
	 * link is dropped and discovery starts at once; the sentinel still
	 * names it, ROLE says replica, so no READY and no script */
	run_for(1100);
	snprintf(port, sizeof(port), "%d", srv_auth.port);
	CALL(&r, &x, "CONFIG", "SET", "masterauth", "secret");
	argv[0] = "REPLICAOF";
	argv[1] = "127.0.0.1";
	argv[2] = port;
	send_only(&r, &x, 3, argv);
	CHECK(run_until(answered, &x, 5000));
	CHECK_INT_EQ(x.type, SINK_REPLY_STATUS);
	CALL(&r, &x, "SET", "sk", "x");
	CHECK_INT_EQ(x.type, SINK_REPLY_ERROR);
	CHECK(strncmp(x.str, "READONLY", 8) == 0);
	want_downs = 2;
	CHECK(run_until(enough_downs, &r, 5000));
	for (i = 0; i < r.n && r.st[i] != SINK_DOWN; i++)
		;
	CHECK(strncmp(r.why[i], "READONLY", 8) == 0);
	CHECK_INT_EQ(r.st[i + 1], SINK_DISCOVERING);
	CHECK(r.at[i + 1] - r.at[i] < 50);	/* no backoff first */
	CHECK(r.handshakes >= 2);	/* reached, ROLE asked, left */
	CHECK_INT_EQ(r.ready, 1);
	/* promoted again: found on the next round */
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", srv_tcp.port);
	connect_ok(&r2, url, NULL, NULL);
	CALL(&r2, &x, "REPLICAOF", "NO", "ONE");
	sink_close(r2.s);	/* r's watch keeps the loop busy: no drain */
	CHECK(run_until(is_ready, &r, 8000));
	CHECK_INT_EQ(r.ready, 2);
	EVAL(&r, &x, "sk");	/* the script is there again */
	CHECK(x.type != SINK_REPLY_ERROR);
	close_sink(&r);

	/* a wrong sentinel password, a name the sentinel does not know:
	 * every sentinel asked, then DOWN with the reason */
	sc.password = bad;
	open_sentinel_sink(&r, &sc, NULL);
	want_downs = 1;
	CHECK(run_until(enough_downs, &r, 5000));
	CHECK(strstr(r.why[r.n - 1], "sentinel " ) != NULL);
	CHECK_INT_EQ(r.ready, 0);
	CHECK_INT_EQ(r.handshakes, 0);
	close_sink(&r);
	sc.password = pw;
	sc.master_name = other;
	sc.addrs = addrs + 1;
	sc.naddrs = 1;
	open_sentinel_sink(&r, &sc, NULL);
	CHECK(run_until(enough_downs, &r, 5000));
	CHECK(strstr(r.why[r.n - 1], "does not know") != NULL);
	CHECK_INT_EQ(r.handshakes, 0);
	close_sink(&r);
	sc.master_name = name;

	/* settings the config would refuse */
	memset(&o, 0, sizeof(o));
	o.sentinel = &sc;
	o.url = "unix:///tmp/x.sock";
	ew_err_clear(&err);
	CHECK(sink_create(&loop, &o, &err) == NULL);
	CHECK(strstr(err.msg, "redis://") != NULL);
	o.url = "redis://127.0.0.1";
	sc.master_name = NULL;
	ew_err_clear(&err);
	CHECK(sink_create(&loop, &o, &err) == NULL);
	CHECK(strstr(err.msg, "master_name") != NULL);
	sc.master_name = name;
	addrs[1] = bad;
	ew_err_clear(&err);
	CHECK(sink_create(&loop, &o, &err) == NULL);
	CHECK(strstr(err.msg, "redis.sentinels[0]") != NULL);
	addrs[1] = live;
}

static void
test_close(void)
{
	static const char *blpop[] = { "BLPOP", "q", "0" };
	struct res a;
	struct rec r;
	char url[192];

	/* a command pending: its callback gets NULL, once */
	snprintf(url, sizeof(url), "unix://%s", srv_unix.sock);
	connect_ok(&r, url, NULL, NULL);
	send_only(&r, &a, 3, blpop);
	run_for(20);
	CHECK_INT_EQ(a.calls, 0);
	close_sink(&r);
	CHECK_INT_EQ(a.calls, 1);
	CHECK(a.null);

	/* at every stage of connecting */
	snprintf(url, sizeof(url), "redis://localhost:%d", srv_tcp.port);
	open_sink(&r, url, NULL, NULL, 2000, 2000);
	close_sink(&r);			/* before the first attempt */
	open_sink(&r, url, NULL, NULL, 2000, 2000);
	run_for(0);
	CHECK_INT_EQ(r.st[0], SINK_RESOLVING);
	close_sink(&r);			/* lookup in flight */
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", srv_tcp.port);
	open_sink(&r, url, NULL, "return 1", 2000, 2000);
	run_for(0);
	CHECK_INT_EQ(r.st[0], SINK_CONNECTING);
	close_sink(&r);			/* connect in flight */
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", free_port());
	open_sink(&r, url, NULL, NULL, 2000, 2000);
	want_downs = 1;
	CHECK(run_until(enough_downs, &r, 3000));
	close_sink(&r);			/* backoff armed */
}

int
main(void)
{
	struct sigaction sa;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	snprintf(tdir, sizeof(tdir), "/tmp/ew_test_sink.XXXXXX");
	CHECK(mkdtemp(tdir) != NULL);
	atexit(cleanup);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = abort_handler;
	sigaction(SIGABRT, &sa, NULL);
	srv_tcp.port = free_port();
	srv_auth.port = free_port();
	for (i = 0; i < ARRAY_SIZE(servers); i++)
		server_start(servers[i]);
	sentinel_start();

	if (getenv("EW_TEST_DEBUG") != NULL)
		log_level = LOG_LEVEL_DEBUG;
	CHECK_INT_EQ(uv_loop_init(&loop), 0);
	uv_timer_init(&loop, &deadline);

	test_url();
	test_unix();
	test_tcp();
	test_eval();
	test_select();
	test_auth();
	test_refused();
	test_silent();
	test_killed();
	test_close();
	test_sentinel();	/* last: srv_tcp was a replica of srv_auth */

	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK_INT_EQ(uv_loop_close(&loop), 0);
	cleanup();
	CHECK_DONE();
}
