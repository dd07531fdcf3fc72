/*
 * session: the SPEC §8 protocol between this host and Redis, as one phase
 * machine over the sink. It owns everything the daemon says to Redis: the
 * stored offsets (loaded, checked, written back, dropped), the batch in
 * flight (kept as first sent, so a batch whose reply never came goes again
 * byte for byte), `P codes` and the stats' start fields, the bucket closes,
 * and the set of this host's firing alerts. It never reads a file: the
 * caller hears of loaded offsets, commits and conflicts through callbacks.
 *
 * Invariants: no batch goes out before the offsets were loaded (UNLOADED,
 * LOADING) or, after a new link, compared with ours (UNCHECKED,
 * CHECKING); after a wipe, the records we hold go back before any batch
 * (restore); one batch is in flight at a time, and the first one after a
 * CONFLICT or a wipe rewrites this host's `P alerts:active` fields
 * (resync). restore and resync are facts about Redis, not phases: they
 * survive a lost link.
 *
 * SPEC §15, the fleet's cost: a flush goes when there is something new
 * (counts, offset moves, alerts, a resync) or when the last one went
 * HEARTBEAT_MS ago; bucket closes alone wait for one of those. What a
 * flush leaves out is what this session knows Redis holds (struct told):
 * stats fields that did not change, the TTL of the buckets and of the
 * stats hash, this second's `P hosts` score. That knowledge is dropped at
 * every new link, CONFLICT, WIPED and DUP (a DUP batch wrote nothing), so
 * the flush after those says everything again and a rollback never leaves
 * a key without its TTL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "base.h"
#include "config.h"
#include "hmap.h"
#include "keys.h"
#include "log.h"
#include "session.h"
#include "sink.h"
#include "table.h"
#include "tally.h"

/* SPEC §15: a host with nothing new flushes once per 10 s, its heartbeat
 * in `P hosts` and stats:<host> (errwatch-alerts' silent_after and the
 * dashboard's "silent" count on it). */
#define HEARTBEAT_MS	10000
/* stats:<host> expires 7 days after the last EXPIRE (the script's
 * 604800): refreshed hourly, it never runs out on a live host. */
#define STATS_TTL_EVERY_MS	3600000
/* The buckets' EXPIRE NX goes again this often even when the session
 * believes the TTL is set: a bucket key deleted or evicted behind our back
 * (maxmemory, a DEL by hand) is recreated by HINCRBY without a TTL, and
 * would otherwise keep none for good. A minute bounds that, at 3 EXPIREs
 * per host per minute instead of 3 per flush. */
#define BUCKET_TTL_EVERY_MS	60000	/* session_opts' default */

enum {
	STAT_FILES, STAT_LINES, STAT_BYTES, STAT_MATCHED, STAT_UNCLASSIFIED,
	STAT_LONG_LINES, STAT_ROTATIONS, STAT_TRUNCATIONS, STAT_FLUSHES,
	STAT_REDIS_ERRORS, NSTATS
};

/* What Redis holds of this host's flushes, as far as the session knows:
 * what a flush may leave out (SPEC §15). */
struct told {
	uint64_t	 stats[NSTATS];	/* stats:<host> counters */
	uint64_t	 ttl_start[CONFIG_MAX_BUCKETS];	/* bucket with a TTL,
							 * per resolution */
	uint64_t	 hosts_s;	/* the `P hosts` score, unix s */
	uint64_t	 stats_ttl_ms;	/* the stats' last EXPIRE, monotonic */
	uint64_t	 bucket_ttl_ms;	/* the last flush that gave every bucket
					 * it touched its TTL, monotonic */
};

/* A firing alert as `P alerts:active` should hold it. */
struct active {
	struct hnode	 node;
	char		*field;		/* "<class>@<host>" */
	char		*json;
};

struct session {
	uv_loop_t		*loop;
	struct sink		*sink;
	struct agg		*agg;
	enum session_phase	 phase;
	bool			 restore;	/* records to write back */
	bool			 resync;	/* alerts:active to rewrite */
	bool			 refused_warned;	/* refused since */
	bool			 wiped_warned;

