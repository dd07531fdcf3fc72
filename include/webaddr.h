/*
 * webaddr: the web.listen value of SPEC §14 ("host:port", "[::1]:port" or
 * "unix:/path") to a struct webaddr. A value type: no memory, no
 * descriptor; config checks the syntax with it, the web shell binds.
 */
#ifndef EW_WEBADDR_H
#define EW_WEBADDR_H

#include <stdint.h>

#define WEBADDR_HOST_MAX	256
#define WEBADDR_PATH_MAX	108	/* sun_path */

enum webaddr_kind {
	WEBADDR_TCP,
	WEBADDR_UNIX,
};

struct webaddr {
	enum webaddr_kind kind;
	char		  host[WEBADDR_HOST_MAX];	/* TCP: no brackets */
	uint16_t	  port;				/* TCP: 1..65535 */
	char		  path[WEBADDR_PATH_MAX];	/* unix: absolute */
};

/* Parses s into *out. Returns 0, or -EINVAL with *why pointing at a static
 * reason ("expected host:port, [v6]:port or unix:/path", ...). */
int	 webaddr_parse(const char *s, struct webaddr *out, const char **why);

#endif
