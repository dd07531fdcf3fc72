/*
 * test_session: the SPEC §8 protocol, every phase change, against a real
 * redis-server this test starts on a unix socket in a temporary directory
 * (killed, and the directory removed, at exit or abort). The session
 * reaches it through a small proxy thread that can lose one reply (the
 * DUP case). Files are modelled: each is a list of lines by class, its
 * offset record the number of lines read, so every count in Redis is
 * known exactly. The test reads Redis with hiredis's synchronous API.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <uv.h>

#include "agg.h"
#include "base.h"
#include "check.h"
#include "redisfix.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "redisurl.h"
#include "session.h"

#define NCLASSES	3
#define MAX_LINES	256

static const char *const class_names[NCLASSES] = { "Success", "Punishment",
    "Timeout" };

/* --- redis-server and the proxy ---------------------------------------- */

static char	 psock[96];	/* the proxy's: the session's URL */
static redisContext *rc;

/* Starts redis-server; it loads dump.rdb when there is one. */
static void
redis_start(void)
{
	rc = rfix_start();
}

/* SIGKILL: whatever was not saved is gone. */
static void
redis_kill(void)
{
	redisFree(rc);
	rc = NULL;
	rfix_kill();
}

static redisReply *
cmd(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(rc, fmt, ap);
	va_end(ap);
	if (r == NULL) {
		fprintf(stderr, "redis: %s\n", rc->errstr);
		CHECK(!"no reply");
		abort();
	}
	CHECK(r->type != REDIS_REPLY_ERROR);
	return r;
}

#define CMD(...)	freeReplyObject(cmd(__VA_ARGS__))

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A hash as "f=v,f=v" in field order; "" when missing. */
static const char *
hash(const char *key)
{
	static char out[4096];
	char *items[128] = { NULL };
	redisReply *r = cmd("HGETALL %s", key);
	size_t i, n = r->elements / 2, len = 0;

	CHECK(n <= ARRAY_SIZE(items));
	for (i = 0; i < n; i++)
		items[i] = xasprintf("%s=%s", r->element[2 * i]->str,
		    r->element[2 * i + 1]->str);
	qsort(items, n, sizeof(*items), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
		    i ? "," : "", items[i]);
		free(items[i]);
	}
	freeReplyObject(r);
	return out;
}

/* An integer reply, or a string one read as a number (HGET). */
static long long
integer(const char *fmt, const char *key)
{
	redisReply *r = cmd(fmt, key);
	long long v = r->type == REDIS_REPLY_STRING ?
	    strtoll(r->str, NULL, 10) : r->integer;

	freeReplyObject(r);
	return v;
}

/* The proxy: forwards between the session and redis-server; with
 * lose_reply set it drops the next reply and both connections, as a link
 * lost after Redis applied the command. */
static int		 proxy_fd = -1;
static int		 proxy_wake[2] = { -1, -1 };
static volatile int	 lose_reply;
static volatile int	 lost_replies;
static pthread_t	 proxy_thread;

static int
unix_connect(const char *path)
{
	struct sockaddr_un un;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Pumps one session connection until either side closes. False when
 * woken to stop. */
static bool
pump(int cfd, int ufd)
{
	struct pollfd p[3];
	char buf[65536];
	ssize_t n;

	for (;;) {
		p[0].fd = cfd;
		p[1].fd = ufd;
		p[2].fd = proxy_wake[0];
		p[0].events = p[1].events = p[2].events = POLLIN;
		if (poll(p, 3, -1) < 0)
			continue;
		if (p[2].revents != 0)
			return false;
		if (p[0].revents != 0) {
			n = read(cfd, buf, sizeof(buf));
			if (n <= 0 || write(ufd, buf, (size_t)n) != n)
				return true;
		}
		if (p[1].revents != 0) {
			n = read(ufd, buf, sizeof(buf));
			if (n <= 0)
				return true;
			if (lose_reply) {
				lose_reply = 0;
				lost_replies++;
				return true;
			}
			if (write(cfd, buf, (size_t)n) != n)
				return true;
		}
	}
}

static void *
proxy_main(void *arg)
{
	struct pollfd p[2];
	int cfd, ufd;
	bool go = true;

	(void)arg;
	while (go) {
		p[0].fd = proxy_fd;
		p[1].fd = proxy_wake[0];
		p[0].events = p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents != 0)
			break;
		cfd = accept(proxy_fd, NULL, NULL);
		if (cfd < 0)
			continue;
		ufd = unix_connect(rfix_sock);
		if (ufd >= 0) {
			go = pump(cfd, ufd);
			close(ufd);
		}
		close(cfd);
	}
	return NULL;
}