	/* settings, copied */
	uint64_t		 bucket_ttl_every_ms;
	char			*prefix;
	char			*host;
	struct config_bucket	 buckets[CONFIG_MAX_BUCKETS];
	size_t			 nbuckets;
	/* the start of the last bucket closed, unix s */
	uint64_t		 last_closed[CONFIG_MAX_BUCKETS];
	const char *const	*class_names;
	session_loaded_fn	*on_loaded;
	session_committed_fn	*on_committed;
	session_conflict_fn	*on_conflict;
	session_flushed_fn	*on_flushed;
	session_stats_fn	*on_stats;
	void			*arg;

	struct argv		 codes;		/* HSET P codes ... */
	struct argv		 inflight;	/* the batch as first sent */
	bool			 inflight_resync;	/* it carries one */
	/* SPEC §15: what Redis holds (valid: told_gen unchanged since the
	 * told values came back acknowledged), and what the batch in flight
	 * makes of it once acknowledged (cut under inflight_gen). */
	struct told		 told;
	bool			 told_valid;
	uint64_t		 told_gen;	/* bumped by every forget */
	struct told		 inflight_told;
	uint64_t		 inflight_gen;
	uint64_t		 sent_ms;	/* the last batch cut, or
						 * the start, monotonic */
	struct hmap		 active;	/* struct active by field */
	uint64_t		 started_s;	/* unix s */
	uint64_t		 alert_n;	/* alerts raised since start */
	uint64_t		 flushes, redis_errors;
	struct session_counts	 counts;
};

static const char *const phase_name[] = {
	[SESSION_UNLOADED] = "unloaded",
	[SESSION_LOADING] = "loading offsets",
	[SESSION_UNCHECKED] = "unchecked",
	[SESSION_CHECKING] = "checking offsets",
	[SESSION_RESTORING] = "restoring offsets",
	[SESSION_IDLE] = "idle",
	[SESSION_FLUSHING] = "flushing",
	[SESSION_CLOSED] = "closed",
};

static void	step(struct session *s, bool cut);

static bool
is_steady(enum session_phase ph)
{
	return ph == SESSION_IDLE || ph == SESSION_FLUSHING;
}

/* Idle to flushing and back, once per flush, is at debug; every other
 * change at info. */
static void
set_phase(struct session *s, enum session_phase to, const char *why)
{
	if (s->phase == to)
		return;
	if (is_steady(s->phase) && is_steady(to))
		log_debug("redis session: %s -> %s (%s)", phase_name[s->phase],
		    phase_name[to], why);
	else
		log_info("redis session: %s -> %s (%s)", phase_name[s->phase],
		    phase_name[to], why);
	s->phase = to;
}

/* SPEC §15: Redis may not hold what we told it (a new link, a rollback,
 * a wipe, a DUP batch): the next flush says everything again. */
static void
forget_told(struct session *s)
{
	s->told_valid = false;
	s->told_gen++;
}

/* The link is gone: whatever was in flight gets no answer. A batch in
 * flight stays, to go again identical after the check. */
static void
link_lost(struct session *s, const char *why)
{
	forget_told(s);
	switch (s->phase) {
	case SESSION_LOADING:
		set_phase(s, SESSION_UNLOADED, why);
		break;
	case SESSION_CHECKING:
	case SESSION_RESTORING:
	case SESSION_IDLE:
	case SESSION_FLUSHING:
		set_phase(s, SESSION_UNCHECKED, why);
		break;
	case SESSION_UNLOADED:
	case SESSION_UNCHECKED:
	case SESSION_CLOSED:
		break;
	}
}

/* --- commands ---------------------------------------------------------- */

/* "<prefix><name><host>", e.g. "errwatch:offsets:web-1". */
static void
host_key(const struct session *s, struct buf *key, const char *name)
{
	buf_reset(key);
	keys_name(key, s->prefix, name);
	buf_puts(key, s->host);
}

/* Sends a built argv (eval: the flush script's ARGV). 0 or -ENOTCONN. */
static int
send_argv(struct session *s, const struct argv *a, bool eval,
    sink_reply_fn *cb, void *arg)
{
	const char **v = xcalloc(a->n, sizeof(*v));
	size_t i;
	int r;

	for (i = 0; i < a->n; i++)
		v[i] = a->v[i];
	if (eval)
		r = sink_eval(s->sink, (int)a->n, v, a->len, cb, arg);
	else
		r = sink_command(s->sink, (int)a->n, v, a->len, cb, arg);
	free(v);
	return r;
}

/* Housekeeping (codes, start fields, HDEL of gone records): only errors
 * matter, and the next connect or reload writes them again. */
