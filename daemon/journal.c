/*
 * journal: the systemd journal as an input (SPEC §16). One reader per
 * journal input owns its sd_journal, its wake-up handle on the loop, its
 * position (the cursor of the last entry counted) and what it logged.
 * Entries' MESSAGE fields become lines in a block buffer and go through
 * count, the path file lines take, so SPEC §5 and §9 hold unchanged.
 *
 * The cursor is the offset (SPEC §8): it moves into agg after the counts
 * of the entries it covers, so the flush script compare-and-sets both at
 * once. Placing at a stored cursor seeks to it and steps once: when the
 * entry there is the stored one (sd_journal_test_cursor), it was counted
 * and reading goes on after it; when it is another (the stored one was
 * vacuumed), that entry is the oldest one after it and is counted first.
 * A high-water cursor keeps entries read again after a CONFLICT away
 * from the detector.
 *
 * sd-journal skips unreadable journal files silently, so every new file
 * in the reader's directories is opened once on its own and named in a
 * log line when that fails. Invariants: nothing is read before the
 * stored records came (placed); sd-journal.h is included here only.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <uv.h>

#include "agg.h"
#include "base.h"
#include "config.h"
#include "count.h"
#include "journal.h"
#include "keys.h"
#include "log.h"
#include "setup.h"

#define BLOCK_FLUSH	(1u << 20)	/* bytes of lines per count_block */
#define READ_BUDGET	200000		/* entries per input per read */
#define GONE_RECORD_S	86400		/* SPEC §8: a day, as for files */
#define MSG_PREFIX	"MESSAGE="
#define MSG_PREFIX_LEN	(sizeof(MSG_PREFIX) - 1)

/* A journal file checked on its own (SPEC §16: named if the library
 * cannot open it). */
enum check_state {
	CHECK_NEW,
	CHECK_FAILED,		/* failed once: looked at again */
	CHECK_OK,
	CHECK_LOGGED,		/* failed twice: named in the log */
};

struct checked {
	uint64_t	 dev, ino;
	enum check_state state;
	bool		 seen;	/* in the latest listing */
};

struct checklist {
	struct checked	*v;
	size_t		 n;
};

struct reader {
	struct journal	*jn;
	size_t		 input;		/* index into setup's inputs */
	char		*name;
	char		*field;		/* "journal:<name>" */
	char		*directory;	/* "" : the local journal */
	char	       **units;
	size_t		 nunits;
	size_t		 max_line;
	int		 start_at;	/* enum config_start_at */

	sd_journal	*j;		/* NULL: not open (yet) */
	uv_poll_t	 poll;
	bool		 polling;	/* poll initialised */
	bool		 open_warned;	/* the open failure is logged */
	bool		 closing;

	bool		 placed;	/* position known: may read */
	bool		 on_uncounted;	/* the current entry is not counted */
	bool		 ever_placed;
	bool		 late;		/* could not be opened at first: read
					 * from its oldest entry (SPEC §6, as a
					 * file that appears later) */
	bool		 inherit;	/* took over a reconfigured reader
					 * whose record agg holds: go on from
					 * its cursor */
	char		*stored;	/* the record Redis holds, or NULL */
	char		*cursor;	/* last entry counted, or NULL */
	char		*start_cursor;	/* where the first start began */
	bool		 dirty;		/* a record must go with the counts */
	bool		 bad_warned;	/* an unreadable entry is logged */
	uint64_t	 change_logged_ms;	/* monotonic: the last
						 * rotation or vacuum logged */
	/* SPEC §8: the furthest entry ever counted; entries up to it that
	 * are read again after a CONFLICT are not fresh */
	char		*hw_cursor;
	uint64_t	 hw_usec;	/* its realtime */
	bool		 replaying;

	struct checklist checked;
};

/* A record of an input no longer configured, kept to be dropped. */
struct orphan {
	char		*field;
	char		*value;
	uint64_t	 seen_s;
};

