/*
 * test_follow: follow over a real temp dir, one case per SPEC §6 event,
 * with no Redis and no loop run: follow_start(fl, false) as --once does,
 * then follow_rescan and follow_read with explicit clocks, each flush's
 * batch cut from agg and committed by hand as the daemon would after an
 * OK. Asserts exact line counts per class and the offsets sent. The loop
 * is only run after follow_close, to finish closing the watcher.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "agg.h"
#include "base.h"
#include "check.h"
#include "fdcount.h"
#include "follow.h"
#include "keys.h"
#include "setup.h"
#include "table.h"
#include "tally.h"

#define MAX_FIELDS	64
#define TICK_MS		250	/* between two flushes */

static char dir[64];

/* One follow over dir/<name>/logs, and what its flushes sent. */
struct fx {
	uv_loop_t	 loop;
	char		*base;		/* dir/<name> */
	char		*logs;		/* base/logs */
	struct setup	*s;
	struct agg	*agg;
	size_t		*map;		/* identity: table class = agg id */
	size_t		 ncls;
	struct follow	*fl;
	uint64_t	 mono;		/* ms, the monotonic clock */
	uint64_t	 wall;		/* ms, the wall clock */
	uint64_t	 count[512];	/* lines per class, from the batches */
	uint64_t	 fresh[512];	/* fresh lines per class */
	char		*field[MAX_FIELDS];	/* offset records sent */
	char		*value[MAX_FIELDS];
	size_t		 nfields;
};

/* What a case sets in the config. */
struct opts {
	const char	*start_at;	/* NULL: beginning */
	const char	*exclude;	/* YAML flow sequence, or NULL */
	size_t		 max_open;	/* 0: the default */
	size_t		 max_line;	/* 0: the default */
};

static void
put(const char *path, const char *s, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);

	CHECK(fd != -1);
	CHECK_INT_EQ(write(fd, s, strlen(s)), (long long)strlen(s));
	close(fd);
}

/* n lines of code/name appended to path (created if needed). */
static void
add_lines(const char *path, int n, const char *code, const char *name)
{
	struct buf b = { 0 };
	int i;

	for (i = 0; i < n; i++)
		buf_printf(&b, "ts=%d level=error code=%s name=%s\n", i, code,
		    name);
	put(path, b.p != NULL ? b.p : "", O_APPEND);
	buf_free(&b);
}

static char *
lpath(const struct fx *x, const char *name)
{
	return xasprintf("%s/%s", x->logs, name);
}

static void
fx_open(struct fx *x, const char *name, const struct opts *o)
{
	struct ew_err err = { 0 };
	struct buf y = { 0 };
	char *cfg, *mk;
	size_t i;

	memset(x, 0, sizeof(*x));
	x->base = xasprintf("%s/%s", dir, name);
	x->logs = xasprintf("%s/logs", x->base);
	mk = xasprintf("mkdir -p '%s'", x->logs);
	CHECK(system(mk) == 0);
	free(mk);
	buf_printf(&y, "host: testhost\ntable: %s/data/error-codes.tsv\n",
	    getenv("EW_SRC") != NULL ? getenv("EW_SRC") : "..");
	if (o->max_open > 0)
		buf_printf(&y, "max_open_files: %zu\n", o->max_open);
	buf_printf(&y, "redis:\n  url: unix://%s/none.sock\n", x->base);
	buf_printf(&y, "inputs:\n  - name: app\n    paths: [\"%s/*.log\"]\n",
	    x->logs);
	buf_printf(&y, "    start_at: %s\n    rotate_wait: 1s\n",
	    o->start_at != NULL ? o->start_at : "beginning");
	if (o->exclude != NULL)
		buf_printf(&y, "    exclude: %s\n", o->exclude);
	if (o->max_line > 0)
		buf_printf(&y, "    max_line: %zu\n", o->max_line);
	cfg = xasprintf("%s/errwatch.yaml", x->base);
	put(cfg, y.p, O_TRUNC);
	buf_free(&y);
	x->s = setup_load(cfg, SETUP_INPUTS, &err);
	if (x->s == NULL)
		fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col,
		    err.msg);
	CHECK(x->s != NULL);
	free(cfg);
	x->ncls = table_nclasses(x->s->table);
	CHECK(x->ncls <= ARRAY_SIZE(x->count));
	x->map = xcalloc(x->ncls, sizeof(*x->map));
	for (i = 0; i < x->ncls; i++)
		x->map[i] = i;
	x->agg = agg_create(x->ncls, 1);
	CHECK_INT_EQ(uv_loop_init(&x->loop), 0);
	x->mono = 1000000;
	x->wall = ew_wall_ms();
}

