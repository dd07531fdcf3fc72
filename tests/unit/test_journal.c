/*
 * test_journal: the cursor record (a table of values), MESSAGE to one
 * line, the field test; then a real journal directory written by
 * systemd-journal-remote (skipped when it is not installed): --scan's
 * reader, and the daemon's reader on a real loop placed at start_at,
 * at a stored cursor (the entry there is not counted again), and after
 * a CONFLICT (the entries read again count in agg but not as fresh);
 * a reload that changes the input's units goes on from its position;
 * records of inputs no longer configured are dropped after a day.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "agg.h"
#include "base.h"
#include "check.h"
#include "config.h"
#include "journal.h"
#include "keys.h"
#include "setup.h"
#include "table.h"
#include "tally.h"

#define REMOTE	"/lib/systemd/systemd-journal-remote"
#define CUR	"s=3b6b;i=a;b=0123;m=5;t=6619;x=eeca"

static const struct {
	const char	*value;
	int		 ret;
	uint64_t	 seen_s;
	const char	*cursor;
} recs[] = {
	{ "1796134161 " CUR, 0, 1796134161, CUR },
	{ "0 x", 0, 0, "x" },
	{ "17 ", -EINVAL, 0, NULL },		/* no cursor */
	{ "17", -EINVAL, 0, NULL },
	{ " " CUR, -EINVAL, 0, NULL },		/* no seen_s */
	{ "17 a b", -EINVAL, 0, NULL },		/* a space in the cursor */
	{ "17 a\nb", -EINVAL, 0, NULL },
	{ "x17 " CUR, -EINVAL, 0, NULL },
	{ "99999999999999999999999 a", -EINVAL, 0, NULL },
	{ "", -EINVAL, 0, NULL },
};

static void
test_records(void)
{
	struct journal_rec r;
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(recs); i++) {
		memset(&r, 0, sizeof(r));
		CHECK_INT_EQ(journal_rec_parse(recs[i].value,
		    strlen(recs[i].value), &r), recs[i].ret);
		if (recs[i].ret != 0)
			continue;
		CHECK_UINT_EQ(r.seen_s, recs[i].seen_s);
		CHECK_STR_EQ(r.cursor, recs[i].cursor);
		buf_reset(&b);
		journal_rec_value(&b, &r);
		CHECK_STR_EQ(b.p, recs[i].value);	/* round trip */
	}
	/* a cursor too long for the record */
	buf_reset(&b);
	buf_puts(&b, "1 ");
	for (i = 0; i < JOURNAL_CURSOR_MAX; i++)
		buf_puts(&b, "c");
	CHECK_INT_EQ(journal_rec_parse(b.p, b.len, &r), -EINVAL);
	buf_free(&b);

	CHECK(journal_is_field("journal:units", 13));
	CHECK(journal_is_field("journal:", 8));
	CHECK(!journal_is_field("journal", 7));
	CHECK(!journal_is_field("2049:1234", 9));
}

static const struct {
	const char	*msg;
	size_t		 len;
	const char	*line;
	size_t		 line_len;
} lines[] = {
	{ "code=461", 8, "code=461\n", 9 },
	{ "", 0, "\n", 1 },
	{ "a\nb\n", 4, "a b \n", 5 },		/* SPEC §16: one line */
	{ "a\r", 2, "a\r\n", 3 },		/* \r: match drops it */
	{ "x\0y", 3, "x\0y\n", 4 },		/* bytes, not a string */
};

static void
test_lines(void)
{
	struct buf b = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		buf_reset(&b);
		buf_puts(&b, "");
		journal_line(&b, lines[i].msg, lines[i].len);
		CHECK_MEM_EQ(b.p, b.len, lines[i].line, lines[i].line_len);
	}
	buf_free(&b);
}

/* --- a real journal ---------------------------------------------------- */

static char dir[] = "/tmp/ew-test-journal-XXXXXX";
static char jdir[sizeof(dir) + 16];

/* Appends n entries of unit (code=461 for the first unit, 473 for the
 * other) through systemd-journal-remote. */
