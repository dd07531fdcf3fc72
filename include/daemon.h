/*
 * daemon: errwatchd's long-running mode and --once, wired on one uv loop:
 * watcher and tailers feed match and table, agg holds the counts, sink
 * writes them with the offsets, signals stop and reload.
 */
#ifndef EW_DAEMON_H
#define EW_DAEMON_H

#include <stdbool.h>

struct ew_err;

enum daemon_result {
	DAEMON_OK = 0,
	DAEMON_CONFIG,		/* config, table or pattern: err says where */
	DAEMON_REDIS_DOWN,	/* --once: Redis never took the counts */
	DAEMON_FAIL,		/* anything else: err says what */
};

/* Runs until SIGTERM/SIGINT (or, with once, until one pass over every
 * input is in Redis). config_path is loaded here and again on SIGHUP. */
enum daemon_result daemon_run(const char *config_path, bool once,
		    struct ew_err *err);

#endif