/* Creates the follow: a first scan, then the stored offsets (none: a
 * first start, or the given field/value pairs). */
static void
fx_start(struct fx *x)
{
	struct ew_err err = { 0 };

	x->fl = follow_create(&x->loop, x->s, x->agg, x->map,
	    table_unclassified(x->s->table), &err);
	CHECK(x->fl != NULL);
	follow_start(x->fl, false);
	follow_stored_begin(x->fl);
	follow_stored_done(x->fl);
}

static void
fx_close(struct fx *x)
{
	size_t i;
	char *rm;

	follow_close(x->fl);
	CHECK_INT_EQ(uv_run(&x->loop, UV_RUN_DEFAULT), 0);
	CHECK_INT_EQ(uv_loop_close(&x->loop), 0);
	agg_destroy(x->agg);
	setup_destroy(x->s);
	free(x->map);
	for (i = 0; i < x->nfields; i++) {
		free(x->field[i]);
		free(x->value[i]);
	}
	rm = xasprintf("rm -rf '%s'", x->base);
	CHECK(system(rm) == 0);
	free(rm);
	free(x->base);
	free(x->logs);
}

static void
note_field(struct fx *x, const char *field, const char *value)
{
	size_t i;

	for (i = 0; i < x->nfields; i++)
		if (strcmp(x->field[i], field) == 0)
			break;
	if (i == x->nfields) {
		CHECK(x->nfields < MAX_FIELDS);
		x->field[x->nfields++] = xstrdup(field);
	} else {
		free(x->value[i]);
	}
	x->value[i] = xstrdup(value);
}

/* Redis took batch b (the one in flight): its counts and offsets are
 * noted and committed, as the daemon does on OK. */
static void
fx_commit(struct fx *x, const struct batch *b)
{
	size_t i, c;

	for (i = 0; i < b->ncells; i++)
		for (c = 0; c < x->ncls; c++)
			x->count[c] += tally_get(b->cells[i].counts, c);
	for (i = 0; i < b->noffsets; i++)
		note_field(x, b->offsets[i].field, b->offsets[i].next);
	follow_committed(x->fl, b);
	agg_commit(x->agg);
}

/* A flush that Redis took at once. */
static void
fx_flush(struct fx *x)
{
	const struct batch *b = agg_cut(x->agg, x->wall);
	uint64_t fresh[ARRAY_SIZE(x->fresh)];
	size_t c;

	follow_take_fresh(x->fl, fresh, x->ncls);
	for (c = 0; c < x->ncls; c++)
		x->fresh[c] += fresh[c];
	if (b != NULL)
		fx_commit(x, b);
}

/* ms of both clocks pass; the safety net looks when rescan is set; then
 * a read and a flush. */
static void
fx_tick(struct fx *x, uint64_t ms, bool rescan)
{
	x->mono += ms;
	x->wall += ms;
	if (rescan)
		follow_rescan(x->fl, x->mono, x->wall);
	follow_read(x->fl, x->mono, x->wall, false);
	fx_flush(x);
}

/* n ticks with a rescan each. */
static void
fx_run(struct fx *x, int n)
{
	while (n-- > 0)
		fx_tick(x, TICK_MS, true);
}

static size_t
cls(const struct fx *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->ncls; i++)
		if (strcmp(table_class_name(x->s->table, i), name) == 0)
			return i;
	CHECK(!"no such class");
	return 0;
}

static uint64_t
count(const struct fx *x, const char *name)
{
	return x->count[cls(x, name)];
}

