/*
 * sentinel: the pure half of Redis Sentinel discovery (SPEC §15). The
 * settings as a value (which sentinels, which master name, the sentinels'
 * password), the one syntax of a sentinel entry, the order sentinels are
 * asked in within one round, and what the answers of SENTINEL
 * get-master-addr-by-name and ROLE mean. No socket, loop or clock: the
 * sink asks, this module decides.
 */
#ifndef EW_SENTINEL_H
#define EW_SENTINEL_H

#include <stdbool.h>
#include <stddef.h>

#include "webaddr.h"

#define SENTINEL_MAX	16	/* sentinels listed at most */

/* The settings: a value, owned by whoever holds it; every string is its
 * own copy. All zero (naddrs 0) is "no Sentinel": the URL's host and port
 * are used. Safe to sentinel_conf_free when all zero. */
struct sentinel_conf {
	char		**addrs;	/* "host:port" or "[v6]:port", checked */
	size_t		  naddrs;
	char		 *master_name;	/* what the sentinels monitor */
	char		 *password;	/* AUTH to the sentinels; NULL: none */
};

/* One round of discovery: each sentinel is asked once, the one that last
 * named a master first (it was right before), then the others in the
 * order written. */
struct sentinel_round {
	size_t		 n;		/* sentinels listed */
	size_t		 good;		/* asked first: answered last time */
	size_t		 asked;		/* asked so far in this round */
};

/* What ROLE's first element says. */
enum sentinel_role {
	SENTINEL_ROLE_MASTER,
	SENTINEL_ROLE_REPLICA,		/* "slave" */
	SENTINEL_ROLE_SENTINEL,
	SENTINEL_ROLE_UNKNOWN,		/* an error, or not a ROLE reply */
};

/* A sentinel entry: host:port or [v6]:port (the grammar of web.listen
 * without unix:). Returns 0, or -EINVAL with *why a static reason. */
int		 sentinel_parse_addr(const char *s, struct webaddr *out,
		    const char **why);

/* *dst becomes a deep copy of *src (dst zeroed or freed). src NULL:
 * dst all zero. */
void		 sentinel_conf_copy(struct sentinel_conf *dst,
		    const struct sentinel_conf *src);
/* Frees c's strings (the password wiped first); all zero after. NULL:
 * no-op. */
void		 sentinel_conf_free(struct sentinel_conf *c);
/* True when a and b name the same sentinels, master and password. NULL
 * is taken as all zero. */
bool		 sentinel_conf_equal(const struct sentinel_conf *a,
		    const struct sentinel_conf *b);

/* A round over n sentinels, the first asked being good (taken modulo n). */
void		 sentinel_round_start(struct sentinel_round *r, size_t n,
		    size_t good);
/* The index of the next sentinel to ask, or -1 when every one has been
 * asked in this round (the caller backs off and starts another). */
int		 sentinel_round_next(struct sentinel_round *r);

/*
 * The answer to SENTINEL get-master-addr-by-name, given as the reply's
 * string elements (n of them, str[i] NUL-ended, len[i] its length).
 * nil: the sentinel does not know the name. Returns 0 with *out the
 * master's address, or -1 with *why a static reason (the name unknown,
 * not a host and a port).
 */
int		 sentinel_master_reply(bool nil, size_t n,
		    const char *const *str, const size_t *len,
		    struct webaddr *out, const char **why);
/* ROLE's first element (str of len bytes; NULL: not an array of a
 * string) to a role. */
enum sentinel_role sentinel_role_reply(const char *str, size_t len);
const char	*sentinel_role_name(enum sentinel_role r);

/* "host:port", or "[v6]:port" when host holds a ':'. Always NUL-ended. */
void		 sentinel_addr_format(const struct webaddr *a, char *out,
		    size_t len);

#endif
