/*
 * session: this host's side of the SPEC §8 protocol with Redis, over the
 * sink. It loads the stored offsets before any file is read, compares
 * them at every reconnect, writes them back after a wipe, sends one batch
 * at a time and acts on its reply (OK, DUP, CONFLICT, WIPED), drops the
 * records of files gone for a day, writes `P codes` and the stats' start
 * fields, and after a rollback writes this host's firing alerts back into
 * `P alerts:active`. The files themselves are the caller's: it hears of
 * loaded offsets, commits and conflicts through callbacks.
 */
#ifndef EW_SESSION_H
#define EW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "sink.h"

struct agg;
struct argv;
struct batch;
struct config_redis;
struct ew_err;
struct keys_alert;
struct session;
struct table;

/* One phase at a time (STYLE §6); every change is logged once. */
enum session_phase {
	SESSION_UNLOADED,	/* offsets not loaded: no file may be read */
	SESSION_LOADING,	/* HGETALL offsets:<host> in flight */
	SESSION_UNCHECKED,	/* a new link: compare before anything goes */
	SESSION_CHECKING,	/* that HGETALL in flight */
	SESSION_RESTORING,	/* offsets written back after a wipe */
	SESSION_IDLE,		/* in step with Redis: a batch may go */
	SESSION_FLUSHING,	/* one batch in flight */
	SESSION_CLOSED,		/* session_close called */
};

/* SPEC §7 counters a flush writes into `P stats:<host>`; the session adds
 * its own flushes and redis_errors. */
struct session_stats {
	uint64_t	 files, lines, bytes, matched, unclassified, long_lines;
	uint64_t	 rotations, truncations;
};

/* A stored offset record as Redis holds it; borrowed for the call. */
struct session_rec {
	const char	*field;
	size_t		 flen;
	const char	*value;
	size_t		 vlen;
};

/* Offsets came back from Redis (the first start, or a reload after a
 * CONFLICT): files may be placed and read from now on. The callee appends
 * to drop the fields of records to delete (files gone for a day). */
typedef void session_loaded_fn(void *arg, const struct session_rec *recs,
    size_t n, struct argv *drop);
/* Redis holds b's offsets now (OK, DUP or WIPED); b is NULL for a batch
 * that carried no counts. */
typedef void session_committed_fn(void *arg, const struct batch *b);
/* CONFLICT: every position is void and every pending count dropped; a
 * session_loaded_fn call follows once the offsets are reloaded. */
typedef void session_conflict_fn(void *arg);
/* A batch was acknowledged; more may be pending. */
typedef void session_flushed_fn(void *arg);
/* Fills the counters of the batch being cut (so they are as fresh as its
 * counts, whatever made the cut). */
typedef void session_stats_fn(void *arg, struct session_stats *out);

struct session_opts {
	const struct config_redis *redis;	/* target (URL and password),
						 * prefix, time-outs, buckets:
						 * copied */
	const char	*host;			/* copied */
	const char	*const *class_names;	/* by class id, borrowed: the
						 * array outlives the session */
	session_loaded_fn	*on_loaded;
	session_committed_fn	*on_committed;
	session_conflict_fn	*on_conflict;
	session_flushed_fn	*on_flushed;
	session_stats_fn	*on_stats;
	void			*arg;
	uint64_t		 bucket_ttl_every_ms;	/* the buckets' EXPIRE
						 * NX goes again this often
						 * (SPEC §7: a key recreated
						 * behind our back gets its
						 * TTL back); 0: a minute.
						 * Tests shorten it */
};

/* Replies seen since session_create, for tests and STATUS. */
struct session_counts {
	uint64_t	 ok, dup, conflict, wiped, refused, restored, loads;
};

/* Creates the sink (its first connect is armed on loop) in phase
 * UNLOADED. agg is borrowed and outlives the session. Returns NULL with
 * err on a bad URL. */
struct session	*session_create(uv_loop_t *loop, struct agg *agg,
		    const struct session_opts *o, struct ew_err *err);
/* A config reload: copies the new settings; a changed url, password or
 * time-out takes a new link (the batch in flight goes again, identical,
 * on it). Returns 0, or -EINVAL with err and nothing changed. */
int		 session_reload(struct session *s,
		    const struct session_opts *o, struct ew_err *err);
/* The table whose classes go into `P codes`: written now when the link
 * is up, and at every connect. t is only read during the call. */
void		 session_set_table(struct session *s, const struct table *t);
/* An alert event into the next batch. The session fills host, run and n
 * (the id) and remembers what is firing for a resync. */
void		 session_alert(struct session *s, struct keys_alert *a);
/* A flush tick: when agg holds something new (or a resync is due), or
 * 10 s went by since the last batch (the heartbeat, SPEC §15), closes the
 * buckets due, cuts a batch from agg and sends it when the phase allows;
 * a batch still unacknowledged goes again identical instead. A batch
 * leaves out what the session knows Redis holds (unchanged stats fields,
 * TTLs already set, this second's `P hosts` score). */
void		 session_flush(struct session *s);
enum session_phase session_phase(const struct session *s);
const char	*session_phase_name(enum session_phase ph);
enum sink_state	 session_link(const struct session *s);
/* Offsets are loaded: files may be read. */
bool		 session_is_loaded(const struct session *s);
/* Nothing pending, nothing in flight, Redis in step. */
bool		 session_is_flushed(const struct session *s);
const struct session_counts *session_counts(const struct session *s);
/* Starts closing the sink (pending replies are dropped) and frees the
 * session; call it outside the session's callbacks. NULL: no-op. */
void		 session_close(struct session *s);

#endif
