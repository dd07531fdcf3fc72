/*
 * ew-fleet: many simulated errwatchd hosts against one Redis, to measure
 * Redis's own CPU time per host (SPEC §15). Each host is the real thing
 * from the flush down: its own struct agg, its own session (the SPEC §8
 * phase machine) and sink (one connection each), so the flush script,
 * its ARGV and the send-or-skip decision are exactly errwatchd's. Only
 * the files are simulated: an active host "reads" rate matched lines a
 * second spread over 5 classes, in one file whose offset record moves
 * with them; an idle host reads nothing. Every host ticks on its own
 * timer every flush interval, at a random phase, like a fleet started at
 * different times.
 *
 * The figure is Redis's: used_cpu_sys + used_cpu_user from INFO cpu,
 * before and after the measured window, divided by hosts and seconds.
 * The window starts after a warm-up (every session loaded, the first
 * buckets touched), so start-up costs are not in it.
 *
 * Built against the current tree by CMake, and by bench/fleet.sh against
 * an older commit's ewcore for the "before" figures: it uses only the
 * session, agg and keys calls both have.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <uv.h>

#include "agg.h"
#include "base.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "redisurl.h"
#include "session.h"

#define NCLASSES	5

/* Five classes of data/error-codes.tsv, as a busy service shows them. */
static const char *const class_names[NCLASSES] = { "InternalError",
    "ServiceUnavailable", "Punishment", "AuthFailure", "ServerTimeout" };

struct host {
	uv_timer_t	 tick;
	struct agg	*agg;
	struct session	*session;
	char		 name[32];
	char		 field[48];	/* the file's "<dev>:<ino>" */
	bool		 active;
	double		 owed;		/* lines due, fractional */
	uint64_t	 offset;	/* bytes read so far */
	uint64_t	 lines, matched;
	uint64_t	 rng;
};

static struct {
	const char	*sock;
	size_t		 nactive, nidle;
	uint64_t	 flush_ms;
	uint64_t	 warmup_s, measure_s;
	double		 rate;		/* matched lines/s per active host */
	bool		 verbose;
} opt = { NULL, 100, 0, 500, 12, 30, 20.0, false };

static uv_loop_t	 loop;
static struct host	*hosts;
static size_t		 nhosts;
static struct config_redis rcfg;
static redisContext	*probe;		/* INFO, CONFIG RESETSTAT */
static uv_timer_t	 phase_timer;
static int		 stage;		/* 0 loading, 1 warm-up, 2 measuring */
static double		 cpu0;
static uint64_t		 mono0;

/* splitmix64: the same seed, the same fleet. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
die(const char *what)
{
	fprintf(stderr, "ew-fleet: %s\n", what);
	exit(1);
}

static void
stats_cb(void *arg, struct session_stats *st)
{
	struct host *h = arg;

	st->files = h->active ? 1 : 0;
	st->lines = h->lines;
	st->bytes = h->offset;
	st->matched = h->matched;
}

static void
loaded_cb(void *arg, const struct session_rec *recs, size_t n,
    struct argv *drop)
{
	(void)arg;
	(void)recs;
	(void)n;
	(void)drop;
}

/* What a follower does before each flush: the lines read since the last
 * tick counted by class, and the file's new offset record with them. */
static void
read_lines(struct host *h, uint64_t now_ms)
{
	struct offset_rec rec;
	struct buf v = { 0 };
	uint64_t n, i;

	h->owed += opt.rate * (double)opt.flush_ms / 1000.0;
	n = (uint64_t)h->owed;
	h->owed -= (double)n;
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		agg_count(h->agg, now_ms, rnd(&h->rng) % NCLASSES, 1);
	/* about 10 ordinary lines per matched one, 150 bytes each */
	h->matched += n;
	h->lines += 11 * n;
	h->offset += 11 * n * 150;
	memset(&rec, 0, sizeof(rec));
	rec.dev = 2049;
	rec.offset = h->offset;
	rec.fp_len = 1024;
	rec.fp_hash = 0x5eed0000ULL + (uint64_t)(h - hosts);
	rec.tail_hash = rnd(&h->rng);
	rec.seen_s = now_ms / 1000;
	snprintf(rec.path, sizeof(rec.path), "/var/log/app/%s.log", h->name);
	keys_offset_value(&v, &rec);
	agg_offset(h->agg, h->field, v.p);
	buf_free(&v);
}

