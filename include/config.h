/*
 * config: errwatch.yaml (SPEC §4) to an immutable struct config. The keys
 * are one table, the schema (config_schema): each row a dotted name, a
 * type, a default, bounds and a one-line doc. The unknown-key check, the
 * defaults, the --check-config listing (config_describe) and the key
 * reference of errwatch.yaml(5) all come from it: adding a key is adding
 * a row. Unknown keys, wrong types, bad durations, sizes, globs, Redis
 * URLs and unreadable password files are errors naming file:line:column
 * (1-based, where the offending key or value starts) and the key.
 * Relative paths are made absolute against the config file's directory.
 * Nobody keeps a struct config pointer past a reload: modules copy what
 * they need.
 */
#ifndef EW_CONFIG_H
#define EW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redisurl.h"
#include "sentinel.h"

struct buf;
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
	char		*password_file;	/* absolute, or "": the file read,
					 * $CREDENTIALS_DIRECTORY's included */
	struct redisurl	 target;	/* url parsed, password resolved
					 * (SPEC §7): what to connect to */
	struct sentinel_conf sentinel;	/* SPEC §15: redis.sentinels (checked),
					 * master_name, the sentinels'
					 * password read; naddrs 0: none */
	struct config_pos *sentinel_pos;	/* one per sentinel */
	char		*sentinel_password_file;	/* absolute, or "" */
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

/* SPEC §16: an input that reads the systemd journal instead of files. */
struct config_journal {
	char		**units;	/* _SYSTEMD_UNIT values; none: all */
	size_t		  nunits;
	char		 *directory;	/* absolute, or "": the local journal */
};

struct config_input {
	char		 *name;
	char		**paths;	/* absolute globs; none for a journal
					 * input */
	size_t		  npaths;
	bool		  is_journal;	/* journal: was given (SPEC §16) */
	unsigned	  given;	/* INPUT_F_* of the keys given */
	struct config_journal journal;
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

struct config_web {
	char		*listen;	/* web.listen, checked by webaddr */
	char		*assets;	/* absolute directory */
	uint64_t	 refresh_ms;	/* how often open pages update */
};

/* One webhook of delivery.webhooks (SPEC §13). */
struct config_webhook {
	char		 *url;		/* http:// or https:// */
	char		**headers;	/* "Name: value", as curl takes them */
	size_t		  nheaders;
};

/* errwatch-alerts' delivery section (SPEC §13). */
struct config_delivery {
	char		 *group;	/* consumer group on P alerts */
	char		**alertmanager;	/* base URLs of Alertmanagers */
	size_t		  nalertmanager;
	struct config_webhook *webhooks;
	size_t		  nwebhooks;
	uint64_t	  resend_ms;	/* firing alerts re-sent this often */
	uint64_t	  resolved_retention_ms; /* resolved: this long */
	char		 *runbook_url;	/* template, or "" */
	char		 *dashboard_url;	/* template, or "" */
	uint64_t	  silent_after_ms;
	char		  silent_severity[16];
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
	struct config_web web;
	struct config_delivery delivery;
};

/* The types of the schema's rows. */
enum config_type {
	CONFIG_SECTION,		/* a mapping of the keys named below it */
	CONFIG_LIST,		/* a list of such mappings: name[].key */
	CONFIG_STRING,
	CONFIG_PATH,		/* relative: from the config's directory */
	CONFIG_HOST,		/* a host name, or auto */
	CONFIG_NAME,		/* letters, digits, '_', '-', '.' */
	CONFIG_WORD,		/* letters, digits, '_', '-' */
	CONFIG_URL,		/* a Redis URL (redisurl.h) */
	CONFIG_BOOL,
	CONFIG_UINT,
	CONFIG_NUMBER,
	CONFIG_DURATION,
	CONFIG_SIZE,
	CONFIG_ENUM,
	CONFIG_GLOBS,		/* a glob or a list of globs */
	CONFIG_STRINGS,		/* a string or a list of strings */
	CONFIG_BUCKETS,		/* {resolution: retention, ...} */
	CONFIG_HEADERS,		/* {Name: value, ...}: HTTP headers */
};

struct config_ctx;

/* One row of the schema. Only config.c fills rows; readers use name,
 * type, def and doc (and config_type_name). */
struct config_key {
	const char	 *name;	/* "redis.url", "inputs[].max_line" */
	enum config_type  type;
	const char	 *def;	/* the default as YAML writes it; NULL:
				 * none (required, or taken elsewhere) */
	const char	 *doc;	/* one line, no final period */
	unsigned	  flags;	/* CONFIG_F_* */
	uint64_t	  min;	/* UINT, SIZE, DURATION (ms), NAME, WORD
				 * (bytes): inclusive bounds */
	uint64_t	  max;	/* 0: none */
	double		  lo, hi;	/* NUMBER: lo < x <= hi */
	const char *const *choices;	/* ENUM: names, value = index */
	size_t		  off;	/* the value, in its section's struct */
	size_t		  off2;	/* count (lists), position (PATH),
				 * target (URL) */
	size_t		  off3;	/* positions (STRINGS) */
	size_t		  width;	/* bytes of the value at off */
	unsigned	  bit;	/* ALERT_F_* (INPUT_F_* in inputs[])
				 * recorded when given */
	const char	 *what;	/* how errors name the expected value */
	void		(*init)(struct config_ctx *, void *, size_t);
				/* LIST: before the keys of element idx */
	int		(*check)(struct config_ctx *, void *, size_t);
				/* SECTION, LIST: after the keys of one
				 * (idx: which element); 0 or -1 */
};

#define CONFIG_F_REQUIRED	0x01	/* absent: an error */
#define CONFIG_F_NONEMPTY	0x02	/* "" or [] is an error */
#define CONFIG_F_WHOLE_S	0x04	/* DURATION: whole seconds */
#define CONFIG_F_RESOLVE_SLASH	0x08	/* GLOBS: resolve only with a '/' */
#define CONFIG_F_INHERIT	0x10	/* default: the section's parent's */

/* The schema, in file order. */
const struct config_key	*config_schema(size_t *n);
/* "duration", "size", "list of globs", ... for docs. */
const char	*config_type_name(enum config_type t);
/* Appends one "key value" line per key of cfg (list elements indexed:
 * inputs[0].name), values written as the config file takes them; the
 * URL's password is shown as "***". */
void		 config_describe(const struct config *cfg, struct buf *out);

/* Parses path. Applies ERRWATCH_REDIS_URL. On failure returns NULL and
 * fills err with file, line, column and a message naming the key. */
struct config	*config_load(const char *path, struct ew_err *err);
void		 config_destroy(struct config *cfg);

/* True when the n globs of exclude leave path out (SPEC §4): a glob
 * without '/' is matched on the base name, one with '/' on the whole path.
 * The watcher, which keeps its own copy of an input's excludes, and
 * --check-config's file count both ask this. */
bool		 config_excludes(const char *const *exclude, size_t n,
		    const char *path);
/* config_excludes over in's excludes. */
bool		 config_input_excludes(const struct config_input *in,
		    const char *path);
/* Checks a glob's syntax (balanced brackets, no empty pattern). */
bool		 config_glob_is_valid(const char *glob);

#endif