static void
proxy_start(void)
{
	struct sockaddr_un un;

	proxy_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(proxy_fd >= 0);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", psock);
	CHECK(bind(proxy_fd, (struct sockaddr *)&un, sizeof(un)) == 0);
	CHECK(listen(proxy_fd, 4) == 0);
	CHECK(pipe(proxy_wake) == 0);
	CHECK(pthread_create(&proxy_thread, NULL, proxy_main, NULL) == 0);
}

static void
proxy_stop(void)
{
	CHECK(write(proxy_wake[1], "x", 1) == 1);
	pthread_join(proxy_thread, NULL);
	close(proxy_fd);
	close(proxy_wake[0]);
	close(proxy_wake[1]);
}

/* --- the modelled files ------------------------------------------------ */

/* A file as follow would see it: lines by class; read: lines counted. */
struct mfile {
	const char	*field;
	size_t		 cls[MAX_LINES];
	size_t		 len;
	size_t		 read;
	bool		 placed;
};

static struct mfile	 files[2] = { { "8:1", { 0 }, 0, 0, false },
			    { "8:2", { 0 }, 0, 0, false } };
static uint64_t		 written[NCLASSES];	/* lines written, by class */

static void
file_append(struct mfile *f, size_t cls, size_t n)
{
	while (n-- > 0) {
		CHECK(f->len < MAX_LINES);
		f->cls[f->len++] = cls;
		written[cls]++;
	}
}

/* --- the session under test -------------------------------------------- */

static uv_loop_t	 loop;
static uv_timer_t	 deadline;
static bool		 expired;
static struct agg	*agg;
static struct session	*sess;
static struct config_redis redis_cfg;
static bool		 with_bucket;	/* open_session: one 1h bucket */
static uint64_t		 ttl_every_ms;	/* open_session: bucket TTL refresh */

/* What the callbacks saw. */
static int	 loaded_calls, committed_calls, conflict_calls, flushed_calls;
static size_t	 loaded_n;

static void
read_files(void)
{
	char v[24];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		struct mfile *f = &files[i];

		if (!f->placed || f->read == f->len)
			continue;
		for (; f->read < f->len; f->read++)
			agg_count(agg, ew_wall_ms(), f->cls[f->read], 1);
		snprintf(v, sizeof(v), "%zu", f->read);
		agg_offset(agg, f->field, v);
	}
}

/* As follow places files: at the stored offset, else from 0. */
static void
loaded_cb(void *arg, const struct session_rec *recs, size_t n,
    struct argv *drop)
{
	char val[24];
	size_t i, j;
	uint64_t v;

	(void)arg;
	(void)drop;
	loaded_calls++;
	loaded_n = n;
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		files[i].placed = true;
		files[i].read = 0;
		for (j = 0; j < n; j++) {
			if (recs[j].flen != strlen(files[i].field) ||
			    memcmp(recs[j].field, files[i].field,
			    recs[j].flen) != 0)
				continue;
			CHECK_UINT_EQ(ew_parse_dec(recs[j].value, recs[j].vlen,
			    MAX_LINES, &v), recs[j].vlen);
			files[i].read = (size_t)v;
			snprintf(val, sizeof(val), "%.*s", (int)recs[j].vlen,
			    recs[j].value);
			agg_offset_stored(agg, files[i].field, val);
		}
	}
	read_files();
}

static void
committed_cb(void *arg, const struct batch *b)
{
	(void)arg;
	(void)b;
	committed_calls++;
}

static void
conflict_cb(void *arg)
{
	size_t i;

	(void)arg;
	conflict_calls++;
	for (i = 0; i < ARRAY_SIZE(files); i++)
		files[i].placed = false;
}

static void
flushed_cb(void *arg)
{
	(void)arg;
	flushed_calls++;
}