/* The offset last sent for the file now at path (dev:ino), or -1. */
static long long
sent_offset(const struct fx *x, const char *path)
{
	struct offset_rec rec;
	struct buf f = { 0 };
	struct stat st;
	long long r = -1;
	size_t i;

	if (stat(path, &st) == -1)
		return -1;
	keys_offset_field(&f, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	for (i = 0; i < x->nfields; i++)
		if (strcmp(x->field[i], f.p) == 0 &&
		    keys_offset_parse(x->field[i], x->value[i], &rec) == 0)
			r = (long long)rec.offset;
	buf_free(&f);
	return r;
}

static long long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* --- the cases ---------------------------------------------------------- */

/* A file there at the first start and one created later. */
static void
test_new_file(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a, *b;

	fx_open(&x, "new", &o);
	a = lpath(&x, "a.log");
	b = lpath(&x, "b.log");
	add_lines(a, 3, "461", "Punishment");
	fx_start(&x);
	fx_run(&x, 1);
	CHECK_UINT_EQ(count(&x, "Punishment"), 3);
	add_lines(b, 2, "473", "ServiceUnavailable");
	fx_run(&x, 1);
	CHECK_UINT_EQ(count(&x, "ServiceUnavailable"), 2);
	CHECK_INT_EQ(sent_offset(&x, a), file_size(a));
	CHECK_INT_EQ(sent_offset(&x, b), file_size(b));
	CHECK_UINT_EQ(follow_open_files(x.fl), 2);
	CHECK_UINT_EQ(follow_stats(x.fl)->lines, 5);
	CHECK_UINT_EQ(follow_stats(x.fl)->matched, 5);
	fx_close(&x);
	free(a);
	free(b);
}

/* SPEC §6 start_at: files of the very first start begin at their end (or
 * first byte); a file created later always at its first byte. */
static const struct {
	const char	*start_at;
	uint64_t	 first;		/* lines counted of the first file */
} start_cases[] = {
	{ "end", 0 },
	{ "beginning", 4 },
};

static void
test_start_at(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a, *b;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(start_cases); i++) {
		o.start_at = start_cases[i].start_at;
		fx_open(&x, "start", &o);
		a = lpath(&x, "a.log");
		b = lpath(&x, "b.log");
		add_lines(a, 4, "461", "Punishment");
		fx_start(&x);
		fx_run(&x, 1);
		CHECK_UINT_EQ(count(&x, "Punishment"), start_cases[i].first);
		CHECK_INT_EQ(sent_offset(&x, a), file_size(a));
		add_lines(a, 1, "461", "Punishment");
		add_lines(b, 2, "461", "Punishment");
		fx_run(&x, 1);
		CHECK_UINT_EQ(count(&x, "Punishment"),
		    start_cases[i].first + 3);
		fx_close(&x);
		free(a);
		free(b);
	}
}

/* Rename rotation: the old file is read on through a slow writer's
 * descriptor until it has been quiet for rotate_wait, then closed; the
 * new file is read from its first byte. */
static void
test_rename(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a, *a1;
	int wfd, i;

	fx_open(&x, "rename", &o);
	a = lpath(&x, "app.log");
	a1 = lpath(&x, "app.log.1");	/* no glob names it */
	add_lines(a, 2, "461", "Punishment");
	fx_start(&x);
	fx_run(&x, 1);
	wfd = open(a, O_WRONLY | O_APPEND | O_CLOEXEC);
	CHECK(wfd != -1);
	CHECK(rename(a, a1) == 0);
	add_lines(a, 1, "500", "InternalError");
	fx_run(&x, 1);
	CHECK_UINT_EQ(follow_stats(x.fl)->rotations, 1);
	CHECK_UINT_EQ(follow_open_files(x.fl), 2);
	/* the slow writer, every 600 ms for 3 s: never quiet for 1 s */
	for (i = 0; i < 5; i++) {
		CHECK_INT_EQ(write(wfd, "code=473 name=ServiceUnavailable\n",
		    33), 33);
		fx_tick(&x, 600, true);
		CHECK_UINT_EQ(follow_open_files(x.fl), 2);
	}
	close(wfd);
	CHECK_UINT_EQ(count(&x, "ServiceUnavailable"), 5);
	fx_tick(&x, 999, true);		/* quiet since this read */
	fx_tick(&x, 999, true);
	CHECK_UINT_EQ(follow_open_files(x.fl), 2);
	fx_tick(&x, 1, true);		/* rotate_wait */
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	CHECK_UINT_EQ(count(&x, "Punishment"), 2);
	CHECK_UINT_EQ(count(&x, "InternalError"), 1);
	CHECK_UINT_EQ(count(&x, "ServiceUnavailable"), 5);
	CHECK_UINT_EQ(follow_stats(x.fl)->lines, 8);
	fx_close(&x);
	free(a);
	free(a1);
}

/* copytruncate: the copy (app.log.1, followed too) is recognised, and
 * only its bytes past where the original had been read are counted. */