static void
note_reply_cb(void *arg, const struct sink_reply *r)
{
	(void)arg;
	if (r != NULL && r->type == SINK_REPLY_ERROR)
		log_warn("redis: %s", r->str);
}

/* SPEC §7: `P codes` and the stats' version and started_at, at every
 * connect and reload and after a wipe. */
static void
write_codes(struct session *s)
{
	struct argv a = { 0 };
	struct buf key = { 0 };

	if (s->codes.n > 2)
		(void)send_argv(s, &s->codes, false, note_reply_cb, s);
	host_key(s, &key, "stats:");
	argv_addstr(&a, "HSET");
	argv_add(&a, key.p, key.len);
	argv_addstr(&a, "version");
	argv_addstr(&a, EW_VERSION);
	argv_addstr(&a, "started_at");
	argv_addu64(&a, s->started_s);
	(void)send_argv(s, &a, false, note_reply_cb, s);
	argv_free(&a);
	buf_free(&key);
}

/* HGETALL offsets:<host>. 0 or -ENOTCONN. */
static int
get_offsets(struct session *s, sink_reply_fn *cb)
{
	struct argv a = { 0 };
	struct buf key = { 0 };
	int r;

	host_key(s, &key, "offsets:");
	argv_addstr(&a, "HGETALL");
	argv_add(&a, key.p, key.len);
	r = send_argv(s, &a, false, cb, s);
	argv_free(&a);
	buf_free(&key);
	return r;
}

/* --- loading ----------------------------------------------------------- */

static void
load_reply_cb(void *arg, const struct sink_reply *r)
{
	struct session *s = arg;
	struct session_rec *recs;
	struct argv drop = { 0 };
	struct buf key = { 0 };
	size_t i, n;

	if (s->phase != SESSION_LOADING)
		return;
	if (r == NULL) {
		link_lost(s, "no reply to HGETALL");
		return;
	}
	if (r->type != SINK_REPLY_ARRAY) {
		log_warn("redis: loading offsets failed: %s, retrying",
		    r->str != NULL ? r->str : "unexpected reply");
		set_phase(s, SESSION_UNLOADED, "load failed");
		return;		/* the next tick tries again */
	}
	n = r->nelem / 2;
	recs = xcalloc(n + 1, sizeof(*recs));
	for (i = 0; i < n; i++) {
		recs[i].field = r->elem[2 * i].str;
		recs[i].flen = r->elem[2 * i].len;
		recs[i].value = r->elem[2 * i + 1].str;
		recs[i].vlen = r->elem[2 * i + 1].len;
	}
	s->counts.loads++;
	set_phase(s, SESSION_IDLE, "offsets loaded");
	host_key(s, &key, "offsets:");
	argv_addstr(&drop, "HDEL");
	argv_add(&drop, key.p, key.len);
	if (s->on_loaded != NULL)
		s->on_loaded(s->arg, recs, n, &drop);
	/* SPEC §8: entries of files gone for a day are dropped */
	if (drop.n > 2)
		(void)send_argv(s, &drop, false, note_reply_cb, s);
	argv_free(&drop);
	buf_free(&key);
	free(recs);
	step(s, true);
}

/* --- checking ---------------------------------------------------------- */

struct check {
	const struct sink_reply	*r;	/* HGETALL offsets:<host> */
	bool			 restore;	/* a missing record is ours
						 * to write back */
	bool			 moved;
	bool			 any;	/* we believe Redis holds some */
};

static const char *
reply_field(const struct sink_reply *r, const char *field)
{
	size_t i;

	for (i = 0; i + 1 < r->nelem; i += 2)
		if (r->elem[i].str != NULL &&
		    strcmp(r->elem[i].str, field) == 0)
			return r->elem[i + 1].str;
	return NULL;
}

static bool
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Redis may hold what we last saw acknowledged, or the value the batch
 * in flight moves it to (applied, its reply lost: DUP). */
static void
check_one(void *arg, const char *field, const char *stored, const char *sent)
{
	struct check *c = arg;
	const char *v = reply_field(c->r, field);

	c->any = true;
	if (same_str(v, stored) || (sent != NULL && same_str(v, sent)))
		return;
	if (v == NULL && c->restore)
		return;
	c->moved = true;
}

static void	wiped(struct session *s);
static void	conflict(struct session *s, const char *why);