static void
stats_cb(void *arg, struct session_stats *st)
{
	(void)arg;
	st->lines = written[0] + written[1] + written[2];
	st->files = ARRAY_SIZE(files);
}

/* The session reaches Redis through the config's parsed target, as
 * config_load leaves it. */
static void
set_target(const char *url)
{
	struct ew_err err = { 0 };

	redisurl_free(&redis_cfg.target);
	CHECK_INT_EQ(redisurl_parse(&redis_cfg.target, url, &err), 0);
	redis_cfg.url = (char *)(uintptr_t)url;
}

static void
open_session(void)
{
	struct session_opts o;
	struct ew_err err;
	char url[192];
	size_t i;

	snprintf(url, sizeof(url), "unix://%s", psock);
	redisurl_free(&redis_cfg.target);
	memset(&redis_cfg, 0, sizeof(redis_cfg));
	set_target(url);
	redis_cfg.prefix = (char *)(uintptr_t)"t:";
	redis_cfg.connect_timeout_ms = 1000;
	redis_cfg.flush_interval_ms = 100;
	if (with_bucket) {
		redis_cfg.buckets[0].res_ms = 3600000;
		redis_cfg.buckets[0].retention_ms = 7200000;
		strcpy(redis_cfg.buckets[0].name, "1h");
		redis_cfg.nbuckets = 1;
	}
	memset(&o, 0, sizeof(o));
	o.redis = &redis_cfg;
	o.bucket_ttl_every_ms = ttl_every_ms;
	o.host = "h1";
	o.class_names = class_names;
	o.on_loaded = loaded_cb;
	o.on_committed = committed_cb;
	o.on_conflict = conflict_cb;
	o.on_flushed = flushed_cb;
	o.on_stats = stats_cb;
	ew_err_clear(&err);
	agg = agg_create(NCLASSES, 1);
	sess = session_create(&loop, agg, &o, &err);
	CHECK(sess != NULL);
	CHECK_INT_EQ(session_phase(sess), SESSION_UNLOADED);
	for (i = 0; i < ARRAY_SIZE(files); i++)
		files[i].placed = false;
	loaded_calls = committed_calls = conflict_calls = flushed_calls = 0;
}

static void
close_session(void)
{
	session_close(sess);
	sess = NULL;
	uv_run(&loop, UV_RUN_DEFAULT);	/* the sink's handles go */
	agg_destroy(agg);
	agg = NULL;
}

static void
deadline_cb(uv_timer_t *t)
{
	(void)t;
	expired = true;
}

typedef bool pred_fn(void);

/* Runs the loop, with a flush tick every 50 ms as the daemon's timer
 * would, until pred holds or ms pass; returns pred. */
static bool
run_until(pred_fn *pred, uint64_t ms)
{
	uint64_t until;

	expired = false;
	uv_update_time(&loop);
	until = uv_now(&loop) + ms;
	while (!pred() && uv_now(&loop) < until) {
		uv_timer_start(&deadline, deadline_cb, 50, 0);
		expired = false;
		while (!pred() && !expired)
			uv_run(&loop, UV_RUN_ONCE);
		if (pred())
			break;
		read_files();
		session_flush(sess);
	}
	uv_timer_stop(&deadline);
	return pred();
}

static bool
is_loaded(void)
{
	return session_is_loaded(sess) && session_phase(sess) ==
	    SESSION_IDLE;
}

static bool
is_flushed(void)
{
	return session_is_flushed(sess);
}

static bool
is_unchecked(void)
{
	return session_phase(sess) == SESSION_UNCHECKED;
}

/* Everything written is counted, once: the exact contents. */
static void
check_counts(void)
{
	static const size_t by_name[NCLASSES] = { 1, 0, 2 };
	char want[256];
	size_t i, len = 0;

	want[0] = '\0';
	for (i = 0; i < NCLASSES; i++)
		if (written[by_name[i]] > 0)
			len += (size_t)snprintf(want + len, sizeof(want) - len,
			    "%s%s=%" PRIu64, len ? "," : "",
			    class_names[by_name[i]], written[by_name[i]]);
	CHECK_STR_EQ(hash("t:count:total"), want);
	CHECK_STR_EQ(hash("t:host:h1:count:total"), want);
}

