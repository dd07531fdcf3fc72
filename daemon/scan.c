/*
 * scan: reads each file in large blocks, hands whole lines to the input's
 * matcher and tallies the classes. One lines stream per file, so a line
 * never runs from one file into the next. A journal input named by
 * --input with no FILE is read from its oldest entry instead (SPEC §16:
 * journal hands over each MESSAGE as a line). Owns nothing past scan_run.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "config.h"
#include "journal.h"
#include "lines.h"
#include "log.h"
#include "match.h"
#include "scan.h"
#include "setup.h"
#include "table.h"
#include "tally.h"

#define SCAN_READ_SIZE	(256u << 10)	/* bytes per read(2): stays in L2 */

struct scan_ctx {
	const struct table	*table;
	struct matcher		*m;
	size_t			 max_line;
	struct tally		*tally;
	struct match_stats	 st;
};

static void
hit_cb(void *arg, const char *code, size_t code_len, const char *name,
    size_t name_len)
{
	struct scan_ctx *c = arg;
	size_t cls;

	cls = table_classify(c->table, name, name_len, code, code_len);
	tally_add(c->tally, cls, 1);
	if (cls == table_unclassified(c->table)) {
		if (code_len > 0)
			tally_add_uncl(c->tally, code, code_len, 1);
		else
			tally_add_uncl(c->tally, name, name_len, 1);
	}
}

static void
block_cb(void *arg, const char *buf, size_t len)
{
	struct scan_ctx *c = arg;

	matcher_scan(c->m, buf, len, c->max_line, hit_cb, c, &c->st);
}

/* SPEC §2: the first input whose paths match the file, else the first. */
static size_t
pick_input(const struct config *cfg, const char *file)
{
	char abs[PATH_MAX];
	const char *p = file;
	size_t i, j;

	if (realpath(file, abs) != NULL)
		p = abs;
	for (i = 0; i < cfg->ninputs; i++)
		for (j = 0; j < cfg->inputs[i].npaths; j++)
			if (fnmatch(cfg->inputs[i].paths[j], p,
			    FNM_PATHNAME) == 0)
				return i;
	return 0;
}

static int
scan_fd(struct scan_ctx *c, int fd, char *buf)
{
	struct lines *l = lines_create(c->max_line);
	ssize_t n;
	int r = 0;

	for (;;) {
		n = read(fd, buf, SCAN_READ_SIZE);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		lines_feed(l, buf, (size_t)n, block_cb, c);
	}
	lines_flush(l, block_cb, c);
	c->st.long_lines += lines_long_count(l);
	lines_destroy(l);
	return r;
}

static void
print_table(FILE *out, const struct table *t, const struct tally *ty,
    const struct match_stats *st, double elapsed)
{
	size_t i;
	uint64_t n;

	fprintf(out, "lines       %" PRIu64 "\n", st->lines);
	fprintf(out, "matched     %" PRIu64 "\n", st->matched);
	fprintf(out, "long_lines  %" PRIu64 "\n", st->long_lines);
	fprintf(out, "\n%-24s %5s  %-13s %12s\n", "class", "code",
	    "category", "count");
	for (i = 0; i < table_nclasses(t); i++) {
		int code = table_class_code(t, i);
		char cbuf[16] = "-";

		if ((n = tally_get(ty, i)) == 0)
			continue;
		if (code >= 0)
			snprintf(cbuf, sizeof(cbuf), "%d", code);
		fprintf(out, "%-24s %5s  %-13s %12" PRIu64 "\n",
		    table_class_name(t, i), cbuf,
		    table_class_category(t, i)[0] ?
		    table_class_category(t, i) : "-", n);
	}
	for (i = 0; i < tally_uncl_count(ty); i++) {
		const char *v = tally_uncl_at(ty, i, &n);

		fprintf(out, "  unclassified %-18s %12" PRIu64 "\n", v, n);
	}
	fprintf(out, "\nelapsed     %.3f s\n", elapsed);
}

static void
print_json(FILE *out, const struct table *t, const struct tally *ty,
    const struct match_stats *st, double elapsed)
{
	struct buf b = { 0 };
	const char *sep = "";
	size_t i;
	uint64_t n;

	buf_printf(&b, "{\"lines\":%" PRIu64 ",\"matched\":%" PRIu64
	    ",\"counts\":{", st->lines, st->matched);
	for (i = 0; i < table_nclasses(t); i++) {
		const char *name = table_class_name(t, i);

		if ((n = tally_get(ty, i)) == 0)
			continue;
		buf_puts(&b, sep);
		buf_json_str(&b, name, strlen(name));
		buf_printf(&b, ":%" PRIu64, n);
		sep = ",";
	}
	buf_puts(&b, "},\"unclassified\":{");
	sep = "";
	for (i = 0; i < tally_uncl_count(ty); i++) {
		const char *v = tally_uncl_at(ty, i, &n);

		buf_puts(&b, sep);
		buf_json_str(&b, v, strlen(v));
		buf_printf(&b, ":%" PRIu64, n);
		sep = ",";
	}
	buf_printf(&b, "},\"elapsed_s\":%.3f}\n", elapsed);
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
}

static long
find_input(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ninputs; i++)
		if (strcmp(cfg->inputs[i].name, name) == 0)
			return (long)i;
	return -1;
}

enum scan_result
scan_run(const struct setup *s, const struct scan_opts *o,
    struct ew_err *err)
{
	const struct config *cfg = s->cfg;
	struct scan_ctx c = { 0 };
	enum scan_result res = SCAN_OK;
	struct timespec t0, t1;
	double elapsed;
	long forced = -1;
	bool from_journal;
	char *buf;
	size_t i, in;
	int fd, r;

	if (o->input != NULL && (forced = find_input(cfg, o->input)) < 0) {
		ew_err_set(err, NULL, 0, 0, "--input %s: no such input in %s",
		    o->input, cfg->path);
		return SCAN_BAD_INPUT;
	}
	buf = xmalloc(SCAN_READ_SIZE);
	c.table = s->table;
	c.tally = tally_create(table_nclasses(s->table));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	from_journal = forced >= 0 && cfg->inputs[forced].is_journal &&
	    o->nfiles == 0;
	if (from_journal) {
		uint64_t entries;

		c.m = s->matchers[forced];
		c.max_line = cfg->inputs[forced].max_line;
		if (journal_scan(&cfg->inputs[forced], block_cb, &c, &entries,
		    err) < 0)
			res = SCAN_IO;
		else
			log_info("journal %s: %" PRIu64 " entries read",
			    cfg->inputs[forced].name, entries);
	}
	for (i = 0; !from_journal && (i < o->nfiles ||
	    (i == 0 && o->nfiles == 0)); i++) {
		const char *name = o->nfiles ? o->files[i] : "-";

		if (strcmp(name, "-") == 0) {
			fd = STDIN_FILENO;
		} else if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
			log_err("%s: %s, skipped", name, strerror(errno));
			res = SCAN_IO;
			continue;
		}
		in = forced >= 0 ? (size_t)forced : pick_input(cfg, name);
		c.m = s->matchers[in];
		c.max_line = cfg->inputs[in].max_line;
		r = scan_fd(&c, fd, buf);
		if (r < 0) {
			log_err("%s: read: %s, counted up to there", name,
			    strerror(-r));
			res = SCAN_IO;
		}
		if (fd != STDIN_FILENO)
			close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (o->json)
		print_json(o->out, s->table, c.tally, &c.st, elapsed);
	else
		print_table(o->out, s->table, c.tally, &c.st, elapsed);
	fflush(o->out);
	tally_destroy(c.tally);
	free(buf);
	return res;
}