static void
check_reply_cb(void *arg, const struct sink_reply *r)
{
	struct session *s = arg;
	struct check c = { r, s->restore, false, false };

	if (s->phase != SESSION_CHECKING)
		return;
	if (r == NULL) {
		link_lost(s, "no reply to HGETALL");
		return;
	}
	if (r->type != SINK_REPLY_ARRAY) {
		log_warn("redis: checking offsets failed: %s, retrying",
		    r->str != NULL ? r->str : "unexpected reply");
		set_phase(s, SESSION_UNCHECKED, "check failed");
		return;		/* the next tick tries again */
	}
	agg_stored_foreach(s->agg, check_one, &c);
	if (r->nelem == 0 && c.any) {
		/* SPEC §8: an empty hash is a wipe, not a rollback: keep our
		 * positions and write the records back */
		set_phase(s, SESSION_IDLE, "offsets:<host> is gone");
		wiped(s);
		step(s, true);
		return;
	}
	if (c.moved) {
		log_warn("redis: stored offsets differ from the ones we left "
		    "(restored from an older snapshot?), re-reading from them");
		conflict(s, "stored offsets moved while away");
		return;
	}
	set_phase(s, SESSION_IDLE, "offsets as we left them");
	step(s, true);
}

/* --- restoring --------------------------------------------------------- */

static void
add_stored(void *arg, const char *field, const char *stored, const char *sent)
{
	struct argv *a = arg;

	(void)sent;
	if (stored == NULL)
		return;
	argv_addstr(a, field);
	argv_addstr(a, stored);
}

static void
restore_reply_cb(void *arg, const struct sink_reply *r)
{
	struct session *s = arg;

	if (s->phase != SESSION_RESTORING)
		return;
	if (r == NULL) {
		link_lost(s, "no reply to the offsets written back");
		return;
	}
	if (r->type == SINK_REPLY_ERROR) {
		log_warn("redis: writing offsets back failed: %s, retrying",
		    r->str);
		set_phase(s, SESSION_IDLE, "restore refused");
		return;		/* restore stays: the next tick tries again */
	}
	s->restore = false;
	s->counts.restored++;
	set_phase(s, SESSION_IDLE, "offsets written back");
	step(s, true);
}

/* SPEC §8: after a wipe (FLUSHALL, a new instance) the offsets hash holds
 * only the files of the batch that found it gone. Every other file's
 * record goes back now, before any further batch: a later batch naming
 * one of them would otherwise find its record missing in an existing
 * hash, which is how a rollback looks (CONFLICT), and the file would be
 * counted again from 0. Returns true when the write went out. */
static bool
send_restore(struct session *s)
{
	struct argv a = { 0 };
	struct buf key = { 0 };
	bool sent = false;

	host_key(s, &key, "offsets:");
	argv_addstr(&a, "HSET");
	argv_add(&a, key.p, key.len);
	agg_stored_foreach(s->agg, add_stored, &a);
	if (a.n == 2)
		s->restore = false;	/* nothing of ours to write back */
	else if (send_argv(s, &a, false, restore_reply_cb, s) == 0)
		sent = true;
	argv_free(&a);
	buf_free(&key);
	return sent;
}

/* Redis lost its state (SPEC §8): keep our positions, say so once. */
static void
wiped(struct session *s)
{
	if (!s->wiped_warned)
		log_warn("redis: offsets:%s was gone (FLUSHALL or a new "
		    "instance); keeping our positions, history is not "
		    "recounted", s->host);
	s->wiped_warned = true;
	s->counts.wiped++;
	s->restore = true;
	s->resync = true;
	forget_told(s);
	write_codes(s);
}

/* SPEC §8: Redis holds other offsets than ours (a restore, a failover):
 * what we counted since is void; the files go back to what Redis holds
 * and are read again from there, so counts and offsets agree again. */
static void
conflict(struct session *s, const char *why)
{
	s->counts.conflict++;
	s->resync = true;
	s->restore = false;
	forget_told(s);
	agg_drop_all(s->agg);
	argv_reset(&s->inflight);
	s->inflight_resync = false;
	if (s->on_conflict != NULL)
		s->on_conflict(s->arg);
	set_phase(s, SESSION_UNLOADED, why);
	step(s, false);
}

/* --- flushing ---------------------------------------------------------- */

