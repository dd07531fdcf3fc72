/*
 * daemon: wires errwatchd on one uv loop. The watcher reports files, the
 * daemon keeps one `struct followed` per file identity (device, inode) and
 * decides what each event means: a new file, a rotation, a truncation, a
 * copytruncate copy. Every flush_interval it reads the growth of every
 * open file (never on fs events: SPEC §6), counts into agg, and sends one
 * batch at a time through the sink; the batch carries the offsets of the
 * files its lines came from, so Redis applies counts and offsets together
 * or not at all (SPEC §8).
 *
 * Invariants: no file is read before the offsets came back from Redis;
 * only one batch is in flight, and a batch whose reply never came is
 * re-sent byte for byte; counts are kept by class name ids that survive a
 * reload, so a SIGHUP never mixes two tables' indexes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "agg.h"
#include "base.h"
#include "config.h"
#include "daemon.h"
#include "keys.h"
#include "lines.h"
#include "log.h"
#include "match.h"
#include "setup.h"
#include "sink.h"
#include "table.h"
#include "tailer.h"
#include "tally.h"
#include "watcher.h"

#define READ_BUF_SIZE		(1u << 20)	/* shared by all files */
#define READ_BUDGET		(256u << 20)	/* bytes per file per tick */
#define RESCAN_MS		1000		/* SPEC §6 safety net */
#define STOP_FLUSH_MS		5000		/* SPEC §10 */
#define ONCE_REDIS_WAIT_MS	10000		/* --once gives up after */
#define GONE_RECORD_S		86400		/* SPEC §8: a day */
#define MAX_CLASSES		256
#define COPY_CMP_LEN		1024

enum file_state {
	FILE_ACTIVE,		/* followed at its path */
	FILE_LINKED,		/* a copy of another file: not read (yet) */
	FILE_DRAINING,		/* rotated away or deleted: read to its end */
	FILE_CLOSED,		/* drained: no descriptor, position kept */
};

struct followed {
	struct tailer	*t;		/* NULL when FILE_CLOSED */
	char		*path;
	size_t		 input;
	enum file_state	 state;
	uint64_t	 dev, ino;
	char		 field[48];	/* offset record field "dev:ino" */
	uint64_t	 committed;	/* last committed offset given to agg */
	bool		 dirty;		/* a record must be sent */
	bool		 placed;	/* position known (offsets loaded) */
	bool		 initial;	/* found by the first scan */
	uint64_t	 quiet_since;	/* ms: at EOF with no growth since */
	uint64_t	 scan_gen;	/* last scan that reported it */
	char		*copy_of;	/* FILE_LINKED: the original's field */
};

/* A stored offset record, as loaded from Redis. */
struct stored {
	char		*field;
	char		*value;
	struct offset_rec rec;
	bool		 valid;
};

struct failed {
	char		*path;
	uint64_t	 scan_gen;
};

struct daemon {
	uv_loop_t	 loop;
	const char	*config_path;
	bool		 once;
	struct setup	*setup;
	struct watcher	*watcher;
	struct sink	*sink;
	struct agg	*agg;
	char		*readbuf;

	uv_timer_t	 flush_timer;
	uv_timer_t	 rescan_timer;
	uv_timer_t	 stop_timer;
	uv_signal_t	 sig_term, sig_int, sig_hup;

	struct followed	**files;
	size_t		 nfiles;
	struct failed	*failed;	/* open errors logged once */
	size_t		 nfailed;
	uint64_t	 scan_gen;

	struct stored	*stored;	/* offsets:<host> as loaded */
	size_t		 nstored;
	bool		 offsets_loading;
	bool		 offsets_loaded;
	bool		 ever_loaded;
	bool		 first_start;	/* offsets:<host> did not exist */
	bool		 codes_written;
	bool		 wiped_warned;

	/* Class names by stable id; a table's classes map onto them. */
	char		*class_names[MAX_CLASSES];
	size_t		 nclass_names;
	size_t		*class_map;	/* table class -> id */
	size_t		 uncl_id;
	uint64_t	 cell_s;
	uint64_t	 last_closed[CONFIG_MAX_BUCKETS];	/* start_s */

	struct argv	 inflight_argv;	/* the batch as first sent */
	bool		 inflight_sent;	/* awaiting its reply */

	/* reading context, set per file */
	struct followed	*cur;
	uint64_t	 now_ms;

	/* stats since this start, SPEC §7 */
	uint64_t	 st_lines, st_bytes, st_matched, st_uncl, st_long,
			 st_rotations, st_truncations, st_flushes,
			 st_redis_errors;
	uint64_t	 started_s;

	bool		 stopping;
	bool		 once_read_done;
	uint64_t	 once_deadline;
	enum daemon_result result;
	struct ew_err	*err;
};

static void	flush_now(struct daemon *d);
static void	load_offsets(struct daemon *d);
static void	read_all(struct daemon *d);

static uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
gcd(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/* --- classes ----------------------------------------------------------- */

static size_t
class_id(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nclass_names; i++)
		if (strcmp(d->class_names[i], name) == 0)
			return i;
	if (d->nclass_names == MAX_CLASSES)
		return SIZE_MAX;
	d->class_names[d->nclass_names] = xstrdup(name);
	return d->nclass_names++;
}

