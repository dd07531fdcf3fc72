/*
 * yamlconf: a YAML file as a tree of typed values for a config reader,
 * with the position of every value for its errors. The only module that
 * includes yaml.h. It knows no key of errwatch.yaml: config's schema says
 * what each key is; this layer reads one value of one kind and says,
 * with file:line:column, why a value is not of that kind.
 *
 * Error messages are "<path>: expected <what>, got <value>", the value
 * cut to 60 bytes with anything but printable ASCII escaped, so a message
 * is always one safe line.
 */
#ifndef EW_YAMLCONF_H
#define EW_YAMLCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

struct yamlconf;		/* one loaded document */
struct yamlconf_node;		/* a value in it; lives as long as it */

#define YAMLCONF_KEY_MAX	192	/* bytes of a key path: inputs[3].x */
#define YAMLCONF_SHOW_MAX	60	/* bytes of a bad value quoted */
#define YAMLCONF_SHOW_BUF	(YAMLCONF_SHOW_MAX * 4 + 8)

enum yamlconf_kind {
	YAMLCONF_NULL,		/* absent, empty, ~ or null (unquoted) */
	YAMLCONF_SCALAR,
	YAMLCONF_LIST,
	YAMLCONF_MAP,
};

/* Reads and parses path: one YAML document of at most max bytes. On
 * failure NULL with err at the file:line:column of the YAML error. */
struct yamlconf	*yamlconf_load(const char *path, size_t max,
		    struct ew_err *err);
/* Parses text (a default written as YAML); name stands for the file in
 * errors. NULL with err when text is not one YAML document. */
struct yamlconf	*yamlconf_load_string(const char *text, const char *name,
		    struct ew_err *err);
void		 yamlconf_destroy(struct yamlconf *y);

/* The top value, or NULL for an empty document. */
const struct yamlconf_node *yamlconf_root(const struct yamlconf *y);
enum yamlconf_kind yamlconf_kind(const struct yamlconf_node *n);
/* "a mapping", "a list", "a single value" or "nothing", for messages. */
const char	*yamlconf_kind_name(const struct yamlconf_node *n);
/* 1-based line and column where n starts (0 for NULL). */
int		 yamlconf_line(const struct yamlconf_node *n);
int		 yamlconf_col(const struct yamlconf_node *n);

/* Items of a list, pairs of a map, 1 for a scalar, 0 for NULL. */
size_t		 yamlconf_count(const struct yamlconf_node *n);
/* Item i of a list; a scalar is its own item 0. */
const struct yamlconf_node *yamlconf_item(const struct yamlconf *y,
		    const struct yamlconf_node *n, size_t i);
/* Key and value of pair i of a map. */
const struct yamlconf_node *yamlconf_key(const struct yamlconf *y,
		    const struct yamlconf_node *map, size_t i);
const struct yamlconf_node *yamlconf_value(const struct yamlconf *y,
		    const struct yamlconf_node *map, size_t i);
/* The value of key in map, or NULL when absent or null (or map is not a
 * map). */
const struct yamlconf_node *yamlconf_find(const struct yamlconf *y,
		    const struct yamlconf_node *map, const char *key);
/* A scalar's text (NUL-ended; see yamlconf_scalar for NUL bytes). */
const char	*yamlconf_text(const struct yamlconf_node *n);

/* Fills err at n's position in y's file (n NULL: no position). */
void		 yamlconf_fail(const struct yamlconf *y,
		    const struct yamlconf_node *n, struct ew_err *err,
		    const char *fmt, ...) EW_PRINTF(4, 5);
/* s, cut and escaped as messages quote it, into out (YAMLCONF_SHOW_BUF
 * bytes). Returns out. */
const char	*yamlconf_show(const char *s, char *out, size_t len);
/* out (YAMLCONF_KEY_MAX bytes) = prefix.key, or key at the top level. */
void		 yamlconf_join(char *out, const char *prefix, const char *key);

/* Checks that every key of map is a scalar, one of names[0..n) (names
 * NULL: any), and unique. Errors point at the key. */
int		 yamlconf_check_keys(const struct yamlconf *y,
		    const struct yamlconf_node *map, const char *path,
		    const char *const *names, size_t n, struct ew_err *err);

/* The typed getters read a present value n at key path. They return 0,
 * or -EINVAL with err at n. */
int		 yamlconf_want_map(const struct yamlconf *y,
		    const struct yamlconf_node *n, const char *path,
		    struct ew_err *err);
/* n must be a scalar without NUL bytes; what names what was expected. */
int		 yamlconf_scalar(const struct yamlconf *y,
		    const struct yamlconf_node *n, const char *path,
		    const char *what, const char **out, struct ew_err *err);
int		 yamlconf_string(const struct yamlconf *y,
		    const struct yamlconf_node *n, const char *path,
		    bool nonempty, const char **out, struct ew_err *err);
/* A whole number from min to max. */
int		 yamlconf_uint(const struct yamlconf *y,
		    const struct yamlconf_node *n, const char *path,
		    uint64_t min, uint64_t max, uint64_t *out,
		    struct ew_err *err);
/* A finite number x with lo < x <= hi; what as in "a number above 0". */
int		 yamlconf_number(const struct yamlconf *y,
		    const struct yamlconf_node *n, const char *path,
		    const char *what, double lo, double hi, double *out,
		    struct ew_err *err);
/* true/false, yes/no, on/off, any case. */
int		 yamlconf_bool(const struct yamlconf *y,
		    const struct yamlconf_node *n, const char *path,
		    bool *out, struct ew_err *err);
/* A duration of at least min_ms; whole_s: a multiple of 1s. */
int		 yamlconf_duration(const struct yamlconf *y,
		    const struct yamlconf_node *n, const char *path,
		    uint64_t min_ms, bool whole_s, uint64_t *out,
		    struct ew_err *err);
/* A size from min to max bytes. */
int		 yamlconf_size(const struct yamlconf *y,
		    const struct yamlconf_node *n, const char *path,
		    uint64_t min, uint64_t max, uint64_t *out,
		    struct ew_err *err);
/* One of names[0..n); *out is its index. */
int		 yamlconf_choice(const struct yamlconf *y,
		    const struct yamlconf_node *n, const char *path,
		    const char *const *names, size_t count, unsigned *out,
		    struct ew_err *err);

/* "250ms", "30s", "5m", "48h", "90d" (integer and unit) to milliseconds.
 * Returns 0, or -1 when s is not a duration. */
int		 yamlconf_parse_duration(const char *s, uint64_t *ms);
/* "65536", "64KiB", "1MiB", "1GiB": plain bytes or an IEC unit.
 * Returns 0, or -1 when s is not a size. */
int		 yamlconf_parse_size(const char *s, uint64_t *bytes);
/* The shortest exact writing: 90000 -> "90s", 5400000 -> "90m". */
void		 yamlconf_fmt_duration(uint64_t ms, char *out, size_t len);
/* 65536 -> "64KiB", 100 -> "100". */
void		 yamlconf_fmt_size(uint64_t bytes, char *out, size_t len);

#endif
