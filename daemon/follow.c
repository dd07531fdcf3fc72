/*
 * follow: the registry of followed files and the meaning of their events
 * (SPEC §6). One struct followed per file identity; a file is opened when
 * a scan reports it, placed once the stored offsets are known (never read
 * before), read when the daemon says, and closed once drained. The
 * copytruncate copy of a followed file is linked to it and counted from
 * where the original stopped. Owns the watcher, the tailers and the
 * shared read buffer; borrows setup, agg and the class map.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "base.h"
#include "hmap.h"
#include "config.h"
#include "follow.h"
#include "keys.h"
#include "lines.h"
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
#define HASH_MIN_BUCKETS	64

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
	/* FILE_CLOSED: the fingerprint when closed (SPEC §6 identity: an
	 * inode reused by a new file is not the old one) */
	uint32_t	 closed_fp_len;	/* bytes; 0: it was empty */
	uint64_t	 closed_fp_hash;
	/* The last truncation, for a copy found only after it: */
	uint64_t	 trunc_ms;	/* when (0: none) */
	uint64_t	 trunc_was;	/* bytes counted before it */
	uint32_t	 trunc_fp_len;	/* the head fingerprint before it */
	uint64_t	 trunc_fp_hash;
	uint64_t	 scan_gen;	/* last scan that reported it */
	/* The last scan that reported it at its tailer's path, and what
	 * the watcher's stat said then (check_files needs no other): */
	uint64_t	 at_path_gen;
	uint64_t	 seen_size;	/* bytes */
	uint64_t	 seen_nlink;
	struct timespec	 seen_mtim, seen_ctim;
	char		*copy_of;	/* FILE_LINKED: the original's field */
	struct followed	*hnext;		/* in follow.fbuckets, by (dev, ino) */
};

/* A stored offset record: what Redis holds for a file. Only the strings
 * are kept (a parsed struct offset_rec carries a 4 KiB path): the record
 * is parsed again when a file is placed. */
struct stored {
	char		*field;
	char		*value;
	uint64_t	 seen_s;	/* of the parsed record */
	bool		 valid;		/* the record parses */
	struct stored	*hnext;		/* in follow.sbuckets, by field */
};

struct failed {
	char		*path;
	uint64_t	 scan_gen;
};

struct follow {
	uv_loop_t		*loop;
	const struct setup	*setup;
	struct agg		*agg;
	const size_t		*class_map;	/* table class -> agg id */
	size_t			 uncl_id;
	struct watcher		*watcher;
	char			*readbuf;

	struct followed		**files;
	size_t			 nfiles;
	struct followed		**fbuckets;	/* files by (dev, ino) */
	size_t			 nfbuckets;	/* a power of two, or 0 */
	struct failed		*failed;	/* open errors logged once */
	size_t			 nfailed;
	uint64_t		 scan_gen;

	struct stored		**stored;	/* offsets:<host>, in order */
	size_t			 nstored;
	struct stored		**sbuckets;	/* the same by field */
	size_t			 nsbuckets;	/* a power of two, or 0 */
	bool			 offsets_loaded;
	bool			 ever_loaded;
	bool			 first_start;	/* no offsets at all */

	struct followed		*cur;		/* being read */
	uint64_t		 now_ms;
	bool			 unlimited;
	bool			 limit_warned;	/* max_open_files exceeded */
	struct follow_stats	 st;
};

static void	start_copy(struct follow *fl, struct followed *c,
		    const struct followed *f, uint64_t from);
static void	restart_truncated(struct follow *fl, struct followed *f);

/* --- counting ---------------------------------------------------------- */

static void
hit_cb(void *arg, const char *code, size_t code_len, const char *name,
    size_t name_len)
{
	struct follow *fl = arg;
	const struct table *t = fl->setup->table;
	size_t cls = table_classify(t, name, name_len, code, code_len);

	agg_count(fl->agg, fl->now_ms, fl->class_map[cls], 1);
	if (fl->class_map[cls] == fl->uncl_id) {
		fl->st.unclassified++;
		if (code_len > 0)
			agg_count_uncl(fl->agg, code, code_len);
		else
			agg_count_uncl(fl->agg, name, name_len);
	}
}