/* Maps the setup's table onto the stable ids. -1 if it has too many. */
static int
map_classes(struct daemon *d, const struct table *t, size_t **map,
    size_t *uncl)
{
	size_t i, n = table_nclasses(t);
	size_t *m = xcalloc(n, sizeof(*m));

	for (i = 0; i < n; i++) {
		m[i] = class_id(d, table_class_name(t, i));
		if (m[i] == SIZE_MAX) {
			free(m);
			return -1;
		}
	}
	*uncl = m[table_unclassified(t)];
	*map = m;
	return 0;
}

/* --- counting ---------------------------------------------------------- */

static void
hit_cb(void *arg, const char *code, size_t code_len, const char *name,
    size_t name_len)
{
	struct daemon *d = arg;
	const struct table *t = d->setup->table;
	size_t cls = table_classify(t, name, name_len, code, code_len);

	agg_count(d->agg, d->now_ms, d->class_map[cls], 1);
	if (d->class_map[cls] == d->uncl_id) {
		d->st_uncl++;
		if (code_len > 0)
			agg_count_uncl(d->agg, code, code_len);
		else
			agg_count_uncl(d->agg, name, name_len);
	}
}

static void
block_cb(void *arg, const char *buf, size_t len)
{
	struct daemon *d = arg;
	struct followed *f = d->cur;
	const struct config_input *in = &d->setup->cfg->inputs[f->input];
	struct match_stats st = { 0 };

	matcher_scan(d->setup->matchers[f->input], buf, len, in->max_line,
	    hit_cb, d, &st);
	d->st_lines += st.lines;
	d->st_matched += st.matched;
	d->st_long += st.long_lines;
}

/* --- files ------------------------------------------------------------- */

static struct followed *
find_file(struct daemon *d, uint64_t dev, uint64_t ino)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++)
		if (d->files[i]->dev == dev && d->files[i]->ino == ino)
			return d->files[i];
	return NULL;
}

static struct followed *
find_field(struct daemon *d, const char *field)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++)
		if (strcmp(d->files[i]->field, field) == 0)
			return d->files[i];
	return NULL;
}

static struct stored *
find_stored(struct daemon *d, const char *field)
{
	size_t i;

	for (i = 0; i < d->nstored; i++)
		if (strcmp(d->stored[i].field, field) == 0)
			return &d->stored[i];
	return NULL;
}

static void
free_stored(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nstored; i++) {
		free(d->stored[i].field);
		free(d->stored[i].value);
	}
	free(d->stored);
	d->stored = NULL;
	d->nstored = 0;
}

static void
file_free(struct followed *f)
{
	tailer_destroy(f->t);
	free(f->path);
	free(f->copy_of);
	free(f);
}

static void
remove_file(struct daemon *d, struct followed *f)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++)
		if (d->files[i] == f) {
			d->files[i] = d->files[--d->nfiles];
			break;
		}
	file_free(f);
}

/* Sends the file's position with the next batch if it moved. */
static void
note_offset(struct daemon *d, struct followed *f)
{
	struct offset_rec rec;
	struct buf b = { 0 };

	if (f->t == NULL || !f->placed || f->state == FILE_LINKED)
		return;
	if (!f->dirty && tailer_committed(f->t) == f->committed)
		return;
	if (tailer_record(f->t, d->now_ms / 1000, &rec) < 0)
		return;
	keys_offset_value(&b, &rec);
	agg_offset(d->agg, f->field, b.p);
	buf_free(&b);
	f->committed = rec.offset;
	f->dirty = false;
}

/* True if b's name says it is a rotated copy of a: same directory, and
 * its base name is a's followed by '.', '-' or '_' (app.log.1,
 * app.log-20261124). Copies named otherwise are not recognised. */
static bool
is_copy_name(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t da = sa ? (size_t)(sa - a) : 0, db = sb ? (size_t)(sb - b) : 0;
	size_t la;

	if (da != db || strncmp(a, b, da) != 0)
		return false;
	a += da;
	b += db;
	la = strlen(a);
	return strncmp(a, b, la) == 0 && (b[la] == '.' || b[la] == '-' ||
	    b[la] == '_');
}

/* Compares the first bytes of two files: 1 equal (copy), 0 different,
 * -1 undecided (b still empty). */
static int
same_head(const char *a, const char *b)
{
	char ba[COPY_CMP_LEN], bb[COPY_CMP_LEN];
	ssize_t na = -1, nb = -1;
	int fa, fb, r;

	fa = open(a, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	fb = open(b, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fa >= 0)
		na = pread(fa, ba, sizeof(ba), 0);
	if (fb >= 0)
		nb = pread(fb, bb, sizeof(bb), 0);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	if (na < 0 || nb < 0)
		return 0;
	if (nb == 0)
		return -1;
	r = memcmp(ba, bb, (size_t)EW_MIN(na, nb)) == 0;
	return r;
}

/* A new file that is a copy of a followed one (copytruncate, or a copy
 * then delete) is not read from 0: its first bytes were counted through
 * the original. It waits, linked, until the original truncates or goes,
 * then continues from the original's position (SPEC §6). */
static struct followed *
copy_origin(struct daemon *d, struct followed *n)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++) {
		struct followed *f = d->files[i];

		if (f == n || f->t == NULL || f->state != FILE_ACTIVE)
			continue;
		if (is_copy_name(f->path, n->path) &&
		    same_head(f->path, n->path) != 0)
			return f;
	}
	return NULL;
}

