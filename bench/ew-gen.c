/*
 * ew-gen: the benchmarks' corpus generator, with exact ground truth
 * (SPEC §12).  It writes log lines in one of three formats (logfmt, JSON
 * lines, an nginx-like access log) and, beside them, the counts that
 * `errwatchd --scan --json -c bench/<format>.yaml` must print for them
 * (SPEC §2), minus elapsed_s.
 *
 * The truth is not computed by matching: every line is built knowing
 * whether the format's pattern (bench/<format>.yaml) will match it and what
 * its code and name groups will hold, and is classified as SPEC §5 says.
 * Ordinary lines are built so that the pattern never matches them, and
 * carry look-alike noise (errcode=461, code_version=500, "/rooms/461/join",
 * dur_ms=473, code=0) that a careless pattern or a careless matcher
 * over-counts.
 *
 * The output depends only on the arguments: the PRNG is our own splitmix64,
 * decisions use integer arithmetic only, and nothing reads the clock, so a
 * seed gives the same bytes on every machine.  Lines are built in a large
 * buffer and written in big blocks (several hundred MB/s).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_CAP		(8u << 20)	/* bytes of one output block */
#define LINE_ROOM	4096		/* no generated line is longer */
#define MAX_ENTRIES	128		/* rows of the table */
#define MAX_CODE	100000		/* codes below this (the table allows 5 digits) */
#define MAX_UNKNOWN	20		/* distinct unclassified keys, << 256 */
#define PER_10K		10000u

enum fmt { FMT_LOGFMT, FMT_JSON, FMT_ACCESS };

struct entry {
	int	 code;
	char	 name[64];
};

struct ukey {
	char	 key[32];		/* unknown code, or unknown name */
	uint64_t n;
};

struct gen {
	enum fmt	 fmt;
	uint64_t	 rng;			/* splitmix64 state */
	uint64_t	 err_thr;		/* error line if rnd32 < this */

	struct entry	 ent[MAX_ENTRIES];	/* table order */
	int		 nent;
	int		 code_class[MAX_CODE];	/* class of a nameless code, or -1 */
	int		 amb_code[MAX_ENTRIES];	/* class nent + i: shared codes */
	int		 namb;

	int		 rank_code[MAX_ENTRIES];	/* the skewed code mix */
	uint64_t	 rank_cum[MAX_ENTRIES];		/* cumulative weights */
	int		 nrank;
	int		 unk_code[MAX_UNKNOWN];		/* codes not in the table */
	int		 nunk;
	const char	*unk_name[8];			/* names not in the table */
	int		 nunkname;

	uint64_t	 lines;
	uint64_t	 matched;
	uint64_t	 cls[2 * MAX_ENTRIES];	/* per class */
	uint64_t	 unclassified;
	struct ukey	 ub[MAX_UNKNOWN];	/* breakdown, first seen first */
	int		 nub;

	int		 year, mon, day, hh, mi, ss, ms;	/* the clock */
	char		*p;			/* write cursor in the block */
};

/* The platform table (seed/000_8587c2655f859ed1.txt), used without
 * --table; data/error-codes.tsv has the same rows in the same order. */
static const struct {
	int		 code;
	const char	*name;
} builtin[] = {
	{ 200, "Success" }, { 400, "BadRequest" }, { 401, "AuthFailure" },
	{ 403, "Forbidden" }, { 404, "NotFound" }, { 406, "NotExistData" },
	{ 406, "AlreadyUsedIdpAccount" }, { 409, "ConflictData" },
	{ 461, "Punishment" }, { 473, "ServiceUnavailable" },
	{ 483, "NotAllowed" }, { 493, "AccountCreationLimit" },
	{ 500, "InternalError" }, { 1001, "NetworkFailure" },
	{ 2001, "ServerTimeout" }, { 2002, "ServerException" },
	{ 2003, "InvalidResponse" }, { 2004, "ConnectionFailed" },
	{ 3000, "InitializationFailed" }, { 3001, "NotInitialized" },
	{ 3002, "NotAuthorized" }, { 4000, "InvalidParameter" },
	{ 4001, "ClientException" }, { 4002, "InvalidState" },
	{ 4003, "InProgress" }, { 4010, "IdpAuthFailure" },
	{ 5001, "NotSupported" }, { 6001, "APINotExists" },
	{ 7001, "ExceedMonthlyUsage" }, { 7002, "ExceedDailyUsage" },
	{ 7003, "ExceedMaxUploadSize" }, { 7004, "ExceedMaxUploadNumber" },
	{ 7101, "MessageSettingDisabled" }, { 7201, "KakaoTalkNotInstalled" },
	{ 7202, "NotKakaoTalkUser" }, { 9001, "UserCanceled" },
	{ 9900, "AppTerminate" }, { 9999, "Unknown" },
};