struct journal {
	uv_loop_t		*loop;
	const struct setup	*setup;
	struct agg		*agg;
	struct count		*count;
	struct reader		**r;
	size_t			 nr;
	bool			 watch;
	bool			 loaded;	/* records came at least once */
	struct orphan		*orphans;
	size_t			 norphans;
	struct buf		 block;		/* lines waiting for count */
	bool			 block_fresh;
	uint64_t		 wall_ms;
	uint64_t		 last_usec;	/* realtime of the last entry */
	struct journal_stats	 st;
	size_t			 open_handles;
};

/* --- the record -------------------------------------------------------- */

bool
journal_is_field(const char *field, size_t len)
{
	return len >= sizeof(JOURNAL_FIELD_PREFIX) - 1 &&
	    memcmp(field, JOURNAL_FIELD_PREFIX,
	    sizeof(JOURNAL_FIELD_PREFIX) - 1) == 0;
}

void
journal_rec_value(struct buf *out, const struct journal_rec *r)
{
	buf_printf(out, "%" PRIu64 " %s", r->seen_s, r->cursor);
}

int
journal_rec_parse(const char *value, size_t len, struct journal_rec *r)
{
	size_t n = ew_parse_dec(value, len, UINT64_MAX, &r->seen_s), i;

	if (n == 0 || n + 1 >= len || value[n] != ' ')
		return -EINVAL;
	value += n + 1;
	len -= n + 1;
	if (len >= sizeof(r->cursor))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if ((unsigned char)value[i] <= ' ')
			return -EINVAL;
	memcpy(r->cursor, value, len);
	r->cursor[len] = '\0';
	return 0;
}

void
journal_line(struct buf *out, const char *msg, size_t len)
{
	size_t at = out->len;
	char *p;

	buf_append(out, msg, len);
	/* SPEC §16: an entry is one line, whatever its MESSAGE holds */
	while ((p = memchr(out->p + at, '\n', out->len - at)) != NULL) {
		*p = ' ';
		at = (size_t)(p - out->p) + 1;
	}
	buf_append(out, "\n", 1);
}

/* --- opening ----------------------------------------------------------- */

static const char *
where(const struct reader *r)
{
	return r->directory[0] != '\0' ? r->directory : "the local journal";
}

/* The journal with the reader's matches: _SYSTEMD_UNIT=u for each unit
 * (one field: the library ORs them). 0 or a negative errno. */
static int
open_journal(const char *directory, char *const *units, size_t nunits,
    size_t max_line, sd_journal **out)
{
	sd_journal *j = NULL;
	size_t i;
	int r;

	if (directory[0] != '\0')
		r = sd_journal_open_directory(&j, directory, 0);
	else
		r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0)
		return r;
	for (i = 0; i < nunits; i++) {
		char *m = xasprintf("_SYSTEMD_UNIT=%s", units[i]);

		r = sd_journal_add_match(j, m, 0);
		free(m);
		if (r < 0) {
			sd_journal_close(j);
			return r;
		}
	}
	/* SPEC §5: only max_line bytes are matched; the library stops
	 * there too (+1: a cut line still counts as long) */
	(void)sd_journal_set_data_threshold(j, max_line + MSG_PREFIX_LEN + 1);
	*out = j;
	return 0;
}

static struct checked *
find_checked(struct checklist *cl, const struct stat *st)
{
	size_t i;

	for (i = 0; i < cl->n; i++)
		if (cl->v[i].dev == (uint64_t)st->st_dev &&
		    cl->v[i].ino == (uint64_t)st->st_ino)
			return &cl->v[i];
	return NULL;
}

/* Opens one file alone: the library would skip it without a word. A
 * file that fails is named once it has failed twice a look apart: one
 * being created right now has no header yet. */
static void
check_file(struct checklist *cl, const char *name, const char *path,
    bool at_once)
{
	const char *paths[2] = { path, NULL };
	struct stat st;
	struct checked *c;
	sd_journal *j;
	int e;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if ((c = find_checked(cl, &st)) == NULL) {
		cl->v = xrealloc(cl->v, (cl->n + 1) * sizeof(*cl->v));
		c = &cl->v[cl->n++];
		memset(c, 0, sizeof(*c));
		c->dev = (uint64_t)st.st_dev;
		c->ino = (uint64_t)st.st_ino;
		c->state = CHECK_NEW;
	}
	c->seen = true;
	if (c->state == CHECK_OK || c->state == CHECK_LOGGED)
		return;
	e = sd_journal_open_files(&j, paths, 0);
	if (e >= 0) {
		sd_journal_close(j);
		c->state = CHECK_OK;
		return;
	}
	if (c->state == CHECK_NEW && !at_once) {
		c->state = CHECK_FAILED;	/* look again next time */
		return;
	}
	c->state = CHECK_LOGGED;
	log_warn("journal %s: %s cannot be read (%s): its entries are "
	    "skipped, the other files are counted", name, path,
	    strerror(-e));
}