static void
block_cb(void *arg, const char *buf, size_t len)
{
	struct follow *fl = arg;
	struct followed *f = fl->cur;
	const struct config_input *in = &fl->setup->cfg->inputs[f->input];
	struct match_stats st = { 0 };

	matcher_scan(fl->setup->matchers[f->input], buf, len, in->max_line,
	    hit_cb, fl, &st);
	fl->st.lines += st.lines;
	fl->st.matched += st.matched;
	fl->st.long_lines += st.long_lines;
}

/* --- files ------------------------------------------------------------- */

/*
 * Two chained hash tables keep the lookups O(1): a rescan reports every
 * file (find_file), and each flush commits every moved file's record
 * (find_stored); linear searches made both O(N^2). Each has as many
 * buckets as entries or more (a power of two); they only grow.
 */
static size_t
id_bucket(uint64_t dev, uint64_t ino, size_t nbuckets)
{
	uint64_t h = (ino ^ (dev << 32 | dev >> 32)) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32 ^ h) & (nbuckets - 1);
}

static size_t
field_bucket(const char *field, size_t nbuckets)
{
	return (size_t)ew_hash(field, strlen(field)) & (nbuckets - 1);
}

static struct followed *
find_file(struct follow *fl, uint64_t dev, uint64_t ino)
{
	struct followed *f;

	if (fl->nfbuckets == 0)
		return NULL;
	for (f = fl->fbuckets[id_bucket(dev, ino, fl->nfbuckets)]; f != NULL;
	    f = f->hnext)
		if (f->dev == dev && f->ino == ino)
			return f;
	return NULL;
}

/* Adds f (not there yet) to fl->files and the table. */
static void
add_file(struct follow *fl, struct followed *f)
{
	size_t i, b;

	fl->files = xrealloc(fl->files, (fl->nfiles + 1) * sizeof(*fl->files));
	fl->files[fl->nfiles++] = f;
	if (fl->nfiles > fl->nfbuckets) {
		free(fl->fbuckets);
		fl->nfbuckets = fl->nfbuckets ? fl->nfbuckets * 2 :
		    HASH_MIN_BUCKETS;
		fl->fbuckets = xcalloc(fl->nfbuckets, sizeof(*fl->fbuckets));
		for (i = 0; i < fl->nfiles; i++) {
			b = id_bucket(fl->files[i]->dev, fl->files[i]->ino,
			    fl->nfbuckets);
			fl->files[i]->hnext = fl->fbuckets[b];
			fl->fbuckets[b] = fl->files[i];
		}
		return;
	}
	b = id_bucket(f->dev, f->ino, fl->nfbuckets);
	f->hnext = fl->fbuckets[b];
	fl->fbuckets[b] = f;
}

/* The field is "dev:ino" (keys_offset_field): parsed, then looked up by
 * identity and compared whole, so only the exact string matches. */
static struct followed *
find_field(struct follow *fl, const char *field)
{
	uint64_t v[2] = { 0, 0 };
	const char *p = field;
	struct followed *f;
	int i;

	for (i = 0; i < 2; i++) {
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			v[i] = v[i] * 10 + (uint64_t)(*p++ - '0');
		if (*p++ != (i == 0 ? ':' : '\0'))
			return NULL;
	}
	f = find_file(fl, v[0], v[1]);
	return f != NULL && strcmp(f->field, field) == 0 ? f : NULL;
}

static struct stored *
find_stored(struct follow *fl, const char *field)
{
	struct stored *s;

	if (fl->nsbuckets == 0)
		return NULL;
	for (s = fl->sbuckets[field_bucket(field, fl->nsbuckets)]; s != NULL;
	    s = s->hnext)
		if (strcmp(s->field, field) == 0)
			return s;
	return NULL;
}