/* Most common first; codes missing from the table are skipped, codes of
 * the table missing here follow in table order. */
static const int preferred[] = {
	500, 473, 461, 401, 2001, 4010, 404, 1001, 400, 2004, 403, 200, 406,
	9999, 3002, 409, 2002,
};
/* 3-4 digits, so the patterns match them; dropped if the table has them. */
static const int unknown_codes[] = { 1234, 4999, 8888, 999, 5555, 7777 };
static const char *const unknown_names[] = {
	"Timeout", "RateLimited", "BadGateway", "Throttled",
};

static const char *const svcs[] = {
	"gateway", "match", "lobby", "auth", "store", "chat",
};
static const char *const info_msgs[] = {
	"request done", "session refreshed", "room joined", "matchmaking tick",
	"cache miss", "upstream slow", "config reloaded", "token issued",
	"player left room", "inventory synced",
};
static const char *const warn_msgs[] = {
	"retrying upstream", "slow query", "queue depth high",
	"upstream reset by peer",
};
static const char *const err_msgs[] = {
	"request failed", "upstream returned an error", "login rejected",
	"purchase failed", "session closed by server",
};
static const char *const paths[] = {
	"/v1/rooms/%/join", "/v1/users/%/profile", "/v2/match/%/ticket",
	"/v1/store/items/%", "/v1/auth/login", "/healthz", "/v1/chat/%/send",
};
static const unsigned lookalike[] = {
	461, 473, 500, 401, 2001, 406, 200, 4010, 9999, 404,
};
static const char *const agents[] = {
	"GameClient/4.1.0 (Android 13)", "GameClient/4.1.2 (iOS 17.1)",
	"okhttp/4.12.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
};
static const char *const methods[] = { "GET", "GET", "GET", "POST", "PUT" };
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec",
};
static const char hexdig[] = "0123456789abcdef";

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
die(const char *msg, const char *arg)
{
	fprintf(stderr, "ew-gen: %s%s%s\n", msg, arg ? ": " : "",
	    arg ? arg : "");
	exit(1);
}

static void
usage(void)
{
	fputs("usage: ew-gen --format logfmt|json|access "
	    "(--size BYTES[KiB|MiB|GiB] | --lines N) --seed S\n"
	    "              [--table FILE.tsv] [--error-rate 0.02] "
	    "[--truth FILE.json] [-o FILE]\n", stderr);
	exit(64);
}

static uint64_t
rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n <= 2^32; multiply-shift, no division. */
static uint32_t
below(struct gen *g, uint32_t n)
{
	return (uint32_t)(((rnd(g) >> 32) * n) >> 32);
}

static const char *
pick(struct gen *g, const char *const *v, size_t n)
{
	return v[below(g, (uint32_t)n)];
}

/* Output helpers: the caller guarantees LINE_ROOM bytes of room. */
static void
put(struct gen *g, const char *s, size_t n)
{
	memcpy(g->p, s, n);
	g->p += n;
}

static void
puts_(struct gen *g, const char *s)
{
	put(g, s, strlen(s));
}

#define PUTLIT(g, s)	put((g), (s), sizeof(s) - 1)

static void
putc_(struct gen *g, char c)
{
	*g->p++ = c;
}

static void
put_u(struct gen *g, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*g->p++ = tmp[--n];
}

static void
put_fixed(struct gen *g, unsigned v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		g->p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	g->p += width;
}