static void
test_copytruncate(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a, *a1, *cp;

	o.exclude = "[\"*.gz\"]";
	fx_open(&x, "copytrunc", &o);
	a = lpath(&x, "app.log");
	a1 = lpath(&x, "app.log-1.log");	/* a copy's name, followed */
	fx_start(&x);
	add_lines(a, 5, "461", "Punishment");
	fx_run(&x, 1);
	CHECK_UINT_EQ(count(&x, "Punishment"), 5);
	/* lines written after our read, then copied (to a name the glob
	 * follows) and truncated */
	add_lines(a, 2, "500", "InternalError");
	cp = xasprintf("cp '%s' '%s' && : > '%s'", a, a1, a);
	CHECK(system(cp) == 0);
	free(cp);
	add_lines(a, 1, "473", "ServiceUnavailable");
	fx_run(&x, 6);
	CHECK_UINT_EQ(count(&x, "Punishment"), 5);
	CHECK_UINT_EQ(count(&x, "InternalError"), 2);
	CHECK_UINT_EQ(count(&x, "ServiceUnavailable"), 1);
	CHECK_UINT_EQ(follow_stats(x.fl)->truncations, 1);
	CHECK_INT_EQ(sent_offset(&x, a), file_size(a));
	CHECK_INT_EQ(sent_offset(&x, a1), file_size(a1));
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	fx_close(&x);
	free(a);
	free(a1);
}

/* Truncation to 0, and truncate-and-regrow past the offset between two
 * looks: reading restarts at 0, nothing is read from the middle. */
static void
test_truncate(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a;

	fx_open(&x, "truncate", &o);
	a = lpath(&x, "app.log");
	add_lines(a, 4, "461", "Punishment");
	fx_start(&x);
	fx_run(&x, 1);
	CHECK(truncate(a, 0) == 0);
	fx_run(&x, 1);
	CHECK_UINT_EQ(follow_stats(x.fl)->truncations, 1);
	CHECK_INT_EQ(sent_offset(&x, a), 0);
	add_lines(a, 1, "500", "InternalError");
	fx_run(&x, 1);
	CHECK_UINT_EQ(count(&x, "InternalError"), 1);
	/* regrown past the offset before the next look */
	put(a, "", O_TRUNC);
	add_lines(a, 6, "473", "ServiceUnavailable");
	fx_tick(&x, TICK_MS, false);	/* the read alone sees it */
	CHECK_UINT_EQ(follow_stats(x.fl)->truncations, 2);
	CHECK_UINT_EQ(count(&x, "ServiceUnavailable"), 6);
	CHECK_UINT_EQ(count(&x, "Punishment"), 4);
	CHECK_INT_EQ(sent_offset(&x, a), file_size(a));
	fx_close(&x);
	free(a);
}

/* Deleted while open: read to its end and closed within rotate_wait. */
static void
test_delete(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a;
	int wfd;

	fx_open(&x, "delete", &o);
	a = lpath(&x, "app.log");
	add_lines(a, 2, "461", "Punishment");
	fx_start(&x);
	fx_run(&x, 1);
	wfd = open(a, O_WRONLY | O_APPEND | O_CLOEXEC);
	CHECK(wfd != -1);
	CHECK(unlink(a) == 0);
	CHECK_INT_EQ(write(wfd, "code=500 name=InternalError\n", 28), 28);
	close(wfd);
	fx_run(&x, 1);
	CHECK_UINT_EQ(count(&x, "InternalError"), 1);
	CHECK_UINT_EQ(follow_stats(x.fl)->rotations, 1);
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	fx_run(&x, 4);			/* 750 ms quiet */
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	fx_run(&x, 1);			/* rotate_wait */
	CHECK_UINT_EQ(follow_open_files(x.fl), 0);
	CHECK_UINT_EQ(count(&x, "Punishment"), 2);
	fx_close(&x);
	free(a);
}

/* A symlinked path whose target changes: the old target is drained, the
 * new one read from its first byte. */
static void
test_symlink(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *lnk, *ta, *tb, *tmp;

	fx_open(&x, "symlink", &o);
	lnk = lpath(&x, "app.log");
	ta = xasprintf("%s/target-a", x.base);
	tb = xasprintf("%s/target-b", x.base);
	tmp = lpath(&x, "app.tmp");
	add_lines(ta, 3, "461", "Punishment");
	add_lines(tb, 2, "500", "InternalError");
	CHECK(symlink(ta, lnk) == 0);
	fx_start(&x);
	fx_run(&x, 1);
	CHECK_UINT_EQ(count(&x, "Punishment"), 3);
	CHECK(symlink(tb, tmp) == 0);
	CHECK(rename(tmp, lnk) == 0);
	add_lines(ta, 1, "461", "Punishment");	/* still read */
	fx_run(&x, 1);
	CHECK_UINT_EQ(follow_stats(x.fl)->rotations, 1);
	fx_run(&x, 6);
	CHECK_UINT_EQ(count(&x, "Punishment"), 4);
	CHECK_UINT_EQ(count(&x, "InternalError"), 2);
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	fx_close(&x);
	free(lnk);
	free(ta);
	free(tb);
	free(tmp);
}

