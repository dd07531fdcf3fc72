/*
 * alertd: errwatch-alerts' long-running mode (SPEC §13), wired on one uv
 * loop: the sink to Redis, the consumer of P alerts, the HTTP client,
 * signals, reload and notify.
 */
#ifndef EW_ALERTD_H
#define EW_ALERTD_H

struct ew_err;

enum alertd_result {
	ALERTD_OK = 0,
	ALERTD_CONFIG,		/* config or table: err says where */
	ALERTD_FAIL,		/* anything else: err says what */
};

/* Runs until SIGTERM/SIGINT. config_path is loaded here and again on
 * SIGHUP; a bad new config is logged and the old one kept. */
enum alertd_result alertd_run(const char *config_path, struct ew_err *err);

#endif