/* Positions a file once offsets are known. */
static void
place(struct daemon *d, struct followed *f)
{
	const struct config_input *in = &d->setup->cfg->inputs[f->input];
	struct stored *s = find_stored(d, f->field);
	struct followed *orig;
	uint64_t off = 0;

	f->placed = true;
	if (s != NULL) {
		agg_offset_stored(d->agg, f->field, s->value);
		if (s->valid && tailer_verify(f->t, &s->rec)) {
			tailer_seek(f->t, s->rec.offset);
			f->committed = s->rec.offset;
			log_debug("%s: resuming at %" PRIu64, f->path,
			    s->rec.offset);
			return;
		}
	}
	if (!f->initial && (orig = copy_origin(d, f)) != NULL) {
		f->state = FILE_LINKED;
		f->copy_of = xstrdup(orig->field);
		log_info("%s: copy of %s, counted from there", f->path,
		    orig->path);
		return;
	}
	if (f->initial && d->first_start && in->start_at == START_AT_END)
		off = tailer_size(f->t);
	tailer_seek(f->t, off);
	f->committed = off;
	f->dirty = true;
	log_info("%s: following from %s", f->path,
	    off ? "its end" : "its first byte");
}

static void
open_failed(struct daemon *d, const char *path, const struct ew_err *err)
{
	size_t i;

	for (i = 0; i < d->nfailed; i++)
		if (strcmp(d->failed[i].path, path) == 0) {
			d->failed[i].scan_gen = d->scan_gen;
			return;
		}
	log_warn("%s: %s, retrying at each rescan", path, err->msg);
	d->failed = xrealloc(d->failed, (d->nfailed + 1) *
	    sizeof(*d->failed));
	d->failed[d->nfailed].path = xstrdup(path);
	d->failed[d->nfailed].scan_gen = d->scan_gen;
	d->nfailed++;
}

static void
open_ok(struct daemon *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->nfailed; i++)
		if (strcmp(d->failed[i].path, path) == 0) {
			log_info("%s: readable again", path);
			free(d->failed[i].path);
			d->failed[i] = d->failed[--d->nfailed];
			return;
		}
}

/* A closed (drained) file shows up again: reopen it if it grew. */
static void
reopen_closed(struct daemon *d, struct followed *f, const char *path,
    const struct stat *st)
{
	struct ew_err err = { 0 };
	size_t max_line = d->setup->cfg->inputs[f->input].max_line;

	if ((uint64_t)st->st_size <= f->committed)
		return;
	f->t = tailer_open(path, max_line, &err);
	if (f->t == NULL || tailer_dev(f->t) != f->dev ||
	    tailer_ino(f->t) != f->ino) {
		tailer_destroy(f->t);
		f->t = NULL;
		return;
	}
	free(f->path);
	f->path = xstrdup(path);
	f->state = FILE_DRAINING;
	f->quiet_since = 0;
	f->placed = false;
	if (d->offsets_loaded)
		place(d, f);
	log_info("%s: grew after it was closed, reading on", path);
}

static void
mark_rotated(struct daemon *d, struct followed *f, const char *how)
{
	log_info("%s: %s, reading it to its end", f->path, how);
	d->st_rotations++;
	f->state = FILE_DRAINING;
	f->quiet_since = 0;
}

static void
file_cb(void *arg, size_t input, const char *path, const struct stat *st)
{
	struct daemon *d = arg;
	struct followed *f = find_file(d, (uint64_t)st->st_dev,
	    (uint64_t)st->st_ino);
	struct ew_err err = { 0 };
	struct tailer *t;

	if (f != NULL) {
		if (f->scan_gen == d->scan_gen)
			return;		/* seen under another name */
		f->scan_gen = d->scan_gen;
		if (f->state == FILE_CLOSED) {
			reopen_closed(d, f, path, st);
			return;
		}
		if (strcmp(f->path, path) != 0 && f->t != NULL &&
		    (tailer_check(f->t, false) & TAILER_MOVED)) {
			/* renamed to another followed name (app.log.1): the
			 * same file, never read twice; drained as rotated */
			if (f->state == FILE_ACTIVE)
				mark_rotated(d, f, "rotated");
			free(f->path);
			f->path = xstrdup(path);
			tailer_set_path(f->t, path);
		}
		return;
	}
	t = tailer_open(path, d->setup->cfg->inputs[input].max_line, &err);
	if (t == NULL) {
		if (err.msg[0] != '\0' && strstr(err.msg, "No such") == NULL)
			open_failed(d, path, &err);
		return;
	}
	open_ok(d, path);
	f = xcalloc(1, sizeof(*f));
	f->t = t;
	f->path = xstrdup(path);
	f->input = input;
	f->dev = tailer_dev(t);
	f->ino = tailer_ino(t);
	snprintf(f->field, sizeof(f->field), "%" PRIu64 ":%" PRIu64, f->dev,
	    f->ino);
	f->initial = !d->offsets_loaded;
	f->scan_gen = d->scan_gen;
	d->files = xrealloc(d->files, (d->nfiles + 1) * sizeof(*d->files));
	d->files[d->nfiles++] = f;
	if (d->offsets_loaded)
		place(d, f);
}