/* Adds s (not there yet) to fl->stored and the table. */
static void
add_stored(struct follow *fl, struct stored *s)
{
	size_t i, b;

	fl->stored = xrealloc(fl->stored, (fl->nstored + 1) *
	    sizeof(*fl->stored));
	fl->stored[fl->nstored++] = s;
	if (fl->nstored > fl->nsbuckets) {
		free(fl->sbuckets);
		fl->nsbuckets = fl->nsbuckets ? fl->nsbuckets * 2 :
		    HASH_MIN_BUCKETS;
		fl->sbuckets = xcalloc(fl->nsbuckets, sizeof(*fl->sbuckets));
		for (i = 0; i < fl->nstored; i++) {
			b = field_bucket(fl->stored[i]->field, fl->nsbuckets);
			fl->stored[i]->hnext = fl->sbuckets[b];
			fl->sbuckets[b] = fl->stored[i];
		}
		return;
	}
	b = field_bucket(s->field, fl->nsbuckets);
	s->hnext = fl->sbuckets[b];
	fl->sbuckets[b] = s;
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
	free(fl->sbuckets);
	fl->sbuckets = NULL;
	fl->nsbuckets = 0;
}

static void
file_free(struct followed *f)
{
	tailer_destroy(f->t);
	free(f->path);
	free(f->copy_of);
	free(f);
}

/* Only scan_done_cb removes files, walking fl->files: i is f's index. */
static void
remove_file(struct follow *fl, size_t i)
{
	struct followed *f = fl->files[i], **pp;

	fl->files[i] = fl->files[--fl->nfiles];
	pp = &fl->fbuckets[id_bucket(f->dev, f->ino, fl->nfbuckets)];
	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	file_free(f);
}

/* Sends the file's position with the next batch if it moved. */
static void
note_offset(struct follow *fl, struct followed *f)
{
	struct offset_rec rec;
	struct buf b = { 0 };

	if (f->t == NULL || !f->placed || f->state == FILE_LINKED)
		return;
	if (!f->dirty && tailer_committed(f->t) == f->committed)
		return;
	if (tailer_record(f->t, fl->now_ms / 1000, &rec) < 0)
		return;
	keys_offset_value(&b, &rec);
	agg_offset(fl->agg, f->field, b.p);
	buf_free(&b);
	f->committed = rec.offset;
	f->dirty = false;
}

/* The wall clock, for tailer_check_at (file timestamps are in it). */
static uint64_t
wall_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;	/* unknown: no check is skipped */
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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
 * the fingerprint the original had before it; *late is set then. So the
 * original is checked for a truncation first: its current head is no
 * guide once it has been truncated. */
static struct followed *
copy_origin(struct follow *fl, struct followed *n, bool *late)
{
	size_t i;

	*late = false;
	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];

		if (f == n || f->t == NULL || !is_copy_name(f->path, n->path))
			continue;
		if (f->state == FILE_ACTIVE && f->placed &&
		    (tailer_check_at(f->t, TAILER_VERIFY_TAIL, wall_ms(),
		    NULL) & TAILER_TRUNCATED))
			restart_truncated(fl, f);
		/* the copy was complete before the truncation: a file
		 * shorter than the old fingerprint is no copy */
		if (f->trunc_ms != 0 &&
		    fl->now_ms - f->trunc_ms <= COPY_LATE_MS &&
		    tailer_fp_matches(n->t, f->trunc_fp_len,
		    f->trunc_fp_hash)) {
			*late = true;
			return f;
		}
		if (f->state == FILE_ACTIVE && same_head(f->path, n->path) != 0)
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
	uint64_t off = 0;
	bool late;

	f->placed = true;
	if (s != NULL) {
		agg_offset_stored(fl->agg, f->field, s->value);
		/* A record of an empty file (fp_len 0, offset 0) proves only
		 * the inode: a later file on it may be a copy (SPEC §6
		 * identity), so copy_origin decides; for a file of the first
		 * scan it is position 0 all the same. */
		if (s->valid && keys_offset_parse(s->field, s->value,
		    &rec) == 0 && (rec.fp_len > 0 || f->initial) &&
		    tailer_verify(f->t, &rec)) {
			tailer_seek(f->t, rec.offset);
			f->committed = rec.offset;
			log_debug("%s: resuming at %" PRIu64, f->path,
			    rec.offset);
			return true;
		}
	}
	if (!f->initial && (orig = copy_origin(fl, f, &late)) != NULL) {
		f->state = FILE_LINKED;
		f->copy_of = xstrdup(orig->field);
		log_info("%s: copy of %s, counted from there", f->path,
		    orig->path);
		if (late)
			start_copy(fl, f, orig, orig->trunc_was);
		return false;
	}
	if (f->initial && fl->first_start && in->start_at == START_AT_END)
		off = tailer_size(f->t);
	tailer_seek(f->t, off);
	f->committed = off;
	f->dirty = true;
	log_info("%s: following from %s", f->path,
	    off ? "its end" : "its first byte");
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