static bool
is_journal_name(const char *n)
{
	size_t len = strlen(n);

	return (len > 8 && strcmp(n + len - 8, ".journal") == 0) ||
	    (len > 9 && strcmp(n + len - 9, ".journal~") == 0);
}

static void
check_dir(struct checklist *cl, const char *name, const char *dir,
    int depth, bool at_once)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (is_journal_name(de->d_name))
			check_file(cl, name, p, at_once);
		else if (depth > 0)	/* <machine-id>/ */
			check_dir(cl, name, p, depth - 1, at_once);
		free(p);
	}
	closedir(d);
}

/* Every journal file of directory ("": the local journal's) not checked
 * yet; forgets the ones gone. at_once: a failure is named at the first
 * look (--scan, --once: there is no second). */
static void
check_files(struct checklist *cl, const char *name, const char *directory,
    bool at_once)
{
	size_t i, n = 0;

	for (i = 0; i < cl->n; i++)
		cl->v[i].seen = false;
	if (directory[0] != '\0') {
		check_dir(cl, name, directory, 0, at_once);
	} else {
		check_dir(cl, name, "/var/log/journal", 1, at_once);
		check_dir(cl, name, "/run/log/journal", 1, at_once);
	}
	for (i = 0; i < cl->n; i++)
		if (cl->v[i].seen)
			cl->v[n++] = cl->v[i];
	cl->n = n;
}

static void
check_reader(struct reader *r)
{
	check_files(&r->checked, r->name, r->directory, !r->jn->watch);
}

static void	poll_cb(uv_poll_t *h, int status, int events);
static void	place(struct reader *r);

/* Opens the reader's journal if it is not open; a failure is logged
 * once and retried by the next rescan. */
static void
try_open(struct reader *r)
{
	struct stat st;
	bool was_failing;
	int e, fd;

	if (r->j != NULL || r->closing)
		return;
	if (r->directory[0] != '\0') {
		/* SPEC §16: a directory that appears later is opened then */
		if (stat(r->directory, &st) < 0) {
			e = -errno;
			goto fail;
		}
		if (!S_ISDIR(st.st_mode)) {
			e = -ENOTDIR;
			goto fail;
		}
	}
	if ((e = open_journal(r->directory, r->units, r->nunits,
	    r->max_line, &r->j)) < 0)
		goto fail;
	log_info("journal %s: reading %s%s", r->name, where(r),
	    r->open_warned ? " (it can be opened now)" : "");
	was_failing = r->open_warned;
	r->open_warned = false;
	r->late = was_failing && !r->ever_placed;
	check_reader(r);
	if (r->jn->watch) {
		fd = sd_journal_get_fd(r->j);
		if (fd < 0) {
			log_warn("journal %s: no wake-up descriptor (%s), "
			    "read at each flush only", r->name, strerror(-fd));
		} else if (uv_poll_init(r->jn->loop, &r->poll, fd) == 0) {
			r->polling = true;
			r->poll.data = r;
			r->jn->open_handles++;
			uv_poll_start(&r->poll, UV_READABLE, poll_cb);
		}
	}
	if (r->jn->loaded)
		place(r);
	return;
fail:
	if (!r->open_warned)
		log_warn("journal %s: cannot open %s (%s), trying again every "
		    "second", r->name, where(r), strerror(-e));
	r->open_warned = true;
}

/* --- placing ----------------------------------------------------------- */

static void
set_str(char **p, const char *v)
{
	free(*p);
	*p = v != NULL ? xstrdup(v) : NULL;
}