/* A last line without '\n' is held while the file is followed at its
 * path, and counts once when the file is rotated away and quiet for
 * rotate_wait. */
static void
test_partial_line(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a, *a1;

	fx_open(&x, "partial", &o);
	a = lpath(&x, "app.log");
	a1 = lpath(&x, "app.log.1");
	add_lines(a, 1, "473", "ServiceUnavailable");
	put(a, "code=461 name=Punishment", O_APPEND);
	fx_start(&x);
	fx_run(&x, 8);
	CHECK_UINT_EQ(count(&x, "Punishment"), 0);
	CHECK_INT_EQ(sent_offset(&x, a), file_size(a) - 24);
	CHECK(rename(a, a1) == 0);
	fx_run(&x, 4);			/* 1 s: not yet */
	CHECK_UINT_EQ(count(&x, "Punishment"), 0);
	fx_run(&x, 1);
	CHECK_UINT_EQ(count(&x, "Punishment"), 1);
	CHECK_INT_EQ(sent_offset(&x, a1), file_size(a1));
	fx_run(&x, 8);
	CHECK_UINT_EQ(count(&x, "Punishment"), 1);
	CHECK_UINT_EQ(count(&x, "ServiceUnavailable"), 1);
	fx_close(&x);
	free(a);
	free(a1);
}

/* Lines in stderr's capture that contain s. */
static int
count_in(const char *path, const char *s)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, s) != NULL)
			n++;
	fclose(f);
	return n;
}

/* An unreadable file is logged once, retried at each rescan, and read
 * from its first byte once readable. */
static void
test_eacces(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a, *cap;
	int fd, saved;

	if (geteuid() == 0) {
		printf("SKIP: test_eacces: root reads any file\n");
		return;
	}
	fx_open(&x, "eacces", &o);
	a = lpath(&x, "app.log");
	cap = xasprintf("%s/stderr", x.base);
	add_lines(a, 2, "461", "Punishment");
	CHECK(chmod(a, 0) == 0);
	fflush(stderr);
	saved = dup(2);
	fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(saved != -1 && fd != -1);
	CHECK(dup2(fd, 2) == 2);
	fx_start(&x);
	fx_run(&x, 5);
	CHECK_UINT_EQ(count(&x, "Punishment"), 0);
	CHECK(chmod(a, 0644) == 0);
	fx_run(&x, 2);
	CHECK(dup2(saved, 2) == 2);
	close(saved);
	close(fd);
	CHECK_INT_EQ(count_in(cap, "Permission denied"), 1);
	CHECK_INT_EQ(count_in(cap, "readable again"), 1);
	CHECK_UINT_EQ(count(&x, "Punishment"), 2);
	fx_close(&x);
	free(a);
	free(cap);
}

/* A closed file's inode reused by a new file: the new file is read from
 * its first byte, whatever the old record said. */
static void
test_inode_reuse(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a, *a1;

	fx_open(&x, "reuse", &o);
	a = lpath(&x, "app.log");
	a1 = lpath(&x, "app-1.log");	/* followed too */
	add_lines(a, 6, "461", "Punishment");
	fx_start(&x);
	fx_run(&x, 1);
	CHECK(rename(a, a1) == 0);
	fx_run(&x, 6);			/* rotated, drained and closed */
	CHECK_UINT_EQ(follow_stats(x.fl)->rotations, 1);
	CHECK_UINT_EQ(follow_open_files(x.fl), 0);
	CHECK_INT_EQ(sent_offset(&x, a1), file_size(a1));
	/* the same inode, other content: a new file on a reused inode */
	put(a1, "", O_TRUNC);
	add_lines(a1, 8, "500", "InternalError");
	fx_run(&x, 2);
	CHECK_UINT_EQ(count(&x, "InternalError"), 8);
	CHECK_UINT_EQ(count(&x, "Punishment"), 6);
	CHECK_INT_EQ(sent_offset(&x, a1), file_size(a1));
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	fx_close(&x);
	free(a);
	free(a1);
}

/* The same with heads of full fingerprint length (TAILER_FP_LEN bytes
 * and more, old file and new): the new file differs from the closed one
 * in its head, not in how much of it the fingerprint covers. Its content
 * is written at once, as a writer that creates a file and writes a block
 * does before the scan sees it; shorter and longer than the old file. */
