/*
 * follow: the registry of followed files and what spans several of them
 * (SPEC §6): which tailer a scan's file is, copytruncate copies linked
 * to their original and counted from where it stopped, an inode reused
 * by a new file, the open-files policy, and placing stored offsets (SPEC
 * §8). Each file's own events (growth, truncation, rotation, deletion)
 * are its tailer's to find; follow reads their meaning off each step's
 * result. One struct followed per file identity; a file is opened when a
 * scan reports it, placed once the stored offsets are known (never read
 * before), read when the daemon says, and retired through one path
 * (retire) however it goes: its tailer is parked, identity and position
 * kept. Every statistic is counted when it happens. Time flows in: the
 * monotonic clock for durations, the wall clock for buckets and file
 * timestamps. Owns the watcher, the tailers, the shared read buffer and
 * the count its lines go through (shared code with the journal inputs);
 * borrows setup, agg and the class map. A journal cursor record in
 * `offsets:<host>` is journal.c's: never stored, placed or dropped here.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agg.h"
#include "base.h"
#include "config.h"
#include "count.h"
#include "follow.h"
#include "hmap.h"
#include "journal.h"
#include "keys.h"
#include "log.h"
#include "match.h"
#include "setup.h"
#include "table.h"
#include "tailer.h"
#include "watcher.h"

#define READ_BUF_SIZE		(1u << 20)	/* shared by all files */
#define READ_BUDGET		(256u << 20)	/* bytes per file per read */
#define GONE_RECORD_S		86400		/* SPEC §8: a day */
#define COPY_CMP_LEN		1024
#define COPY_LATE_MS		3000	/* a copy found after the truncation */

enum file_state {
	FILE_ACTIVE,		/* followed at its path */
	FILE_LINKED,		/* a copy of another file: not read (yet) */
	FILE_DRAINING,		/* rotated away or deleted: read to its end */
	FILE_CLOSED,		/* retired: tailer parked, position kept */
};

struct followed {
	struct hnode	 node;		/* in follow.by_id, by (dev, ino) */
	struct tailer	*t;		/* parked when FILE_CLOSED (and when
					 * max_open_files closed it) */
	size_t		 input;
	enum file_state	 state;
	char		 field[48];	/* offset record field "dev:ino" */
	uint64_t	 committed;	/* last committed offset given to agg */
	bool		 dirty;		/* a record must be sent */
	bool		 placed;	/* position known (offsets loaded) */
	bool		 initial;	/* found by the first scan */
	uint64_t	 quiet_since;	/* monotonic ms: at EOF with no growth
					 * since; 0: not quiet */
	/* The last truncation, for a copy found only after it: */
	uint64_t	 trunc_ms;	/* monotonic ms (0: none) */
	uint64_t	 trunc_was;	/* bytes counted before it */
	struct tailer_id trunc_id;	/* the identity before it */
	uint64_t	 scan_gen;	/* last scan that reported it */
	/* The last scan that reported it at its tailer's path, and the
	 * watcher's stat of it then (check_files needs no other): */
	uint64_t	 at_path_gen;
	struct stat	 seen;
	char		*copy_of;	/* FILE_LINKED: the original's field */
};

/* A stored offset record: what Redis holds for a file. Only the strings
 * are kept (a parsed struct offset_rec carries a 4 KiB path): the record
 * is parsed again when a file is placed. */
struct stored {
	struct hnode	 node;		/* in follow.by_field */
	char		*field;
	char		*value;
	uint64_t	 seen_s;	/* of the parsed record */
	bool		 valid;		/* the record parses */
};

struct failed {
	char		*path;
	uint64_t	 scan_gen;
};

struct follow {
	uv_loop_t		*loop;
	const struct setup	*setup;
	struct agg		*agg;
	struct watcher		*watcher;
	char			*readbuf;

	struct followed		**files;
	size_t			 nfiles;
	struct hmap		 by_id;		/* files by (dev, ino) */
	struct failed		*failed;	/* open errors logged once */
	size_t			 nfailed;
	uint64_t		 scan_gen;

	struct stored		**stored;	/* offsets:<host>, in order */
	size_t			 nstored;
	struct hmap		 by_field;	/* the same by field */
	bool			 offsets_loaded;
	bool			 ever_loaded;
	bool			 first_start;	/* no offsets at all */

	struct followed		*cur;		/* being read */
	uint64_t		 mono_ms;	/* durations */
	uint64_t		 wall_ms;	/* buckets, file timestamps */
	struct count		*count;		/* lines to agg (SPEC §5) */
	bool			 limit_warned;	/* max_open_files exceeded */
	struct follow_stats	 st;
};

