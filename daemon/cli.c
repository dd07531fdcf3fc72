/*
 * cli: the shared command line of errwatchd, errwatch-alerts and
 * errwatch-web (SPEC §2). It parses the common options with getopt_long,
 * hands a program's own options to its callback, and prints usage,
 * version and configuration errors in the one shape the tests expect.
 * It never loads a config and never calls exit(): the program's main
 * decides what to run and which status to return.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "cli.h"
#include "setup.h"
#include "config.h"
#include "log.h"

enum {
	OPT_CHECK = 256,
	OPT_LOG_LEVEL,
	OPT_VERSION,
};

static const struct option common[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "version", no_argument, NULL, OPT_VERSION },
};

#define CLI_MAX_OPTIONS	32

const char *
cli_config_path(const char *cli)
{
	const char *env;

	if (cli != NULL)
		return cli;
	env = getenv("ERRWATCH_CONFIG");
	if (env != NULL && env[0] != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

int
cli_usage(const struct cli_opts *o, const char *why)
{
	if (why != NULL)
		fprintf(stderr, "%s: %s\n", o->prog, why);
	fputs(o->usage, stderr);
	return EW_EX_USAGE;
}

void
cli_print_err(const struct cli_opts *o, const struct ew_err *err)
{
	char msg[EW_ERR_MSG + EW_ERR_FILE + 32];

	ew_err_format(err, msg, sizeof(msg));
	fprintf(stderr, "%s: %s\n", o->prog, msg);
}

int
cli_parse(struct cli *c, const struct cli_opts *o, int argc, char **argv,
    int *status)
{
	struct option all[CLI_MAX_OPTIONS + 1];
	const char *cfg = NULL, *why;
	size_t n = 0, i;
	int ch, lvl;

	memset(c, 0, sizeof(*c));
	memset(all, 0, sizeof(all));
	for (i = 0; i < ARRAY_SIZE(common); i++)
		all[n++] = common[i];
	for (i = 0; o->extra != NULL && o->extra[i].name != NULL &&
	    n < CLI_MAX_OPTIONS; i++)
		all[n++] = o->extra[i];
	*status = EW_EX_OK;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:fvqh", all, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfg = optarg;
			break;
		case 'f':	/* SPEC §2: never forks; accepted for habit */
			break;
		case 'v':
			log_level_step(+1);
			break;
		case 'q':
			log_level_step(-1);
			break;
		case 'h':
			fputs(o->usage, stdout);
			return -1;
		case OPT_LOG_LEVEL:
			if ((lvl = log_level_parse(optarg)) < 0) {
				*status = cli_usage(o, "--log-level: expected "
				    "err, warn, info or debug");
				return -1;
			}
			log_level = lvl;
			break;
		case OPT_CHECK:
			c->check = true;
			break;
		case OPT_VERSION:
			printf("%s %s\n", o->prog, EW_VERSION);
			return -1;
		default:
			if (ch < CLI_OPT_USER || o->on_option == NULL) {
				*status = cli_usage(o, NULL);
				return -1;
			}
			why = o->on_option(o->arg, ch, optarg);
			if (why != NULL) {
				*status = cli_usage(o, why);
				return -1;
			}
			break;
		}
	}
	c->config = cli_config_path(cfg);
	c->operands = argv + optind;
	c->noperands = argc - optind;
	return 0;
}

int
cli_check_config(const struct cli_opts *o, const char *path, unsigned need,
    cli_summary_fn *summary)
{
	struct ew_err err = { 0 };
	struct setup *s = setup_load(path, need, &err);
	struct buf b = { NULL, 0, 0 };

	if (s == NULL) {
		cli_print_err(o, &err);
		return EW_EX_CONFIG;
	}
	printf("config  %s: ok\n", s->cfg->path);
	config_describe(s->cfg, &b);
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
	summary(s);
	setup_destroy(s);
	return EW_EX_OK;
}