static void
tick_cb(uv_timer_t *t)
{
	struct host *h = container_of(t, struct host, tick);

	if (!session_is_loaded(h->session))
		return;
	if (h->active)
		read_lines(h, ew_wall_ms());
	session_flush(h->session);
}

static double
redis_cpu_s(void)
{
	redisReply *r = redisCommand(probe, "INFO cpu");
	const char *p;
	double sys = -1, user = -1;

	if (r == NULL || r->type != REDIS_REPLY_STRING)
		die("INFO cpu failed");
	if ((p = strstr(r->str, "used_cpu_sys:")) != NULL)
		sys = strtod(p + strlen("used_cpu_sys:"), NULL);
	if ((p = strstr(r->str, "used_cpu_user:")) != NULL)
		user = strtod(p + strlen("used_cpu_user:"), NULL);
	freeReplyObject(r);
	if (sys < 0 || user < 0)
		die("INFO cpu: no used_cpu_sys/used_cpu_user");
	return sys + user;
}

static void
print_commandstats(void)
{
	redisReply *r = redisCommand(probe, "INFO commandstats");

	if (r == NULL || r->type != REDIS_REPLY_STRING)
		die("INFO commandstats failed");
	fputs(r->str, stderr);
	freeReplyObject(r);
}

/* The EVALSHA count and time of the window, from INFO commandstats. */
static void
evalsha_stats(uint64_t *calls, double *usec)
{
	redisReply *r = redisCommand(probe, "INFO commandstats");
	const char *p;

	*calls = 0;
	*usec = 0;
	if (r == NULL || r->type != REDIS_REPLY_STRING)
		die("INFO commandstats failed");
	if ((p = strstr(r->str, "cmdstat_evalsha:calls=")) != NULL) {
		*calls = strtoull(p + strlen("cmdstat_evalsha:calls="), NULL,
		    10);
		if ((p = strstr(p, "usec=")) != NULL)
			*usec = strtod(p + 5, NULL);
	}
	freeReplyObject(r);
}

static void
phase_cb(uv_timer_t *t)
{
	size_t i, loaded = 0;

	(void)t;
	if (stage == 0) {
		for (i = 0; i < nhosts; i++)
			if (session_is_loaded(hosts[i].session))
				loaded++;
		if (loaded < nhosts)
			return;		/* polled every 100 ms */
		stage = 1;
		uv_timer_start(&phase_timer, phase_cb, opt.warmup_s * 1000, 0);
		return;
	}
	if (stage == 1) {
		redisReply *r = redisCommand(probe, "CONFIG RESETSTAT");

		if (r == NULL)
			die("CONFIG RESETSTAT failed");
		freeReplyObject(r);
		cpu0 = redis_cpu_s();
		mono0 = ew_mono_ms();
		stage = 2;
		uv_timer_start(&phase_timer, phase_cb, opt.measure_s * 1000, 0);
		return;
	}
	{
		double cpu = redis_cpu_s() - cpu0;
		double secs = (double)(ew_mono_ms() - mono0) / 1000.0;
		double per = cpu * 1e6 / ((double)nhosts * secs);
		double usec, self;
		struct rusage ru;
		uint64_t calls;

		evalsha_stats(&calls, &usec);
		getrusage(RUSAGE_SELF, &ru);
		self = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		printf("hosts=%zu active=%zu idle=%zu flush_ms=%" PRIu64
		    " seconds=%.1f redis_cpu_s=%.3f us_per_host_s=%.1f"
		    " hosts_per_core_50=%.0f evalsha_per_host_s=%.3f"
		    " evalsha_usec_per_call=%.1f driver_cpu_s=%.1f\n", nhosts,
		    opt.nactive,
		    opt.nidle, opt.flush_ms, secs, cpu, per,
		    per > 0 ? 500000.0 / per : 0.0,
		    (double)calls / ((double)nhosts * secs),
		    calls > 0 ? usec / (double)calls : 0.0, self);
		if (opt.verbose)
			print_commandstats();
		uv_stop(&loop);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: ew-fleet -s SOCKET [-a ACTIVE] [-i IDLE] "
	    "[-f FLUSH_MS] [-r LINES_PER_S] [-w WARMUP_S] [-d SECONDS] [-v]\n");
	exit(64);
}