static void
note_cursor(struct reader *r)
{
	char *c = NULL;

	if (sd_journal_get_cursor(r->j, &c) < 0)
		return;
	if (r->cursor == NULL || strcmp(r->cursor, c) != 0) {
		free(r->cursor);
		r->cursor = c;
		r->dirty = true;
	} else {
		free(c);
	}
}

/* Seeks to the entry after cursor c. True if placed on it. */
static bool
seek_after(struct reader *r, const char *c)
{
	int e;

	if ((e = sd_journal_seek_cursor(r->j, c)) < 0) {
		log_warn("journal %s: stored cursor refused (%s), reading "
		    "from the oldest entry", r->name, strerror(-e));
		return false;
	}
	e = sd_journal_next(r->j);
	if (e <= 0)		/* nothing at or after it yet */
		return true;
	if (sd_journal_test_cursor(r->j, c) > 0)
		return true;	/* the entry counted: read after it */
	/* SPEC §16: vacuumed; this is the oldest entry after it */
	log_warn("journal %s: the stored cursor is no longer in %s "
	    "(vacuumed or rotated away), reading from the oldest entry "
	    "after it", r->name, where(r));
	r->on_uncounted = true;
	return true;
}

/* SPEC §8, §16: the stored cursor, else start_at on the very first
 * start (a journal opened later: its oldest entry), else (a rollback to
 * before the first record) where this run began. */
static void
place(struct reader *r)
{
	struct journal_rec rec;
	bool first = !r->ever_placed;

	if (r->j == NULL || r->placed || r->closing)
		return;
	r->on_uncounted = false;
	if (r->inherit) {
		r->inherit = false;
		r->placed = true;
		r->ever_placed = true;
		if (r->cursor == NULL || !seek_after(r, r->cursor))
			sd_journal_seek_head(r->j);
		log_info("journal %s: reconfigured, reading on after its last "
		    "entry", r->name);
		return;
	}
	r->placed = true;
	r->ever_placed = true;
	r->replaying = r->hw_cursor != NULL;
	if (r->stored != NULL && journal_rec_parse(r->stored,
	    strlen(r->stored), &rec) == 0) {
		agg_offset_stored(r->jn->agg, r->field, r->stored);
		if (seek_after(r, rec.cursor)) {
			set_str(&r->cursor, rec.cursor);
			r->dirty = false;
			log_info("journal %s: resuming after the stored cursor",
			    r->name);
			return;
		}
	} else if (r->stored != NULL) {
		log_warn("journal %s: stored record is not a cursor, reading "
		    "from the oldest entry", r->name);
		agg_offset_stored(r->jn->agg, r->field, r->stored);
	} else {
		agg_offset_stored(r->jn->agg, r->field, NULL);
	}
	set_str(&r->cursor, NULL);
	if (r->stored == NULL && first && !r->late &&
	    r->start_at == START_AT_END) {
		sd_journal_seek_tail(r->j);
		if (sd_journal_previous(r->j) > 0) {
			note_cursor(r);
			set_str(&r->start_cursor, r->cursor);
			log_info("journal %s: following from its end", r->name);
			return;
		}
	} else if (r->stored == NULL && r->start_cursor != NULL) {
		(void)seek_after(r, r->start_cursor);
		r->on_uncounted = false;	/* it was never counted */
		set_str(&r->cursor, r->start_cursor);
		r->dirty = true;
		log_info("journal %s: no stored cursor, reading from where "
		    "this run began", r->name);
		return;
	}
	sd_journal_seek_head(r->j);
	log_info("journal %s: reading from its oldest entry", r->name);
}

/* --- reading ----------------------------------------------------------- */

static void
flush_block(struct reader *r)
{
	struct journal *jn = r->jn;
	const struct count_stats *cs;

	if (jn->block.len == 0)
		return;

	count_block(jn->count, jn->setup->matchers[r->input], r->max_line,
	    jn->block.p, jn->block.len, jn->wall_ms, jn->block_fresh);
	buf_reset(&jn->block);
	cs = count_stats(jn->count);
	jn->st.lines = cs->lines;
	jn->st.matched = cs->matched;
	jn->st.unclassified = cs->unclassified;
	jn->st.long_lines = cs->long_lines;
}

/* SPEC §8: an entry is fresh once past the furthest entry ever counted
 * (same cursor: the last one seen again; later realtime: past it). */