static void
test_inode_reuse_long(void)
{
	static const int newer[] = { 25, 60 };	/* lines; the old had 40 */
	struct opts o = { 0 };
	struct fx x;
	char *a, *a1;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(newer); i++) {
		fx_open(&x, "reuse-long", &o);
		a = lpath(&x, "app.log");
		a1 = lpath(&x, "app-1.log");
		add_lines(a, 40, "461", "Punishment");
		CHECK(file_size(a) > 1024);
		fx_start(&x);
		fx_run(&x, 1);
		CHECK(rename(a, a1) == 0);
		fx_run(&x, 6);		/* rotated, drained and closed */
		CHECK_UINT_EQ(follow_open_files(x.fl), 0);
		CHECK_INT_EQ(sent_offset(&x, a1), file_size(a1));
		/* a new file on the inode, more than a fingerprint long at
		 * the first scan that sees it */
		put(a1, "", O_TRUNC);
		add_lines(a1, newer[i], "500", "InternalError");
		CHECK(file_size(a1) > 1024);
		fx_run(&x, 2);
		CHECK_UINT_EQ(count(&x, "InternalError"), (uint64_t)newer[i]);
		CHECK_UINT_EQ(count(&x, "Punishment"), 40);
		CHECK_INT_EQ(sent_offset(&x, a1), file_size(a1));
		CHECK_UINT_EQ(follow_open_files(x.fl), 1);
		fx_close(&x);
		free(a);
		free(a1);
	}
}

/* A closed file that grows again while the batch with its last move is
 * still in flight (Redis slow to answer, or away): it reads on from
 * where it stopped, not from the record Redis held before that batch
 * (the lines between were counted once already, SPEC §8). */
static void
test_reopen_inflight(void)
{
	struct opts o = { 0 };
	const struct batch *b;
	struct fx x;
	char *a, *a1;
	int i;

	fx_open(&x, "reopen-inflight", &o);
	a = lpath(&x, "app.log");
	a1 = lpath(&x, "app-1.log");
	add_lines(a, 3, "461", "Punishment");
	fx_start(&x);
	fx_run(&x, 1);
	CHECK(rename(a, a1) == 0);
	fx_run(&x, 6);			/* rotated, drained and closed */
	CHECK_UINT_EQ(follow_open_files(x.fl), 0);
	/* a slow writer: read, and cut into a batch whose reply is late */
	add_lines(a1, 2, "461", "Punishment");
	x.mono += TICK_MS;
	x.wall += TICK_MS;
	follow_rescan(x.fl, x.mono, x.wall);
	follow_read(x.fl, x.mono, x.wall, false);
	b = agg_cut(x.agg, x.wall);
	CHECK(b != NULL);
	for (i = 0; i < 6; i++) {	/* quiet again: closed */
		x.mono += TICK_MS;
		x.wall += TICK_MS;
		follow_rescan(x.fl, x.mono, x.wall);
		follow_read(x.fl, x.mono, x.wall, false);
	}
	CHECK_UINT_EQ(follow_open_files(x.fl), 0);
	/* it grows once more before the reply comes */
	add_lines(a1, 1, "461", "Punishment");
	x.mono += TICK_MS;
	x.wall += TICK_MS;
	follow_rescan(x.fl, x.mono, x.wall);
	follow_read(x.fl, x.mono, x.wall, false);
	fx_commit(&x, b);
	fx_run(&x, 2);
	CHECK_UINT_EQ(count(&x, "Punishment"), 6);
	CHECK_INT_EQ(sent_offset(&x, a1), file_size(a1));
	fx_close(&x);
	free(a);
	free(a1);
}

/* max_open_files: idle files give up their descriptors and are reopened
 * by identity when they grow; a parked file that goes is retired with
 * its held line counted and its offset sent. */
