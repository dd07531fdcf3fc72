/*
 * ew-ref: the reference for the --scan benchmark (SPEC §12), the practical
 * limit of one PCRE2 JIT search over whole buffers of lines.
 *
 *	ew-ref PATTERN FILE
 *
 * Reads FILE in 16 MiB blocks (the partial last line waits for the next
 * block) and calls pcre2_jit_match over the whole block again and again;
 * after a hit it goes on from the end of the hit's line (memchr), so a line
 * counts at most once, as SPEC §5 says.  The pattern is compiled with
 * PCRE2_MULTILINE, in byte mode (no UTF), with the JIT.  It counts the hits
 * per distinct value of the `code` group and prints, on stdout:
 *
 *	matched <lines>
 *	code <value> <count>		(one per value, by value)
 *	elapsed_s <seconds> mb_s <10^6 bytes per second>
 *
 * It deliberately does not count lines, classify, or do anything else the
 * daemon must do: it is the bound, not a competitor.  A hit that spans a
 * newline (a pattern with \s can do that over a buffer) is re-matched on
 * its own line, so the count keeps SPEC §5's meaning for any pattern.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK		(16u << 20)	/* bytes read at once */
#define NCODES		100000		/* code values below this are kept */

struct ref {
	pcre2_code		*re;
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	int			 code_group;	/* -1: the pattern has none */
	int			 jit;		/* 1 when JIT-compiled */
	uint64_t		 matched;
	uint64_t		 other;		/* code values not a small number */
	uint64_t		*codes;		/* per numeric value */
};

static int
match_at(struct ref *r, const char *s, size_t len, size_t off)
{
	if (r->jit)
		return pcre2_jit_match(r->re, (PCRE2_SPTR)s, len, off, 0,
		    r->md, r->mctx);
	return pcre2_match(r->re, (PCRE2_SPTR)s, len, off, 0, r->md,
	    r->mctx);
}

/* The last c in s[0, n), or NULL (memrchr is a GNU extension). */
static const char *
last_byte(const char *s, size_t n, char c)
{
	while (n > 0)
		if (s[--n] == c)
			return s + n;
	return NULL;
}

static void
count_hit(struct ref *r, const char *s)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
	size_t a, b, v = 0, i;

	r->matched++;
	if (r->code_group < 0)
		return;
	a = ov[2 * r->code_group];
	b = ov[2 * r->code_group + 1];
	if (a == PCRE2_UNSET || b - a == 0 || b - a > 5) {
		r->other++;
		return;
	}
	for (i = a; i < b; i++) {
		if (s[i] < '0' || s[i] > '9') {
			r->other++;
			return;
		}
		v = v * 10 + (size_t)(s[i] - '0');
	}
	r->codes[v]++;
}

/* Counts the complete lines of buf[0, len); returns 0 or -1 on a PCRE2
 * error (printed). */
static int
scan_block(struct ref *r, const char *buf, size_t len)
{
	size_t off = 0;
	int rc;

	while (off < len) {
		PCRE2_SIZE *ov;
		const char *nl, *ls;
		size_t start, end;

		rc = match_at(r, buf, len, off);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)
			goto fail;
		ov = pcre2_get_ovector_pointer(r->md);
		start = ov[0];
		end = ov[1];
		if (end > start && memchr(buf + start, '\n', end - start)) {
			/* SPEC §5: no match spans two lines; retry the
			 * line where this one started, on its own */
			ls = last_byte(buf + off, start - off, '\n');
			ls = ls != NULL ? ls + 1 : buf + off;
			if (start < len && buf[start] == '\n')
				nl = buf + start;	/* hit began at the \n */
			else
				nl = memchr(buf + start, '\n', len - start);
			if (nl == NULL)
				nl = buf + len;
			rc = match_at(r, ls, (size_t)(nl - ls), 0);
			if (rc >= 0)
				count_hit(r, ls);
			else if (rc != PCRE2_ERROR_NOMATCH)
				goto fail;
			off = (size_t)(nl - buf) + 1;
			continue;
		}
		count_hit(r, buf);
		nl = memchr(buf + end, '\n', len - end);
		if (nl == NULL)
			return 0;
		off = (size_t)(nl - buf) + 1;
	}
	return 0;