static void	start_copy(struct follow *fl, struct followed *c,
		    const struct followed *f, uint64_t from);
static void	release_copies(struct follow *fl, struct followed *f,
		    uint64_t from);
static void	apply(struct follow *fl, struct followed *f,
		    const struct tailer_step *out);

/* --- counting ---------------------------------------------------------- */

/* A block of whole lines of the file being read: through the shared
 * line path (count), which keeps the line statistics follow reports. */
static void
lines_cb(void *arg, const char *buf, size_t len, bool fresh)
{
	struct follow *fl = arg;
	struct followed *f = fl->cur;
	const struct config_input *in = &fl->setup->cfg->inputs[f->input];
	const struct count_stats *cs = count_stats(fl->count);
	uint64_t long_before = cs->long_lines;

	count_block(fl->count, fl->setup->matchers[f->input], in->max_line,
	    buf, len, fl->wall_ms, fresh);
	fl->st.lines = cs->lines;
	fl->st.matched = cs->matched;
	fl->st.unclassified = cs->unclassified;
	fl->st.long_lines += cs->long_lines - long_before;
}

/* --- files ------------------------------------------------------------- */

static uint64_t
id_hash(uint64_t dev, uint64_t ino)
{
	uint64_t k[2] = { dev, ino };

	return ew_hash(k, sizeof(k));
}

/* True if a and b name one inode, whatever their heads hold: the
 * question of which entry a path's file belongs to, and of whether a path
 * still names it. Whether it is the same file (SPEC §6 identity: the
 * fingerprint too) is another question, answered by reading its head. */