/* After each scan (timer or inotify): a closed file that no glob names
 * any more is forgotten (its record stays in Redis until it has been gone
 * for a day), and open errors of paths gone are dropped. */
static void
scan_done_cb(void *arg)
{
	struct daemon *d = arg;
	size_t i;

	for (i = 0; i < d->nfiles;) {
		struct followed *f = d->files[i];

		if (f->state == FILE_CLOSED && f->scan_gen != d->scan_gen) {
			agg_offset_forget(d->agg, f->field);
			remove_file(d, f);
		} else {
			i++;
		}
	}
	for (i = 0; i < d->nfailed;) {
		if (d->failed[i].scan_gen != d->scan_gen) {
			free(d->failed[i].path);
			d->failed[i] = d->failed[--d->nfailed];
		} else {
			i++;
		}
	}
	d->scan_gen++;
}

/* The original f leaves (truncated, drained or gone): its linked copies
 * continue from the position f had reached (SPEC §6 copytruncate). */
static void
release_copies(struct daemon *d, struct followed *f, uint64_t from)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++) {
		struct followed *c = d->files[i];

		if (c->state != FILE_LINKED || strcmp(c->copy_of, f->field))
			continue;
		free(c->copy_of);
		c->copy_of = NULL;
		c->state = FILE_DRAINING;
		c->quiet_since = 0;
		tailer_seek(c->t, from);
		c->committed = from;
		c->dirty = true;
		log_info("%s: counting the copy of %s from %" PRIu64, c->path,
		    f->path, from);
	}
}

/* A linked file whose head no longer equals its origin's was no copy. */
static void
check_linked(struct daemon *d, struct followed *c)
{
	struct followed *o = find_field(d, c->copy_of);

	if (o != NULL && o->state == FILE_ACTIVE &&
	    same_head(o->path, c->path) != 0)
		return;
	if (o != NULL && o->t != NULL) {
		/* origin left without release: continue from it */
		release_copies(d, o, o->committed);
		return;
	}
	free(c->copy_of);
	c->copy_of = NULL;
	c->state = FILE_ACTIVE;
	tailer_seek(c->t, 0);
	c->committed = 0;
	c->dirty = true;
	log_info("%s: not a copy after all, reading from its first byte",
	    c->path);
}

static void
check_files(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++) {
		struct followed *f = d->files[i];
		unsigned ev;

		if (f->t == NULL || !f->placed)
			continue;
		if (f->state == FILE_LINKED) {
			check_linked(d, f);
			continue;
		}
		ev = tailer_check(f->t, true);
		if (ev & TAILER_TRUNCATED) {
			uint64_t was = tailer_committed(f->t);

			log_info("%s: truncated to %" PRIu64 " (was %" PRIu64
			    "), reading from 0", f->path, tailer_size(f->t),
			    was);
			d->st_truncations++;
			release_copies(d, f, was);
			tailer_seek(f->t, 0);
			f->committed = 0;
			f->dirty = true;
		}
		if ((ev & (TAILER_DELETED | TAILER_MOVED)) &&
		    f->state == FILE_ACTIVE)
			mark_rotated(d, f, (ev & TAILER_DELETED) ? "deleted" :
			    "rotated");
		if ((ev & TAILER_ERROR) && !tailer_is_suspended(f->t)) {
			/* ESTALE on NFS: reopen by path */
			tailer_suspend(f->t);
			if (tailer_resume(f->t) < 0)
				mark_rotated(d, f, "gone stale");
		}
	}
}

/* Reads every open file's growth; retires drained files. */
static void
read_all(struct daemon *d)
{
	size_t i;

	if (!d->offsets_loaded)
		return;
	d->now_ms = wall_ms();
	for (i = 0; i < d->nfiles; i++) {
		struct followed *f = d->files[i];
		const struct config_input *in;
		int64_t n;

		if (f->t == NULL || f->state == FILE_LINKED)
			continue;
		in = &d->setup->cfg->inputs[f->input];
		d->cur = f;
		n = tailer_read(f->t, d->readbuf, READ_BUF_SIZE,
		    d->once ? UINT64_MAX : READ_BUDGET, block_cb, d);
		if (n > 0) {
			d->st_bytes += (uint64_t)n;
			f->quiet_since = 0;
		} else if (f->quiet_since == 0) {
			f->quiet_since = d->now_ms;
		}
		if (f->state == FILE_DRAINING && n == 0 &&
		    d->now_ms - f->quiet_since >= in->rotate_wait_ms) {
			/* SPEC §6: quiet for rotate_wait: the partial last
			 * line counts, and the descriptor goes */
			tailer_finish(f->t, block_cb, d);
			note_offset(d, f);
			release_copies(d, f, f->committed);
			d->st_long += tailer_long_lines(f->t);
			tailer_destroy(f->t);
			f->t = NULL;
			f->state = FILE_CLOSED;
			log_info("%s: closed after %" PRIu64 " quiet ms",
			    f->path, in->rotate_wait_ms);
			continue;
		}
		note_offset(d, f);
	}
	d->cur = NULL;
}

