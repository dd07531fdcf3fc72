/*
 * log: one line per message to stderr, written with a single write(2) so
 * lines from signal-free code never interleave. Never allocates.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <strings.h>

#include "log.h"

int log_level = LOG_LEVEL_INFO;
static bool journal;

static const char *
level_name(int level)
{
	switch (level) {
	case LOG_LEVEL_ERR:	return "error";
	case LOG_LEVEL_WARN:	return "warn";
	case LOG_LEVEL_INFO:	return "info";
	case LOG_LEVEL_DEBUG:	return "debug";
	default:		return "notice";
	}
}

void
log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");

	journal = js != NULL && js[0] != '\0';
}

int
log_level_parse(const char *s)
{
	uint64_t n;

	if (strcasecmp(s, "err") == 0 || strcasecmp(s, "error") == 0)
		return LOG_LEVEL_ERR;
	if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
		return LOG_LEVEL_WARN;
	if (strcasecmp(s, "info") == 0)
		return LOG_LEVEL_INFO;
	if (strcasecmp(s, "debug") == 0)
		return LOG_LEVEL_DEBUG;
	if (ew_parse_dec(s, SIZE_MAX, 7, &n) == strlen(s) && n >= 3)
		return (int)n;
	return -1;
}

void
log_level_step(int dir)
{
	static const int steps[] = { LOG_LEVEL_ERR, LOG_LEVEL_WARN,
	    LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
	int i, cur = 0;

	for (i = 0; i < 4; i++)
		if (steps[i] <= log_level)
			cur = i;
	cur += dir;
	if (cur < 0)
		cur = 0;
	if (cur > 3)
		cur = 3;
	log_level = steps[cur];
}

void
log_write(int level, const char *fmt, ...)
{
	char line[2048];
	size_t n = 0;
	va_list ap;
	int r;

	if (journal) {
		r = snprintf(line, sizeof(line), "<%d>", level);
	} else {
		uint64_t ms = ew_wall_ms();
		time_t sec = (time_t)(ms / 1000);
		struct tm tm;

		gmtime_r(&sec, &tm);
		r = snprintf(line, sizeof(line),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (long)(ms % 1000),
		    level_name(level));
	}
	n = r > 0 ? (size_t)r : 0;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += EW_MIN((size_t)r, sizeof(line) - n - 2);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* stderr gone: nothing sensible left to do */
	}
}
