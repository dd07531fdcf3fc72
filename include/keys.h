/*
 * keys: SPEC §7 in one place: key names, bucket alignment, the flush
 * script and its arguments, offset records. Core module: no I/O.
 */
#ifndef EW_KEYS_H
#define EW_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct batch;
struct buf;
struct config_bucket;

/* Arguments for one command: an array of byte strings it owns. */
struct argv {
	char	**v;
	size_t	 *len;
	size_t	  n;
	size_t	  cap;
};

void		 argv_add(struct argv *a, const void *p, size_t len);
void		 argv_addstr(struct argv *a, const char *s);
void		 argv_addu64(struct argv *a, uint64_t n);
void		 argv_reset(struct argv *a);
void		 argv_free(struct argv *a);

/* "<prefix><name>", e.g. keys_name(b, "errwatch:", "count:total"). */
void		 keys_name(struct buf *out, const char *prefix,
		    const char *name);
/* Start of the bucket holding t_s. */
uint64_t	 keys_bucket_start(uint64_t t_s, uint64_t res_s);

/* The flush script (Lua). Its reply: "OK", "DUP", "WIPED" (the offsets
 * hash was missing: applied, positions kept), or "CONFLICT". With resync,
 * `P alerts:active` keeps of this host's fields exactly the active ones
 * (other hosts' fields are left alone). */
const char	*keys_flush_script(void);

/* What a flush carries besides the batch. */
struct flush_meta {
	const char	*prefix;
	const char	*host;
	uint64_t	 now_ms;
	const struct config_bucket *buckets;
	size_t		 nbuckets;
	const char	*const *class_names;	/* by class index */
	const char	*const *stat_fields;	/* stats:<host> fields */
	const uint64_t	*stat_values;
	size_t		 nstats;
	/* SPEC §8: after a CONFLICT or WIPED, this host's firing alerts
	 * replace its fields in `P alerts:active` (set after the batch's own
	 * alert events). */
	bool		 resync;
	const char	*const *active;	/* field, json, field, json, ... */
	size_t		 nactive;	/* pairs */
	/* SPEC §15: what Redis holds already, so the flush leaves it out.
	 * Per resolution, the bucket start already given its TTL (NULL or
	 * 0: none, EXPIRE NX every bucket touched). heartbeat: ZADD
	 * `P hosts` (false: it holds this second already). stats_ttl:
	 * EXPIRE `P stats:<host>`. A WIPED reply writes both anyway. */
	const uint64_t	*ttl_start;	/* by resolution */
	bool		 heartbeat;
	bool		 stats_ttl;
};

/* The script's ARGV for a batch (no EVALSHA, sha or numkeys). */
void		 keys_flush_argv(struct argv *out, const struct flush_meta *m,
		    const struct batch *b);

/* An alert event (SPEC §7). Strings are borrowed for the call. */
struct keys_alert {
	bool		 firing;	/* false: resolved */
	const char	*host;
	uint64_t	 run;		/* this run of the daemon: its start,
					 * unix s */
	uint64_t	 n;		/* 1, 2, ... per run */
	const char	*name;		/* class */
	int		 code;		/* -1: none (JSON null) */
	const char	*category;
	const char	*severity;
	const char	*rule;		/* the kind: "static", "adaptive",
					 * "drop" (or errwatch-alerts's
					 * "silent") */
	const char	*match;		/* the rule's match, or "defaults";
					 * NULL: "" (no rule) */
	const char	*scope;		/* "host" or "fleet" (host "fleet");
					 * NULL: "host" */
	uint64_t	 window_s;
	uint64_t	 count;
	double		 baseline;
	double		 threshold;
	uint64_t	 ts_ms;		/* wall clock, unix ms */
	const char	*origin;	/* who numbers it, the id's first
					 * part; NULL: host. errwatch-alerts
					 * writes "fleet" */
};

/* The event as Redis gets it: its `P alerts:active` field
 * "<name>@<host>" into field, the `P alerts` stream's field/value pairs
 * into kv, and the same fields as one JSON object into json (numbers as
 * numbers), in SPEC §7's order: event, id, name, code, category,
 * severity, host, rule, match, window_s, count, baseline, threshold, ts,
 * scope. All three are reset first. Numbers are written as buf_num
 * writes them: `10`, `48.1`. The caller says the scope: the detector
 * does not know whose counts it ran on. A NULL string field is written
 * as "". The id is "<origin or host>:<run>:<n>". */
void		 keys_alert(const struct keys_alert *a, struct buf *field,
		    struct argv *kv, struct buf *json);

/* Offset records (SPEC §8): field "<dev>:<ino>", value
 * "<offset> <fp_len> <fp_hash> <tail_hash> <seen_s> <path>" with hashes
 * in 16 hex digits. */
struct offset_rec {
	uint64_t dev;
	uint64_t ino;
	uint64_t offset;	/* bytes, after the last counted '\n' */
	uint32_t fp_len;	/* bytes the fingerprint covers */
	uint64_t fp_hash;
	uint64_t tail_hash;	/* hash of up to 64 bytes before offset */
	uint64_t seen_s;	/* unix s of the last move */
	char	 path[4096];
};

void		 keys_offset_field(struct buf *out, uint64_t dev, uint64_t ino);
void		 keys_offset_value(struct buf *out, const struct offset_rec *r);
/* Parses field and value; returns 0 or -1 when malformed. */
int		 keys_offset_parse(const char *field, const char *value,
		    struct offset_rec *r);

/* The fleet lease (SPEC §13), one EVAL with numkeys 0 and ARGV: key
 * (`P lease:fleet`), instance, ms. Replies 2 when it took a free lease
 * (SET NX PX), 1 when the lease was already the instance's (PEXPIRE: a
 * renewal), 0 when another instance holds it (nothing changed). */
const char	*keys_lease_script(void);

/* One alert event written alone, as the flush script writes a batch's
 * (SPEC §7): XADD `P alerts` MAXLEN ~ 10000, PUBLISH on `P alerts`, and
 * HSET (firing) or HDEL (resolved) of its `P alerts:active` field, in one
 * atomic step, and only while the lease names the instance. EVAL with
 * numkeys 0 and the ARGV of keys_event_argv. Replies 1 (written) or 0
 * (the lease is not the instance's: nothing written). */
const char	*keys_event_script(void);
/* That script's ARGV for a (no EVAL, script or numkeys): prefix, lease
 * key, instance, field, event, json, then the stream's field/value
 * pairs. Starts out afresh. */
void		 keys_event_argv(struct argv *out, const char *prefix,
		    const char *lease_key, const char *instance,
		    const struct keys_alert *a);

#endif
