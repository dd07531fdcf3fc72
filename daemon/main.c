/*
 * main: argv to a mode, the mode's result to an exit status (SPEC §2).
 * Nothing else lives here.
 */
#include <getopt.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "scan.h"
#include "setup.h"
#include "table.h"

enum mode { MODE_DAEMON, MODE_CHECK, MODE_SCAN, MODE_ONCE };

enum {
	OPT_CHECK = 256,
	OPT_SCAN,
	OPT_ONCE,
	OPT_INPUT,
	OPT_JSON,
	OPT_LOG_LEVEL,
	OPT_VERSION,
};

static const char usage_text[] =
    "usage: errwatchd [-c FILE] [-f] [-v|-q] [--log-level L]\n"
    "       errwatchd --check-config [-c FILE]\n"
    "       errwatchd --scan [-c FILE] [--input NAME] [--json] [FILE ...]\n"
    "       errwatchd --once [-c FILE]\n"
    "       errwatchd --version | --help\n"
    "\n"
    "Follows log files, counts platform error codes and writes counters\n"
    "and spike alerts to Redis.\n"
    "\n"
    "  -c, --config FILE   config file (default $ERRWATCH_CONFIG, else\n"
    "                      " CONFIG_DEFAULT_PATH ")\n"
    "  -f, --foreground    accepted for habit: errwatchd never forks\n"
    "  -v, --verbose       one log level more\n"
    "  -q, --quiet         one log level less\n"
    "      --log-level L   err, warn, info or debug\n"
    "      --check-config  load config, table and patterns; print a summary\n"
    "      --scan          count the files (or stdin) from their first byte,\n"
    "                      no Redis; --json for JSON, --input NAME for the\n"
    "                      patterns of that input\n"
    "      --once          one pass of every input into Redis, then exit\n"
    "\n"
    "Exit: 0 ok, 64 usage, 69 Redis unreachable (--once), 78 config, 1 other.\n";

static int
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "errwatchd: %s\n", why);
	fputs(usage_text, stderr);
	return EW_EX_USAGE;
}

static void
print_err(const struct ew_err *err)
{
	char msg[EW_ERR_MSG + EW_ERR_FILE + 32];

	ew_err_format(err, msg, sizeof(msg));
	fprintf(stderr, "errwatchd: %s\n", msg);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files the input's globs match now, less its excludes. */
static size_t
files_now(const struct config_input *in)
{
	char **names = NULL;
	size_t i, j, n = 0, cap = 0, uniq = 0;
	struct stat st;
	glob_t g;

	for (i = 0; i < in->npaths; i++) {
		if (glob(in->paths[i], 0, NULL, &g) != 0)
			continue;
		for (j = 0; j < g.gl_pathc; j++) {
			const char *p = g.gl_pathv[j];

			if (config_input_excludes(in, p) ||
			    stat(p, &st) == -1 || !S_ISREG(st.st_mode))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				names = xrealloc(names, cap * sizeof(*names));
			}
			names[n++] = xstrdup(p);
		}
		globfree(&g);
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			uniq++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return uniq;
}

/* SPEC §2: every check a program makes at start (setup_load), then every
 * key's value as the schema lists it, then the short summary. */
static int
run_check(const char *path)
{
	struct ew_err err = { 0 };
	struct setup *s = setup_load(path, &err);
	struct buf b = { NULL, 0, 0 };
	size_t i, n, nfiles = 0, npat = 0;

	if (s == NULL) {
		print_err(&err);
		return EW_EX_CONFIG;
	}
	printf("config  %s: ok\n", s->cfg->path);
	config_describe(s->cfg, &b);
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
	for (i = 0; i < s->cfg->ninputs; i++) {
		n = files_now(&s->cfg->inputs[i]);
		printf("input   %s: %zu files matched now\n",
		    s->cfg->inputs[i].name, n);
		nfiles += n;
		npat += s->cfg->inputs[i].npatterns;
	}
	printf("summary %zu inputs, %zu patterns, %zu rules; %zu classes, "
	    "%zu files matched now\n", s->cfg->ninputs, npat,
	    s->cfg->alerts.nrules, table_nclasses(s->table), nfiles);
	setup_destroy(s);
	return EW_EX_OK;
}

static int
run_scan(const char *path, const char *input, bool json, char **files,
    size_t nfiles)
{
	struct ew_err err = { 0 };
	struct scan_opts o = { input, json, files, nfiles, stdout };
	struct setup *s = setup_load(path, &err);
	enum scan_result r;

	if (s == NULL) {
		print_err(&err);
		return EW_EX_CONFIG;
	}
	r = scan_run(s, &o, &err);
	setup_destroy(s);
	switch (r) {
	case SCAN_OK:
		return EW_EX_OK;
	case SCAN_BAD_INPUT:
		print_err(&err);
		return EW_EX_USAGE;
	default:
		return EW_EX_FAIL;
	}
}

static int
run_daemon(const char *path, bool once)
{
	struct ew_err err = { 0 };

	switch (daemon_run(path, once, &err)) {
	case DAEMON_OK:
		return EW_EX_OK;
	case DAEMON_CONFIG:
		print_err(&err);
		return EW_EX_CONFIG;
	case DAEMON_REDIS_DOWN:
		print_err(&err);
		return EW_EX_UNAVAILABLE;
	default:
		print_err(&err);
		return EW_EX_FAIL;
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "scan", no_argument, NULL, OPT_SCAN },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg = NULL, *input = NULL;
	enum mode mode = MODE_DAEMON;
	int c, nmodes = 0, lvl;
	bool json = false;

	log_init();
	while ((c = getopt_long(argc, argv, "c:fvqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg = optarg;
			break;
		case 'f':
			break;
		case 'v':
			log_level_step(+1);
			break;
		case 'q':
			log_level_step(-1);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EW_EX_OK;
		case OPT_LOG_LEVEL:
			if ((lvl = log_level_parse(optarg)) < 0)
				return usage("--log-level: expected err, warn, "
				    "info or debug");
			log_level = lvl;
			break;
		case OPT_CHECK:
			mode = MODE_CHECK;
			nmodes++;
			break;
		case OPT_SCAN:
			mode = MODE_SCAN;
			nmodes++;
			break;
		case OPT_ONCE:
			mode = MODE_ONCE;
			nmodes++;
			break;
		case OPT_INPUT:
			input = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_VERSION:
			printf("errwatchd %s\n", EW_VERSION);
			return EW_EX_OK;
		default:
			return usage(NULL);
		}
	}
	if (nmodes > 1)
		return usage("--check-config, --scan and --once exclude "
		    "each other");
	if (mode != MODE_SCAN && (input != NULL || json))
		return usage("--input and --json go with --scan");
	if (mode != MODE_SCAN && optind < argc)
		return usage("files are only taken by --scan");
	cfg = setup_config_path(cfg);
	switch (mode) {
	case MODE_CHECK:
		return run_check(cfg);
	case MODE_SCAN:
		return run_scan(cfg, input, json, argv + optind,
		    (size_t)(argc - optind));
	case MODE_ONCE:
		return run_daemon(cfg, true);
	default:
		return run_daemon(cfg, false);
	}
}