static void
flush_reply_cb(void *arg, const struct sink_reply *r)
{
	struct session *s = arg;

	if (s->phase != SESSION_FLUSHING)
		return;
	if (r == NULL) {
		/* SPEC §8: re-sent identical once the link is back */
		link_lost(s, "no reply to the batch");
		return;
	}
	if (r->type == SINK_REPLY_ERROR) {
		s->redis_errors++;
		s->counts.refused++;
		/* SPEC §7: -OOM, -BUSY... one line when it starts, not one
		 * per retry; the same batch goes again next tick */
		if (!s->refused_warned)
			log_warn("redis: flush refused: %s, retrying the same "
			    "batch", r->str);
		s->refused_warned = true;
		set_phase(s, SESSION_IDLE, "batch refused");
		return;
	}
	if (s->refused_warned)
		log_info("redis: flush accepted again");
	s->refused_warned = false;
	if (r->str != NULL && strcmp(r->str, "CONFLICT") == 0) {
		log_warn("redis: stored offsets moved under us (a restore or "
		    "a failover), re-reading from them");
		conflict(s, "CONFLICT");
		return;
	}
	if (r->str != NULL && strcmp(r->str, "DUP") == 0) {
		s->counts.dup++;
		forget_told(s);	/* the script stopped before its writes */
	} else {
		s->counts.ok++;
		if (s->inflight_gen == s->told_gen) {
			s->told = s->inflight_told;
			s->told_valid = true;
		}
	}
	if (s->on_committed != NULL)
		s->on_committed(s->arg, agg_inflight(s->agg));
	agg_commit(s->agg);
	argv_reset(&s->inflight);
	if (s->inflight_resync)
		s->resync = false;
	s->inflight_resync = false;
	s->flushes++;
	set_phase(s, SESSION_IDLE, "batch acknowledged");
	if (r->str != NULL && strcmp(r->str, "WIPED") == 0)
		wiped(s);	/* after the commit: its records are ours */
	else
		s->wiped_warned = false;
	if (s->restore)
		step(s, false);
	if (s->on_flushed != NULL)
		s->on_flushed(s->arg);
}

/* SPEC §7: a bucket is closed into the stream 5 s after its end. */
static void
close_buckets(struct session *s, uint64_t now_s)
{
	size_t i;

	for (i = 0; i < s->nbuckets; i++) {
		uint64_t res = EW_MAX(s->buckets[i].res_ms / 1000, 1);
		uint64_t start = s->last_closed[i] + res;

		while (start + res + 5 <= now_s) {
			agg_close_bucket(s->agg, i, start);
			s->last_closed[i] = start;
			start += res;
		}
	}
}

/* This host's firing alerts as field, json pairs; borrowed from the
 * map. */
static const char **
active_pairs(const struct session *s, size_t *n)
{
	const char **v = xcalloc(2 * s->active.count + 1, sizeof(*v));
	struct hnode *node;
	size_t b;

	*n = 0;
	for (b = 0; s->active.buckets != NULL && b <= s->active.mask; b++)
		for (node = s->active.buckets[b]; node != NULL;
		    node = node->next) {
			const struct active *al = container_of(node,
			    struct active, node);

			v[2 * *n] = al->field;
			v[2 * *n + 1] = al->json;
			(*n)++;
		}
	return v;
}

/* Does c count anything? The script touches only such cells' buckets. */
static bool
cell_counted(const struct batch_cell *c)
{
	size_t i;

	for (i = 0; i < tally_nclasses(c->counts); i++)
		if (tally_get(c->counts, i) > 0)
			return true;
	return false;
}

/* The bucket start of c at resolution i, as the script names it. */
static uint64_t
cell_bucket(const struct session *s, size_t i, const struct batch_cell *c)
{
	return keys_bucket_start(c->start_s,
	    EW_MAX(s->buckets[i].res_ms / 1000, 1));
}

/* SPEC §15: send or skip. Something new goes at once; with nothing new,
 * one flush per HEARTBEAT_MS (the first tick at or past it), and the
 * bucket closes due meanwhile ride on that one. */
static bool
worth_a_flush(const struct session *s, uint64_t mono_ms)
{
	if (s->resync || agg_has_pending(s->agg))
		return true;
	return mono_ms - s->sent_ms >= HEARTBEAT_MS;
}

/* Cuts the next batch into s->inflight, with what it will make Redis hold
 * into s->inflight_told. False when there is nothing worth sending. */
