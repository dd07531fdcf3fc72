/*
 * sentinel: what Sentinel discovery decides, apart from the sockets
 * (SPEC §15). It owns the settings value, the syntax of a sentinel entry
 * (web.listen's host:port grammar through webaddr, so there is one),
 * the order of the sentinels in a round, and the reading of the two
 * replies discovery depends on. It never connects, waits or logs: the
 * sink does, and asks here what an answer means.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "sentinel.h"
#include "webaddr.h"

int
sentinel_parse_addr(const char *s, struct webaddr *out, const char **why)
{
	if (webaddr_parse(s, out, why) < 0) {
		*why = "expected host:port or [v6]:port such as "
		    "127.0.0.1:26379";
		return -EINVAL;
	}
	if (out->kind != WEBADDR_TCP) {
		/* Sentinel listens on TCP; its answers are TCP addresses */
		*why = "a sentinel is reached over TCP: expected host:port "
		    "or [v6]:port";
		return -EINVAL;
	}
	return 0;
}

void
sentinel_conf_copy(struct sentinel_conf *dst, const struct sentinel_conf *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	if (src == NULL || src->naddrs == 0)
		return;
	dst->addrs = xcalloc(src->naddrs, sizeof(*dst->addrs));
	for (i = 0; i < src->naddrs; i++)
		dst->addrs[i] = xstrdup(src->addrs[i]);
	dst->naddrs = src->naddrs;
	if (src->master_name != NULL)
		dst->master_name = xstrdup(src->master_name);
	if (src->password != NULL)
		dst->password = xstrdup(src->password);
}

void
sentinel_conf_free(struct sentinel_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->naddrs; i++)
		free(c->addrs[i]);
	free(c->addrs);
	free(c->master_name);
	if (c->password != NULL) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	memset(c, 0, sizeof(*c));
}

static bool
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool
sentinel_conf_equal(const struct sentinel_conf *a,
    const struct sentinel_conf *b)
{
	static const struct sentinel_conf none;
	size_t i;

	if (a == NULL)
		a = &none;
	if (b == NULL)
		b = &none;
	if (a->naddrs != b->naddrs)
		return false;
	if (a->naddrs == 0)	/* no Sentinel: the rest is not used */
		return true;
	for (i = 0; i < a->naddrs; i++)
		if (strcmp(a->addrs[i], b->addrs[i]) != 0)
			return false;
	return str_same(a->master_name, b->master_name) &&
	    str_same(a->password, b->password);
}

void
sentinel_round_start(struct sentinel_round *r, size_t n, size_t good)
{
	r->n = n;
	r->good = n > 0 ? good % n : 0;
	r->asked = 0;
}

int
sentinel_round_next(struct sentinel_round *r)
{
	size_t k;

	if (r->asked >= r->n)
		return -1;
	k = r->asked++;
	/* good first, then the written order without it */
	if (k == 0)
		return (int)r->good;
	return (int)(k <= r->good ? k - 1 : k);
}

int
sentinel_master_reply(bool nil, size_t n, const char *const *str,
    const size_t *len, struct webaddr *out, const char **why)
{
	char addr[WEBADDR_HOST_MAX + 16];
	const char *w;

	if (nil) {
		*why = "the sentinel does not know the master name";
		return -1;
	}
	if (n != 2 || str == NULL || len == NULL || len[0] == 0 ||
	    len[0] >= WEBADDR_HOST_MAX || len[1] == 0 || len[1] > 5 ||
	    strlen(str[0]) != len[0] || strlen(str[1]) != len[1]) {
		*why = "the answer is not a host and a port";
		return -1;
	}
	if (memchr(str[0], ':', len[0]) != NULL)
		snprintf(addr, sizeof(addr), "[%s]:%s", str[0], str[1]);
	else
		snprintf(addr, sizeof(addr), "%s:%s", str[0], str[1]);
	if (sentinel_parse_addr(addr, out, &w) < 0) {
		*why = "the answer is not a host and a port";
		return -1;
	}
	return 0;
}

enum sentinel_role
sentinel_role_reply(const char *str, size_t len)
{
	if (str == NULL)
		return SENTINEL_ROLE_UNKNOWN;
	if (len == 6 && memcmp(str, "master", 6) == 0)
		return SENTINEL_ROLE_MASTER;
	if (len == 5 && memcmp(str, "slave", 5) == 0)
		return SENTINEL_ROLE_REPLICA;
	if (len == 8 && memcmp(str, "sentinel", 8) == 0)
		return SENTINEL_ROLE_SENTINEL;
	return SENTINEL_ROLE_UNKNOWN;
}

const char *
sentinel_role_name(enum sentinel_role r)
{
	static const char *const names[] = {
		"master", "replica", "sentinel", "unknown",
	};

	return (size_t)r < ARRAY_SIZE(names) ? names[r] : "?";
}

void
sentinel_addr_format(const struct webaddr *a, char *out, size_t len)
{
	if (strchr(a->host, ':') != NULL)
		snprintf(out, len, "[%s]:%u", a->host, (unsigned)a->port);
	else
		snprintf(out, len, "%s:%u", a->host, (unsigned)a->port);
}