static uint64_t
num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s)
		usage();
	return v;
}

static void
setup_config(void)
{
	static const struct config_bucket defaults[] = {
		{ 10000, 6 * 3600000ULL, "10s" },
		{ 60000, 48 * 3600000ULL, "1m" },
		{ 3600000, 90 * 86400000ULL, "1h" },
	};
	struct ew_err err;
	char *url = xasprintf("unix://%s", opt.sock);

	memset(&err, 0, sizeof(err));
	if (redisurl_parse(&rcfg.target, url, &err) < 0)
		die("bad socket path");
	free(url);
	rcfg.prefix = xstrdup("errwatch:");
	rcfg.connect_timeout_ms = 5000;
	rcfg.flush_interval_ms = opt.flush_ms;
	memcpy(rcfg.buckets, defaults, sizeof(defaults));
	rcfg.nbuckets = ARRAY_SIZE(defaults);
}

int
main(int argc, char **argv)
{
	struct session_opts so;
	struct ew_err err;
	uint64_t seed = 1;
	size_t i;
	int c;

	while ((c = getopt(argc, argv, "s:a:i:f:r:w:d:v")) != -1) {
		switch (c) {
		case 's': opt.sock = optarg; break;
		case 'a': opt.nactive = num(optarg); break;
		case 'i': opt.nidle = num(optarg); break;
		case 'f': opt.flush_ms = num(optarg); break;
		case 'r': opt.rate = (double)num(optarg); break;
		case 'w': opt.warmup_s = num(optarg); break;
		case 'd': opt.measure_s = num(optarg); break;
		case 'v': opt.verbose = true; break;
		default: usage();
		}
	}
	nhosts = opt.nactive + opt.nidle;
	if (opt.sock == NULL || nhosts == 0 || opt.flush_ms == 0 ||
	    opt.measure_s == 0)
		usage();
	log_init();
	log_level = LOG_LEVEL_ERR;	/* 10,000 connects: EAGAIN is normal */
	setup_config();
	if ((probe = redisConnectUnix(opt.sock)) == NULL || probe->err)
		die("cannot reach redis-server");
	uv_loop_init(&loop);
	hosts = xcalloc(nhosts, sizeof(*hosts));
	for (i = 0; i < nhosts; i++) {
		struct host *h = &hosts[i];

		h->active = i < opt.nactive;
		h->rng = seed + i * 7919;
		snprintf(h->name, sizeof(h->name), "fleet-%05zu", i);
		snprintf(h->field, sizeof(h->field), "2049:%zu", 100000 + i);
		h->agg = agg_create(NCLASSES, 10);
		memset(&so, 0, sizeof(so));
		so.redis = &rcfg;
		so.host = h->name;
		so.class_names = class_names;
		so.on_loaded = loaded_cb;
		so.on_stats = stats_cb;
		so.arg = h;
		memset(&err, 0, sizeof(err));
		if ((h->session = session_create(&loop, h->agg, &so, &err)) ==
		    NULL)
			die("session_create failed");
		uv_timer_init(&loop, &h->tick);
		uv_timer_start(&h->tick, tick_cb,
		    rnd(&h->rng) % opt.flush_ms, opt.flush_ms);
	}
	uv_timer_init(&loop, &phase_timer);
	uv_timer_start(&phase_timer, phase_cb, 100, 100);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* the process ends here: the sessions and aggs go with it */
	redisFree(probe);
	return 0;
}