static bool
is_fresh(struct reader *r, uint64_t usec)
{
	if (!r->replaying)
		return true;
	if (sd_journal_test_cursor(r->j, r->hw_cursor) > 0) {
		r->replaying = false;
		return false;
	}
	if (usec > r->hw_usec) {
		r->replaying = false;
		return true;
	}
	return false;
}

static void
take_entry(struct reader *r)
{
	struct journal *jn = r->jn;
	const void *d;
	size_t len;
	uint64_t usec = 0;
	bool fresh;
	int e;

	(void)sd_journal_get_realtime_usec(r->j, &usec);
	jn->last_usec = usec;
	jn->st.entries++;
	e = sd_journal_get_data(r->j, "MESSAGE", &d, &len);
	if (e == -ENOENT)
		return;		/* no MESSAGE: not a line */
	if (e < 0 || len < MSG_PREFIX_LEN) {
		if (!r->bad_warned)
			log_warn("journal %s: an entry cannot be read (%s), "
			    "skipped; reading on", r->name, strerror(-e));
		r->bad_warned = true;
		return;
	}
	fresh = is_fresh(r, usec);
	if (fresh != jn->block_fresh)
		flush_block(r);
	jn->block_fresh = fresh;
	jn->st.bytes += len - MSG_PREFIX_LEN;
	journal_line(&jn->block, (const char *)d + MSG_PREFIX_LEN,
	    len - MSG_PREFIX_LEN);
	if (jn->block.len >= BLOCK_FLUSH)
		flush_block(r);
}

/* Sends the reader's cursor with the next batch when it moved. */
static void
note_offset(struct reader *r)
{
	struct journal_rec rec;
	struct buf b = { 0 };

	if (!r->dirty || r->cursor == NULL)
		return;
	rec.seen_s = r->jn->wall_ms / 1000;
	snprintf(rec.cursor, sizeof(rec.cursor), "%s", r->cursor);
	journal_rec_value(&b, &rec);
	agg_offset(r->jn->agg, r->field, b.p);
	buf_free(&b);
	r->dirty = false;
}

static void
read_reader(struct reader *r, bool unlimited)
{
	struct journal *jn = r->jn;
	uint64_t n = 0;
	bool moved = false;
	int e;

	if (r->j == NULL || !r->placed || r->closing)
		return;
	if (r->on_uncounted) {
		r->on_uncounted = false;
		take_entry(r);
		moved = true;
	}
	while (unlimited || n < READ_BUDGET) {
		e = sd_journal_next(r->j);
		if (e == 0)
			break;
		if (e < 0) {
			if (!r->bad_warned)
				log_warn("journal %s: %s, reading on at the "
				    "next look", r->name, strerror(-e));
			r->bad_warned = true;
			break;
		}
		take_entry(r);
		moved = true;
		n++;
	}
	flush_block(r);
	if (moved) {
		note_cursor(r);
		if (!r->replaying && r->cursor != NULL) {
			set_str(&r->hw_cursor, r->cursor);
			r->hw_usec = jn->last_usec;
		}
	}
	/* also a position just placed (start_at end): stored even when
	 * nothing was counted, so the next start does not count history */
	note_offset(r);
}

/* Files added or removed (rotation, vacuum): logged once per change;
 * the library has already followed them. */
static void
process(struct reader *r)
{
	int e = sd_journal_process(r->j);
	uint64_t now;

	if (e == SD_JOURNAL_INVALIDATE) {
		r->jn->st.changes++;
		/* one rotation is a remove and an add: one line for both */
		now = ew_mono_ms();
		if (r->change_logged_ms == 0 ||
		    now - r->change_logged_ms >= 1000)
			log_info("journal %s: files added or removed in %s "
			    "(rotation or vacuum), reading on", r->name,
			    where(r));
		r->change_logged_ms = now;
		check_reader(r);
	}
}

static void
poll_cb(uv_poll_t *h, int status, int events)
{
	struct reader *r = h->data;

	(void)events;
	if (r->closing || r->j == NULL)
		return;
	if (status < 0)
		log_warn("journal %s: wake-up: %s", r->name,
		    uv_strerror(status));
	/* always: the descriptor stays readable until processed */
	process(r);
	r->jn->wall_ms = ew_wall_ms();
	read_reader(r, false);
}