static bool
cut(struct session *s)
{
	static const char *const names[NSTATS] = {
	    [STAT_FILES] = "files", [STAT_LINES] = "lines",
	    [STAT_BYTES] = "bytes", [STAT_MATCHED] = "matched",
	    [STAT_UNCLASSIFIED] = "unclassified",
	    [STAT_LONG_LINES] = "long_lines", [STAT_ROTATIONS] = "rotations",
	    [STAT_TRUNCATIONS] = "truncations", [STAT_FLUSHES] = "flushes",
	    [STAT_REDIS_ERRORS] = "redis_errors" };
	static const struct batch empty;
	struct session_stats st;
	struct told *t = &s->inflight_told;
	const char *fields[NSTATS];
	uint64_t values[NSTATS];
	struct flush_meta m;
	const struct batch *b;
	const char **active = NULL;
	uint64_t now_ms = ew_wall_ms();	/* SPEC §6: names buckets only */
	uint64_t mono_ms = uv_now(s->loop);
	size_t i, n;

	if (!worth_a_flush(s, mono_ms))
		return false;
	close_buckets(s, now_ms / 1000);
	b = agg_cut(s->agg, now_ms);
	if (b == NULL)
		b = &empty;	/* the heartbeat, and closes if any */
	memset(&st, 0, sizeof(st));
	if (s->on_stats != NULL)
		s->on_stats(s->arg, &st);
	if (s->told_valid)
		*t = s->told;
	else
		memset(t, 0, sizeof(*t));
	t->stats[STAT_FILES] = st.files;
	t->stats[STAT_LINES] = st.lines;
	t->stats[STAT_BYTES] = st.bytes;
	t->stats[STAT_MATCHED] = st.matched;
	t->stats[STAT_UNCLASSIFIED] = st.unclassified;
	t->stats[STAT_LONG_LINES] = st.long_lines;
	t->stats[STAT_ROTATIONS] = st.rotations;
	t->stats[STAT_TRUNCATIONS] = st.truncations;
	t->stats[STAT_FLUSHES] = s->flushes + 1;
	t->stats[STAT_REDIS_ERRORS] = s->redis_errors;
	/* only the fields Redis does not hold yet */
	for (i = 0, n = 0; i < NSTATS; i++)
		if (!s->told_valid || t->stats[i] != s->told.stats[i]) {
			fields[n] = names[i];
			values[n++] = t->stats[i];
		}
	memset(&m, 0, sizeof(m));
	m.prefix = s->prefix;
	m.host = s->host;
	m.now_ms = now_ms;
	m.buckets = s->buckets;
	m.nbuckets = s->nbuckets;
	m.class_names = s->class_names;
	m.stat_fields = fields;
	m.stat_values = values;
	m.nstats = n;
	if (s->resync) {
		active = active_pairs(s, &m.nactive);
		m.active = active;
		m.resync = true;
	}
	/* what Redis holds already; t becomes what it holds after */
	if (s->told_valid &&
	    mono_ms - s->told.bucket_ttl_ms < s->bucket_ttl_every_ms) {
		m.ttl_start = s->told.ttl_start;
	} else {
		m.ttl_start = NULL;
		t->bucket_ttl_ms = mono_ms;
	}
	for (i = 0; i < b->ncells; i++) {
		size_t r;

		if (!cell_counted(&b->cells[i]))
			continue;	/* the script leaves its buckets alone */
		for (r = 0; r < s->nbuckets; r++)
			t->ttl_start[r] = cell_bucket(s, r, &b->cells[i]);
	}
	m.heartbeat = !s->told_valid || s->told.hosts_s != now_ms / 1000;
	t->hosts_s = now_ms / 1000;
	m.stats_ttl = !s->told_valid ||
	    mono_ms - s->told.stats_ttl_ms >= STATS_TTL_EVERY_MS;
	if (m.stats_ttl)
		t->stats_ttl_ms = mono_ms;
	keys_flush_argv(&s->inflight, &m, b);
	s->inflight_resync = s->resync;
	s->inflight_gen = s->told_gen;
	s->sent_ms = mono_ms;
	free(active);
	return true;
}

/* Takes the next step the phase allows. may_cut: a new batch may be cut
 * (a flush tick, or right after a check or a load), else only the one in
 * flight goes again. */