/* A closed (drained) file shows up again. Grown, with the fingerprint it
 * had when closed: a slow writer went on, read on from the stored offset.
 * Shorter, or another fingerprint (or it was empty): not what we read (a
 * new file on the reused inode, a copytruncate copy among them, or
 * truncated since): a new file of this input, placed as one (SPEC §6
 * identity; the stale record is replaced as for any reused inode). The
 * same size: taken as untouched (a new file of exactly that size on the
 * same inode is not told apart until it grows). */
static void
reopen_closed(struct follow *fl, struct followed *f, size_t input,
    const char *path, const struct stat *st)
{
	struct ew_err err = { 0 };
	size_t max_line = fl->setup->cfg->inputs[input].max_line;
	bool shrunk = (uint64_t)st->st_size < f->committed;

	if ((uint64_t)st->st_size == f->committed)
		return;
	f->t = tailer_open(path, max_line, &err);
	if (f->t == NULL || tailer_dev(f->t) != f->dev ||
	    tailer_ino(f->t) != f->ino) {
		tailer_destroy(f->t);
		f->t = NULL;
		return;
	}
	if (!shrunk && !tailer_fp_matches(f->t, f->closed_fp_len,
	    f->closed_fp_hash)) {
		shrunk = true;	/* another file: nothing of it was read */
		f->input = input;
		f->committed = 0;
		f->trunc_ms = 0;
		free(f->copy_of);
		f->copy_of = NULL;
	}
	free(f->path);
	f->path = xstrdup(path);
	f->quiet_since = 0;
	f->placed = false;
	/* never start_at end: whatever it holds now came after our start */
	f->initial = false;
	f->state = FILE_ACTIVE;
	if (fl->offsets_loaded && place(fl, f) && !shrunk) {
		f->state = FILE_DRAINING;
		log_info("%s: grew after it was closed, reading on", path);
	} else if (f->state == FILE_ACTIVE) {
		log_info("%s: a new file on a closed file's inode, or "
		    "truncated since", path);
	}
}

static void
mark_rotated(struct follow *fl, struct followed *f, const char *how)
{
	log_info("%s: %s, reading it to its end", f->path, how);
	fl->st.rotations++;
	f->state = FILE_DRAINING;
	f->quiet_since = 0;
}

/* A file closed for max_open_files whose size changed: reopened by its
 * identity, at the path the scan found it under. */
static void
resume_if_changed(struct follow *fl, struct followed *f, const char *path,
    const struct stat *st)
{
	int r;

	if ((uint64_t)st->st_size == tailer_size(f->t))
		return;
	if (strcmp(f->path, path) != 0) {
		free(f->path);
		f->path = xstrdup(path);
	}
	tailer_set_path(f->t, path);
	if ((r = tailer_resume(f->t)) < 0) {
		log_warn("%s: cannot reopen (%s), retrying at the next scan",
		    path, strerror(-r));
		return;
	}
	f->quiet_since = 0;
	(void)fl;
}

