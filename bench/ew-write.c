/*
 * ew-write: the paced writer of the follow benchmarks (SPEC §12). It
 * appends logfmt lines to N files in DIR at R lines/s in total for D
 * seconds, one write() per line (O_APPEND), as a busy service would, and
 * prints what it wrote: the exact number of lines, of lines the default
 * pattern matches, and of each class, and its own CPU time.
 *
 * Pacing: the time is cut into ticks (1 ms by default); at each tick's
 * absolute deadline (clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME) it
 * writes the lines due by then, so the rate is exact over any window
 * longer than a tick and a late tick is caught up, never dropped. Line j
 * goes to file j % N. The lines are chosen by a seeded PRNG (splitmix64):
 * the same arguments write the same lines.
 *
 * Error lines carry a code and, 90% of the time, a name that agrees with
 * it (code=461 name=Punishment); every code used is unique in the table,
 * so the class is the name either way. Ordinary lines hold look-alikes
 * the default pattern must not match (errcode=461, zipcode=40123,
 * status=500, code=0).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define LINE_MAX_LEN	512

struct errkind {
	const char	*name;		/* the class it counts under */
	unsigned	 code;
	unsigned	 weight;	/* out of the sum of weights */
};

/* Codes that are unique in data/error-codes.tsv. */
static const struct errkind kinds[] = {
	{ "InternalError", 500, 40 },
	{ "ServiceUnavailable", 473, 15 },
	{ "Punishment", 461, 15 },
	{ "AuthFailure", 401, 10 },
	{ "ServerTimeout", 2001, 8 },
	{ "NotFound", 404, 6 },
	{ "Success", 200, 6 },
};

static const char *const svcs[] = { "gateway", "match", "store", "auth",
    "chat", "billing" };
static const char *const paths[] = { "/v1/rooms/461/join", "/v1/login",
    "/v1/store/items", "/v2/match/queue", "/v1/chat/send", "/healthz" };
static const char *const msgs[] = { "request served", "cache miss",
    "player joined", "slow upstream", "retrying", "session refreshed" };
static const char *const noise[] = { "", "", "", " errcode=461",
    " zipcode=40123", " code=0", " code_version=500", " retcode=2001" };
static const char *const err_msgs[] = { "request failed", "upstream error",
    "player is punished", "token rejected", "timed out" };

struct opts {
	const char	*dir;
	unsigned	 nfiles;
	uint64_t	 rate;		/* lines/s in total */
	double		 duration;	/* s */
	double		 error_rate;
	uint64_t	 seed;
	uint64_t	 tick_ns;
	const char	*prefix;	/* file name prefix in dir */
};

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t
below(uint32_t n)
{
	return (uint32_t)(((rng() >> 32) * (uint64_t)n) >> 32);
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double
tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void
usage(void)
{
	fputs("usage: ew-write [-n FILES] [-r LINES_PER_S] [-d SECONDS] "
	    "[-e ERROR_RATE] [-s SEED]\n"
	    "                [-t TICK_US] [-p PREFIX] DIR\n"
	    "  writes DIR/PREFIX00000.log ... (PREFIX default f), R lines/s "
	    "in total\n"
	    "  for D s, one write() per line; -r 0 only creates the files\n",
	    stderr);
	exit(64);
}

static uint64_t
parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "ew-write: bad %s: %s\n", what, s);
		exit(64);
	}
	return (uint64_t)v;
}

static double
parse_double(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		fprintf(stderr, "ew-write: bad %s: %s\n", what, s);
		exit(64);
	}
	return v;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	o->nfiles = 100;
	o->rate = 10000;
	o->duration = 10;
	o->error_rate = 0.02;
	o->seed = 1;
	o->tick_ns = 1000000;
	o->prefix = "f";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || a[1] == '\0' || a[2] != '\0') {
			if (o->dir != NULL)
				usage();
			o->dir = a;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		switch (a[1]) {
		case 'n':
			o->nfiles = (unsigned)parse_u64(argv[++i], "-n");
			break;
		case 'r':
			o->rate = parse_u64(argv[++i], "-r");
			break;
		case 'd':
			o->duration = parse_double(argv[++i], "-d");
			break;
		case 'e':
			o->error_rate = parse_double(argv[++i], "-e");
			break;
		case 's':
			o->seed = parse_u64(argv[++i], "-s");
			break;
		case 't':
			o->tick_ns = parse_u64(argv[++i], "-t") * 1000;
			break;
		case 'p':
			o->prefix = argv[++i];
			break;
		default:
			usage();
		}
	}
	if (o->dir == NULL || o->nfiles == 0 || o->nfiles > 1000000 ||
	    o->tick_ns == 0 || o->error_rate > 1)
		usage();
}

/* Builds one line into buf; returns its length. *cls is the index of its
 * class in kinds, or -1 for a line the pattern does not match. */
