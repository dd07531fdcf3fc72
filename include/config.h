/*
 * config: errwatch.yaml (SPEC §4) to an immutable struct config. Every key
 * has a default; unknown keys, wrong types, bad durations, sizes and globs
 * are errors naming file:line:column (1-based, where the offending key or
 * value starts) and the key. Relative paths are made absolute against the
 * config file's directory. Nobody keeps a struct config pointer past a
 * reload: modules copy what they need.
 */
#ifndef EW_CONFIG_H
#define EW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ew_err;

#define CONFIG_DEFAULT_PATH	"/etc/errwatch/errwatch.yaml"
#define CONFIG_MAX_BUCKETS	8

/* Where a value stood in the YAML file, for errors found later (a pattern
 * that does not compile, a rule whose match names no class). */
struct config_pos {
	int	line;		/* 1-based; 0 when the value is a default */
	int	col;		/* 1-based */
};

struct config_bucket {
	uint64_t res_ms;	/* bucket width, e.g. 10000 for "10s" */
	uint64_t retention_ms;	/* TTL of each bucket hash */
	char	 name[16];	/* the key as written: "10s", "1m", "1h" */
};

struct config_redis {
	char		*url;		/* after ERRWATCH_REDIS_URL */
	char		*password_file;	/* absolute, or "" */
	char		*prefix;	/* "errwatch:" */
	uint64_t	 connect_timeout_ms;
	uint64_t	 flush_interval_ms;
	struct config_bucket buckets[CONFIG_MAX_BUCKETS];
	size_t		 nbuckets;	/* sorted by res_ms, ascending */
};

enum config_start_at {
	START_AT_END = 0,
	START_AT_BEGINNING,
};

struct config_input {
	char		 *name;
	char		**paths;	/* absolute globs */
	size_t		  npaths;
	char		**exclude;	/* without '/': matched on base name */
	size_t		  nexclude;
	enum config_start_at start_at;
	size_t		  max_line;	/* bytes, default 64 KiB */
	uint64_t	  rotate_wait_ms;	/* default 5000 */
	bool		  poll;
	char		**patterns;	/* PCRE2 sources, tried in order */
	struct config_pos *pattern_pos;	/* one per pattern */
	size_t		  npatterns;
};

/* A field that a rule does not set is taken from alerts.defaults. */
enum alert_field {
	ALERT_F_WINDOW = 1 << 0,
	ALERT_F_BASELINE = 1 << 1,
	ALERT_F_MIN_COUNT = 1 << 2,
	ALERT_F_FACTOR = 1 << 3,
	ALERT_F_P = 1 << 4,
	ALERT_F_COOLDOWN = 1 << 5,
	ALERT_F_THRESHOLD = 1 << 6,
	ALERT_F_SEVERITY = 1 << 7,
	ALERT_F_ENABLED = 1 << 8,
};

struct alert_params {
	uint64_t window_ms;	/* 60s */
	uint64_t baseline_ms;	/* 30m */
	uint64_t min_count;	/* 20 */
	double	 factor;	/* 4 */
	double	 p;		/* 1e-6 */
	uint64_t cooldown_ms;	/* 5m */
	uint64_t threshold;	/* static rule when set (ALERT_F_THRESHOLD) */
	char	 severity[16];	/* "warning" by default */
	bool	 enabled;	/* true */
	unsigned set;		/* ALERT_F_* the YAML gave explicitly */
};

struct config_rule {
	char		*match;	/* "Punishment", "461" or "category:auth" */
	struct config_pos match_pos;
	bool		 drop;	/* SPEC §9: a drop rule; false: a spike
				 * rule (static or adaptive) */
	struct alert_params params;	/* merged over the defaults */
};

/* One set of rules: the hosts' (alerts) or the fleet's (alerts.fleet,
 * SPEC §13). A match has at most one spike rule and one drop rule. */
struct config_alerts {
	struct alert_params defaults;
	struct config_rule *rules;
	size_t		    nrules;
};

struct config {
	char		*path;		/* as given */
	char		*dir;		/* its directory, absolute */
	char		*host;		/* "auto" resolved to the host name */
	char		*table;		/* absolute path */
	struct config_pos table_pos;
	size_t		 max_open_files;	/* 1024 */
	struct config_redis redis;
	struct config_input *inputs;
	size_t		 ninputs;
	struct config_alerts alerts;
	struct config_alerts fleet;	/* alerts.fleet: errwatch-alerts runs
					 * them over P series:10s */
};

/* Parses path. Applies ERRWATCH_REDIS_URL. On failure returns NULL and
 * fills err with file, line, column and a message naming the key. */
struct config	*config_load(const char *path, struct ew_err *err);
void		 config_destroy(struct config *cfg);

/* "250ms", "30s", "5m", "48h", "90d" (integer and unit) to milliseconds.
 * Returns 0, or -1 when s is not a duration. */
int		 config_parse_duration(const char *s, uint64_t *ms);
/* "65536", "64KiB", "1MiB", "1GiB": plain bytes or an IEC unit.
 * Returns 0, or -1 when s is not a size. */
int		 config_parse_size(const char *s, uint64_t *bytes);
/* Checks a glob's syntax (balanced brackets, no empty pattern). */
bool		 config_glob_is_valid(const char *glob);

#endif