static bool
same_inode(const struct tailer_id *a, const struct tailer_id *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

static struct followed *
find_file(struct follow *fl, uint64_t dev, uint64_t ino)
{
	const struct tailer_id id = { dev, ino, 0, 0 };
	struct hnode *n;

	for (n = hmap_first(&fl->by_id, id_hash(dev, ino)); n != NULL;
	    n = hmap_next_same(n)) {
		struct followed *f = container_of(n, struct followed, node);

		if (same_inode(tailer_id(f->t), &id))
			return f;
	}
	return NULL;
}

/* Adds f (not there yet) to fl->files and the table. */
static void
add_file(struct follow *fl, struct followed *f)
{
	const struct tailer_id *id = tailer_id(f->t);

	fl->files = xrealloc(fl->files, (fl->nfiles + 1) * sizeof(*fl->files));
	fl->files[fl->nfiles++] = f;
	hmap_insert(&fl->by_id, &f->node, id_hash(id->dev, id->ino));
}

/* The field is "dev:ino" (keys_offset_field): parsed, then looked up by
 * identity and compared whole, so only the exact string matches. */
static struct followed *
find_field(struct follow *fl, const char *field)
{
	const char *p = field;
	uint64_t dev, ino;
	struct followed *f;
	size_t n;

	if ((n = ew_parse_dec(p, SIZE_MAX, UINT64_MAX, &dev)) == 0 ||
	    p[n] != ':')
		return NULL;
	p += n + 1;
	if ((n = ew_parse_dec(p, SIZE_MAX, UINT64_MAX, &ino)) == 0 ||
	    p[n] != '\0')
		return NULL;
	f = find_file(fl, dev, ino);
	return f != NULL && strcmp(f->field, field) == 0 ? f : NULL;
}

static struct stored *
find_stored(struct follow *fl, const char *field)
{
	struct hnode *n;

	for (n = hmap_first(&fl->by_field, ew_hash(field, strlen(field)));
	    n != NULL; n = hmap_next_same(n)) {
		struct stored *s = container_of(n, struct stored, node);

		if (strcmp(s->field, field) == 0)
			return s;
	}
	return NULL;
}

/* Adds s (not there yet) to fl->stored and the table. */
static void
add_stored(struct follow *fl, struct stored *s)
{
	fl->stored = xrealloc(fl->stored, (fl->nstored + 1) *
	    sizeof(*fl->stored));
	fl->stored[fl->nstored++] = s;
	hmap_insert(&fl->by_field, &s->node, ew_hash(s->field,
	    strlen(s->field)));
}

static void
free_stored(struct follow *fl)
{
	size_t i;

	for (i = 0; i < fl->nstored; i++) {
		free(fl->stored[i]->field);
		free(fl->stored[i]->value);
		free(fl->stored[i]);
	}
	free(fl->stored);
	fl->stored = NULL;
	fl->nstored = 0;
	hmap_free(&fl->by_field);
}

static void
file_free(struct followed *f)
{
	tailer_destroy(f->t);
	free(f->copy_of);
	free(f);
}

/* Only scan_done_cb removes files, walking fl->files: i is f's index. */
static void
remove_file(struct follow *fl, size_t i)
{
	struct followed *f = fl->files[i];

	fl->files[i] = fl->files[--fl->nfiles];
	hmap_remove(&fl->by_id, &f->node);
	file_free(f);
}

static const char *
path_of(const struct followed *f)
{
	return tailer_path(f->t);
}

/* Sends the file's position with the next batch if it moved. */
static void
note_offset(struct follow *fl, struct followed *f, uint64_t committed)
{
	struct offset_rec rec;
	struct buf b = { 0 };

	if (!f->placed || f->state == FILE_LINKED)
		return;
	if (!f->dirty && committed == f->committed)
		return;
	if (tailer_record(f->t, fl->wall_ms / 1000, &rec) < 0)
		return;
	keys_offset_value(&b, &rec);
	agg_offset(fl->agg, f->field, b.p);
	buf_free(&b);
	f->committed = rec.offset;
	f->dirty = false;
}

/* A look of the given kind at any file. */
static void
make_look(struct follow *fl, struct tailer_look *look, unsigned flags,
    uint64_t max_bytes)
{
	memset(look, 0, sizeof(*look));
	look->flags = flags;
	look->wall_ms = fl->wall_ms;
	look->buf = fl->readbuf;
	look->cap = READ_BUF_SIZE;
	look->max_bytes = max_bytes;
	look->lines = lines_cb;
	look->arg = fl;
}

/* Steps f's tailer and applies the result. */
static int
step(struct follow *fl, struct followed *f, unsigned flags,
    uint64_t max_bytes, const struct stat *seen, struct tailer_step *out)
{
	struct tailer_look look;
	int r;

	make_look(fl, &look, flags, max_bytes);
	look.seen = seen;
	fl->cur = f;
	r = tailer_step(f->t, &look, out);
	fl->cur = NULL;
	apply(fl, f, out);
	return r;
}

static void
mark_rotated(struct follow *fl, struct followed *f, const char *how)
{
	log_info("%s: %s, reading it to its end", path_of(f), how);
	fl->st.rotations++;
	f->state = FILE_DRAINING;
	f->quiet_since = 0;
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
	if (na == 0)	/* truncated already: no head left to compare */
		return 0;
	r = memcmp(ba, bb, (size_t)EW_MIN(na, nb)) == 0;
	return r;
}

/* A new file that is a copy of a followed one (copytruncate, or a copy
 * then delete) is not read from 0: its first bytes were counted through
 * the original. It waits, linked, until the original truncates or goes,
 * then continues from the original's position (SPEC §6). A copy found
 * only after the original's truncation (the scan came late) is known by
 * the identity the original had before it; *late is set then. So the
 * original is looked at first: its current head is no guide once it has
 * been truncated. */
static struct followed *
copy_origin(struct follow *fl, struct followed *n, bool *late)
{
	struct tailer_step out;
	size_t i;

	*late = false;
	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];

		if (f == n || f->state == FILE_CLOSED ||
		    !is_copy_name(path_of(f), path_of(n)))
			continue;
		if (f->state == FILE_ACTIVE && f->placed &&
		    !tailer_is_parked(f->t))
			(void)step(fl, f, TAILER_CHECK, 0, NULL, &out);
		/* the copy was complete before the truncation: a file
		 * shorter than the old fingerprint is no copy */
		if (f->trunc_ms != 0 &&
		    fl->mono_ms - f->trunc_ms <= COPY_LATE_MS &&
		    tailer_has_head(n->t, &f->trunc_id)) {
			*late = true;
			return f;
		}
		if (f->state == FILE_ACTIVE &&
		    same_head(path_of(f), path_of(n)) != 0)
			return f;
	}
	return NULL;
}

/* Positions a file once offsets are known. True if it resumed at its
 * stored offset. */