/* --- life cycle -------------------------------------------------------- */

static void
free_reader(struct reader *r)
{
	size_t i;

	if (r->j != NULL)
		sd_journal_close(r->j);
	free(r->name);
	free(r->field);
	free(r->directory);
	for (i = 0; i < r->nunits; i++)
		free(r->units[i]);
	free(r->units);
	free(r->stored);
	free(r->cursor);
	free(r->start_cursor);
	free(r->hw_cursor);
	free(r->checked.v);
	free(r);
}

static void
maybe_free(struct journal *jn)
{
	size_t i;

	if (jn->open_handles > 0)
		return;
	for (i = 0; i < jn->nr; i++)
		free_reader(jn->r[i]);
	free(jn->r);
	for (i = 0; i < jn->norphans; i++) {
		free(jn->orphans[i].field);
		free(jn->orphans[i].value);
	}
	free(jn->orphans);
	buf_free(&jn->block);
	count_destroy(jn->count);
	free(jn);
}

static void
poll_close_cb(uv_handle_t *h)
{
	struct reader *r = h->data;
	struct journal *jn = r->jn;

	jn->open_handles--;
	maybe_free(jn);
}

static struct reader *
new_reader(struct journal *jn, const struct config_input *in, size_t idx)
{
	struct reader *r = xcalloc(1, sizeof(*r));
	size_t i;

	r->jn = jn;
	r->input = idx;
	r->name = xstrdup(in->name);
	r->field = xasprintf("%s%s", JOURNAL_FIELD_PREFIX, in->name);
	r->directory = xstrdup(in->journal.directory);
	r->nunits = in->journal.nunits;
	r->units = xcalloc(r->nunits + 1, sizeof(*r->units));
	for (i = 0; i < r->nunits; i++)
		r->units[i] = xstrdup(in->journal.units[i]);
	r->max_line = in->max_line;
	r->start_at = (int)in->start_at;
	return r;
}

struct journal *
journal_create(uv_loop_t *loop, const struct setup *s, struct agg *agg,
    const size_t *class_map, size_t uncl_id)
{
	struct journal *jn = xcalloc(1, sizeof(*jn));
	const struct config *cfg = s->cfg;
	size_t i;

	jn->loop = loop;
	jn->setup = s;
	jn->agg = agg;
	jn->count = count_create(agg, s->table, class_map, uncl_id);
	for (i = 0; i < cfg->ninputs; i++) {
		if (!cfg->inputs[i].is_journal)
			continue;
		jn->r = xrealloc(jn->r, (jn->nr + 1) * sizeof(*jn->r));
		jn->r[jn->nr++] = new_reader(jn, &cfg->inputs[i], i);
	}
	return jn;
}

void
journal_start(struct journal *jn, bool watch)
{
	size_t i;

	jn->watch = watch;
	for (i = 0; i < jn->nr; i++)
		try_open(jn->r[i]);
}

void
journal_rescan(struct journal *jn)
{
	size_t i;

	for (i = 0; i < jn->nr; i++) {
		struct reader *r = jn->r[i];

		if (r->closing)
			continue;
		if (r->j == NULL) {
			try_open(r);
			continue;
		}
		process(r);
		check_reader(r);
	}
}

void
journal_read(struct journal *jn, uint64_t wall_ms, bool unlimited)
{
	size_t i;

	jn->wall_ms = wall_ms;
	for (i = 0; i < jn->nr; i++)
		read_reader(jn->r[i], unlimited);
}

void
journal_take_fresh(struct journal *jn, uint64_t *counts, size_t n)
{
	count_take_fresh(jn->count, counts, n);
}

static struct reader *
find_reader(struct journal *jn, const char *field, size_t flen)
{
	size_t i;

	for (i = 0; i < jn->nr; i++)
		if (!jn->r[i]->closing && strlen(jn->r[i]->field) == flen &&
		    memcmp(jn->r[i]->field, field, flen) == 0)
			return jn->r[i];
	return NULL;
}

