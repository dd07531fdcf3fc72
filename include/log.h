/*
 * log: leveled logging to stderr. Under journald (JOURNAL_STREAM set) a
 * line is "<N>message"; otherwise an ISO time and the level lead.
 * Levels are syslog priorities.
 */
#ifndef EW_LOG_H
#define EW_LOG_H

#include <stdbool.h>

#include "base.h"

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

extern int log_level;		/* messages above it are dropped */

/* Reads JOURNAL_STREAM once to pick the line format. */
void	 log_init(void);
/* "err", "warn"/"warning", "info", "debug" or a number 3..7; -1 if bad. */
int	 log_level_parse(const char *s);
/* One step up (more verbose, +1) or down (-1), clamped. */
void	 log_level_step(int dir);
void	 log_write(int level, const char *fmt, ...) EW_PRINTF(2, 3);

#define log_err(...)	do { if (log_level >= LOG_LEVEL_ERR) \
	log_write(LOG_LEVEL_ERR, __VA_ARGS__); } while (0)
#define log_warn(...)	do { if (log_level >= LOG_LEVEL_WARN) \
	log_write(LOG_LEVEL_WARN, __VA_ARGS__); } while (0)
#define log_info(...)	do { if (log_level >= LOG_LEVEL_INFO) \
	log_write(LOG_LEVEL_INFO, __VA_ARGS__); } while (0)
#define log_debug(...)	do { if (log_level >= LOG_LEVEL_DEBUG) \
	log_write(LOG_LEVEL_DEBUG, __VA_ARGS__); } while (0)

#endif