/* The offsets hash: every file at the lines it has. */
static void
check_offsets(void)
{
	char want[64];

	snprintf(want, sizeof(want), "8:1=%zu,8:2=%zu", files[0].len,
	    files[1].len);
	CHECK_STR_EQ(hash("t:offsets:h1"), want);
}

static void
flush_all(void)
{
	read_files();
	CHECK(run_until(is_flushed, 10000));
	check_counts();
	check_offsets();
}

static const struct session_counts *
counts(void)
{
	return session_counts(sess);
}

/* --- the cases --------------------------------------------------------- */

/* First start: no offsets:<host>; the files are read from 0 and their
 * records appear with the counts. */
static void
test_first_start(void)
{
	open_session();
	CHECK(run_until(is_loaded, 10000));
	CHECK_INT_EQ(loaded_calls, 1);
	CHECK_UINT_EQ(loaded_n, 0);
	CHECK_STR_EQ(hash("t:offsets:h1"), "");
	file_append(&files[0], 1, 3);
	file_append(&files[1], 0, 2);
	flush_all();
	CHECK_UINT_EQ(counts()->ok, 1);
	CHECK_INT_EQ(committed_calls, 1);
	CHECK_INT_EQ(flushed_calls, 1);
	CHECK_INT_EQ(integer("HGET %s flushes", "t:stats:h1"), 1);
	CHECK_INT_EQ(integer("HGET %s lines", "t:stats:h1"), 5);
	CHECK_INT_EQ(integer("ZCARD %s", "t:hosts"), 1);
	CHECK_INT_EQ(integer("EXISTS %s", "t:alerts:active"), 0);
	close_session();
}

/* A restart finds the records and goes on from them. */
static void
test_restart(void)
{
	file_append(&files[0], 2, 4);	/* read as soon as placed */
	open_session();
	CHECK(run_until(is_loaded, 10000));
	CHECK_UINT_EQ(loaded_n, 2);
	CHECK_UINT_EQ(files[0].read, 7);
	CHECK_UINT_EQ(files[1].read, 2);
	flush_all();
	CHECK_UINT_EQ(counts()->ok, 1);
	/* the batch cut right after the load has fresh stats */
	CHECK_INT_EQ(integer("HGET %s lines", "t:stats:h1"), 9);
	CHECK_INT_EQ(integer("HGET %s files", "t:stats:h1"), 2);
	CHECK_INT_EQ(integer("HGET %s flushes", "t:stats:h1"), 1);
}

/* A reply lost after Redis applied the batch: the same batch goes again
 * on the next link, after the check, and Redis answers DUP. */
static void
test_dup(void)
{
	uint64_t ok = counts()->ok;

	file_append(&files[1], 1, 5);
	lose_reply = 1;
	read_files();
	CHECK(run_until(is_flushed, 15000));
	CHECK_INT_EQ(lost_replies, 1);
	CHECK_UINT_EQ(counts()->dup, 1);
	CHECK_UINT_EQ(counts()->ok, ok);
	check_counts();
	check_offsets();
}

static bool
never(void)
{
	return false;
}

static bool
is_checking_or_later(void)
{
	return session_phase(sess) != SESSION_IDLE ||
	    session_link(sess) != SINK_READY;
}

/* SPEC §15: a flush leaves out what Redis holds already (stats fields
 * that did not change, the stats TTL) for as long as the link lives; a
 * new link says everything again. Taken away behind the session's back,
 * they show what it skipped. Ticks with nothing new send nothing: the
 * heartbeat is 10 s away. */