void
journal_stored_begin(struct journal *jn)
{
	size_t i;

	for (i = 0; i < jn->nr; i++)
		set_str(&jn->r[i]->stored, NULL);
	for (i = 0; i < jn->norphans; i++) {
		free(jn->orphans[i].field);
		free(jn->orphans[i].value);
	}
	jn->norphans = 0;
}

void
journal_stored_add(struct journal *jn, const char *field, size_t flen,
    const char *value, size_t vlen)
{
	struct journal_rec rec;
	struct reader *r;

	if (!journal_is_field(field, flen))
		return;
	if ((r = find_reader(jn, field, flen)) != NULL) {
		free(r->stored);
		r->stored = xstrndup(value, vlen);
		return;
	}
	jn->orphans = xrealloc(jn->orphans, (jn->norphans + 1) *
	    sizeof(*jn->orphans));
	jn->orphans[jn->norphans].field = xstrndup(field, flen);
	jn->orphans[jn->norphans].value = xstrndup(value, vlen);
	jn->orphans[jn->norphans++].seen_s = journal_rec_parse(value, vlen,
	    &rec) == 0 ? rec.seen_s : 0;
}

void
journal_stored_done(struct journal *jn)
{
	size_t i;

	jn->loaded = true;
	for (i = 0; i < jn->nr; i++)
		place(jn->r[i]);
}

void
journal_committed(struct journal *jn, const struct batch *b)
{
	size_t i, j;

	for (i = 0; b != NULL && i < b->noffsets; i++) {
		const char *f = b->offsets[i].field;

		if (!journal_is_field(f, strlen(f)))
			continue;
		for (j = jn->nr; j-- > 0;)	/* the latest reader first */
			if (strcmp(jn->r[j]->field, f) == 0) {
				set_str(&jn->r[j]->stored, b->offsets[i].next);
				break;
			}
	}
}

void
journal_unplace(struct journal *jn)
{
	size_t i;

	buf_reset(&jn->block);
	for (i = 0; i < jn->nr; i++) {
		jn->r[i]->placed = false;
		jn->r[i]->dirty = false;
	}
}

void
journal_gone_fields(struct journal *jn, uint64_t now_s, struct argv *out)
{
	size_t i;

	for (i = 0; i < jn->norphans; i++)
		if (jn->orphans[i].seen_s + GONE_RECORD_S <= now_s)
			argv_addstr(out, jn->orphans[i].field);
}

/* A reader whose input is gone or changed stops reading; its handle and
 * memory go with journal_close. */
static void
stop_reader(struct reader *r)
{
	if (r->closing)
		return;
	log_info("journal %s: no longer configured as it was, stopped",
	    r->name);
	r->closing = true;
	r->placed = false;
	if (r->polling)
		uv_poll_stop(&r->poll);
}

/* The same input changed (units, directory): the new reader goes on
 * from the old one's position, whose record (and pending move) agg
 * holds, so nothing is counted twice or lost. */
static void
take_over(struct reader *r, struct reader *o)
{
	set_str(&r->stored, o->stored);
	set_str(&r->cursor, o->cursor);
	set_str(&r->start_cursor, o->start_cursor);
	set_str(&r->hw_cursor, o->hw_cursor);
	r->hw_usec = o->hw_usec;
	r->ever_placed = o->ever_placed;
	r->inherit = o->placed;
	r->dirty = o->dirty;
	stop_reader(o);
}

/* A new input whose record Redis held at the last load (an input
 * configured again) resumes there. */
static void
adopt_orphan(struct journal *jn, struct reader *r)
{
	size_t i;

	for (i = 0; i < jn->norphans; i++) {
		if (strcmp(jn->orphans[i].field, r->field) != 0)
			continue;
		r->stored = jn->orphans[i].value;
		free(jn->orphans[i].field);
		jn->orphans[i] = jn->orphans[--jn->norphans];
		return;
	}
}

static bool
same_input(const struct reader *r, const struct config_input *in)
{
	size_t i;

	if (strcmp(r->name, in->name) != 0 ||
	    strcmp(r->directory, in->journal.directory) != 0 ||
	    r->nunits != in->journal.nunits)
		return false;
	for (i = 0; i < r->nunits; i++)
		if (strcmp(r->units[i], in->journal.units[i]) != 0)
			return false;
	return true;
}