static void
put_hex16(struct gen *g)
{
	uint64_t v = rnd(g);
	int i;

	for (i = 0; i < 16; i++)
		g->p[i] = hexdig[(v >> (i * 4)) & 15];
	g->p += 16;
}

/* "/v1/rooms/461/join": numbers that look like codes. */
static void
put_path(struct gen *g)
{
	const char *s = pick(g, paths, NELEM(paths));
	const char *pct = strchr(s, '%');

	if (pct == NULL) {
		puts_(g, s);
		return;
	}
	put(g, s, (size_t)(pct - s));
	if (below(g, 10) < 3)
		put_u(g, lookalike[below(g, NELEM(lookalike))]);
	else
		put_u(g, 1 + below(g, 99999));
	puts_(g, pct + 1);
}

static void
tick(struct gen *g)
{
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};

	g->ms += (int)below(g, 3);
	if (g->ms < 1000)
		return;
	g->ms -= 1000;
	if (++g->ss < 60)
		return;
	g->ss = 0;
	if (++g->mi < 60)
		return;
	g->mi = 0;
	if (++g->hh < 24)
		return;
	g->hh = 0;
	if (++g->day <= mdays[g->mon - 1])
		return;
	g->day = 1;
	if (++g->mon <= 12)
		return;
	g->mon = 1;
	g->year++;
}

/* 2026-11-24T10:00:00.123Z */
static void
put_iso(struct gen *g)
{
	put_fixed(g, (unsigned)g->year, 4);
	putc_(g, '-');
	put_fixed(g, (unsigned)g->mon, 2);
	putc_(g, '-');
	put_fixed(g, (unsigned)g->day, 2);
	putc_(g, 'T');
	put_fixed(g, (unsigned)g->hh, 2);
	putc_(g, ':');
	put_fixed(g, (unsigned)g->mi, 2);
	putc_(g, ':');
	put_fixed(g, (unsigned)g->ss, 2);
	putc_(g, '.');
	put_fixed(g, (unsigned)g->ms, 3);
	putc_(g, 'Z');
}

/* [24/Nov/2026:10:00:00 +0000] */
static void
put_clf(struct gen *g)
{
	putc_(g, '[');
	put_fixed(g, (unsigned)g->day, 2);
	putc_(g, '/');
	puts_(g, months[g->mon - 1]);
	putc_(g, '/');
	put_fixed(g, (unsigned)g->year, 4);
	putc_(g, ':');
	put_fixed(g, (unsigned)g->hh, 2);
	putc_(g, ':');
	put_fixed(g, (unsigned)g->mi, 2);
	putc_(g, ':');
	put_fixed(g, (unsigned)g->ss, 2);
	PUTLIT(g, " +0000]");
}

static unsigned
http_status(struct gen *g)
{
	static const unsigned st[] = {
		200, 200, 200, 200, 200, 200, 204, 304, 404, 500,
	};

	return st[below(g, NELEM(st))];
}

/* What an error line carries: code always, a name or not, in which order. */
struct errline {
	int		 code;
	const char	*name;		/* NULL: none */
	bool		 name_first;	/* name before code: the pattern misses it */
};

static unsigned
err_status(struct gen *g, const struct errline *e)
{
	static const unsigned st[] = { 400, 403, 500, 503, 200 };

	return e->code == 200 ? 200 : st[below(g, NELEM(st))];
}

/* ---- logfmt ---- */

static void
logfmt_noise(struct gen *g)
{
	switch (below(g, 12)) {
	case 0:
		PUTLIT(g, " errcode=");
		put_u(g, lookalike[below(g, NELEM(lookalike))]);
		break;
	case 1:
		PUTLIT(g, " code_version=500");
		break;
	case 2:
		PUTLIT(g, " code=0");		/* too short for \d{3,4} */
		break;
	case 3:
		PUTLIT(g, " exit_code=1 retcode=");
		put_u(g, lookalike[below(g, NELEM(lookalike))]);
		break;
	case 4:
		PUTLIT(g, " zipcode=");		/* \bcode= misses it */
		put_u(g, 10000 + below(g, 90000));
		break;
	case 5:
		PUTLIT(g, " pod_name=");
		puts_(g, pick(g, svcs, NELEM(svcs)));
		PUTLIT(g, "-7d9f");
		break;
	default:
		break;
	}
}