fail:
	{
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		fprintf(stderr, "ew-ref: match: %s\n", (char *)msg);
	}
	return -1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads fd to its end in blocks, carrying the partial last line over, and
 * scans every complete line; a last line without \n counts at the end.
 * Returns 0 or -1 (printed). */
static int
scan_fd(struct ref *r, int fd, const char *path, char *buf,
    uint64_t *total)
{
	size_t have = 0, keep;
	const char *last;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + have, BLOCK - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ew-ref: %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
		*total += (uint64_t)n;
		have += (size_t)n;
		if (n == 0)
			return have > 0 ? scan_block(r, buf, have) : 0;
		last = last_byte(buf, have, '\n');
		if (last == NULL) {
			if (have < BLOCK)
				continue;
			keep = 0;	/* one line longer than a block */
			last = buf + have - 1;
		} else
			keep = have - (size_t)(last + 1 - buf);
		if (scan_block(r, buf, (size_t)(last + 1 - buf)) < 0)
			return -1;
		memmove(buf, last + 1, keep);
		have = keep;
	}
}

int
main(int argc, char **argv)
{
	struct ref r;
	pcre2_jit_stack *jstack = NULL;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR msg[256];
	uint64_t total = 0;
	double t0, dt;
	char *buf = NULL;
	int fd = -1, err, i, status = 1;

	if (argc != 3) {
		fputs("usage: ew-ref PATTERN FILE\n", stderr);
		return 64;
	}
	memset(&r, 0, sizeof(r));
	r.re = pcre2_compile((PCRE2_SPTR)argv[1], PCRE2_ZERO_TERMINATED,
	    PCRE2_MULTILINE, &err, &erroff, NULL);
	if (r.re == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		fprintf(stderr, "ew-ref: pattern at %zu: %s\n", (size_t)erroff,
		    (char *)msg);
		return 78;
	}
	r.jit = pcre2_jit_compile(r.re, PCRE2_JIT_COMPLETE) == 0;
	if (!r.jit)
		fputs("ew-ref: no JIT, using the interpreter\n", stderr);
	r.md = pcre2_match_data_create_from_pattern(r.re, NULL);
	r.mctx = pcre2_match_context_create(NULL);
	jstack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
	r.code_group = pcre2_substring_number_from_name(r.re,
	    (PCRE2_SPTR) "code");
	if (r.code_group < 0)
		r.code_group = -1;
	r.codes = calloc(NCODES, sizeof(*r.codes));
	buf = malloc(BLOCK);
	if (r.codes == NULL || buf == NULL || r.md == NULL ||
	    r.mctx == NULL || jstack == NULL) {
		fputs("ew-ref: out of memory\n", stderr);
		goto out;
	}
	pcre2_jit_stack_assign(r.mctx, NULL, jstack);
	fd = open(argv[2], O_RDONLY);
	if (fd == -1) {
		fprintf(stderr, "ew-ref: %s: %s\n", argv[2], strerror(errno));
		goto out;
	}

	t0 = now_s();
	if (scan_fd(&r, fd, argv[2], buf, &total) < 0)
		goto out;
	dt = now_s() - t0;

	printf("matched %" PRIu64 "\n", r.matched);
	for (i = 0; i < NCODES; i++)
		if (r.codes[i] != 0)
			printf("code %d %" PRIu64 "\n", i, r.codes[i]);
	if (r.other != 0)
		printf("code other %" PRIu64 "\n", r.other);
	printf("elapsed_s %.3f mb_s %.0f\n", dt,
	    dt > 0 ? (double)total / dt / 1e6 : 0.0);
	status = 0;
out:
	if (fd != -1)
		close(fd);
	free(buf);
	free(r.codes);
	pcre2_jit_stack_free(jstack);
	pcre2_match_context_free(r.mctx);
	pcre2_match_data_free(r.md);
	pcre2_code_free(r.re);
	return status;
}