static bool
place(struct follow *fl, struct followed *f)
{
	const struct config_input *in = &fl->setup->cfg->inputs[f->input];
	struct stored *s = find_stored(fl, f->field);
	struct offset_rec rec;	/* 4 KiB, on the stack only */
	struct followed *orig;
	int64_t at;
	bool late;

	if (tailer_is_parked(f->t) && tailer_unpark(f->t) < 0)
		return false;	/* placed when it comes back */
	f->placed = true;
	if (s != NULL) {
		agg_offset_stored(fl->agg, f->field, s->value);
		/* A record of an empty file (fp_len 0, offset 0) proves only
		 * the inode: a later file on it may be a copy (SPEC §6
		 * identity), so copy_origin decides; for a file of the first
		 * scan it is position 0 all the same. */
		if (s->valid && keys_offset_parse(s->field, s->value,
		    &rec) == 0 && (rec.fp_len > 0 || f->initial) &&
		    tailer_place(f->t, &rec) == 0) {
			f->committed = rec.offset;
			log_debug("%s: resuming at %" PRIu64, path_of(f),
			    rec.offset);
			return true;
		}
	}
	if (!f->initial && (orig = copy_origin(fl, f, &late)) != NULL) {
		f->state = FILE_LINKED;
		f->copy_of = xstrdup(orig->field);
		log_info("%s: copy of %s, counted from there", path_of(f),
		    path_of(orig));
		if (late)
			start_copy(fl, f, orig, orig->trunc_was);
		return false;
	}
	at = tailer_seek(f->t, f->initial && fl->first_start &&
	    in->start_at == START_AT_END ? TAILER_END : 0);
	f->committed = at > 0 ? (uint64_t)at : 0;
	f->dirty = true;
	log_info("%s: following from %s", path_of(f),
	    at > 0 ? "its end" : "its first byte");
	return false;
}

static void
open_failed(struct follow *fl, const char *path, const struct ew_err *err)
{
	size_t i;

	for (i = 0; i < fl->nfailed; i++)
		if (strcmp(fl->failed[i].path, path) == 0) {
			fl->failed[i].scan_gen = fl->scan_gen;
			return;
		}
	log_warn("%s: %s, retrying at each rescan", path, err->msg);
	fl->failed = xrealloc(fl->failed, (fl->nfailed + 1) *
	    sizeof(*fl->failed));
	fl->failed[fl->nfailed].path = xstrdup(path);
	fl->failed[fl->nfailed].scan_gen = fl->scan_gen;
	fl->nfailed++;
}

static void
open_ok(struct follow *fl, const char *path)
{
	size_t i;

	for (i = 0; i < fl->nfailed; i++)
		if (strcmp(fl->failed[i].path, path) == 0) {
			log_info("%s: readable again", path);
			free(fl->failed[i].path);
			fl->failed[i] = fl->failed[--fl->nfailed];
			return;
		}
}

/* A closed (retired) file shows up again. Grown, with the head it had
 * when closed: a slow writer went on, read on from where it stopped (from
 * the stored offset after a CONFLICT: where Redis says it stopped).
 * Shorter, or another head (or it was empty): not what we read (a new
 * file on the reused inode, a copytruncate copy among them, or truncated
 * since): a new file of this input, with a tailer of its own, placed as
 * one (SPEC §6 identity; the stale record is replaced as for any reused
 * inode). The same size: taken as untouched (a new file of exactly that
 * size on the same inode is not told apart until it grows). */
static void
reopen_closed(struct follow *fl, struct followed *f, size_t input,
    const char *path, const struct stat *st)
{
	struct ew_err err = { 0 };
	size_t max_line = fl->setup->cfg->inputs[input].max_line;
	bool other = (uint64_t)st->st_size < f->committed;
	struct tailer *t;

	if ((uint64_t)st->st_size == f->committed)
		return;
	tailer_set_path(f->t, path);
	if (tailer_unpark(f->t) < 0)
		return;
	if (!other && !tailer_has_head(f->t, tailer_id(f->t)))
		other = true;
	if (other) {
		/* another file: nothing of it was read. The path must still
		 * name the inode (not another file since the scan); its head
		 * differs from the closed file's by what other says, so
		 * the fingerprint is no test here. */
		t = tailer_open(path, max_line, &err);
		if (t == NULL || !same_inode(tailer_id(t), tailer_id(f->t))) {
			tailer_destroy(t);
			tailer_park(f->t);
			return;
		}
		tailer_destroy(f->t);
		f->t = t;
		f->input = input;
		f->committed = 0;
		f->trunc_ms = 0;
		free(f->copy_of);
		f->copy_of = NULL;
	}
	f->quiet_since = 0;
	/* never start_at end: whatever it holds now came after our start */
	f->initial = false;
	if (!other && f->placed) {
		/* No CONFLICT since it closed: its own position is the one
		 * agg moved last (acknowledged, in flight or pending), and
		 * the stored record may be older than that: placed there,
		 * the lines between would count twice (SPEC §8). */
		f->state = FILE_DRAINING;
		log_info("%s: grew after it was closed, reading on", path);
		return;
	}
	f->placed = false;
	f->state = FILE_ACTIVE;
	if (fl->offsets_loaded && place(fl, f) && !other) {
		f->state = FILE_DRAINING;
		log_info("%s: grew after it was closed, reading on", path);
	} else if (f->state == FILE_ACTIVE) {
		log_info("%s: a new file on a closed file's inode, or "
		    "truncated since", path);
	}
}