static size_t
make_line(char *buf, uint64_t seq, uint32_t err_per_million, int *cls)
{
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	*cls = -1;
	if (below(1000000) < err_per_million) {
		uint32_t sum = 0, r;
		size_t k;
		const struct errkind *e;
		bool with_name = below(10) != 0;

		for (k = 0; k < NELEM(kinds); k++)
			sum += kinds[k].weight;
		r = below(sum);
		for (k = 0; r >= kinds[k].weight; k++)
			r -= kinds[k].weight;
		e = &kinds[k];
		*cls = (int)k;
		n = snprintf(buf, LINE_MAX_LEN, "ts=%lld.%03ld level=%s svc=%s "
		    "code=%u%s%s msg=\"%s\" req=%016" PRIx64 " seq=%" PRIu64
		    " status=%u\n", (long long)ts.tv_sec, ts.tv_nsec / 1000000,
		    e->code == 200 ? "info" : "error", svcs[below(NELEM(svcs))],
		    e->code, with_name ? " name=" : "",
		    with_name ? e->name : "",
		    err_msgs[below(NELEM(err_msgs))], rng(), seq,
		    e->code == 200 ? 200u : 500u);
	} else {
		n = snprintf(buf, LINE_MAX_LEN, "ts=%lld.%03ld level=info "
		    "svc=%s msg=\"%s\" req=%016" PRIx64 " path=%s status=%u "
		    "dur_ms=%u user=%ux seq=%" PRIu64 "%s\n",
		    (long long)ts.tv_sec, ts.tv_nsec / 1000000,
		    svcs[below(NELEM(svcs))], msgs[below(NELEM(msgs))], rng(),
		    paths[below(NELEM(paths))], below(8) ? 200u : 500u,
		    below(2000), below(1000000), seq,
		    noise[below(NELEM(noise))]);
	}
	if (n < 0 || n >= LINE_MAX_LEN) {
		fputs("ew-write: line too long\n", stderr);
		exit(1);
	}
	return (size_t)n;
}

static void
raise_nofile(unsigned need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < (rlim_t)need + 16) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct rusage ru;
	struct timespec dl;
	uint64_t per_class[NELEM(kinds)] = { 0 };
	uint64_t total, written = 0, matched = 0;
	uint64_t t0, deadline, end, lag, max_lag = 0, late_ticks = 0, k;
	uint32_t err_ppm;
	char line[LINE_MAX_LEN];
	int *fds;
	unsigned i;
	size_t c;

	parse_args(argc, argv, &o);
	rng_state = o.seed;
	err_ppm = (uint32_t)(o.error_rate * 1e6 + 0.5);
	total = (uint64_t)((double)o.rate * o.duration + 0.5);
	raise_nofile(o.nfiles);
	fds = calloc(o.nfiles, sizeof(*fds));
	if (fds == NULL) {
		fputs("ew-write: out of memory\n", stderr);
		return 1;
	}
	for (i = 0; i < o.nfiles; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s%05u.log", o.dir, o.prefix,
		    i);
		fds[i] = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0644);
		if (fds[i] < 0) {
			fprintf(stderr, "ew-write: %s: %s\n", path,
			    strerror(errno));
			free(fds);
			return 1;
		}
	}

	t0 = mono_ns();
	for (k = 1; written < total; k++) {
		uint64_t due;

		deadline = t0 + k * o.tick_ns;
		dl.tv_sec = (time_t)(deadline / 1000000000u);
		dl.tv_nsec = (long)(deadline % 1000000000u);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl,
		    NULL) == EINTR)
			;
		/* lines due by this deadline: rate * elapsed, exactly */
		due = o.rate * (k * o.tick_ns / 1000) / 1000000u;
		if (due > total)
			due = total;
		for (; written < due; written++) {
			int cls;
			size_t len = make_line(line, written, err_ppm, &cls);
			int fd = fds[written % o.nfiles];

			if (write(fd, line, len) != (ssize_t)len) {
				fprintf(stderr, "ew-write: write: %s\n",
				    strerror(errno));
				free(fds);
				return 1;
			}
			if (cls >= 0) {
				matched++;
				per_class[cls]++;
			}
		}
		lag = mono_ns() - deadline;
		if (lag > max_lag)
			max_lag = lag;
		if (lag > o.tick_ns)
			late_ticks++;
	}
	end = mono_ns();
	for (i = 0; i < o.nfiles; i++)
		close(fds[i]);
	free(fds);
	getrusage(RUSAGE_SELF, &ru);

	printf("files %u\n", o.nfiles);
	printf("lines %" PRIu64 "\n", written);
	printf("matched %" PRIu64 "\n", matched);
	for (c = 0; c < NELEM(kinds); c++)
		if (per_class[c] > 0)
			printf("class %s %" PRIu64 "\n", kinds[c].name,
			    per_class[c]);
	printf("wall_s %.3f\n", (double)(end - t0) / 1e9);
	printf("rate_lps %.0f\n", end > t0 ? (double)written * 1e9 /
	    (double)(end - t0) : 0.0);
	printf("cpu_s %.3f\n", tv_s(ru.ru_utime) + tv_s(ru.ru_stime));
	printf("utime_s %.3f\n", tv_s(ru.ru_utime));
	printf("stime_s %.3f\n", tv_s(ru.ru_stime));
	printf("max_lag_ms %.3f\n", (double)max_lag / 1e6);
	printf("late_ticks %" PRIu64 "\n", late_ticks);
	return 0;
}