/* --- Redis ------------------------------------------------------------- */

static void
stats_meta(struct daemon *d, struct flush_meta *m, const char **fields,
    uint64_t *values)
{
	static const char *names[] = { "files", "lines", "bytes", "matched",
	    "unclassified", "long_lines", "rotations", "truncations",
	    "flushes", "redis_errors" };
	size_t i, open = 0;

	for (i = 0; i < d->nfiles; i++)
		if (d->files[i]->t != NULL)
			open++;
	values[0] = open;
	values[1] = d->st_lines;
	values[2] = d->st_bytes;
	values[3] = d->st_matched;
	values[4] = d->st_uncl;
	values[5] = d->st_long;
	values[6] = d->st_rotations;
	values[7] = d->st_truncations;
	values[8] = d->st_flushes + 1;
	values[9] = d->st_redis_errors;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		fields[i] = names[i];
	m->prefix = d->setup->cfg->redis.prefix;
	m->host = d->setup->cfg->host;
	m->now_ms = d->now_ms;
	m->buckets = d->setup->cfg->redis.buckets;
	m->nbuckets = d->setup->cfg->redis.nbuckets;
	m->class_names = (const char *const *)d->class_names;
	m->stat_fields = fields;
	m->stat_values = values;
	m->nstats = ARRAY_SIZE(names);
}

/* SPEC §7: a bucket is closed into the stream 5 s after its end. */
static void
close_buckets(struct daemon *d)
{
	const struct config_redis *r = &d->setup->cfg->redis;
	uint64_t now_s = d->now_ms / 1000;
	size_t i;

	for (i = 0; i < r->nbuckets; i++) {
		uint64_t res = r->buckets[i].res_ms / 1000;
		uint64_t start = d->last_closed[i] + res;

		while (start + res + 5 <= now_s) {
			agg_close_bucket(d->agg, i, start);
			d->last_closed[i] = start;
			start += res;
		}
	}
}

static void
send_inflight(struct daemon *d);

/* Replies to housekeeping commands (codes, stats, HDEL): only errors
 * matter, and they are retried at the next connect or reload. */
static void
note_reply_cb(void *arg, const struct sink_reply *r)
{
	(void)arg;
	if (r != NULL && r->type == SINK_REPLY_ERROR)
		log_warn("redis: %s", r->str);
}

/* Sends a built argv as a command (eval: the flush script's ARGV). */
static int
send_argv(struct daemon *d, const struct argv *a, bool eval,
    sink_reply_fn *cb, void *arg)
{
	const char **v = xcalloc(a->n, sizeof(*v));
	size_t i;
	int r;

	for (i = 0; i < a->n; i++)
		v[i] = a->v[i];
	if (eval)
		r = sink_eval(d->sink, (int)a->n, v, a->len, cb, arg);
	else
		r = sink_command(d->sink, (int)a->n, v, a->len, cb, arg);
	free(v);
	return r;
}

/* CONFLICT: every position comes back from Redis. A closed file is
 * reopened by the next rescan if Redis holds less than its size. */
static void
reseek_all(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++) {
		d->files[i]->placed = false;
		if (d->files[i]->state == FILE_CLOSED)
			d->files[i]->committed = 0;
	}
}

/* The in-flight batch is in Redis: its offsets are what Redis holds now,
 * so a file found again later is placed from them. */
static void
remember_committed(struct daemon *d)
{
	const struct batch *b = agg_inflight(d->agg);
	size_t i;

	for (i = 0; b != NULL && i < b->noffsets; i++) {
		const struct batch_offset *o = &b->offsets[i];
		struct stored *s = find_stored(d, o->field);

		if (s == NULL) {
			d->stored = xrealloc(d->stored, (d->nstored + 1) *
			    sizeof(*d->stored));
			s = &d->stored[d->nstored++];
			s->field = xstrdup(o->field);
		} else {
			free(s->value);
		}
		s->value = xstrdup(o->next);
		s->valid = keys_offset_parse(s->field, s->value, &s->rec) == 0;
	}
}

static void
write_codes(struct daemon *d);

static void
flush_reply_cb(void *arg, const struct sink_reply *r)
{
	struct daemon *d = arg;

	d->inflight_sent = false;
	if (r == NULL) {
		/* SPEC §8: re-sent identical once the link is back */
		return;
	}
	if (r->type == SINK_REPLY_ERROR) {
		d->st_redis_errors++;
		log_warn("redis: flush refused: %s, retrying", r->str);
		return;
	}
	if (r->str != NULL && strcmp(r->str, "CONFLICT") == 0) {
		log_warn("redis: stored offsets moved under us (a restore or "
		    "a failover), re-reading from them");
		agg_drop_all(d->agg);
		argv_reset(&d->inflight_argv);
		reseek_all(d);
		d->offsets_loaded = false;
		load_offsets(d);
		return;
	}
	if (r->str != NULL && strcmp(r->str, "WIPED") == 0) {
		if (!d->wiped_warned)
			log_warn("redis: offsets:%s was gone (FLUSHALL or a "
			    "new instance); keeping our positions, history "
			    "is not recounted", d->setup->cfg->host);
		d->wiped_warned = true;
		write_codes(d);
	} else {
		d->wiped_warned = false;
	}
	remember_committed(d);
	agg_commit(d->agg);
	argv_reset(&d->inflight_argv);
	d->st_flushes++;
	/* More may be pending already (an outage, --once, stop). */
	if (agg_has_pending(d->agg) && (d->stopping || d->once))
		flush_now(d);
}