static void
logfmt_head(struct gen *g, const char *level)
{
	PUTLIT(g, "ts=");
	put_iso(g);
	PUTLIT(g, " level=");
	puts_(g, level);
	PUTLIT(g, " svc=");
	puts_(g, pick(g, svcs, NELEM(svcs)));
}

static void
logfmt_tail(struct gen *g, unsigned status)
{
	PUTLIT(g, " req=");
	put_hex16(g);
	PUTLIT(g, " path=");
	put_path(g);
	PUTLIT(g, " status=");
	put_u(g, status);
	PUTLIT(g, " dur_ms=");
	put_u(g, below(g, 10) < 2 ? lookalike[below(g, NELEM(lookalike))] :
	    below(g, 2000));
	PUTLIT(g, " user=");
	put_u(g, below(g, 10) < 3 ? lookalike[below(g, NELEM(lookalike))] :
	    below(g, 1000000));
	putc_(g, (char)('a' + below(g, 26)));
}

static void
logfmt_ordinary(struct gen *g)
{
	uint32_t r = below(g, 100);
	const char *level, *msg;

	if (r < 70) {
		level = "info";
		msg = pick(g, info_msgs, NELEM(info_msgs));
	} else if (r < 85) {
		level = "debug";
		msg = pick(g, info_msgs, NELEM(info_msgs));
	} else if (r < 95) {
		level = "warn";
		msg = pick(g, warn_msgs, NELEM(warn_msgs));
	} else {
		level = "error";	/* an error without a platform code */
		msg = pick(g, err_msgs, NELEM(err_msgs));
	}
	logfmt_head(g, level);
	PUTLIT(g, " msg=\"");
	puts_(g, msg);
	putc_(g, '"');
	logfmt_tail(g, http_status(g));
	logfmt_noise(g);
	putc_(g, '\n');
}

static void
logfmt_error(struct gen *g, const struct errline *e)
{
	logfmt_head(g, e->code == 200 ? "info" : "error");
	if (e->name != NULL && e->name_first) {
		PUTLIT(g, " name=");
		puts_(g, e->name);
	}
	PUTLIT(g, " code=");
	put_u(g, (uint64_t)e->code);
	if (e->name != NULL && !e->name_first) {
		PUTLIT(g, " name=");
		puts_(g, e->name);
	}
	PUTLIT(g, " msg=\"");
	puts_(g, e->code == 200 ? "ok" : pick(g, err_msgs, NELEM(err_msgs)));
	putc_(g, '"');
	logfmt_tail(g, err_status(g, e));
	if (below(g, 4) == 0)
		PUTLIT(g, " pod_name=gateway-7d9f");	/* \bname= misses it */
	putc_(g, '\n');
}

/* ---- JSON lines ---- */

static void
json_head(struct gen *g, const char *level)
{
	PUTLIT(g, "{\"ts\":\"");
	put_iso(g);
	PUTLIT(g, "\",\"level\":\"");
	puts_(g, level);
	PUTLIT(g, "\",\"svc\":\"");
	puts_(g, pick(g, svcs, NELEM(svcs)));
	putc_(g, '"');
}

static void
json_tail(struct gen *g, unsigned status)
{
	PUTLIT(g, ",\"req\":\"");
	put_hex16(g);
	PUTLIT(g, "\",\"path\":\"");
	put_path(g);
	PUTLIT(g, "\",\"status\":");
	put_u(g, status);
	PUTLIT(g, ",\"dur_ms\":");
	put_u(g, below(g, 10) < 2 ? lookalike[below(g, NELEM(lookalike))] :
	    below(g, 2000));
	PUTLIT(g, ",\"user\":\"");
	put_u(g, below(g, 10) < 3 ? lookalike[below(g, NELEM(lookalike))] :
	    below(g, 1000000));
	putc_(g, (char)('a' + below(g, 26)));
	putc_(g, '"');
}

