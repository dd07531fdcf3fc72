/*
 * test_cli: the shared command line (SPEC §2) as a table of argv rows:
 * the config path rule (-c over $ERRWATCH_CONFIG over the default), the
 * common options, a program's own options through its callback, and the
 * exit statuses cli picks itself (0 after --help and --version, 64 after
 * a usage error). Usage text goes to stdout or stderr as a program's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "check.h"
#include "cli.h"
#include "config.h"
#include "log.h"

enum { OPT_X = CLI_OPT_USER, OPT_BAD };

struct cli_case {
	const char	*argv[6];	/* after the program name */
	const char	*env;		/* ERRWATCH_CONFIG; NULL: unset */
	int		 ret, status;	/* cli_parse's, and *status */
	const char	*config;
	int		 check, nx, noperands, level;
};

static const struct cli_case cases[] = {
	{ { NULL }, NULL, 0, 0, CONFIG_DEFAULT_PATH, 0, 0, 0, LOG_LEVEL_INFO },
	{ { NULL }, "/e.yaml", 0, 0, "/e.yaml", 0, 0, 0, LOG_LEVEL_INFO },
	{ { NULL }, "", 0, 0, CONFIG_DEFAULT_PATH, 0, 0, 0, LOG_LEVEL_INFO },
	{ { "-c", "/c.yaml", NULL }, "/e.yaml", 0, 0, "/c.yaml", 0, 0, 0,
	    LOG_LEVEL_INFO },
	{ { "--config", "/c.yaml", "--check-config", NULL }, NULL, 0, 0,
	    "/c.yaml", 1, 0, 0, LOG_LEVEL_INFO },
	{ { "-f", "-v", NULL }, NULL, 0, 0, CONFIG_DEFAULT_PATH, 0, 0, 0,
	    LOG_LEVEL_DEBUG },
	{ { "-q", NULL }, NULL, 0, 0, CONFIG_DEFAULT_PATH, 0, 0, 0,
	    LOG_LEVEL_WARN },
	{ { "--log-level", "err", NULL }, NULL, 0, 0, CONFIG_DEFAULT_PATH, 0,
	    0, 0, LOG_LEVEL_ERR },
	{ { "--x", "--x", "a", "b", NULL }, NULL, 0, 0, CONFIG_DEFAULT_PATH,
	    0, 2, 2, LOG_LEVEL_INFO },
	{ { "--help", NULL }, NULL, -1, 0, NULL, 0, 0, 0, LOG_LEVEL_INFO },
	{ { "--version", NULL }, NULL, -1, 0, NULL, 0, 0, 0, LOG_LEVEL_INFO },
	{ { "--log-level", "loud", NULL }, NULL, -1, 64, NULL, 0, 0, 0,
	    LOG_LEVEL_INFO },
	{ { "--nope", NULL }, NULL, -1, 64, NULL, 0, 0, 0, LOG_LEVEL_INFO },
	{ { "-c", NULL }, NULL, -1, 64, NULL, 0, 0, 0, LOG_LEVEL_INFO },
	{ { "--bad", NULL }, NULL, -1, 64, NULL, 0, 0, 0, LOG_LEVEL_INFO },
};

static int nx;

static const char *
option_cb(void *arg, int id, const char *optarg)
{
	(void)arg;
	(void)optarg;
	if (id == OPT_BAD)
		return "--bad is bad";
	nx++;
	return NULL;
}

int
main(void)
{
	static const struct option own[] = {
		{ "x", no_argument, NULL, OPT_X },
		{ "bad", no_argument, NULL, OPT_BAD },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_opts o = { "test", "usage: test\n", own, option_cb,
	    NULL };
	char *argv[8];
	struct cli c;
	int argc, status, r;
	size_t i;

	log_init();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct cli_case *k = &cases[i];

		argv[0] = (char *)(uintptr_t)"test";
		for (argc = 1; k->argv[argc - 1] != NULL; argc++)
			argv[argc] = (char *)(uintptr_t)k->argv[argc - 1];
		argv[argc] = NULL;
		if (k->env != NULL)
			setenv("ERRWATCH_CONFIG", k->env, 1);
		else
			unsetenv("ERRWATCH_CONFIG");
		log_level = LOG_LEVEL_INFO;
		nx = 0;
		status = -1;
		r = cli_parse(&c, &o, argc, argv, &status);
		CHECK_INT_EQ(r, k->ret);
		CHECK_INT_EQ(status, k->status);
		CHECK_INT_EQ(log_level, k->level);
		if (r < 0)
			continue;
		CHECK_STR_EQ(c.config, k->config);
		CHECK_INT_EQ(c.check, k->check);
		CHECK_INT_EQ(nx, k->nx);
		CHECK_INT_EQ(c.noperands, k->noperands);
	}
	CHECK_INT_EQ(cli_usage(&o, "why"), EW_EX_USAGE);
	CHECK_STR_EQ(cli_config_path("/x"), "/x");
	CHECK_DONE();
}