/* A file closed for max_open_files whose size changed since the last
 * scan: reopened by its identity, at the path the scan found it under. */
static void
resume_if_changed(struct follow *fl, struct followed *f, const char *path,
    const struct stat *st)
{
	bool same = st->st_size == f->seen.st_size;
	int r;

	f->seen = *st;
	if (same)
		return;
	tailer_set_path(f->t, path);
	if ((r = tailer_unpark(f->t)) < 0) {
		log_warn("%s: cannot reopen (%s), retrying at the next scan",
		    path, strerror(-r));
		return;
	}
	f->quiet_since = 0;
	if (!f->placed && fl->offsets_loaded)
		place(fl, f);
}

static void
file_cb(void *arg, size_t input, const char *path, const struct stat *st)
{
	struct follow *fl = arg;
	struct followed *f = find_file(fl, (uint64_t)st->st_dev,
	    (uint64_t)st->st_ino);
	struct ew_err err = { 0 };
	struct tailer_step out;
	struct tailer *t;

	if (f != NULL) {
		if (f->scan_gen == fl->scan_gen)
			return;		/* seen under another name */
		f->scan_gen = fl->scan_gen;
		if (f->state == FILE_CLOSED) {
			reopen_closed(fl, f, input, path, st);
			return;
		}
		if (tailer_is_parked(f->t)) {
			resume_if_changed(fl, f, path, st);
			return;
		}
		if (strcmp(path_of(f), path) == 0) {
			/* the watcher's stat of it: check_files needs none */
			f->at_path_gen = fl->scan_gen;
			f->seen = *st;
			return;
		}
		/* under another name: renamed to another followed name
		 * (app.log.1)? The same file, never read twice; drained as
		 * rotated */
		(void)step(fl, f, TAILER_CHECK, 0, NULL, &out);
		if (out.events & TAILER_MOVED) {
			if (f->state == FILE_ACTIVE)
				mark_rotated(fl, f, "rotated");
			tailer_set_path(f->t, path);
		}
		return;
	}
	t = tailer_open(path, fl->setup->cfg->inputs[input].max_line, &err);
	if (t == NULL) {
		if (errno != ENOENT)	/* ENOENT: gone since the scan */
			open_failed(fl, path, &err);
		return;
	}
	open_ok(fl, path);
	f = xcalloc(1, sizeof(*f));
	f->t = t;
	f->input = input;
	snprintf(f->field, sizeof(f->field), "%" PRIu64 ":%" PRIu64,
	    tailer_id(t)->dev, tailer_id(t)->ino);
	f->initial = !fl->offsets_loaded;
	f->scan_gen = fl->scan_gen;
	f->at_path_gen = UINT64_MAX;
	f->seen = *st;
	add_file(fl, f);
	if (fl->offsets_loaded)
		place(fl, f);
}

/* The one way out, however a file goes (drained after rotate_wait, or
 * gone while max_open_files kept it closed): the held partial line
 * counts (SPEC §6), the position moves with it, linked copies continue
 * from there, and the tailer is parked with identity and position. */
static void
retire(struct follow *fl, struct followed *f)
{
	struct tailer_look look;
	struct tailer_step out;

	make_look(fl, &look, 0, 0);
	fl->cur = f;
	tailer_finish(f->t, &look, &out);
	fl->cur = NULL;
	apply(fl, f, &out);
	note_offset(fl, f, out.committed);
	release_copies(fl, f, f->committed);
	tailer_park(f->t);
	f->state = FILE_CLOSED;
}

/* After each scan (timer or inotify): a closed file that no glob names
 * any more is forgotten (its record stays in Redis until it has been gone
 * for a day), a file max_open_files closed that is gone is retired, and
 * open errors of paths gone are dropped. */
static void
scan_done_cb(void *arg)
{
	struct follow *fl = arg;
	size_t i;

	for (i = 0; i < fl->nfiles;) {
		struct followed *f = fl->files[i];

		if (f->state == FILE_CLOSED && f->scan_gen != fl->scan_gen) {
			agg_offset_forget(fl->agg, f->field);
			remove_file(fl, i);
			continue;
		}
		if (f->state != FILE_CLOSED && tailer_is_parked(f->t) &&
		    f->scan_gen != fl->scan_gen && tailer_unpark(f->t) < 0) {
			/* it was quiet, at its end */
			log_info("%s: gone while closed for max_open_files",
			    path_of(f));
			retire(fl, f);
		}
		i++;
	}
	for (i = 0; i < fl->nfailed;) {
		if (fl->failed[i].scan_gen != fl->scan_gen) {
			free(fl->failed[i].path);
			fl->failed[i] = fl->failed[--fl->nfailed];
		} else {
			i++;
		}
	}
	fl->scan_gen++;
}

