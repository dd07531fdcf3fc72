/*
 * snapshot: one snapshot of what Redis holds about the fleet (SPEC §7, §14),
 * as errwatch-web reads it for one answer: classes with their totals and
 * windows, hosts with heartbeats, stats and counts, alerts firing and
 * recent, the unclassified breakdown, and series points. The web shell
 * feeds it the replies it fetched; the renderers (html, api, metrics)
 * read it. Core: no descriptor, no clock (time comes in as now_ms). The
 * struct is public and read-only once filled, like struct config: the
 * renderers walk it; only snapshot.c writes it.
 */
#ifndef EW_SNAPSHOT_H
#define EW_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_bucket;

#define SNAPSHOT_WINDOWS		3	/* 10 min, 1 h, 24 h */
#define SNAPSHOT_WINDOW_BUCKETS	60	/* at most, per window */
#define SNAPSHOT_EVENTS		50	/* alert events shown */

/* A field and its value, borrowed from a reply. */
struct snapshot_kv {
	const char	*k;
	size_t		 klen;
	const char	*v;
	size_t		 vlen;
};

/* An owned byte string (log-derived: any bytes, NUL-ended for comfort). */
struct snapshot_str {
	char	*p;
	size_t	 len;
};

struct snapshot_class {
	struct snapshot_str name;
	struct snapshot_str code;		/* "" when P codes lacks it */
	struct snapshot_str category;
	struct snapshot_str description;
	uint64_t	 total;		/* P count:total */
	uint64_t	 window[SNAPSHOT_WINDOWS];	/* last 10 min, 1 h, 24 h */
};

struct snapshot_count {
	struct snapshot_str key;
	uint64_t	 n;
};

/* A field and its text, as read (P stats:<host> holds a version). */
struct snapshot_field {
	struct snapshot_str key;
	struct snapshot_str val;
};

struct snapshot_host {
	struct snapshot_str	 name;
	uint64_t		 seen_s;	/* P hosts score: last flush */
	struct snapshot_field	*stats;		/* P stats:<host>, as read */
	size_t			 nstats;
	struct snapshot_count	*counts;	/* per class, largest first */
	size_t			 ncounts;
	uint64_t		 lines;		/* stats: lines */
	uint64_t		 started_s;	/* stats: started_at */
};

struct snapshot_alert {
	struct snapshot_str event;		/* firing | resolved */
	struct snapshot_str id;
	struct snapshot_str name;		/* the class */
	struct snapshot_str host;
	struct snapshot_str severity;
	struct snapshot_str rule;
	struct snapshot_str code;
	struct snapshot_str category;
	uint64_t	 count;
	uint64_t	 threshold;
	uint64_t	 ts_ms;
};

struct snapshot_point {
	uint64_t	 ts_ms;		/* the bucket's start */
	uint64_t	*n;		/* one per class of the snapshot */
};

struct snapshot {
	uint64_t		 now_ms;	/* wall clock of the snapshot */
	uint64_t		 silent_after_s;	/* delivery.silent_after:
						 * an older heartbeat is a
						 * silent host (SPEC §13) */
	bool			 redis_ok;	/* every reply came */
	struct snapshot_class	*classes;	/* sorted by total, largest first
						 * once snapshot_finish ran */
	size_t			 nclasses;
	struct snapshot_host	*hosts;		/* in P hosts order */
	size_t			 nhosts;
	struct snapshot_alert	*active;	/* P alerts:active, oldest first */
	size_t			 nactive;
	struct snapshot_alert	*events;	/* P alerts, newest first */
	size_t			 nevents;
	struct snapshot_count	*uncl;		/* P unclassified, largest first */
	size_t			 nuncl;
	uint64_t		 uncl_total;
	struct snapshot_point	*points;	/* series, oldest first */
	size_t			 npoints;
	char			 res[16];	/* the series' resolution */
};

/* An empty snapshot taken at now_ms (wall clock). */
struct snapshot	*snapshot_create(uint64_t now_ms, uint64_t silent_after_s);
/* NULL: no-op. */
void		 snapshot_destroy(struct snapshot *f);

/* Window w's buckets (0: last 10 min, 1: last 1 h, 2: last 24 h) at now_s:
 * the coarsest of buckets[] (sorted by resolution) that still gives at
 * least 10 buckets per window and keeps them as long, else the finest.
 * Writes the bucket starts (unix s, aligned, newest last) into starts
 * (SNAPSHOT_WINDOW_BUCKETS of room) and the resolution's index into *res.
 * Returns how many starts, 0 when no resolution keeps the window. */
size_t		 snapshot_window_buckets(const struct config_bucket *buckets,
		    size_t nbuckets, unsigned w, uint64_t now_s,
		    uint64_t *starts, size_t *res);

/* The adders: each copies what it keeps. */
/* P codes: field = class, value = JSON {code,name,category,description}.
 * A value that is not that JSON leaves code and category empty. */
void		 snapshot_add_codes(struct snapshot *f, const struct snapshot_kv *kv,
		    size_t n);
/* P count:total. */
void		 snapshot_add_totals(struct snapshot *f, const struct snapshot_kv *kv,
		    size_t n);
/* One bucket hash of window w: its counts are added to each class's
 * window[w]. */
void		 snapshot_add_window(struct snapshot *f, unsigned w,
		    const struct snapshot_kv *kv, size_t n);
/* P hosts with scores: kv = host, last flush (unix s). */
void		 snapshot_add_hosts(struct snapshot *f, const struct snapshot_kv *kv,
		    size_t n);
/* Host i's P stats:<host> and P host:<host>:count:total. */
void		 snapshot_add_host_stats(struct snapshot *f, size_t i,
		    const struct snapshot_kv *kv, size_t n);
void		 snapshot_add_host_counts(struct snapshot *f, size_t i,
		    const struct snapshot_kv *kv, size_t n);
/* P alerts:active: field <class>@<host>, value the alert's JSON. */
void		 snapshot_add_active(struct snapshot *f, const struct snapshot_kv *kv,
		    size_t n);
/* One entry of P alerts (its stream fields), in the order read. */
void		 snapshot_add_event(struct snapshot *f, const struct snapshot_kv *kv,
		    size_t n);
/* P unclassified. */
void		 snapshot_add_uncl(struct snapshot *f, const struct snapshot_kv *kv,
		    size_t n);
/* One entry of P series:<res>: id "<ms>-<seq>", fields class -> count
 * (_total is skipped). Classes not seen before are added. */
void		 snapshot_add_point(struct snapshot *f, const char *id, size_t idlen,
		    const struct snapshot_kv *kv, size_t n);
/* Sorts what is shown in order (classes, counts, unclassified, active
 * alerts). Call once, after the last adder. */
void		 snapshot_finish(struct snapshot *f);

/* Lookups; NULL when absent. */
const struct snapshot_class *snapshot_class(const struct snapshot *f,
		    const char *name, size_t len);
const struct snapshot_host	*snapshot_host(const struct snapshot *f, const char *name,
		    size_t len);
/* Host h's count of class name (0 when none). */
uint64_t	 snapshot_host_count(const struct snapshot_host *h, const char *name,
		    size_t len);
/* Age of the host's heartbeat in seconds at f->now_ms (0 when ahead). */
uint64_t	 snapshot_host_age_s(const struct snapshot *f,
		    const struct snapshot_host *h);
/* Lines per second since the host's errwatchd started (stats). */
double		 snapshot_host_rate(const struct snapshot *f,
		    const struct snapshot_host *h);
/* True when s equals the NUL-less bytes (p, len). */
bool		 snapshot_str_is(const struct snapshot_str *s, const char *p,
		    size_t len);

#endif