static void
file_cb(void *arg, size_t input, const char *path, const struct stat *st)
{
	struct follow *fl = arg;
	struct followed *f = find_file(fl, (uint64_t)st->st_dev,
	    (uint64_t)st->st_ino);
	struct ew_err err = { 0 };
	struct tailer *t;

	if (f != NULL) {
		if (f->scan_gen == fl->scan_gen)
			return;		/* seen under another name */
		f->scan_gen = fl->scan_gen;
		if (f->state == FILE_CLOSED) {
			reopen_closed(fl, f, input, path, st);
			return;
		}
		if (f->t != NULL && tailer_is_suspended(f->t)) {
			resume_if_changed(fl, f, path, st);
			return;
		}
		if (f->t != NULL && strcmp(tailer_path(f->t), path) == 0) {
			/* the watcher's stat of it: check_files needs none */
			f->at_path_gen = fl->scan_gen;
			f->seen_size = (uint64_t)st->st_size;
			f->seen_nlink = (uint64_t)st->st_nlink;
			f->seen_mtim = st->st_mtim;
			f->seen_ctim = st->st_ctim;
			return;
		}
		if (strcmp(f->path, path) != 0 && f->t != NULL &&
		    (tailer_check(f->t, false) & TAILER_MOVED)) {
			/* renamed to another followed name (app.log.1): the
			 * same file, never read twice; drained as rotated */
			if (f->state == FILE_ACTIVE)
				mark_rotated(fl, f, "rotated");
			free(f->path);
			f->path = xstrdup(path);
			tailer_set_path(f->t, path);
		}
		return;
	}
	t = tailer_open(path, fl->setup->cfg->inputs[input].max_line, &err);
	if (t == NULL) {
		if (err.msg[0] != '\0' && strstr(err.msg, "No such") == NULL)
			open_failed(fl, path, &err);
		return;
	}
	open_ok(fl, path);
	f = xcalloc(1, sizeof(*f));
	f->t = t;
	f->path = xstrdup(path);
	f->input = input;
	f->dev = tailer_dev(t);
	f->ino = tailer_ino(t);
	snprintf(f->field, sizeof(f->field), "%" PRIu64 ":%" PRIu64, f->dev,
	    f->ino);
	f->initial = !fl->offsets_loaded;
	f->scan_gen = fl->scan_gen;
	f->at_path_gen = UINT64_MAX;
	add_file(fl, f);
	if (fl->offsets_loaded)
		place(fl, f);
}

/* After each scan (timer or inotify): a closed file that no glob names
 * any more is forgotten (its record stays in Redis until it has been gone
 * for a day), and open errors of paths gone are dropped. */
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
		if (f->t != NULL && tailer_is_suspended(f->t) &&
		    f->scan_gen != fl->scan_gen && tailer_resume(f->t) < 0) {
			/* gone while closed for max_open_files: it was quiet,
			 * at its end; its held partial line counts now */
			fl->cur = f;
			tailer_finish(f->t, block_cb, fl);
			fl->cur = NULL;
			f->closed_fp_len = tailer_fp_len(f->t);
			f->closed_fp_hash = tailer_fp_hash(f->t);
			tailer_destroy(f->t);
			f->t = NULL;
			f->state = FILE_CLOSED;
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
	uint64_t at = from;

	(void)fl;
	free(c->copy_of);
	c->copy_of = NULL;
	c->state = FILE_DRAINING;
	c->quiet_since = 0;
	if (tailer_seek(c->t, at) == -ERANGE) {
		/* The copy ends before from: the writer went on after the
		 * copy was taken and we read that in the original. All the
		 * copy holds was counted: it ends there (reading it from 0
		 * would count it twice). */
		(void)tailer_check(c->t, false);
		at = tailer_size(c->t);
		(void)tailer_seek(c->t, at);
	}
	c->committed = at;
	c->dirty = true;
	log_info("%s: counting the copy of %s from %" PRIu64, c->path,
	    f->path, at);
}

/* The original f leaves (truncated, drained or gone): its linked copies
 * continue from the position f had reached (SPEC §6 copytruncate). */
static void
release_copies(struct follow *fl, struct followed *f, uint64_t from)
{
	size_t i;

	for (i = 0; i < fl->nfiles; i++) {
		struct followed *c = fl->files[i];

		if (c->state == FILE_LINKED && strcmp(c->copy_of, f->field) == 0)
			start_copy(fl, c, f, from);
	}
}