static void
test_told(void)
{
	uint64_t ok = counts()->ok;

	file_append(&files[0], 0, 2);
	flush_all();
	CHECK_UINT_EQ(counts()->ok, ok + 1);
	CHECK(integer("TTL %s", "t:stats:h1") > 0);
	CHECK_INT_EQ(integer("HGET %s files", "t:stats:h1"), 2);
	CHECK_INT_EQ(integer("PERSIST %s", "t:stats:h1"), 1);
	CHECK_INT_EQ(integer("HDEL %s files", "t:stats:h1"), 1);

	file_append(&files[0], 1, 1);
	flush_all();
	CHECK_UINT_EQ(counts()->ok, ok + 2);
	CHECK_INT_EQ(integer("TTL %s", "t:stats:h1"), -1);
	CHECK_INT_EQ(integer("HEXISTS %s files", "t:stats:h1"), 0);
	CHECK_INT_EQ(integer("HGET %s lines", "t:stats:h1"),
	    (long long)(written[0] + written[1] + written[2]));

	CHECK(!run_until(never, 1000));
	CHECK_UINT_EQ(counts()->ok, ok + 2);

	/* a new link: the session cannot know what Redis holds now */
	CMD("CLIENT KILL TYPE normal SKIPME yes");
	CHECK(run_until(is_checking_or_later, 10000));
	file_append(&files[0], 2, 1);
	flush_all();
	CHECK_UINT_EQ(counts()->ok, ok + 3);
	CHECK(integer("TTL %s", "t:stats:h1") > 0);
	CHECK_INT_EQ(integer("HGET %s files", "t:stats:h1"), 2);
	CHECK(integer("ZSCORE %s h1", "t:hosts") > 0);
}

/* A firing alert rides in a batch; a resolved one removes it. */
static void
alert(const char *name, bool firing)
{
	struct keys_alert a;

	memset(&a, 0, sizeof(a));
	a.firing = firing;
	a.name = name;
	a.code = 461;
	a.category = "account";
	a.severity = "critical";
	a.rule = name;
	a.window_s = 60;
	a.count = 20;
	a.baseline = 1.5;
	a.threshold = 20;
	a.ts_ms = 1700000000000ULL;
	session_alert(sess, &a);
}

/* The JSON alerts:active holds for a firing alert raised n-th. */
static const char *
active_json(const char *name, int n)
{
	static char out[512];
	redisReply *r = cmd("HGET t:stats:h1 started_at");
	struct keys_alert a;
	struct buf field = { 0 }, json = { 0 };
	struct argv kv = { 0 };

	memset(&a, 0, sizeof(a));
	a.firing = true;
	a.host = "h1";
	a.run = strtoull(r->str, NULL, 10);
	a.n = (uint64_t)n;
	a.name = name;
	a.code = 461;
	a.category = "account";
	a.severity = "critical";
	a.rule = name;
	a.window_s = 60;
	a.count = 20;
	a.baseline = 1.5;
	a.threshold = 20;
	a.ts_ms = 1700000000000ULL;
	keys_alert(&a, &field, &kv, &json);
	snprintf(out, sizeof(out), "%s@h1=%s", name, json.p);
	buf_free(&field);
	buf_free(&json);
	argv_free(&kv);
	freeReplyObject(r);
	return out;
}

/* SPEC §8: Redis rolled back (counts and offsets together) under a live
 * link: the next batch naming the file finds CONFLICT, the files go back
 * to what Redis holds and are read again, and the counts are exact
 * again. The rollback
 * also lost an alert event: the first batch after it writes this host's
 * firing alerts back and drops its stale fields, not other hosts'. */
static void
test_conflict(void)
{
	char want[1024];

	alert("Punishment", true);
	alert("Timeout", true);
	alert("Timeout", false);
	file_append(&files[0], 0, 1);
	flush_all();
	snprintf(want, sizeof(want), "%s", active_json("Punishment", 1));
	CHECK_STR_EQ(hash("t:alerts:active"), want);
	CHECK_INT_EQ(integer("XLEN %s", "t:alerts"), 3);

	/* the rollback: the last 4 lines of 8:2 (Punishment) and the
	 * Punishment alert are gone, a resolved Timeout is back */
	CMD("HSET t:offsets:h1 8:2 %d", (int)files[1].len - 4);
	CMD("HINCRBY t:count:total Punishment -4");
	CMD("HINCRBY t:host:h1:count:total Punishment -4");
	CMD("HDEL t:alerts:active Punishment@h1");
	CMD("HSET t:alerts:active Timeout@h1 {}");
	CMD("HSET t:alerts:active Timeout@h2 {}");
	file_append(&files[0], 2, 2);
	file_append(&files[1], 2, 1);	/* the batch names 8:2 */
	flush_all();
	CHECK_UINT_EQ(counts()->conflict, 1);
	CHECK_INT_EQ(conflict_calls, 1);
	CHECK_INT_EQ(loaded_calls, 2);
	snprintf(want, sizeof(want), "%s,Timeout@h2={}",
	    active_json("Punishment", 1));
	CHECK_STR_EQ(hash("t:alerts:active"), want);
	CHECK_INT_EQ(integer("XLEN %s", "t:alerts"), 3);
}