/* The linked copy c of f starts being read at from, where f stopped. */
static void
start_copy(struct follow *fl, struct followed *c, const struct followed *f,
    uint64_t from)
{
	int64_t at;

	(void)fl;
	free(c->copy_of);
	c->copy_of = NULL;
	c->state = FILE_DRAINING;
	c->quiet_since = 0;
	at = tailer_seek(c->t, from);
	if (at == -ERANGE) {
		/* The copy ends before from: the writer went on after the
		 * copy was taken and we read that in the original. All the
		 * copy holds was counted: it ends there (reading it from 0
		 * would count it twice). */
		at = tailer_seek(c->t, TAILER_END);
	}
	c->committed = at > 0 ? (uint64_t)at : 0;
	c->dirty = true;
	log_info("%s: counting the copy of %s from %" PRIu64, path_of(c),
	    path_of(f), c->committed);
}

/* The original f leaves (truncated, drained or gone): its linked copies
 * continue from the position f had reached (SPEC §6 copytruncate). */
static void
release_copies(struct follow *fl, struct followed *f, uint64_t from)
{
	size_t i;

	for (i = 0; i < fl->nfiles; i++) {
		struct followed *c = fl->files[i];

		if (c->state == FILE_LINKED &&
		    strcmp(c->copy_of, f->field) == 0)
			start_copy(fl, c, f, from);
	}
}

/* A linked file whose head no longer equals its origin's was no copy. */
static void
check_linked(struct follow *fl, struct followed *c)
{
	struct followed *o = find_field(fl, c->copy_of);

	if (o != NULL && o->state == FILE_ACTIVE &&
	    same_head(path_of(o), path_of(c)) != 0)
		return;
	if (o != NULL && o->state != FILE_CLOSED) {
		/* origin left without release: continue from it */
		release_copies(fl, o, o->committed);
		return;
	}
	free(c->copy_of);
	c->copy_of = NULL;
	c->state = FILE_ACTIVE;
	(void)tailer_seek(c->t, 0);
	c->committed = 0;
	c->dirty = true;
	log_info("%s: not a copy after all, reading from its first byte",
	    path_of(c));
}

/* What a step of f's tailer means beyond f: SPEC §6 truncation (the
 * tailer restarted at 0) lets linked copies count from where f stopped;
 * statistics are counted as they happen. */
static void
apply(struct follow *fl, struct followed *f, const struct tailer_step *out)
{
	fl->st.bytes += out->bytes;
	fl->st.long_lines += out->long_lines;
	if (!(out->events & TAILER_TRUNCATED))
		return;
	log_info("%s: truncated to %" PRIu64 " (was %" PRIu64 "), reading "
	    "from 0", path_of(f), out->size, out->was);
	fl->st.truncations++;
	f->trunc_ms = fl->mono_ms;
	f->trunc_was = out->was;
	f->trunc_id = out->was_id;
	release_copies(fl, f, out->was);
	f->committed = 0;
	f->dirty = true;
}

/* The safety net after the scan numbered gen: a file that scan found at
 * its own path needs no stat(path) more. */
static void
check_files(struct follow *fl, uint64_t gen)
{
	struct tailer_step out;
	size_t i;

	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];
		const struct stat *seen = NULL;

		if (f->state == FILE_CLOSED || !f->placed ||
		    tailer_is_parked(f->t))
			continue;
		if (f->state == FILE_LINKED) {
			check_linked(fl, f);
			continue;
		}
		/* found at its path by the complete scan just run; not on
		 * NFS (poll), where only an fstat tells ESTALE */
		if (f->at_path_gen == gen && fl->scan_gen == gen + 1 &&
		    !fl->setup->cfg->inputs[f->input].poll)
			seen = &f->seen;
		(void)step(fl, f, TAILER_CHECK, 0, seen, &out);
		if (f->state != FILE_ACTIVE)
			continue;
		if (out.events & TAILER_ERROR)
			mark_rotated(fl, f, "gone stale");
		else if (out.events & (TAILER_DELETED | TAILER_MOVED))
			mark_rotated(fl, f, (out.events & TAILER_DELETED) ?
			    "deleted" : "rotated");
	}
}

