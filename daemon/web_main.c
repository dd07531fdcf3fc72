/*
 * web_main: errwatch-web's command line (SPEC §2, §14) and its loop:
 * options to a config, the config to a web, signals to a stop or a
 * reload, and the exit status. The options are cli's.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "setup.h"
#include "web.h"

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
    "      --check-config  load config and table; print every key\n"
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

static const struct cli_opts cli_opts = {
	"errwatch-web", usage_text, NULL, NULL, NULL,
};

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
/* SPEC §10: the checks of the start; a bad config leaves the old one. */
static int
reload_fn(void *arg, char *msg, size_t msglen)
{
	struct run *r = arg;
	struct ew_err err = { 0 };
	struct setup *st;

	if ((st = setup_load(r->path, 0, &err)) == NULL) {
		ew_err_format(&err, msg, msglen);
		log_err("reload: %s; keeping the running config", msg);
		return -1;
	}
	if (web_reload(r->web, st->cfg, &err) < 0) {
		ew_err_format(&err, msg, msglen);
		log_err("reload: %s; keeping the running config", msg);
		setup_destroy(st);
		return -1;
	}
	log_info("reload: %s in force", r->path);
	setup_destroy(st);
	return 0;
}

static void
hup_cb(uv_signal_t *s, int signum)
{
	struct run *r = s->data;

	(void)signum;
	notify_reload(r->notify, r->path, reload_fn, r);
}

static void
status_cb(uv_timer_t *t)
{
	struct run *r = t->data;

	if (r->web != NULL)
		notify_status(r->notify, "%s", web_status(r->web));
}

static void
summary(const struct setup *s)
{
	printf("summary listen %s, assets %s\n", s->cfg->web.listen,
	    s->cfg->web.assets);
}

static int
run_web(const char *path)
{
	struct ew_err err = { 0 };
	struct run r;
	struct setup *st;
	const struct config *cfg;
	int rc;

	/* every check --check-config makes (SPEC §2) */
	if ((st = setup_load(path, 0, &err)) == NULL) {
		cli_print_err(&cli_opts, &err);
		return EW_EX_CONFIG;
	}
	cfg = st->cfg;
	memset(&r, 0, sizeof(r));
	r.path = path;
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&r.loop);
	r.web = web_create(&r.loop, cfg, &err);
	if (r.web == NULL) {
		setup_destroy(st);
		cli_print_err(&cli_opts, &err);
		uv_run(&r.loop, UV_RUN_DEFAULT);
		uv_loop_close(&r.loop);
		return EW_EX_FAIL;
	}
	log_info("serving %s (assets %s)", cfg->web.listen, cfg->web.assets);
	setup_destroy(st);
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
	struct cli c;
	int status;

	log_init();
	if (cli_parse(&c, &cli_opts, argc, argv, &status) < 0)
		return status;
	if (c.noperands > 0)
		return cli_usage(&cli_opts, "no operands are taken");
	return c.check ? cli_check_config(&cli_opts, c.config, 0, summary) :
	    run_web(c.config);
}