/* FLUSHALL: the next batch finds offsets:<host> gone (WIPED): it is
 * applied, positions are kept (history is not recounted), every other
 * file's record goes back, and so do the firing alerts. */
static void
test_wiped(void)
{
	char want[1024];

	CMD("FLUSHALL");
	memset(written, 0, sizeof(written));
	file_append(&files[0], 1, 2);
	flush_all();		/* 8:2 did not move: restored */
	CHECK_UINT_EQ(counts()->wiped, 1);
	CHECK_UINT_EQ(counts()->restored, 1);
	CHECK_INT_EQ(loaded_calls, 2);
	snprintf(want, sizeof(want), "%s", active_json("Punishment", 1));
	CHECK_STR_EQ(hash("t:alerts:active"), want);
	CHECK_INT_EQ(integer("XLEN %s", "t:alerts"), 0);
	CHECK(integer("HEXISTS %s started_at", "t:stats:h1") == 1);
}

/* Redis down and back with its data (saved, killed, restarted): the
 * counts made meanwhile wait in memory and go after the check. */
static void
test_down_and_back(void)
{
	uint64_t ok = counts()->ok;

	CMD("SAVE");
	redis_kill();
	CHECK(run_until(is_unchecked, 10000));
	file_append(&files[1], 0, 3);
	CHECK(!run_until(is_flushed, 300));
	redis_start();
	flush_all();
	CHECK_UINT_EQ(counts()->ok, ok + 1);
	CHECK_UINT_EQ(counts()->conflict, 1);
}

/* Redis restarted empty (no persistence) while away: the check finds
 * offsets:<host> gone, keeps our positions and writes every record back
 * before the next batch. */
static void
test_restart_empty(void)
{
	redis_kill();
	CHECK(unlink(rfix_sock) == 0 || errno == ENOENT);
	{
		char p[192];

		snprintf(p, sizeof(p), "%s/dump.rdb", rfix_dir);
		CHECK(unlink(p) == 0);
	}
	CHECK(run_until(is_unchecked, 10000));
	redis_start();
	memset(written, 0, sizeof(written));
	CHECK(run_until(is_flushed, 10000));
	CHECK_UINT_EQ(counts()->wiped, 2);
	CHECK_UINT_EQ(counts()->restored, 2);
	check_offsets();
	CHECK_STR_EQ(hash("t:count:total"), "");
	file_append(&files[0], 2, 1);
	flush_all();
}

/* SPEC §7: an error reply (-OOM here) refuses the batch; it goes again,
 * identical, at the next tick, and lands once Redis takes writes. */
static void
test_refused(void)
{
	uint64_t refused = counts()->refused, ok = counts()->ok;

	CMD("CONFIG SET maxmemory 1");
	file_append(&files[1], 2, 2);
	read_files();
	CHECK(!run_until(is_flushed, 500));
	CHECK(counts()->refused >= refused + 2);	/* one per tick */
	CHECK_STR_EQ(hash("t:count:total"), "Timeout=1");
	CMD("CONFIG SET maxmemory 0");
	flush_all();
	CHECK_UINT_EQ(counts()->ok, ok + 1);
}

/* A reload with new link settings while a batch is in flight: the old
 * link's reply never comes, the new link checks and sends the same batch
 * again; the counts are exact. */
static void
test_reload(void)
{
	struct session_opts o;
	struct ew_err err;
	char url[192];

	file_append(&files[0], 0, 3);
	read_files();
	session_flush(sess);
	CHECK_INT_EQ(session_phase(sess), SESSION_FLUSHING);
	snprintf(url, sizeof(url), "unix://%s", psock);
	set_target(url);
	redis_cfg.connect_timeout_ms = 2000;
	memset(&o, 0, sizeof(o));
	o.redis = &redis_cfg;
	o.host = "h1";
	o.class_names = class_names;
	o.on_loaded = loaded_cb;
	o.on_committed = committed_cb;
	o.on_conflict = conflict_cb;
	o.on_flushed = flushed_cb;
	o.on_stats = stats_cb;
	ew_err_clear(&err);
	CHECK_INT_EQ(session_reload(sess, &o, &err), 0);
	CHECK_INT_EQ(session_phase(sess), SESSION_UNCHECKED);
	flush_all();
	CHECK_INT_EQ(session_phase(sess), SESSION_IDLE);
}