/* Readers are matched to the new journal inputs by name, directory and
 * units (matches are fixed at open); a changed input takes over its old
 * reader's position. */
void
journal_reload(struct journal *jn, const struct setup *s,
    const size_t *class_map, size_t uncl_id)
{
	const struct config *cfg = s->cfg;
	size_t i, j, nold = jn->nr;
	bool *kept = xcalloc(nold + 1, sizeof(*kept));

	for (i = 0; i < cfg->ninputs; i++) {
		const struct config_input *in = &cfg->inputs[i];
		struct reader *r = NULL;

		if (!in->is_journal)
			continue;
		for (j = 0; j < nold; j++)
			if (!jn->r[j]->closing && !kept[j] &&
			    same_input(jn->r[j], in)) {
				r = jn->r[j];
				kept[j] = true;
				break;
			}
		if (r == NULL) {
			r = new_reader(jn, in, i);
			for (j = nold; j-- > 0;)	/* the latest first */
				if (!kept[j] && strcmp(jn->r[j]->field,
				    r->field) == 0)
					break;
			if (j < nold)
				take_over(r, jn->r[j]);
			else
				adopt_orphan(jn, r);
			jn->r = xrealloc(jn->r, (jn->nr + 1) * sizeof(*jn->r));
			jn->r[jn->nr++] = r;
		}
		r->input = i;
		r->max_line = in->max_line;
	}
	for (j = 0; j < nold; j++) {
		struct reader *r = jn->r[j];

		if (!kept[j])
			stop_reader(r);
	}
	free(kept);
	jn->setup = s;
	count_reload(jn->count, s->table, class_map, uncl_id);
	/* a new input begins at start_at, as at a first start */
	for (i = nold; i < jn->nr; i++)
		try_open(jn->r[i]);
}

size_t
journal_ninputs(const struct journal *jn)
{
	size_t i, n = 0;

	for (i = 0; i < jn->nr; i++)
		if (!jn->r[i]->closing)
			n++;
	return n;
}

const struct journal_stats *
journal_stats(const struct journal *jn)
{
	return &jn->st;
}

void
journal_close(struct journal *jn)
{
	size_t i;

	if (jn == NULL)
		return;
	jn->open_handles++;	/* not freed inside the loop below */
	for (i = 0; i < jn->nr; i++) {
		struct reader *r = jn->r[i];

		r->closing = true;
		if (r->polling)
			uv_close((uv_handle_t *)&r->poll, poll_close_cb);
	}
	jn->open_handles--;
	maybe_free(jn);
}

/* --- --scan ------------------------------------------------------------ */

int
journal_scan(const struct config_input *in, journal_block_fn *fn,
    void *arg, uint64_t *entries, struct ew_err *err)
{
	struct buf b = { 0 };
	struct checklist cl = { 0 };
	sd_journal *j;
	const void *d;
	size_t len;
	int e;

	*entries = 0;
	check_files(&cl, in->name, in->journal.directory, true);
	free(cl.v);
	e = open_journal(in->journal.directory, in->journal.units,
	    in->journal.nunits, in->max_line, &j);
	if (e < 0) {
		ew_err_set(err, NULL, 0, 0, "journal %s: cannot open %s: %s",
		    in->name, in->journal.directory[0] != '\0' ?
		    in->journal.directory : "the local journal", strerror(-e));
		return e;
	}
	for (;;) {
		e = sd_journal_next(j);
		if (e == 0)
			break;
		if (e < 0) {
			log_warn("journal %s: %s, counted up to there",
			    in->name, strerror(-e));
			break;
		}
		(*entries)++;
		if (sd_journal_get_data(j, "MESSAGE", &d, &len) < 0 ||
		    len < MSG_PREFIX_LEN)
			continue;
		journal_line(&b, (const char *)d + MSG_PREFIX_LEN,
		    len - MSG_PREFIX_LEN);
		if (b.len >= BLOCK_FLUSH) {
			fn(arg, b.p, b.len);
			buf_reset(&b);
		}
	}
	if (b.len > 0)
		fn(arg, b.p, b.len);
	buf_free(&b);
	sd_journal_close(j);
	return 0;
}
