/*
 * redisurl: where a Redis is and how to log in to it (SPEC §7), from the
 * URL and the credential files, with no socket and no loop. Config loading
 * parses redis.url and ERRWATCH_REDIS_URL with it, so --check-config
 * rejects what a program would reject at start; the sink, errwatch-alerts,
 * errwatch-web and Sentinel connect from its result and never parse a URL
 * themselves.
 *
 *   redis://[user:password@]host[:port][/db][?db=N]
 *   unix:///absolute/path.sock[?db=N]
 *
 * host is a name, an IPv4 address or an IPv6 address in brackets
 * ([::1]); user and password may hold %XX escapes. rediss:// (TLS) is
 * refused. Error messages never quote the URL: it may hold a password.
 */
#ifndef EW_REDISURL_H
#define EW_REDISURL_H

#include <stdbool.h>

struct ew_err;

#define REDISURL_DEFAULT_PORT	6379
#define REDISURL_CREDENTIAL	"redis-password"	/* systemd's name */

enum redisurl_scheme {
	REDISURL_TCP = 1,	/* redis:// */
	REDISURL_UNIX,		/* unix:// */
};

/* A parsed URL: a value, owned by whoever holds it; every string is
 * its own copy. All zero is "nothing parsed", safe to redisurl_free. */
struct redisurl {
	enum redisurl_scheme	 scheme;
	char			*host;	/* TCP: name or address, no brackets;
					 * NULL for unix */
	int			 port;	/* TCP: 1..65535; 0 for unix */
	char			*path;	/* unix: absolute; NULL for TCP */
	char			*user;	/* NULL: the default user */
	char			*password;	/* NULL: no AUTH */
	int			 db;	/* SELECT; 0 by default */
};

/* Parses s into *u (which must be zeroed or freed). Returns 0, or
 * -EINVAL with *u all zero and err's message set (no file, no position:
 * the caller knows where s came from and says so). */
int		 redisurl_parse(struct redisurl *u, const char *s,
		    struct ew_err *err);
/* Frees u's strings, wiping the password first; u is all zero after.
 * NULL: no-op. */
void		 redisurl_free(struct redisurl *u);
/* *dst becomes a deep copy of *src (dst must be zeroed or freed). */
void		 redisurl_copy(struct redisurl *dst,
		    const struct redisurl *src);
/* Where u points, for log lines: "unix PATH" or "HOST:PORT" ("[::1]:PORT"
 * for IPv6), then ", db N" when N is not 0; never the user or password.
 * Always NUL-terminated in out. */
void		 redisurl_where(const struct redisurl *u, char *out,
		    size_t len);
/* True when a and b reach the same server the same way (every field). */
bool		 redisurl_equal(const struct redisurl *a,
		    const struct redisurl *b);

/* SPEC §7: the file that holds the password. file not "" (nor NULL):
 * file itself (the caller has made it absolute). Otherwise, under systemd,
 * $CREDENTIALS_DIRECTORY/redis-password when that file exists; else NULL,
 * no password file. Returns a new string or NULL. */
char		*redisurl_password_file(const char *file);
/* The password in path: its first line, "\n" or "\r\n" dropped. Returns a
 * new string, or NULL with err naming path (missing, unreadable, empty,
 * or a NUL byte). */
char		*redisurl_read_password(const char *path, struct ew_err *err);
/* Resolves u's credential: the password of redisurl_password_file(file),
 * when there is such a file, replaces the URL's. Returns 0, or -1 with
 * err naming the file. */
int		 redisurl_credential(struct redisurl *u, const char *file,
		    struct ew_err *err);

#endif