/* A linked file whose head no longer equals its origin's was no copy. */
static void
check_linked(struct follow *fl, struct followed *c)
{
	struct followed *o = find_field(fl, c->copy_of);

	if (o != NULL && o->state == FILE_ACTIVE &&
	    same_head(o->path, c->path) != 0)
		return;
	if (o != NULL && o->t != NULL) {
		/* origin left without release: continue from it */
		release_copies(fl, o, o->committed);
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

/* SPEC §6 truncation: reading restarts at 0, and a copytruncate copy
 * linked to the file counts from where the file stopped. */
static void
restart_truncated(struct follow *fl, struct followed *f)
{
	uint64_t was = tailer_committed(f->t);

	log_info("%s: truncated to %" PRIu64 " (was %" PRIu64 "), reading "
	    "from 0", f->path, tailer_size(f->t), was);
	fl->st.truncations++;
	f->trunc_ms = fl->now_ms;
	f->trunc_was = was;
	f->trunc_fp_len = tailer_fp_len(f->t);
	f->trunc_fp_hash = tailer_fp_hash(f->t);
	release_copies(fl, f, was);
	(void)tailer_seek(f->t, 0);
	f->committed = 0;
	f->dirty = true;
}

/* The safety net after the scan numbered gen: a file that scan found at
 * its own path needs no stat(path) more. */
static void
check_files(struct follow *fl, uint64_t gen)
{
	uint64_t now = wall_ms();
	struct stat st;
	size_t i;

	memset(&st, 0, sizeof(st));
	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];
		const struct stat *seen = NULL;
		unsigned ev;

		if (f->t == NULL || !f->placed || tailer_is_suspended(f->t))
			continue;
		if (f->state == FILE_LINKED) {
			check_linked(fl, f);
			continue;
		}
		/* found at its path by the complete scan just run; not on
		 * NFS (poll), where only an fstat tells ESTALE */
		if (f->at_path_gen == gen && fl->scan_gen == gen + 1 &&
		    !fl->setup->cfg->inputs[f->input].poll) {
			st.st_dev = (dev_t)f->dev;
			st.st_ino = (ino_t)f->ino;
			st.st_size = (off_t)f->seen_size;
			st.st_nlink = (nlink_t)f->seen_nlink;
			st.st_mtim = f->seen_mtim;
			st.st_ctim = f->seen_ctim;
			seen = &st;
		}
		ev = tailer_check_at(f->t, TAILER_VERIFY_TAIL, now, seen);
		if (ev & TAILER_TRUNCATED)
			restart_truncated(fl, f);
		if ((ev & (TAILER_DELETED | TAILER_MOVED)) &&
		    f->state == FILE_ACTIVE)
			mark_rotated(fl, f, (ev & TAILER_DELETED) ? "deleted" :
			    "rotated");
		if ((ev & TAILER_ERROR) && !tailer_is_suspended(f->t)) {
			/* ESTALE on NFS: reopen by path */
			tailer_suspend(f->t);
			if (tailer_resume(f->t) < 0)
				mark_rotated(fl, f, "gone stale");
		}
	}
}

/* Reads every open file's growth; retires drained files. */
static int
by_quiet_since(const void *a, const void *b)
{
	const struct followed *fa = *(const struct followed *const *)a;
	const struct followed *fb = *(const struct followed *const *)b;

	return (fa->quiet_since > fb->quiet_since) -
	    (fa->quiet_since < fb->quiet_since);
}

/* SPEC §6: beyond max_open_files, the active files that have been quiet
 * longest give up their descriptors (identity, position and held line
 * stay); a scan that sees one's size change reopens it. Draining and
 * linked files keep theirs: they are on their way out. */