static void
test_max_open(void)
{
	struct opts o = { 0 };
	char *p[4];
	struct fx x;
	int i;

	o.max_open = 2;
	fx_open(&x, "maxopen", &o);
	for (i = 0; i < 4; i++) {
		p[i] = xasprintf("%s/f%d.log", x.logs, i);
		add_lines(p[i], i + 1, "461", "Punishment");
	}
	put(p[3], "code=500 name=InternalError ", O_APPEND);
	fx_start(&x);
	fx_run(&x, 2);
	CHECK_UINT_EQ(count(&x, "Punishment"), 10);
	CHECK_UINT_EQ(follow_open_files(x.fl), 2);
	for (i = 0; i < 4; i++) {
		add_lines(p[i], 1, "473", "ServiceUnavailable");
		fx_run(&x, 2);
		CHECK_UINT_EQ(follow_open_files(x.fl), 2);
	}
	/* f3's held "code=500 name=InternalError " took its line: the
	 * first match of a line counts */
	CHECK_UINT_EQ(count(&x, "ServiceUnavailable"), 3);
	CHECK_UINT_EQ(count(&x, "InternalError"), 1);
	for (i = 0; i < 4; i++)
		CHECK_INT_EQ(sent_offset(&x, p[i]), file_size(p[i]));
	CHECK(unlink(p[0]) == 0);
	CHECK(unlink(p[1]) == 0);
	put(p[2], "code=461 name=Punishment", O_APPEND);
	fx_run(&x, 2);
	CHECK_UINT_EQ(count(&x, "Punishment"), 10);
	CHECK(unlink(p[2]) == 0);
	fx_run(&x, 8);
	CHECK_UINT_EQ(count(&x, "Punishment"), 11);
	CHECK_UINT_EQ(follow_stats(x.fl)->lines, 15);
	add_lines(p[3], 1, "461", "Punishment");
	fx_run(&x, 1);
	CHECK_UINT_EQ(count(&x, "Punishment"), 12);
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	fx_close(&x);
	for (i = 0; i < 4; i++)
		free(p[i]);
}

/* exclude globs: without '/' matched on the base name. */
static void
test_exclude(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a, *b;

	o.exclude = "[\"skip-*\"]";
	fx_open(&x, "exclude", &o);
	a = lpath(&x, "app.log");
	b = lpath(&x, "skip-me.log");
	add_lines(a, 2, "461", "Punishment");
	add_lines(b, 3, "500", "InternalError");
	fx_start(&x);
	fx_run(&x, 2);
	CHECK_UINT_EQ(count(&x, "Punishment"), 2);
	CHECK_UINT_EQ(count(&x, "InternalError"), 0);
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	CHECK_INT_EQ(sent_offset(&x, b), -1);
	fx_close(&x);
	free(a);
	free(b);
}

/* Issue 10: a line longer than max_line cut by the line splitter counts
 * in long_lines when it is cut, while the file is open. */
static void
test_long_lines_live(void)
{
	struct opts o = { 0 };
	struct buf l = { 0 };
	struct fx x;
	char *a;
	int i;

	o.max_line = 256;
	fx_open(&x, "longlines", &o);
	a = lpath(&x, "app.log");
	fx_start(&x);
	buf_puts(&l, "code=461 name=Punishment ");
	for (i = 0; i < 400; i++)
		buf_puts(&l, "x");
	put(a, l.p, O_APPEND);		/* held: no newline yet */
	fx_run(&x, 1);
	put(a, "\n", O_APPEND);
	fx_run(&x, 1);
	CHECK_UINT_EQ(count(&x, "Punishment"), 1);
	CHECK_UINT_EQ(follow_stats(x.fl)->long_lines, 1);
	CHECK_UINT_EQ(follow_stats(x.fl)->lines, 1);
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	fx_close(&x);
	buf_free(&l);
	free(a);
}

/* The stored record of field, as sent last. */
static const char *
sent_value(const struct fx *x, const char *field)
{
	size_t i;

	for (i = 0; i < x->nfields; i++)
		if (strcmp(x->field[i], field) == 0)
			return x->value[i];
	CHECK(!"no such field");
	return NULL;
}

/* SPEC §8: after a CONFLICT (unplace, older stored offsets, re-read) agg
 * counts the re-read lines again, the detector's fresh counts do not. A
 * closed file whose record Redis still holds at its end is reopened and
 * counts nothing. */
