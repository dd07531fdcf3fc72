/*
 * setup: everything a config file implies, loaded and checked together:
 * the config, its table, one matcher per input, and the alert rules
 * checked against the table. --check-config, --scan, the daemon and its
 * SIGHUP reload all go through here, so they agree on what is an error.
 * Either all of it loads or nothing does: a reload swaps whole setups.
 */
#ifndef EW_SETUP_H
#define EW_SETUP_H

#include <stddef.h>

struct config;
struct ew_err;
struct matcher;
struct table;

/* Classes a program can count, Unclassified included: errwatchd's per-class
 * arrays (agg, spike) have this many cells. A table with more is a config
 * error of setup_load, at the config's table key. */
#define SETUP_MAX_CLASSES	256

struct setup {
	struct config	 *cfg;
	struct table	 *table;
	struct matcher	**matchers;	/* one per cfg->inputs[i] */
};

/* setup_load's flags: what the program needs beyond what all need. */
enum setup_need {
	SETUP_INPUTS = 1 << 0,	/* errwatchd: at least one input; the
				 * fleet programs read no log (SPEC §13,
				 * §14: inputs is not required by them) */
};

/* Loads path and makes every check a program makes at start (SPEC §2):
 * the config (Redis URL, password file included), the table and its size,
 * the patterns, the rules against the table, and what need asks for. On
 * failure NULL with err at file:line:column. */
struct setup	*setup_load(const char *path, unsigned need,
		    struct ew_err *err);
void		 setup_destroy(struct setup *s);
/* The config path to use: cli (-c) if set, else $ERRWATCH_CONFIG, else
 * the default. */
const char	*setup_config_path(const char *cli);

#endif
