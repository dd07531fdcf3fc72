/*
 * web_main: errwatch-web's command line (SPEC §2, §14) and its loop:
 * options to a config, the config to a web, signals to a stop or a
 * reload, and the exit status. Thin on purpose: the shared command-line
 * module takes its options over when it lands.
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "setup.h"
#include "web.h"

enum {
	OPT_CHECK = 256,
	OPT_LOG_LEVEL,
	OPT_VERSION,
};

static const char usage_text[] =
    "usage: errwatch-web [-c FILE] [-f] [-v|-q] [--log-level L]\n"
    "       errwatch-web --check-config [-c FILE]\n"
    "       errwatch-web --version | --help\n"
    "\n"
    "Serves the fleet's error counts in Redis as a dashboard, a JSON API\n"
    "and Prometheus metrics (config section web:).\n"
    "\n"
    "  -c, --config FILE   config file (default $ERRWATCH_CONFIG, else\n"
    "                      " CONFIG_DEFAULT_PATH ")\n"
    "  -f, --foreground    accepted for habit: errwatch-web never forks\n"
    "  -v, --verbose       one log level more\n"
    "  -q, --quiet         one log level less\n"
    "      --log-level L   err, warn, info or debug\n"
    "      --check-config  load the config, print its web keys\n"
    "\n"
    "Exit: 0 ok, 64 usage, 78 config, 1 other.\n";

struct run {
	uv_loop_t	 loop;
	uv_signal_t	 sigterm, sigint, sighup;
	uv_timer_t	 status;
	struct web	*web;
	struct notify	*notify;
	const char	*path;
};

static int
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "errwatch-web: %s\n", why);
	fputs(usage_text, stderr);
	return EW_EX_USAGE;
}

static void
print_err(const struct ew_err *err)
{
	char msg[EW_ERR_MSG + EW_ERR_FILE + 32];

	ew_err_format(err, msg, sizeof(msg));
	fprintf(stderr, "errwatch-web: %s\n", msg);
}

static void
stop_cb(uv_signal_t *s, int signum)
{
	struct run *r = s->data;

	log_info("signal %d: stopping", signum);
	notify_stopping(r->notify);
	web_close(r->web);
	r->web = NULL;
	notify_close(r->notify);
	r->notify = NULL;
	uv_close((uv_handle_t *)&r->sigterm, NULL);
	uv_close((uv_handle_t *)&r->sigint, NULL);
	uv_close((uv_handle_t *)&r->sighup, NULL);
	uv_close((uv_handle_t *)&r->status, NULL);
}

/* SPEC §10: SIGHUP reloads; a bad config is logged, the old one stays. */
static void
hup_cb(uv_signal_t *s, int signum)
{
	struct run *r = s->data;
	struct ew_err err = { 0 };
	struct config *cfg;
	char msg[EW_ERR_MSG + EW_ERR_FILE + 32];

	(void)signum;
	notify_reloading(r->notify);
	cfg = config_load(r->path, &err);
	if (cfg == NULL) {
		ew_err_format(&err, msg, sizeof(msg));
		log_err("reload: %s; the old config stays", msg);
		notify_status_force(r->notify, "new config rejected (%s)",
		    msg);
	} else {
		web_reload(r->web, cfg);
		log_info("reloaded %s", r->path);
		config_destroy(cfg);
	}
	notify_ready(r->notify);
}

static void
status_cb(uv_timer_t *t)
{
	struct run *r = t->data;

	if (r->web != NULL)
		notify_status(r->notify, "%s", web_status(r->web));
}

static int
run_check(const char *path)
{
	struct ew_err err = { 0 };
	struct config *cfg = config_load(path, &err);

	if (cfg == NULL) {
		print_err(&err);
		return EW_EX_CONFIG;
	}
	printf("config  %s: ok\nweb.listen  %s\nweb.assets  %s\n",
	    cfg->path, cfg->web.listen, cfg->web.assets);
	config_destroy(cfg);
	return EW_EX_OK;
}

static int
run_web(const char *path)
{
	struct ew_err err = { 0 };
	struct run r;
	struct config *cfg;
	int rc;

	cfg = config_load(path, &err);
	if (cfg == NULL) {
		print_err(&err);
		return EW_EX_CONFIG;
	}
	memset(&r, 0, sizeof(r));
	r.path = path;
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&r.loop);
	r.web = web_create(&r.loop, cfg, &err);
	if (r.web == NULL) {
		config_destroy(cfg);
		print_err(&err);
		uv_run(&r.loop, UV_RUN_DEFAULT);
		uv_loop_close(&r.loop);
		return EW_EX_FAIL;
	}
	log_info("serving %s (assets %s)", cfg->web.listen, cfg->web.assets);
	config_destroy(cfg);
	r.notify = notify_create(&r.loop);
	notify_ready(r.notify);
	uv_signal_init(&r.loop, &r.sigterm);
	uv_signal_init(&r.loop, &r.sigint);
	uv_signal_init(&r.loop, &r.sighup);
	uv_timer_init(&r.loop, &r.status);
	r.sigterm.data = r.sigint.data = r.sighup.data = &r;
	r.status.data = &r;
	uv_signal_start(&r.sigterm, stop_cb, SIGTERM);
	uv_signal_start(&r.sigint, stop_cb, SIGINT);
	uv_signal_start(&r.sighup, hup_cb, SIGHUP);
	uv_timer_start(&r.status, status_cb, 5000, 5000);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&r.loop);
	if (rc != 0)
		log_warn("loop: handles left open at exit");
	return EW_EX_OK;
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
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg = NULL;
	bool check = false;
	int c, lvl;

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
			check = true;
			break;
		case OPT_VERSION:
			printf("errwatch-web %s\n", EW_VERSION);
			return EW_EX_OK;
		default:
			return usage(NULL);
		}
	}
	if (optind < argc)
		return usage("no operands are taken");
	cfg = setup_config_path(cfg);
	return check ? run_check(cfg) : run_web(cfg);
}
