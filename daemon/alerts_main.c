/*
 * alerts_main: errwatch-alerts' argv to a mode, the mode's result to an
 * exit status (SPEC §2, §13). Nothing else lives here.
 */
#include <stdio.h>

#include "alertd.h"
#include "base.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "setup.h"

static const char usage_text[] =
    "usage: errwatch-alerts [-c FILE] [-f] [-v|-q] [--log-level L]\n"
    "       errwatch-alerts --check-config [-c FILE]\n"
    "       errwatch-alerts --version | --help\n"
    "\n"
    "Delivers the alert events of Redis to Prometheus Alertmanager and\n"
    "webhooks.\n"
    "\n"
    "  -c, --config FILE   config file (default $ERRWATCH_CONFIG, else\n"
    "                      " CONFIG_DEFAULT_PATH ")\n"
    "  -f, --foreground    accepted for habit: errwatch-alerts never forks\n"
    "  -v, --verbose       one log level more\n"
    "  -q, --quiet         one log level less\n"
    "      --log-level L   err, warn, info or debug\n"
    "      --check-config  load config and table; print a summary\n"
    "\n"
    "Exit: 0 ok, 64 usage, 78 config, 1 other.\n";

static const struct cli_opts cli_opts = {
	"errwatch-alerts", usage_text, NULL, NULL, NULL,
};

static void
summary(const struct setup *s)
{
	printf("summary %zu alertmanagers, %zu webhooks, group %s\n",
	    s->cfg->delivery.nalertmanager, s->cfg->delivery.nwebhooks,
	    s->cfg->delivery.group);
}

int
main(int argc, char **argv)
{
	struct ew_err err = { 0 };
	struct cli c;
	int status;

	log_init();
	if (cli_parse(&c, &cli_opts, argc, argv, &status) < 0)
		return status;
	if (c.noperands > 0)
		return cli_usage(&cli_opts, "no operands are taken");
	if (c.check)
		return cli_check_config(&cli_opts, c.config, 0, summary);
	switch (alertd_run(c.config, &err)) {
	case ALERTD_OK:
		return EW_EX_OK;
	case ALERTD_CONFIG:
		cli_print_err(&cli_opts, &err);
		return EW_EX_CONFIG;
	default:
		cli_print_err(&cli_opts, &err);
		return EW_EX_FAIL;
	}
}
