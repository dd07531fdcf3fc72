/*
 * main: argv to a mode, the mode's result to an exit status (SPEC §2).
 * Nothing else lives here.
 */
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "cli.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "scan.h"
#include "setup.h"
#include "table.h"

enum mode { MODE_DAEMON, MODE_CHECK, MODE_SCAN, MODE_ONCE };

enum {
	OPT_SCAN = CLI_OPT_USER,
	OPT_ONCE,
	OPT_INPUT,
	OPT_JSON,
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
    "                      patterns of that input (a journal input with\n"
    "                      no FILE: its whole journal)\n"
    "      --once          one pass of every input into Redis, then exit\n"
    "\n"
    "Exit: 0 ok, 64 usage, 69 Redis unreachable (--once), 78 config, 1 other.\n";

/* What errwatchd's own options set. */
struct args {
	enum mode	 mode;
	int		 nmodes;
	const char	*input;
	bool		 json;
};

static const char *
option_cb(void *arg, int id, const char *optarg)
{
	struct args *a = arg;

	switch (id) {
	case OPT_SCAN:
		a->mode = MODE_SCAN;
		a->nmodes++;
		break;
	case OPT_ONCE:
		a->mode = MODE_ONCE;
		a->nmodes++;
		break;
	case OPT_INPUT:
		a->input = optarg;
		break;
	case OPT_JSON:
		a->json = true;
		break;
	default:
		return "unknown option";
	}
	return NULL;
}

static struct args args;
static const struct option own_options[] = {
	{ "scan", no_argument, NULL, OPT_SCAN },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};
static const struct cli_opts cli_opts = {
	"errwatchd", usage_text, own_options, option_cb, &args,
};

static void
print_err(const struct ew_err *err)
{
	cli_print_err(&cli_opts, err);
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

/* --check-config's last lines: the files each input matches now. */
static void
summary(const struct setup *s)
{
	size_t i, n, nfiles = 0, npat = 0;

	for (i = 0; i < s->cfg->ninputs; i++) {
		const struct config_input *in = &s->cfg->inputs[i];

		if (in->is_journal) {	/* SPEC §16 */
			printf("input   %s: the systemd journal (%s), %zu "
			    "units%s\n", in->name, in->journal.directory[0] ?
			    in->journal.directory : "local",
			    in->journal.nunits,
			    in->journal.nunits == 0 ? ": all" : "");
			npat += in->npatterns;
			continue;
		}
		n = files_now(in);
		printf("input   %s: %zu files matched now\n", in->name, n);
		nfiles += n;
		npat += s->cfg->inputs[i].npatterns;
	}
	printf("summary %zu inputs, %zu patterns, %zu rules; %zu classes, "
	    "%zu files matched now\n", s->cfg->ninputs, npat,
	    s->cfg->alerts.nrules, table_nclasses(s->table), nfiles);
}

static int
run_scan(const char *path, const char *input, bool json, char **files,
    size_t nfiles)
{
	struct ew_err err = { 0 };
	struct scan_opts o = { input, json, files, nfiles, stdout };
	struct setup *s = setup_load(path, SETUP_INPUTS, &err);
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
		if (err.msg[0] != '\0')	/* a journal that cannot open */
			print_err(&err);
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
	struct cli c;
	int status;

	log_init();
	if (cli_parse(&c, &cli_opts, argc, argv, &status) < 0)
		return status;
	if (c.check) {
		args.mode = MODE_CHECK;
		args.nmodes++;
	}
	if (args.nmodes > 1)
		return cli_usage(&cli_opts, "--check-config, --scan and --once "
		    "exclude each other");
	if (args.mode != MODE_SCAN && (args.input != NULL || args.json))
		return cli_usage(&cli_opts, "--input and --json go with "
		    "--scan");
	if (args.mode != MODE_SCAN && c.noperands > 0)
		return cli_usage(&cli_opts, "files are only taken by --scan");
	switch (args.mode) {
	case MODE_CHECK:
		return cli_check_config(&cli_opts, c.config, SETUP_INPUTS, summary);
	case MODE_SCAN:
		return run_scan(c.config, args.input, args.json, c.operands,
		    (size_t)c.noperands);
	case MODE_ONCE:
		return run_daemon(c.config, true);
	default:
		return run_daemon(c.config, false);
	}
}