static void
step(struct session *s, bool may_cut)
{
	if (sink_state(s->sink) != SINK_READY)
		return;
	switch (s->phase) {
	case SESSION_UNLOADED:
		if (get_offsets(s, load_reply_cb) == 0)
			set_phase(s, SESSION_LOADING, "no file is read before");
		break;
	case SESSION_UNCHECKED:
		if (get_offsets(s, check_reply_cb) == 0)
			set_phase(s, SESSION_CHECKING, "a new link");
		break;
	case SESSION_IDLE:
		if (s->restore) {
			if (send_restore(s))
				set_phase(s, SESSION_RESTORING, "after a wipe");
			if (s->restore)
				break;
		}
		if (s->inflight.n == 0 && (!may_cut || !cut(s)))
			break;
		if (send_argv(s, &s->inflight, true, flush_reply_cb, s) == 0)
			set_phase(s, SESSION_FLUSHING, "batch sent");
		break;
	case SESSION_LOADING:
	case SESSION_CHECKING:
	case SESSION_RESTORING:
	case SESSION_FLUSHING:
	case SESSION_CLOSED:
		break;		/* a reply is awaited, or nothing to do */
	}
}

/* --- the link ---------------------------------------------------------- */

static void
sink_state_cb(void *arg, enum sink_state st, const char *why)
{
	struct session *s = arg;

	if (s->phase == SESSION_CLOSED)
		return;
	if (st != SINK_READY) {
		if (st == SINK_DOWN)
			s->redis_errors++;
		link_lost(s, why);
		return;
	}
	write_codes(s);
	step(s, false);
}

/* The link o asks for: borrowed from o for as long as o lives. */
static void
link_opts(struct session *s, const struct session_opts *o,
    struct sink_opts *so)
{
	const struct config_redis *rc = o->redis;

	memset(so, 0, sizeof(*so));
	so->target = &rc->target;
	so->sentinel = &rc->sentinel;
	so->connect_timeout_ms = rc->connect_timeout_ms;
	so->reply_timeout_ms = EW_MAX(5000, 4 * rc->flush_interval_ms);
	so->script = keys_flush_script();
	so->on_state = sink_state_cb;
	so->arg = s;
}

static struct sink *
make_sink(struct session *s, const struct session_opts *o,
    struct ew_err *err)
{
	struct sink_opts so;

	link_opts(s, o, &so);
	return sink_create(s->loop, &so, err);
}

/* Copies the settings of o; the link itself is the caller's business. */
static void
copy_settings(struct session *s, const struct session_opts *o)
{
	const struct config_redis *rc = o->redis;
	uint64_t now_s = ew_wall_ms() / 1000;
	size_t i;

	free(s->prefix);
	s->prefix = xstrdup(rc->prefix);
	free(s->host);
	s->host = xstrdup(o->host);
	for (i = 0; i < rc->nbuckets; i++) {
		uint64_t res_s = EW_MAX(rc->buckets[i].res_ms / 1000, 1);

		/* a bucket new or changed: the ones before now are not ours
		 * to close */
		if (i >= s->nbuckets ||
		    s->buckets[i].res_ms != rc->buckets[i].res_ms)
			s->last_closed[i] = keys_bucket_start(now_s, res_s) -
			    res_s;
		s->buckets[i] = rc->buckets[i];
	}
	s->nbuckets = rc->nbuckets;
	s->class_names = o->class_names;
	s->on_loaded = o->on_loaded;
	s->on_committed = o->on_committed;
	s->on_conflict = o->on_conflict;
	s->on_flushed = o->on_flushed;
	s->on_stats = o->on_stats;
	s->bucket_ttl_every_ms = o->bucket_ttl_every_ms != 0 ?
	    o->bucket_ttl_every_ms : BUCKET_TTL_EVERY_MS;
	s->arg = o->arg;
}

struct session *
session_create(uv_loop_t *loop, struct agg *agg,
    const struct session_opts *o, struct ew_err *err)
{
	struct session *s = xcalloc(1, sizeof(*s));

	s->loop = loop;
	s->agg = agg;
	s->phase = SESSION_UNLOADED;
	s->started_s = ew_wall_ms() / 1000;
	/* a host that reads nothing at all says so 10 s after its start;
	 * one that follows files flushes their offsets at once */
	s->sent_ms = uv_now(loop);
	copy_settings(s, o);
	s->sink = make_sink(s, o, err);
	if (s->sink == NULL) {
		session_close(s);
		return NULL;
	}
	return s;
}

/* SPEC §10: a reload that changes how Redis is reached takes a new link;
 * the old one is closed, its callbacks get NULL and the batch in flight
 * goes again, identical, on the new one (SPEC §8). */