static void
limit_open(struct follow *fl)
{
	size_t max = fl->setup->cfg->max_open_files, open = 0, n = 0, i;
	struct followed **idle;

	for (i = 0; i < fl->nfiles; i++)
		if (fl->files[i]->t != NULL &&
		    !tailer_is_suspended(fl->files[i]->t))
			open++;
	if (open <= max)
		return;
	idle = xcalloc(fl->nfiles, sizeof(*idle));
	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];

		if (f->t != NULL && !tailer_is_suspended(f->t) && f->placed &&
		    f->state == FILE_ACTIVE && f->quiet_since != 0)
			idle[n++] = f;
	}
	qsort(idle, n, sizeof(*idle), by_quiet_since);
	for (i = 0; i < n && open > max; i++, open--)
		tailer_suspend(idle[i]->t);
	if (open > max && !fl->limit_warned)
		log_warn("max_open_files %zu: %zu files are busy, keeping them "
		    "open", max, open);
	fl->limit_warned = open > max;
	free(idle);
}

void
follow_read(struct follow *fl, uint64_t now_ms, bool unlimited)
{
	size_t i;

	if (!fl->offsets_loaded)
		return;
	fl->now_ms = now_ms;
	fl->unlimited = unlimited;
	for (i = 0; i < fl->nfiles; i++) {
		struct followed *f = fl->files[i];
		const struct config_input *in;
		int64_t n;

		if (f->t == NULL || f->state == FILE_LINKED ||
		    tailer_is_suspended(f->t))
			continue;
		in = &fl->setup->cfg->inputs[f->input];
		fl->cur = f;
		n = tailer_read_at(f->t, fl->readbuf, READ_BUF_SIZE,
		    fl->unlimited ? UINT64_MAX : READ_BUDGET, block_cb, fl,
		    fl->now_ms);
		if (n == -ERANGE) {
			/* truncated, maybe regrown, since the last read */
			(void)tailer_check(f->t, false);
			restart_truncated(fl, f);
			n = tailer_read(f->t, fl->readbuf, READ_BUF_SIZE,
			    fl->unlimited ? UINT64_MAX : READ_BUDGET,
			    block_cb, fl);
		}
		if (n > 0) {
			fl->st.bytes += (uint64_t)n;
			f->quiet_since = 0;
		} else if (f->quiet_since == 0) {
			f->quiet_since = fl->now_ms;
		}
		if (f->state == FILE_DRAINING && n == 0 &&
		    fl->now_ms - f->quiet_since >= in->rotate_wait_ms) {
			/* SPEC §6: quiet for rotate_wait: the partial last
			 * line counts, and the descriptor goes */
			tailer_finish(f->t, block_cb, fl);
			note_offset(fl, f);
			release_copies(fl, f, f->committed);
			fl->st.long_lines += tailer_long_lines(f->t);
			f->closed_fp_len = tailer_fp_len(f->t);
			f->closed_fp_hash = tailer_fp_hash(f->t);
			tailer_destroy(f->t);
			f->t = NULL;
			f->state = FILE_CLOSED;
			log_info("%s: closed after %" PRIu64 " quiet ms",
			    f->path, in->rotate_wait_ms);
			continue;
		}
		note_offset(fl, f);
	}
	fl->cur = NULL;
	limit_open(fl);
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
	char *f = xstrndup(field, flen), *v = xstrndup(value, vlen);

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

		if (f->t != NULL && !f->placed)
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
		upsert_stored(fl, b->offsets[i].field, b->offsets[i].next);
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
	fl->class_map = class_map;
	fl->uncl_id = uncl_id;
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
follow_rescan(struct follow *fl)
{
	uint64_t gen = fl->scan_gen;	/* the scan about to run */

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
			if (watcher_path_matches(w, in, f->path))
				break;
		if (in == s->cfg->ninputs) {
			in = 0;
			if (f->state == FILE_ACTIVE)
				mark_rotated(fl, f, "no longer configured");
		}
		f->input = in;
	}
	fl->setup = s;
	fl->class_map = class_map;
	fl->uncl_id = uncl_id;
	return 0;
}

size_t
follow_open_files(const struct follow *fl)
{
	size_t i, n = 0;

	for (i = 0; i < fl->nfiles; i++)
		if (fl->files[i]->t != NULL &&
		    !tailer_is_suspended(fl->files[i]->t))
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
	free(fl->fbuckets);
	for (i = 0; i < fl->nfailed; i++)
		free(fl->failed[i].path);
	free(fl->failed);
	free_stored(fl);
	free(fl->readbuf);
	free(fl);
}