static void
json_noise(struct gen *g)
{
	switch (below(g, 12)) {
	case 0:
		PUTLIT(g, ",\"errcode\":");
		put_u(g, lookalike[below(g, NELEM(lookalike))]);
		break;
	case 1:
		PUTLIT(g, ",\"code_version\":500");
		break;
	case 2:
		PUTLIT(g, ",\"code\":0");
		break;
	case 3:
		PUTLIT(g, ",\"code\":\"461\"");	/* a string: no match */
		break;
	case 4:
		PUTLIT(g, ",\"http_code\":");
		put_u(g, lookalike[below(g, NELEM(lookalike))]);
		break;
	case 5:
		PUTLIT(g, ",\"code\":12345");		/* 5 digits */
		break;
	default:
		break;
	}
}

static void
json_ordinary(struct gen *g)
{
	uint32_t r = below(g, 100);
	const char *level, *msg;

	if (r < 75) {
		level = "info";
		msg = pick(g, info_msgs, NELEM(info_msgs));
	} else if (r < 95) {
		level = "warn";
		msg = pick(g, warn_msgs, NELEM(warn_msgs));
	} else {
		level = "error";
		msg = pick(g, err_msgs, NELEM(err_msgs));
	}
	json_head(g, level);
	PUTLIT(g, ",\"msg\":\"");
	puts_(g, msg);
	putc_(g, '"');
	json_tail(g, http_status(g));
	json_noise(g);
	PUTLIT(g, "}\n");
}

static void
json_error(struct gen *g, const struct errline *e)
{
	json_head(g, e->code == 200 ? "info" : "error");
	if (e->name != NULL && e->name_first) {
		PUTLIT(g, ",\"name\":\"");
		puts_(g, e->name);
		putc_(g, '"');
	}
	PUTLIT(g, ",\"code\":");
	put_u(g, (uint64_t)e->code);
	if (e->name != NULL && !e->name_first) {
		PUTLIT(g, ",\"name\":\"");
		puts_(g, e->name);
		putc_(g, '"');
	}
	PUTLIT(g, ",\"msg\":\"");
	puts_(g, e->code == 200 ? "ok" : pick(g, err_msgs, NELEM(err_msgs)));
	putc_(g, '"');
	json_tail(g, err_status(g, e));
	if (below(g, 4) == 0)
		PUTLIT(g, ",\"pod_name\":\"match-5c8d\"");
	PUTLIT(g, "}\n");
}

/* ---- access log ---- */

static void
access_head(struct gen *g, unsigned status)
{
	put_u(g, 10);
	putc_(g, '.');
	put_u(g, below(g, 256));
	putc_(g, '.');
	put_u(g, below(g, 256));
	putc_(g, '.');
	put_u(g, 1 + below(g, 254));
	PUTLIT(g, " - - ");
	put_clf(g);
	PUTLIT(g, " \"");
	puts_(g, pick(g, methods, NELEM(methods)));
	putc_(g, ' ');
	put_path(g);
	PUTLIT(g, " HTTP/1.1\" ");
	put_u(g, status);
	putc_(g, ' ');
	put_u(g, below(g, 10) < 2 ? lookalike[below(g, NELEM(lookalike))] :
	    below(g, 20000));
	PUTLIT(g, " 0.");
	put_fixed(g, below(g, 1000), 3);
	PUTLIT(g, " \"-\" \"");
	puts_(g, pick(g, agents, NELEM(agents)));
	PUTLIT(g, "\" rid=");
	put_hex16(g);
}

static void
access_ordinary(struct gen *g)
{
	access_head(g, http_status(g));
	PUTLIT(g, " err=- errname=-\n");
}

static void
access_error(struct gen *g, const struct errline *e)
{
	access_head(g, err_status(g, e));
	if (e->name != NULL && e->name_first) {
		PUTLIT(g, " errname=");		/* \berr= misses errname= */
		puts_(g, e->name);
	}
	PUTLIT(g, " err=");
	put_u(g, (uint64_t)e->code);
	PUTLIT(g, " errname=");
	if (e->name != NULL && !e->name_first)
		puts_(g, e->name);
	else
		putc_(g, '-');			/* no letters: no name */
	putc_(g, '\n');
}