static int
by_quiet_since(const void *a, const void *b)
{
	const struct followed *fa = *(const struct followed *const *)a;
	const struct followed *fb = *(const struct followed *const *)b;

	return (fa->quiet_since > fb->quiet_since) -
	    (fa->quiet_since < fb->quiet_since);
}

static bool
is_open(const struct followed *f)
{
	return f->state != FILE_CLOSED && !tailer_is_parked(f->t);
}

/* SPEC §6: beyond max_open_files, the active files that have been quiet
 * longest give up their descriptors (identity, position and held line
 * stay in the parked tailer); a scan that sees one's size change reopens
 * it. Draining and linked files keep theirs: they are on their way out. */
static void
limit_open(struct follow *fl)
{
	size_t max = fl->setup->cfg->max_open_files, open = 0, n = 0, i;
	struct followed **idle;

	for (i = 0; i < fl->nfiles; i++)
		if (is_open(fl->files[i]))
			open++;
	if (open <= max)
		return;
	idle = xcalloc(fl->nfiles, sizeof(*idle));
	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];

		if (is_open(f) && f->placed && f->state == FILE_ACTIVE &&
		    f->quiet_since != 0)
			idle[n++] = f;
	}
	qsort(idle, n, sizeof(*idle), by_quiet_since);
	for (i = 0; i < n && open > max; i++, open--)
		tailer_park(idle[i]->t);
	if (open > max && !fl->limit_warned)
		log_warn("max_open_files %zu: %zu files are busy, keeping them "
		    "open", max, open);
	fl->limit_warned = open > max;
	free(idle);
}

void
follow_read(struct follow *fl, uint64_t mono_ms, uint64_t wall_ms,
    bool unlimited)
{
	uint64_t budget = unlimited ? UINT64_MAX : READ_BUDGET;
	struct tailer_step out;
	size_t i;
	int r;

	if (!fl->offsets_loaded)
		return;
	fl->mono_ms = mono_ms;
	fl->wall_ms = wall_ms;
	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];
		const struct config_input *in;

		if (f->state == FILE_CLOSED || f->state == FILE_LINKED ||
		    tailer_is_parked(f->t))
			continue;
		in = &fl->setup->cfg->inputs[f->input];
		r = step(fl, f, TAILER_READ, budget, NULL, &out);
		if (out.bytes > 0)
			f->quiet_since = 0;
		else if (f->quiet_since == 0)
			f->quiet_since = mono_ms;
		/* SPEC §6: quiet for rotate_wait (monotonic: a wall clock
		 * stepped back must not close it early): the partial last
		 * line counts, and the descriptor goes */
		if (f->state == FILE_DRAINING && r == 0 && out.bytes == 0 &&
		    mono_ms - f->quiet_since >= in->rotate_wait_ms) {
			retire(fl, f);
			log_info("%s: closed after %" PRIu64 " quiet ms",
			    path_of(f), in->rotate_wait_ms);
			continue;
		}
		note_offset(fl, f, out.committed);
	}
	limit_open(fl);
}

void
follow_take_fresh(struct follow *fl, uint64_t *counts, size_t n)
{
	memset(counts, 0, n * sizeof(*counts));
	count_take_fresh(fl->count, counts, n);
}

/* --- stored offsets ---------------------------------------------------- */

static struct stored *
upsert_stored(struct follow *fl, const char *field, const char *value)
{
	struct stored *s = find_stored(fl, field);
	struct offset_rec rec;	/* 4 KiB, on the stack only */

	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->field = xstrdup(field);
		add_stored(fl, s);
	} else {
		free(s->value);
	}
	s->value = xstrdup(value);
	s->valid = keys_offset_parse(s->field, s->value, &rec) == 0;
	s->seen_s = s->valid ? rec.seen_s : 0;
	return s;
}

void
follow_stored_begin(struct follow *fl)
{
	free_stored(fl);
}

void
follow_stored_add(struct follow *fl, const char *field, size_t flen,
    const char *value, size_t vlen)
{
	char *f, *v;

	if (journal_is_field(field, flen))
		return;		/* the journal's cursor: journal.c's */
	f = xstrndup(field, flen);
	v = xstrndup(value, vlen);
	upsert_stored(fl, f, v);
	free(f);
	free(v);
}

void
follow_stored_done(struct follow *fl)
{
	size_t i;

	if (!fl->ever_loaded && fl->nstored == 0)
		fl->first_start = true;
	log_info("redis: %zu stored offsets loaded%s", fl->nstored,
	    fl->first_start ? " (first start: files begin at start_at)" : "");
	fl->ever_loaded = true;
	fl->offsets_loaded = true;
	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];

		if (f->state != FILE_CLOSED && !f->placed)
			place(fl, f);
	}
}