static void
send_inflight(struct daemon *d)
{
	if (d->inflight_sent || d->inflight_argv.n == 0)
		return;
	if (send_argv(d, &d->inflight_argv, true, flush_reply_cb, d) == 0)
		d->inflight_sent = true;
}

static void
flush_now(struct daemon *d)
{
	struct flush_meta m;
	const char *fields[16];
	uint64_t values[16];
	const struct batch *b;

	if (!d->offsets_loaded || sink_state(d->sink) != SINK_READY)
		return;
	if (d->inflight_argv.n > 0) {
		send_inflight(d);
		return;
	}
	close_buckets(d);
	b = agg_cut(d->agg, d->now_ms);
	if (b == NULL)
		return;
	stats_meta(d, &m, fields, values);
	keys_flush_argv(&d->inflight_argv, &m, b);
	send_inflight(d);
}

static void
write_codes(struct daemon *d)
{
	const struct table *t = d->setup->table;
	const char *prefix = d->setup->cfg->redis.prefix;
	struct argv a = { 0 };
	struct buf key = { 0 }, json = { 0 };
	size_t i;

	keys_name(&key, prefix, "codes");
	argv_addstr(&a, "HSET");
	argv_add(&a, key.p, key.len);
	for (i = 0; i < table_nclasses(t); i++) {
		buf_reset(&json);
		table_class_json(t, i, &json);
		argv_addstr(&a, table_class_name(t, i));
		argv_add(&a, json.p, json.len);
	}
	(void)send_argv(d, &a, false, note_reply_cb, d);
	argv_reset(&a);
	buf_reset(&key);
	keys_name(&key, prefix, "stats:");
	buf_puts(&key, d->setup->cfg->host);
	argv_addstr(&a, "HSET");
	argv_add(&a, key.p, key.len);
	argv_addstr(&a, "version");
	argv_addstr(&a, EW_VERSION);
	argv_addstr(&a, "started_at");
	argv_addu64(&a, d->started_s);
	(void)send_argv(d, &a, false, note_reply_cb, d);
	argv_free(&a);
	buf_free(&key);
	buf_free(&json);
	d->codes_written = true;
}

/* SPEC §8: entries of files gone for a day are dropped. */
static void
drop_gone_records(struct daemon *d)
{
	uint64_t now_s = wall_ms() / 1000;
	struct argv a = { 0 };
	struct buf key = { 0 };
	size_t i;

	keys_name(&key, d->setup->cfg->redis.prefix, "offsets:");
	buf_puts(&key, d->setup->cfg->host);
	argv_addstr(&a, "HDEL");
	argv_add(&a, key.p, key.len);
	for (i = 0; i < d->nstored; i++) {
		struct stored *s = &d->stored[i];

		if (find_field(d, s->field) != NULL)
			continue;
		if (s->valid && s->rec.seen_s + GONE_RECORD_S > now_s)
			continue;
		argv_addstr(&a, s->field);
	}
	if (a.n > 2)
		(void)send_argv(d, &a, false, note_reply_cb, d);
	argv_free(&a);
	buf_free(&key);
}

static void
offsets_reply_cb(void *arg, const struct sink_reply *r)
{
	struct daemon *d = arg;
	size_t i;

	d->offsets_loading = false;
	if (r == NULL || r->type != SINK_REPLY_ARRAY) {
		if (r != NULL)
			log_warn("redis: loading offsets failed: %s",
			    r->str ? r->str : "unexpected reply");
		return;		/* retried on the next READY or tick */
	}
	free_stored(d);
	d->stored = xcalloc(r->nelem / 2 + 1, sizeof(*d->stored));
	for (i = 0; i + 1 < r->nelem; i += 2) {
		struct stored *s = &d->stored[d->nstored++];

		s->field = xstrndup(r->elem[i].str, r->elem[i].len);
		s->value = xstrndup(r->elem[i + 1].str, r->elem[i + 1].len);
		s->valid = keys_offset_parse(s->field, s->value, &s->rec) == 0;
	}
	if (!d->ever_loaded && d->nstored == 0)
		d->first_start = true;
	d->ever_loaded = true;
	log_info("redis: %zu stored offsets loaded%s", d->nstored,
	    d->first_start ? " (first start: files begin at start_at)" : "");
	d->offsets_loaded = true;
	for (i = 0; i < d->nfiles; i++) {
		struct followed *f = d->files[i];

		if (f->t != NULL && !f->placed)
			place(d, f);
	}
	drop_gone_records(d);
	read_all(d);
	flush_now(d);
}