static void
test_fresh_after_conflict(void)
{
	struct opts o = { 0 };
	char *fa, *old, *fc, *cval;
	struct buf f = { 0 };
	struct stat st;
	struct fx x;
	char *a, *c, *c1;
	size_t p = 0;
	int fds;

	fx_open(&x, "fresh", &o);
	a = lpath(&x, "app.log");
	c = lpath(&x, "c.log");
	c1 = lpath(&x, "c-1.log");	/* followed too */
	add_lines(a, 3, "461", "Punishment");
	add_lines(c, 5, "500", "InternalError");
	fx_start(&x);
	fx_run(&x, 1);
	CHECK(stat(a, &st) == 0);
	keys_offset_field(&f, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	fa = xstrdup(f.p);
	old = xstrdup(sent_value(&x, fa));	/* 3 lines in */
	buf_reset(&f);
	CHECK(stat(c, &st) == 0);
	keys_offset_field(&f, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
	fc = xstrdup(f.p);
	CHECK(rename(c, c1) == 0);	/* rotated, drained, closed */
	add_lines(a, 4, "461", "Punishment");
	fx_run(&x, 6);
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	cval = xstrdup(sent_value(&x, fc));
	CHECK_UINT_EQ(count(&x, "Punishment"), 7);
	p = cls(&x, "Punishment");
	CHECK_UINT_EQ(x.fresh[p], 7);
	/* CONFLICT: Redis holds the older record of app.log */
	fds = count_fds();
	agg_drop_all(x.agg);
	follow_unplace(x.fl);
	follow_stored_begin(x.fl);
	follow_stored_add(x.fl, fa, strlen(fa), old, strlen(old));
	follow_stored_add(x.fl, fc, strlen(fc), cval, strlen(cval));
	follow_stored_done(x.fl);
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	CHECK_INT_EQ(count_fds(), fds);		/* c-1.log stays closed */
	add_lines(a, 2, "461", "Punishment");
	fx_run(&x, 8);
	CHECK_UINT_EQ(count(&x, "Punishment"), 13);	/* 4 again, 2 new */
	CHECK_UINT_EQ(x.fresh[p], 9);
	CHECK_UINT_EQ(count(&x, "InternalError"), 5);
	CHECK_INT_EQ(sent_offset(&x, a), file_size(a));
	CHECK_INT_EQ(sent_offset(&x, c1), file_size(c1));
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	CHECK_INT_EQ(count_fds(), fds);
	/* a truncation starts anew: its lines are fresh */
	put(a, "", O_TRUNC);
	add_lines(a, 1, "461", "Punishment");
	fx_run(&x, 1);
	CHECK_UINT_EQ(x.fresh[p], 10);
	fx_close(&x);
	buf_free(&f);
	free(fa);
	free(fc);
	free(old);
	free(cval);
	free(a);
	free(c);
	free(c1);
}

/* SPEC §6 last points: the wall clock stepped back and forward an hour
 * while a rotated file drains: it closes exactly rotate_wait of
 * monotonic time after its last growth, and every line counts once. */
static void
test_clock_steps(void)
{
	struct opts o = { 0 };
	struct fx x;
	char *a, *a1;
	int i;

	fx_open(&x, "clock", &o);
	a = lpath(&x, "app.log");
	a1 = lpath(&x, "app.log.1");
	add_lines(a, 2, "461", "Punishment");
	fx_start(&x);
	fx_run(&x, 1);
	CHECK(rename(a, a1) == 0);
	add_lines(a1, 3, "500", "InternalError");
	fx_tick(&x, TICK_MS, true);	/* rotated; growth read: not quiet */
	fx_tick(&x, TICK_MS, true);	/* quiet from here */
	x.wall -= 3600 * 1000;		/* stepped back an hour */
	for (i = 0; i < 3; i++) {
		fx_tick(&x, TICK_MS, true);
		CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	}
	x.wall += 2 * 3600 * 1000;	/* and forward an hour */
	fx_tick(&x, TICK_MS - 1, true);
	CHECK_UINT_EQ(follow_open_files(x.fl), 1);
	fx_tick(&x, 1, true);		/* 1000 ms of monotonic quiet */
	CHECK_UINT_EQ(follow_open_files(x.fl), 0);
	fx_run(&x, 4);
	CHECK_UINT_EQ(count(&x, "Punishment"), 2);
	CHECK_UINT_EQ(count(&x, "InternalError"), 3);
	CHECK_UINT_EQ(x.fresh[cls(&x, "InternalError")], 3);
	CHECK_UINT_EQ(follow_stats(x.fl)->lines, 5);
	fx_close(&x);
	free(a);
	free(a1);
}

int
main(void)
{
	uv_loop_t loop;
	char *rm;
	int fds;

	/* libuv's first loop opens its process-wide signal pipe: count
	 * from after it */
	CHECK_INT_EQ(uv_loop_init(&loop), 0);
	CHECK_INT_EQ(uv_loop_close(&loop), 0);
	fds = count_fds();
	snprintf(dir, sizeof(dir), "/tmp/ew-follow-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	test_new_file();
	test_start_at();
	test_rename();
	test_copytruncate();
	test_truncate();
	test_delete();
	test_symlink();
	test_partial_line();
	test_eacces();
	test_inode_reuse();
	test_inode_reuse_long();
	test_reopen_inflight();
	test_max_open();
	test_exclude();
	test_long_lines_live();
	test_fresh_after_conflict();
	test_clock_steps();
	CHECK_INT_EQ(count_fds(), fds);
	rm = xasprintf("rm -rf '%s'", dir);
	CHECK(system(rm) == 0);
	free(rm);
	CHECK_DONE();
}