/* ---- truth ---- */

static void
count_unknown(struct gen *g, const char *key)
{
	int i;

	g->unclassified++;
	for (i = 0; i < g->nub; i++)
		if (strcmp(g->ub[i].key, key) == 0) {
			g->ub[i].n++;
			return;
		}
	if (g->nub == MAX_UNKNOWN)
		die("internal: too many unknown keys", NULL);
	snprintf(g->ub[g->nub].key, sizeof(g->ub[0].key), "%s", key);
	g->ub[g->nub++].n = 1;
}

/* Chooses an error line and counts it as SPEC §5 classifies what the
 * pattern captures: a known name wins, else a code with one entry, else a
 * shared code's class ("406"), else Unclassified under the code. */
static void
choose_error(struct gen *g, struct errline *e)
{
	uint64_t w;
	uint32_t r;
	int i, cls, named;
	char key[16];

	memset(e, 0, sizeof(*e));
	r = below(g, PER_10K);
	if (r < 100 && g->nunk > 0) {		/* 1%: a code not in the table */
		e->code = g->unk_code[below(g, (uint32_t)g->nunk)];
		if (below(g, 10) < 3)
			e->name = g->unk_name[below(g, (uint32_t)g->nunkname)];
		snprintf(key, sizeof(key), "%d", e->code);
		count_unknown(g, key);
		return;
	}
	w = rnd(g) % g->rank_cum[g->nrank - 1];
	for (i = 0; g->rank_cum[i] <= w; i++)
		continue;
	e->code = g->rank_code[i];
	cls = g->code_class[e->code];		/* without a captured name */
	r = below(g, PER_10K);
	if (r < (cls >= g->nent ? 3000u : 1000u)) {
		/* ~10% (30% for a shared code): no name */
	} else if (r < 3100 && g->nrank > 1) {
		/* ~1%: a name that disagrees; the name wins */
		do
			named = (int)below(g, (uint32_t)g->nent);
		while (g->ent[named].code == e->code);
		e->name = g->ent[named].name;
		cls = named;
	} else if (r < 3150) {
		/* an unknown name: the code decides */
		e->name = g->unk_name[below(g, (uint32_t)g->nunkname)];
	} else {
		/* the code's own name (one of them, for a shared code) */
		int cand[MAX_ENTRIES] = { 0 }, nc = 0;

		for (i = 0; i < g->nent; i++)
			if (g->ent[i].code == e->code)
				cand[nc++] = i;
		/* nc >= 1: the code came from the table */
		named = cand[nc > 1 ? below(g, (uint32_t)nc) : 0];
		e->name = g->ent[named].name;
		if (r < 3300)
			e->name_first = true;	/* not captured: code decides */
		else
			cls = named;
	}
	g->cls[cls]++;
}

static void
write_truth(const struct gen *g, const char *path)
{
	FILE *f = fopen(path, "w");
	const char *sep = "";
	int i;

	if (f == NULL)
		die(strerror(errno), path);
	fprintf(f, "{\"lines\":%" PRIu64 ",\"matched\":%" PRIu64
	    ",\"counts\":{", g->lines, g->matched);
	for (i = 0; i < g->nent + g->namb; i++) {
		if (g->cls[i] == 0)
			continue;
		if (i < g->nent)
			fprintf(f, "%s\"%s\":%" PRIu64, sep, g->ent[i].name,
			    g->cls[i]);
		else
			fprintf(f, "%s\"%d\":%" PRIu64, sep,
			    g->amb_code[i - g->nent], g->cls[i]);
		sep = ",";
	}
	if (g->unclassified > 0)
		fprintf(f, "%s\"Unclassified\":%" PRIu64, sep,
		    g->unclassified);
	fputs("},\"unclassified\":{", f);
	for (i = 0; i < g->nub; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", g->ub[i].key,
		    g->ub[i].n);
	fputs("}}\n", f);
	if (fclose(f) != 0)
		die(strerror(errno), path);
}