static void
load_offsets(struct daemon *d)
{
	struct buf key = { 0 };
	const char *argv[2];
	size_t len[2];

	if (d->offsets_loading || sink_state(d->sink) != SINK_READY)
		return;
	keys_name(&key, d->setup->cfg->redis.prefix, "offsets:");
	buf_puts(&key, d->setup->cfg->host);
	argv[0] = "HGETALL";
	len[0] = 7;
	argv[1] = key.p;
	len[1] = key.len;
	if (sink_command(d->sink, 2, argv, len, offsets_reply_cb, d) == 0)
		d->offsets_loading = true;
	buf_free(&key);
}

static void
sink_state_cb(void *arg, enum sink_state st, const char *why)
{
	struct daemon *d = arg;

	(void)why;
	if (st != SINK_READY) {
		if (st == SINK_DOWN)
			d->st_redis_errors++;
		return;
	}
	if (!d->codes_written)
		write_codes(d);
	if (!d->offsets_loaded)
		load_offsets(d);
	else
		send_inflight(d);
}

/* --- timers and signals ------------------------------------------------ */

static void
finish(struct daemon *d, enum daemon_result r)
{
	d->result = r;
	uv_stop(&d->loop);
}

static void
check_once_done(struct daemon *d)
{
	if (!d->once || !d->once_read_done)
		return;
	if (d->inflight_argv.n == 0 && !agg_has_pending(d->agg))
		finish(d, DAEMON_OK);
}

static void
flush_timer_cb(uv_timer_t *h)
{
	struct daemon *d = container_of(h, struct daemon, flush_timer);

	if (d->stopping) {
		if (d->inflight_argv.n == 0 && !agg_has_pending(d->agg))
			finish(d, DAEMON_OK);
		flush_now(d);
		return;
	}
	if (d->once) {
		if (!d->offsets_loaded) {
			if (uv_now(&d->loop) > d->once_deadline) {
				ew_err_set(d->err, NULL, 0, 0, "redis: "
				    "unreachable at %s", d->setup->cfg->redis.url);
				finish(d, DAEMON_REDIS_DOWN);
			}
			load_offsets(d);
			return;
		}
		if (!d->once_read_done) {
			read_all(d);
			d->once_read_done = true;
		}
		if (sink_state(d->sink) != SINK_READY &&
		    uv_now(&d->loop) > d->once_deadline) {
			ew_err_set(d->err, NULL, 0, 0, "redis: unreachable at "
			    "%s, counts not written", d->setup->cfg->redis.url);
			finish(d, DAEMON_REDIS_DOWN);
			return;
		}
		flush_now(d);
		check_once_done(d);
		return;
	}
	if (!d->offsets_loaded)
		load_offsets(d);
	read_all(d);
	flush_now(d);
}

static void
rescan_timer_cb(uv_timer_t *h)
{
	struct daemon *d = container_of(h, struct daemon, rescan_timer);

	watcher_scan(d->watcher);
	check_files(d);
}

static void
stop_timer_cb(uv_timer_t *h)
{
	struct daemon *d = container_of(h, struct daemon, stop_timer);

	log_warn("stop: Redis did not take everything within %d ms, "
	    "exiting anyway", STOP_FLUSH_MS);
	finish(d, DAEMON_OK);
}

static void
stop_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (d->stopping)
		return;
	log_info("signal %d: flushing and stopping", signum);
	d->stopping = true;
	read_all(d);
	flush_now(d);
	uv_timer_start(&d->stop_timer, stop_timer_cb, STOP_FLUSH_MS, 0);
	if (d->inflight_argv.n == 0 && !agg_has_pending(d->agg))
		finish(d, DAEMON_OK);
}

static void
hup_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	struct ew_err err = { 0 };
	struct setup *s;
	struct watcher *w;
	size_t *map, uncl, i;
	char msg[EW_ERR_MSG + EW_ERR_FILE + 32];

	(void)signum;
	log_info("reload: loading %s", d->config_path);
	s = setup_load(d->config_path, &err);
	if (s == NULL) {
		ew_err_format(&err, msg, sizeof(msg));
		log_err("reload: %s; keeping the running config", msg);
		return;
	}
	if (map_classes(d, s->table, &map, &uncl) < 0) {
		log_err("reload: more than %d classes in all; keeping the "
		    "running config", MAX_CLASSES);
		setup_destroy(s);
		return;
	}
	w = watcher_create(&d->loop, s->cfg->inputs, s->cfg->ninputs,
	    file_cb, scan_done_cb, d, &err);
	if (w == NULL) {
		ew_err_format(&err, msg, sizeof(msg));
		log_err("reload: %s; keeping the running config", msg);
		free(map);
		setup_destroy(s);
		return;
	}
	watcher_close(d->watcher);
	d->watcher = w;
	watcher_start(w);
	/* Files now belong to the new config's inputs; a file that no input
	 * names any more is read to its end and closed. */
	for (i = 0; i < d->nfiles; i++) {
		struct followed *f = d->files[i];
		size_t in;

		for (in = 0; in < s->cfg->ninputs; in++)
			if (watcher_path_matches(w, in, f->path))
				break;
		if (in == s->cfg->ninputs) {
			in = 0;
			if (f->state == FILE_ACTIVE)
				f->state = FILE_DRAINING;
		}
		f->input = in;
	}
	setup_destroy(d->setup);
	d->setup = s;
	free(d->class_map);
	d->class_map = map;
	d->uncl_id = uncl;
	d->codes_written = false;
	if (sink_state(d->sink) == SINK_READY)
		write_codes(d);
	log_info("reload: %s in force", d->config_path);
}

