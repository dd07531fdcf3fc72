/*
 * cli: the command line the three programs share (SPEC §2): -c FILE,
 * -f, -v|-q, --log-level, --check-config, --version and --help; the
 * config path rule (-c, else $ERRWATCH_CONFIG, else
 * /etc/errwatch/errwatch.yaml); the usage and version text; and an
 * ew_err printed as "prog: file:line:col: msg". A program adds its own
 * long options through a table and one callback. cli never picks an exit
 * status on its own beyond 0 (--help, --version) and 64 (usage).
 */
#ifndef EW_CLI_H
#define EW_CLI_H

#include <getopt.h>
#include <stdbool.h>

struct ew_err;
struct setup;

/* The first id a program's own options may use (getopt_long's val). */
#define CLI_OPT_USER	512

/* A program's own option: id is its entry's val, optarg its argument or
 * NULL. Returns NULL, or a usage message (a literal or static text): the
 * program then prints the usage and exits 64. */
typedef const char *cli_option_fn(void *arg, int id, const char *optarg);

struct cli_opts {
	const char	*prog;		/* "errwatchd": messages start so */
	const char	*usage;		/* the whole --help text */
	const struct option *extra;	/* the program's own long options,
					 * ended by a zero row; NULL: none */
	cli_option_fn	*on_option;	/* called for each of them */
	void		*arg;
};

struct cli {
	const char	*config;	/* the path by the rule above; points
					 * into argv or the environment */
	bool		 check;		/* --check-config */
	char	       **operands;	/* what follows the options */
	int		 noperands;
};

/* Parses argv (log_init must have run: -v, -q and --log-level set the
 * level). Returns -1 when the program is to exit now with the status in
 * *status (0 after --help or --version, 64 after a usage message on
 * stderr), else 0 with c filled. */
int		 cli_parse(struct cli *c, const struct cli_opts *o, int argc,
		    char **argv, int *status);
/* Prints "prog: why" (why may be NULL) and the usage on stderr. Returns
 * 64, for "return cli_usage(...)". */
int		 cli_usage(const struct cli_opts *o, const char *why);
/* Prints "prog: file:line:col: msg" on stderr. */
void		 cli_print_err(const struct cli_opts *o,
		    const struct ew_err *err);
/* Prints what a program's --check-config adds after the keys. */
typedef void cli_summary_fn(const struct setup *s);
/* --check-config (SPEC §2): setup_load(path, need) makes every check the
 * program makes at start; then "config PATH: ok", every key's value as
 * the schema lists it, and summary's lines. Returns the exit status: 0,
 * or 78 with the error printed as cli_print_err does. */
int		 cli_check_config(const struct cli_opts *o, const char *path,
		    unsigned need, cli_summary_fn *summary);
/* The config path by the rule above; cli may be NULL. */
const char	*cli_config_path(const char *cli);

#endif