/* ---- set-up ---- */

static void
add_entry(struct gen *g, int code, const char *name, const char *where)
{
	if (code < 1 || code >= MAX_CODE || name[0] == '\0')
		die("bad table row", where);
	if (g->nent == MAX_ENTRIES)
		die("table too long", where);
	g->ent[g->nent].code = code;
	snprintf(g->ent[g->nent].name, sizeof(g->ent[0].name), "%s", name);
	g->nent++;
}

/* data/error-codes.tsv: '#' comments, a header, then code\tname\t... */
static void
load_table(struct gen *g, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], where[600];
	bool header = true;
	int lineno = 0;

	if (f == NULL)
		die(strerror(errno), path);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *code, *name, *end;
		long c;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (header) {
			if (strncmp(line, "code\tname\t", 10) != 0)
				die("expected the header code\\tname\\t...",
				    where);
			header = false;
			continue;
		}
		code = line;
		name = strchr(line, '\t');
		if (name == NULL)
			die("missing column", where);
		*name++ = '\0';
		name[strcspn(name, "\t")] = '\0';
		c = strtol(code, &end, 10);
		if (*end != '\0' || end == code)
			die("non-numeric code", where);
		add_entry(g, (int)c, name, where);
	}
	fclose(f);
	if (g->nent == 0)
		die("no rows", path);
}

static bool
has_code(const struct gen *g, int code)
{
	int i;

	for (i = 0; i < g->nent; i++)
		if (g->ent[i].code == code)
			return true;
	return false;
}

static bool
has_name(const struct gen *g, const char *name)
{
	int i;

	for (i = 0; i < g->nent; i++)
		if (strcmp(g->ent[i].name, name) == 0)
			return true;
	return false;
}

static bool
is_ranked(const struct gen *g, int code)
{
	int i;

	for (i = 0; i < g->nrank; i++)
		if (g->rank_code[i] == code)
			return true;
	return false;
}

static uint64_t
isqrt(uint64_t v)
{
	uint64_t r = 0, bit = (uint64_t)1 << 62;

	while (bit > v)
		bit >>= 2;
	while (bit != 0) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else
			r >>= 1;
		bit >>= 2;
	}
	return r;
}

static void
setup_mix(struct gen *g)
{
	uint64_t cum = 0, k;
	size_t j;
	int i;

	for (i = 0; i < MAX_CODE; i++)
		g->code_class[i] = -1;
	for (i = 0; i < g->nent; i++) {
		int c = g->ent[i].code;

		if (g->code_class[c] == -1)
			g->code_class[c] = i;
		else if (g->code_class[c] < g->nent) {
			/* a second entry: nameless lines go to "406" */
			g->amb_code[g->namb] = c;
			g->code_class[c] = g->nent + g->namb++;
		}
	}
	for (j = 0; j < NELEM(preferred); j++)
		if (has_code(g, preferred[j]) && !is_ranked(g, preferred[j]))
			g->rank_code[g->nrank++] = preferred[j];
	for (i = 0; i < g->nent; i++)
		if (!is_ranked(g, g->ent[i].code))
			g->rank_code[g->nrank++] = g->ent[i].code;
	/* Zipf-like, s = 1.5, in integers so every libm agrees */
	for (i = 0; i < g->nrank; i++) {
		k = (uint64_t)i + 1;
		cum += 1000000000ULL / isqrt(k * k * k * 1000000ULL) * 1000;
		g->rank_cum[i] = cum;
	}
	for (j = 0; j < NELEM(unknown_codes); j++)
		if (!has_code(g, unknown_codes[j]))
			g->unk_code[g->nunk++] = unknown_codes[j];
	for (j = 0; j < NELEM(unknown_names); j++)
		if (!has_name(g, unknown_names[j]))
			g->unk_name[g->nunkname++] = unknown_names[j];
	if (g->nunkname == 0)
		die("the table has every unknown name", NULL);
}

/* 1073741824, 1024MiB, 1GiB, 64K ... */
static uint64_t
parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		die("bad size", s);
	if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	else if (*end == 'G' || *end == 'g')
		v <<= 30;
	else if (*end != '\0')
		die("bad size", s);
	if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "iB") != 0 &&
	    strcmp(end + 1, "B") != 0)
		die("bad size", s);
	return v;
}