/* --- set-up and tear-down ---------------------------------------------- */

static char *
redis_password(const struct config *cfg, struct ew_err *err)
{
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char *path;
	char *pw;

	if (cfg->redis.password_file[0] != '\0')
		return sink_read_password(cfg->redis.password_file, err);
	if (cred == NULL || cred[0] == '\0')
		return NULL;
	path = xasprintf("%s/redis-password", cred);
	if (access(path, R_OK) != 0) {
		free(path);
		return NULL;
	}
	pw = sink_read_password(path, err);
	free(path);
	return pw;
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

enum daemon_result
daemon_run(const char *config_path, bool once, struct ew_err *err)
{
	struct daemon *d = xcalloc(1, sizeof(*d));
	struct sink_opts so = { 0 };
	const struct config_redis *rc;
	enum daemon_result res;
	char *password = NULL;
	uint64_t cell = 0, now_s;
	size_t i;

	d->config_path = config_path;
	d->once = once;
	d->err = err;
	d->result = DAEMON_FAIL;
	d->started_s = wall_ms() / 1000;
	raise_nofile();
	uv_loop_init(&d->loop);
	d->setup = setup_load(config_path, err);
	if (d->setup == NULL) {
		res = DAEMON_CONFIG;
		goto out;
	}
	if (map_classes(d, d->setup->table, &d->class_map, &d->uncl_id) < 0) {
		ew_err_set(err, config_path, 0, 0, "table: more than %d "
		    "classes", MAX_CLASSES);
		res = DAEMON_CONFIG;
		goto out;
	}
	rc = &d->setup->cfg->redis;
	now_s = d->started_s;
	for (i = 0; i < rc->nbuckets; i++) {
		uint64_t res_s = EW_MAX(rc->buckets[i].res_ms / 1000, 1);

		cell = gcd(cell, res_s);
		/* buckets before this start are not closed by us */
		d->last_closed[i] = keys_bucket_start(now_s, res_s) - res_s;
	}
	d->cell_s = cell ? cell : 1;
	d->agg = agg_create(MAX_CLASSES, d->cell_s);
	d->readbuf = xmalloc(READ_BUF_SIZE);

	password = redis_password(d->setup->cfg, err);
	if (err->msg[0] != '\0') {
		res = DAEMON_CONFIG;
		goto out;
	}
	so.url = rc->url;
	so.password = password;
	so.connect_timeout_ms = rc->connect_timeout_ms;
	so.reply_timeout_ms = EW_MAX(5000, 4 * rc->flush_interval_ms);
	so.script = keys_flush_script();
	so.on_state = sink_state_cb;
	so.arg = d;
	d->sink = sink_create(&d->loop, &so, err);
	if (d->sink == NULL) {
		res = DAEMON_CONFIG;
		goto out;
	}
	d->watcher = watcher_create(&d->loop, d->setup->cfg->inputs,
	    d->setup->cfg->ninputs, file_cb, scan_done_cb, d, err);
	if (d->watcher == NULL) {
		res = DAEMON_FAIL;
		goto out;
	}
	if (!once)
		watcher_start(d->watcher);
	watcher_scan(d->watcher);

	uv_timer_init(&d->loop, &d->flush_timer);
	uv_timer_init(&d->loop, &d->rescan_timer);
	uv_timer_init(&d->loop, &d->stop_timer);
	uv_timer_start(&d->flush_timer, flush_timer_cb,
	    rc->flush_interval_ms, rc->flush_interval_ms);
	if (!once)
		uv_timer_start(&d->rescan_timer, rescan_timer_cb, RESCAN_MS,
		    RESCAN_MS);
	d->once_deadline = uv_now(&d->loop) + ONCE_REDIS_WAIT_MS;
	uv_signal_init(&d->loop, &d->sig_term);
	uv_signal_init(&d->loop, &d->sig_int);
	uv_signal_init(&d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	uv_signal_start(&d->sig_term, stop_cb, SIGTERM);
	uv_signal_start(&d->sig_int, stop_cb, SIGINT);
	uv_signal_start(&d->sig_hup, hup_cb, SIGHUP);
	log_info("errwatchd %s: %zu files, host %s, redis %s", EW_VERSION,
	    d->nfiles, d->setup->cfg->host, rc->url);

	uv_run(&d->loop, UV_RUN_DEFAULT);
	res = d->result;
out:
	sink_close(d->sink);
	if (d->watcher != NULL)
		watcher_close(d->watcher);
	uv_walk(&d->loop, close_walk_cb, NULL);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&d->loop) != 0)
		log_warn("loop: handles left open at exit");
	for (i = 0; i < d->nfiles; i++)
		file_free(d->files[i]);
	free(d->files);
	for (i = 0; i < d->nfailed; i++)
		free(d->failed[i].path);
	free(d->failed);
	free_stored(d);
	for (i = 0; i < d->nclass_names; i++)
		free(d->class_names[i]);
	free(d->class_map);
	argv_free(&d->inflight_argv);
	agg_destroy(d->agg);
	free(d->readbuf);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	setup_destroy(d->setup);
	free(d);
	return res;
}