bool
follow_is_placed(const struct follow *fl)
{
	return fl->offsets_loaded;
}

void
follow_committed(struct follow *fl, const struct batch *b)
{
	size_t i;

	for (i = 0; b != NULL && i < b->noffsets; i++)
		if (!journal_is_field(b->offsets[i].field,
		    strlen(b->offsets[i].field)))
			upsert_stored(fl, b->offsets[i].field,
			    b->offsets[i].next);
}

/* A closed file is reopened by the next rescan if Redis holds less than
 * its size. */
void
follow_unplace(struct follow *fl)
{
	size_t i;

	fl->offsets_loaded = false;
	for (i = 0; i < fl->nfiles; i++) {
		fl->files[i]->placed = false;
		if (fl->files[i]->state == FILE_CLOSED)
			fl->files[i]->committed = 0;
	}
}

void
follow_gone_fields(struct follow *fl, uint64_t now_s, struct argv *out)
{
	size_t i;

	for (i = 0; i < fl->nstored; i++) {
		struct stored *s = fl->stored[i];

		if (find_field(fl, s->field) != NULL)
			continue;
		if (s->valid && s->seen_s + GONE_RECORD_S > now_s)
			continue;
		argv_addstr(out, s->field);
	}
}

/* --- life cycle -------------------------------------------------------- */

struct follow *
follow_create(uv_loop_t *loop, const struct setup *s, struct agg *agg,
    const size_t *class_map, size_t uncl_id, struct ew_err *err)
{
	struct follow *fl = xcalloc(1, sizeof(*fl));

	fl->loop = loop;
	fl->setup = s;
	fl->agg = agg;
	fl->count = count_create(agg, s->table, class_map, uncl_id);
	fl->readbuf = xmalloc(READ_BUF_SIZE);
	fl->watcher = watcher_create(loop, s->cfg->inputs, s->cfg->ninputs,
	    file_cb, scan_done_cb, fl, err);
	if (fl->watcher == NULL) {
		follow_close(fl);
		return NULL;
	}
	return fl;
}

void
follow_start(struct follow *fl, bool watch)
{
	if (watch)
		(void)watcher_start(fl->watcher);
	watcher_scan(fl->watcher);
}

void
follow_rescan(struct follow *fl, uint64_t mono_ms, uint64_t wall_ms)
{
	uint64_t gen = fl->scan_gen;	/* the scan about to run */

	fl->mono_ms = mono_ms;
	fl->wall_ms = wall_ms;
	watcher_scan(fl->watcher);
	check_files(fl, gen);
}

int
follow_reload(struct follow *fl, const struct setup *s,
    const size_t *class_map, size_t uncl_id, struct ew_err *err)
{
	struct watcher *w;
	size_t i;

	w = watcher_create(fl->loop, s->cfg->inputs, s->cfg->ninputs,
	    file_cb, scan_done_cb, fl, err);
	if (w == NULL)
		return -1;
	watcher_close(fl->watcher);
	fl->watcher = w;
	(void)watcher_start(w);
	/* A file no input names any more is read to its end and closed. */
	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];
		size_t in;

		for (in = 0; in < s->cfg->ninputs; in++)
			if (watcher_path_matches(w, in, path_of(f)))
				break;
		if (in == s->cfg->ninputs) {
			in = 0;
			if (f->state == FILE_ACTIVE)
				mark_rotated(fl, f, "no longer configured");
		}
		f->input = in;
	}
	fl->setup = s;
	count_reload(fl->count, s->table, class_map, uncl_id);
	return 0;
}

size_t
follow_open_files(const struct follow *fl)
{
	size_t i, n = 0;

	for (i = 0; i < fl->nfiles; i++)
		if (is_open(fl->files[i]))
			n++;
	return n;
}

const struct follow_stats *
follow_stats(const struct follow *fl)
{
	return &fl->st;
}

void
follow_close(struct follow *fl)
{
	size_t i;

	if (fl == NULL)
		return;
	if (fl->watcher != NULL)
		watcher_close(fl->watcher);
	for (i = 0; i < fl->nfiles; i++)
		file_free(fl->files[i]);
	free(fl->files);
	hmap_free(&fl->by_id);
	for (i = 0; i < fl->nfailed; i++)
		free(fl->failed[i].path);
	free(fl->failed);
	free_stored(fl);
	count_destroy(fl->count);
	free(fl->readbuf);
	free(fl);
}
