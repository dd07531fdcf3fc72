/*
 * webaddr: web.listen to an address. It owns the syntax only: a host name
 * or IPv4 address and a port, an IPv6 address in brackets and a port, or
 * "unix:" and an absolute path that fits sun_path. It never resolves a
 * name or touches a socket: the web shell does that at start.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base.h"
#include "webaddr.h"

static int
parse_port(const char *p, uint16_t *out, const char **why)
{
	uint64_t v;
	size_t n = strlen(p);

	if (n == 0 || ew_parse_dec(p, n, 65535, &v) != n || v == 0) {
		*why = "the port must be a number from 1 to 65535";
		return -EINVAL;
	}
	*out = (uint16_t)v;
	return 0;
}

static int
host_ok(const char *h, size_t n)
{
	size_t i;

	if (n == 0 || n >= WEBADDR_HOST_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = h[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == ':'))
			return 0;
	}
	return 1;
}

int
webaddr_parse(const char *s, struct webaddr *out, const char **why)
{
	const char *colon, *end;
	size_t n;

	memset(out, 0, sizeof(*out));
	*why = "expected host:port, [v6]:port or unix:/path";
	if (strncmp(s, "unix:", 5) == 0) {
		s += 5;
		n = strlen(s);
		if (s[0] != '/') {
			*why = "unix: needs an absolute path";
			return -EINVAL;
		}
		if (n >= WEBADDR_PATH_MAX) {
			*why = "the socket path is longer than 107 bytes";
			return -EINVAL;
		}
		out->kind = WEBADDR_UNIX;
		memcpy(out->path, s, n + 1);
		return 0;
	}
	out->kind = WEBADDR_TCP;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':' ||
		    !host_ok(s + 1, (size_t)(end - s - 1)))
			return -EINVAL;
		memcpy(out->host, s + 1, (size_t)(end - s - 1));
		return parse_port(end + 2, &out->port, why);
	}
	colon = strrchr(s, ':');
	if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL ||
	    !host_ok(s, (size_t)(colon - s)))
		return -EINVAL;
	memcpy(out->host, s, (size_t)(colon - s));
	return parse_port(colon + 1, &out->port, why);
}