static void
write_entries(const char *unit, int code, int n, uint64_t *t)
{
	char *path = xasprintf("%s/export", dir);
	char *out = xasprintf("--output=%s/remote.journal", jdir);
	FILE *f = fopen(path, "w");
	pid_t pid;
	int i, st;

	CHECK(f != NULL);
	for (i = 0; i < n; i++, (*t)++)
		fprintf(f, "__REALTIME_TIMESTAMP=%llu\n"
		    "__MONOTONIC_TIMESTAMP=%llu\n"
		    "_BOOT_ID=0123456789abcdef0123456789abcdef\n"
		    "_SYSTEMD_UNIT=%s\nMESSAGE=code=%d seq=%llu\n\n",
		    (unsigned long long)(1700000000000000ULL + *t),
		    (unsigned long long)(1000 + *t), unit, code,
		    (unsigned long long)*t);
	CHECK(fclose(f) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		execl(REMOTE, REMOTE, out, path, (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(path);
	free(out);
}

static struct setup *
load(const char *start_at, const char *units)
{
	char *cfg = xasprintf("%s/c.yaml", dir);
	const char *src = getenv("EW_SRC");
	struct ew_err err = { 0 };
	struct setup *s;
	FILE *f = fopen(cfg, "w");

	CHECK(f != NULL);
	fprintf(f, "host: h\ntable: %s/data/error-codes.tsv\ninputs:\n"
	    "  - name: j\n    journal: {directory: %s, units: [%s]}\n"
	    "    start_at: %s\n", src ? src : "..", jdir, units, start_at);
	CHECK(fclose(f) == 0);
	s = setup_load(cfg, SETUP_INPUTS, &err);
	if (s == NULL)
		fprintf(stderr, "%s:%d: %s\n", err.file, err.line, err.msg);
	CHECK(s != NULL);
	free(cfg);
	return s;
}

struct scan_count {
	size_t	 lines;
	size_t	 c461;
};

static void
scan_block_cb(void *arg, const char *buf, size_t len)
{
	struct scan_count *c = arg;
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		CHECK(nl != NULL);
		c->lines++;
		if (nl - p >= 8 && memcmp(p, "code=461", 8) == 0)
			c->c461++;
		p = nl + 1;
	}
}

static void
test_scan(void)
{
	struct setup *s = load("end", "a.service");
	struct scan_count c = { 0 };
	struct ew_err err = { 0 };
	uint64_t entries;

	CHECK_INT_EQ(journal_scan(&s->cfg->inputs[0], scan_block_cb, &c,
	    &entries, &err), 0);
	CHECK_UINT_EQ(entries, 30);	/* the units filter: a.service only */
	CHECK_UINT_EQ(c.lines, 30);
	CHECK_UINT_EQ(c.c461, 30);
	setup_destroy(s);
}

/* What one cut of agg holds: Punishment (461) lines and the record. */
struct cut {
	uint64_t	 n461;
	char		*rec;
};

static void
take_cut(struct agg *a, const struct table *t, const size_t *map,
    struct cut *out)
{
	const struct batch *b = agg_cut(a, 1);
	size_t i, cls = map[table_classify(t, "", 0, "461", 3)];

	memset(out, 0, sizeof(*out));
	if (b == NULL)
		return;
	for (i = 0; i < b->ncells; i++)
		out->n461 += tally_get(b->cells[i].counts, cls);
	for (i = 0; i < b->noffsets; i++)
		if (strcmp(b->offsets[i].field, "journal:j") == 0)
			out->rec = xstrdup(b->offsets[i].next);
	agg_commit(a);
}

static void
test_reader(void)
{
	struct setup *s = load("end", "a.service");
	size_t n = table_nclasses(s->table), i, *map;
	struct agg *a = agg_create(SETUP_MAX_CLASSES, 10);
	uint64_t fresh[SETUP_MAX_CLASSES], t = 1000;
	struct journal_rec rec;
	struct journal *jn;
	struct cut c;
	uv_loop_t loop;
	char *stored;

	map = xcalloc(n, sizeof(*map));
	for (i = 0; i < n; i++)
		map[i] = i;
	CHECK(uv_loop_init(&loop) == 0);

	/* first start, start_at end: the 30 entries there are history */
	jn = journal_create(&loop, s, a, map, table_unclassified(s->table));
	journal_start(jn, true);
	journal_stored_begin(jn);
	journal_stored_add(jn, "1:2", 3, "0 0 0 0 0 /x", 12);	/* a file's */
	journal_stored_done(jn);
	journal_read(jn, 1000, false);
	take_cut(a, s->table, map, &c);
	CHECK_UINT_EQ(c.n461, 0);
	CHECK(c.rec != NULL);	/* the tail's cursor, stored even so */
	stored = c.rec;
	CHECK_INT_EQ(journal_rec_parse(stored, strlen(stored), &rec), 0);
	CHECK_UINT_EQ(rec.seen_s, 1);

	write_entries("a.service", 461, 5, &t);
	write_entries("b.service", 461, 4, &t);
	journal_read(jn, 2000, false);
	take_cut(a, s->table, map, &c);
	CHECK_UINT_EQ(c.n461, 5);
	memset(fresh, 0, sizeof(fresh));
	journal_take_fresh(jn, fresh, SETUP_MAX_CLASSES);
	CHECK_UINT_EQ(fresh[map[table_classify(s->table, "", 0, "461", 3)]],
	    5);

	/* CONFLICT, Redis back at the first record: the 5 again, not
	 * fresh; the entry at the stored cursor is not counted again */
	journal_unplace(jn);
	agg_drop_all(a);
	journal_stored_begin(jn);
	journal_stored_add(jn, "journal:j", 9, stored, strlen(stored));
	journal_stored_done(jn);
	journal_read(jn, 3000, false);
	free(c.rec);
	take_cut(a, s->table, map, &c);
	CHECK_UINT_EQ(c.n461, 5);
	memset(fresh, 0, sizeof(fresh));
	journal_take_fresh(jn, fresh, SETUP_MAX_CLASSES);
	CHECK_UINT_EQ(fresh[map[table_classify(s->table, "", 0, "461", 3)]],
	    0);
	write_entries("a.service", 461, 2, &t);
	journal_read(jn, 4000, false);
	free(c.rec);
	take_cut(a, s->table, map, &c);
	CHECK_UINT_EQ(c.n461, 2);
	memset(fresh, 0, sizeof(fresh));
	journal_take_fresh(jn, fresh, SETUP_MAX_CLASSES);
	CHECK_UINT_EQ(fresh[map[table_classify(s->table, "", 0, "461", 3)]],
	    2);
	free(c.rec);
	CHECK_UINT_EQ(journal_stats(jn)->lines, 5 + 5 + 2);
	CHECK_UINT_EQ(journal_ninputs(jn), 1);
	journal_close(jn);
	CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
	CHECK(uv_loop_close(&loop) == 0);
	free(stored);
	free(map);
	agg_destroy(a);
	setup_destroy(s);
}

static void
test_reload(void)
{
	struct setup *s = load("beginning", "a.service"), *s2;
	size_t n = table_nclasses(s->table), i, *map;
	struct agg *a = agg_create(SETUP_MAX_CLASSES, 10);
	uint64_t t = 5000;
	struct argv drop = { 0 };
	struct journal *jn;
	struct cut c;
	uv_loop_t loop;

	map = xcalloc(n, sizeof(*map));
	for (i = 0; i < n; i++)
		map[i] = i;
	CHECK(uv_loop_init(&loop) == 0);
	jn = journal_create(&loop, s, a, map, table_unclassified(s->table));
	journal_start(jn, true);
	journal_stored_begin(jn);
	journal_stored_add(jn, "journal:old", 11, "100 x", 5);
	journal_stored_add(jn, "journal:new", 11, "90000 y", 7);
	journal_stored_done(jn);
	journal_read(jn, 1000, false);
	take_cut(a, s->table, map, &c);
	CHECK_UINT_EQ(c.n461, 37);	/* every a.service entry so far */
	journal_committed(jn, agg_inflight(a));
	free(c.rec);

	/* records of inputs not configured: dropped after a day */
	journal_gone_fields(jn, 86500, &drop);
	CHECK_UINT_EQ(drop.n, 1);
	CHECK_STR_EQ(drop.v[0], "journal:old");
	argv_free(&drop);

	/* the units change: the new reader goes on after the old one's
	 * last entry, and now b.service counts too */
	s2 = load("beginning", "a.service, b.service");
	journal_reload(jn, s2, map, table_unclassified(s2->table));
	CHECK_UINT_EQ(journal_ninputs(jn), 1);
	write_entries("a.service", 461, 3, &t);
	write_entries("b.service", 461, 2, &t);
	journal_read(jn, 2000, false);
	take_cut(a, s2->table, map, &c);
	CHECK_UINT_EQ(c.n461, 5);
	free(c.rec);
	journal_close(jn);
	CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
	CHECK(uv_loop_close(&loop) == 0);
	free(map);
	agg_destroy(a);
	setup_destroy(s);
	setup_destroy(s2);
}

int
main(void)
{
	uint64_t t = 0;
	char *cmd;

	test_records();
	test_lines();
	if (access(REMOTE, X_OK) != 0) {
		printf("SKIP: %s is not installed\n", REMOTE);
		return 77;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(jdir, sizeof(jdir), "%s/j", dir);
	CHECK(mkdir(jdir, 0755) == 0 || errno == EEXIST);
	write_entries("a.service", 461, 30, &t);
	write_entries("b.service", 473, 10, &t);
	test_scan();
	test_reader();
	test_reload();
	cmd = xasprintf("rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	free(cmd);
	CHECK_DONE();
	return 0;
}