int
session_reload(struct session *s, const struct session_opts *o,
    struct ew_err *err)
{
	struct sink *sk, *prev;
	struct sink_opts so;

	forget_told(s);		/* the buckets may have changed */
	link_opts(s, o, &so);
	if (sink_same_link(s->sink, &so)) {
		copy_settings(s, o);
		return 0;
	}
	sk = make_sink(s, o, err);
	if (sk == NULL)
		return -EINVAL;
	log_info("reload: new Redis settings, reconnecting");
	prev = s->sink;
	s->sink = sk;
	sink_close(prev);	/* its NULL replies and CLOSED: link_lost */
	link_lost(s, "new Redis settings");
	copy_settings(s, o);
	return 0;
}

void
session_set_table(struct session *s, const struct table *t)
{
	struct buf key = { 0 }, json = { 0 };
	size_t i;

	argv_reset(&s->codes);
	keys_name(&key, s->prefix, "codes");
	argv_addstr(&s->codes, "HSET");
	argv_add(&s->codes, key.p, key.len);
	for (i = 0; i < table_nclasses(t); i++) {
		buf_reset(&json);
		table_class_json(t, i, &json);
		argv_addstr(&s->codes, table_class_name(t, i));
		argv_add(&s->codes, json.p, json.len);
	}
	buf_free(&key);
	buf_free(&json);
	if (sink_state(s->sink) == SINK_READY)
		write_codes(s);
}

static struct active *
active_find(const struct session *s, const char *field, uint64_t h)
{
	struct hnode *node;

	for (node = hmap_first(&s->active, h); node != NULL;
	    node = hmap_next_same(node)) {
		struct active *al = container_of(node, struct active, node);

		if (strcmp(al->field, field) == 0)
			return al;
	}
	return NULL;
}

static void
active_free(struct active *al)
{
	free(al->field);
	free(al->json);
	free(al);
}

void
session_alert(struct session *s, struct keys_alert *a)
{
	struct buf field = { 0 }, json = { 0 };
	struct argv kv = { 0 };
	struct active *al;
	uint64_t h;

	a->host = s->host;
	a->run = s->started_s;
	a->n = ++s->alert_n;
	keys_alert(a, &field, &kv, &json);
	agg_alert(s->agg, field.p, a->firing, json.p,
	    (const char *const *)kv.v, kv.n);
	h = ew_hash(field.p, field.len);
	al = active_find(s, field.p, h);
	if (a->firing) {
		if (al == NULL) {
			al = xcalloc(1, sizeof(*al));
			al->field = xstrdup(field.p);
			hmap_insert(&s->active, &al->node, h);
		}
		free(al->json);
		al->json = xstrdup(json.p);
	} else if (al != NULL) {
		hmap_remove(&s->active, &al->node);
		active_free(al);
	}
	buf_free(&field);
	buf_free(&json);
	argv_free(&kv);
}

void
session_flush(struct session *s)
{
	step(s, true);
}

enum session_phase
session_phase(const struct session *s)
{
	return s->phase;
}

const char *
session_phase_name(enum session_phase ph)
{
	if ((size_t)ph >= ARRAY_SIZE(phase_name))
		return "?";
	return phase_name[ph];
}

enum sink_state
session_link(const struct session *s)
{
	return sink_state(s->sink);
}

bool
session_is_loaded(const struct session *s)
{
	return s->phase != SESSION_UNLOADED && s->phase != SESSION_LOADING;
}

bool
session_is_flushed(const struct session *s)
{
	return s->phase == SESSION_IDLE && s->inflight.n == 0 &&
	    !s->restore && !s->resync && !agg_has_pending(s->agg);
}

const struct session_counts *
session_counts(const struct session *s)
{
	return &s->counts;
}

void
session_close(struct session *s)
{
	struct hnode *node;
	size_t b;

	if (s == NULL)
		return;
	set_phase(s, SESSION_CLOSED, "closing");
	sink_close(s->sink);
	for (b = 0; s->active.buckets != NULL && b <= s->active.mask; b++)
		while ((node = s->active.buckets[b]) != NULL) {
			hmap_remove(&s->active, node);
			active_free(container_of(node, struct active, node));
		}
	hmap_free(&s->active);
	argv_free(&s->codes);
	argv_free(&s->inflight);
	free(s->prefix);
	free(s->host);
	free(s);
}