static void
flush_block(FILE *out, char *buf, size_t n)
{
	if (n > 0 && fwrite(buf, 1, n, out) != n)
		die("write", strerror(errno));
}

int
main(int argc, char **argv)
{
	static struct gen g;	/* large: not on the stack */
	const char *format = NULL, *table = NULL, *truth = NULL;
	const char *outpath = NULL, *seed = NULL;
	uint64_t size = 0, nlines = 0, written = 0;
	double rate = 0.02;
	bool by_size = false, by_lines = false;
	char *buf, *end;
	FILE *out;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			usage();
		if (v == NULL)
			usage();
		if (strcmp(a, "--format") == 0)
			format = v;
		else if (strcmp(a, "--size") == 0) {
			size = parse_size(v);
			by_size = true;
		} else if (strcmp(a, "--lines") == 0) {
			nlines = parse_size(v);
			by_lines = true;
		} else if (strcmp(a, "--seed") == 0)
			seed = v;
		else if (strcmp(a, "--table") == 0)
			table = v;
		else if (strcmp(a, "--error-rate") == 0) {
			rate = strtod(v, &end);
			if (*end != '\0' || end == v || !(rate >= 0 &&
			    rate <= 1))
				die("bad --error-rate (0 to 1)", v);
		} else if (strcmp(a, "--truth") == 0)
			truth = v;
		else if (strcmp(a, "-o") == 0)
			outpath = v;
		else
			usage();
		i++;
	}
	if (format == NULL || seed == NULL || by_size == by_lines)
		usage();
	if (strcmp(format, "logfmt") == 0)
		g.fmt = FMT_LOGFMT;
	else if (strcmp(format, "json") == 0)
		g.fmt = FMT_JSON;
	else if (strcmp(format, "access") == 0)
		g.fmt = FMT_ACCESS;
	else
		die("unknown format (logfmt, json, access)", format);
	g.rng = strtoull(seed, &end, 0);
	if (*end != '\0' || end == seed)
		die("bad seed", seed);
	g.err_thr = (uint64_t)(rate * 4294967296.0);

	if (table != NULL)
		load_table(&g, table);
	else
		for (i = 0; i < (int)NELEM(builtin); i++)
			add_entry(&g, builtin[i].code, builtin[i].name,
			    "builtin");
	setup_mix(&g);
	g.year = 2026;
	g.mon = 11;
	g.day = 24;
	g.hh = 10;

	out = stdout;
	if (outpath != NULL && (out = fopen(outpath, "wb")) == NULL)
		die(strerror(errno), outpath);
	buf = malloc(OUT_CAP);
	if (buf == NULL)
		die("out of memory", NULL);
	g.p = buf;
	for (;;) {
		struct errline e;
		char *start = g.p;

		if (by_lines ? g.lines >= nlines : written >= size)
			break;
		tick(&g);
		if ((rnd(&g) >> 32) < g.err_thr) {
			choose_error(&g, &e);
			g.matched++;
			if (g.fmt == FMT_LOGFMT)
				logfmt_error(&g, &e);
			else if (g.fmt == FMT_JSON)
				json_error(&g, &e);
			else
				access_error(&g, &e);
		} else if (g.fmt == FMT_LOGFMT)
			logfmt_ordinary(&g);
		else if (g.fmt == FMT_JSON)
			json_ordinary(&g);
		else
			access_ordinary(&g);
		g.lines++;
		written += (uint64_t)(g.p - start);
		if ((size_t)(g.p - buf) > OUT_CAP - LINE_ROOM) {
			flush_block(out, buf, (size_t)(g.p - buf));
			g.p = buf;
		}
	}
	flush_block(out, buf, (size_t)(g.p - buf));
	if (fflush(out) != 0 || (out != stdout && fclose(out) != 0))
		die("write", strerror(errno));
	free(buf);
	if (truth != NULL)
		write_truth(&g, truth);
	return 0;
}