/* Restarted from an older snapshot while away (SPEC §8): the check sees
 * the offsets moved back, the files are read again from them, the counts
 * are exact, and the alert the snapshot lacks is written back. */
static void
test_old_snapshot(void)
{
	char want[1024];
	uint64_t saved[NCLASSES];

	CMD("SAVE");
	memcpy(saved, written, sizeof(saved));
	file_append(&files[0], 1, 6);
	alert("Timeout", true);
	flush_all();
	snprintf(want, sizeof(want), "%s,", active_json("Punishment", 1));
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s",
	    active_json("Timeout", 4));
	CHECK_STR_EQ(hash("t:alerts:active"), want);
	redis_kill();		/* dump.rdb is the snapshot before */
	CHECK(run_until(is_unchecked, 10000));
	redis_start();
	CHECK_INT_EQ(integer("HGET %s Punishment", "t:count:total"),
	    (long long)saved[1]);
	flush_all();
	CHECK_UINT_EQ(counts()->conflict, 2);
	CHECK_STR_EQ(hash("t:alerts:active"), want);
	close_session();
}

/* The 1h bucket this flush wrote into (one key: a test that straddles an
 * hour ends with two, and checks the newer). */
static void
bucket_key(char *out, size_t len)
{
	redisReply *r = cmd("KEYS t:count:1h:*");
	size_t i, best = 0;

	CHECK(r->type == REDIS_REPLY_ARRAY && r->elements > 0);
	for (i = 1; i < r->elements; i++)
		if (strcmp(r->element[i]->str, r->element[best]->str) > 0)
			best = i;
	snprintf(out, len, "%s", r->element[best]->str);
	freeReplyObject(r);
}

/* SPEC §7 and §15: EXPIRE NX goes once per bucket, and again every
 * bucket_ttl_every_ms, so a key deleted or evicted behind the session's
 * back and recreated by HINCRBY gets its TTL back. */
static void
test_bucket_ttl(void)
{
	char key[128], first[128];

	with_bucket = true;
	ttl_every_ms = 1500;
	open_session();
	CHECK(run_until(is_loaded, 10000));
	file_append(&files[0], 0, 1);
	flush_all();
	bucket_key(first, sizeof(first));
	CHECK(integer("TTL %s", first) > 0);
	CHECK_INT_EQ(integer("PERSIST %s", first), 1);
	/* told: the next flush leaves the TTL out (unless an hour began in
	 * between: a new bucket gets its TTL at once) */
	file_append(&files[0], 0, 1);
	flush_all();
	bucket_key(key, sizeof(key));
	if (strcmp(key, first) == 0)
		CHECK_INT_EQ(integer("TTL %s", key), -1);
	/* past the refresh: it goes again */
	CHECK(!run_until(never, 1600));
	file_append(&files[0], 0, 1);
	flush_all();
	bucket_key(key, sizeof(key));
	CHECK(integer("TTL %s", key) > 0);
	close_session();
	with_bucket = false;
	ttl_every_ms = 0;
}

int
main(void)
{
	log_level = LOG_LEVEL_INFO;	/* the phase changes, for a failure */
	rfix_extra[0] = "p.sock";
	rfix_extra[1] = "old.rdb";
	rfix_setup("session");
	snprintf(psock, sizeof(psock), "%s/p.sock", rfix_dir);
	signal(SIGPIPE, SIG_IGN);

	uv_loop_init(&loop);
	uv_timer_init(&loop, &deadline);
	redis_start();
	proxy_start();

	test_first_start();
	test_restart();
	test_told();
	test_dup();
	test_conflict();
	test_wiped();
	test_down_and_back();
	test_restart_empty();
	test_refused();
	test_reload();
	test_old_snapshot();
	test_bucket_ttl();

	proxy_stop();
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK_INT_EQ(uv_loop_close(&loop), 0);
	redisFree(rc);
	rc = NULL;
	rfix_cleanup();
	redisurl_free(&redis_cfg.target);
	CHECK_DONE();
}
