/*
 * test_sentinel: the pure half of Sentinel discovery, as tables: entries
 * good and bad, the order of a round, get-master-addr-by-name and ROLE
 * answers, and the settings value (copy, equal, free).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sentinel.h"

static const struct {
	const char	*in;
	int		 rc;
	const char	*host;
	unsigned	 port;
} addrs[] = {
	{ "127.0.0.1:26379", 0, "127.0.0.1", 26379 },
	{ "sentinel-1.example:26379", 0, "sentinel-1.example", 26379 },
	{ "[::1]:26380", 0, "::1", 26380 },
	{ "127.0.0.1", -EINVAL, "", 0 },		/* no port */
	{ "127.0.0.1:0", -EINVAL, "", 0 },
	{ "127.0.0.1:70000", -EINVAL, "", 0 },
	{ "::1:26379", -EINVAL, "", 0 },		/* v6 needs [] */
	{ "unix:/run/sentinel.sock", -EINVAL, "", 0 },	/* TCP only */
	{ "a b:26379", -EINVAL, "", 0 },
	{ "", -EINVAL, "", 0 },
};

/* n sentinels, good first: the indexes asked, then -1. */
static const struct {
	size_t		 n;
	size_t		 good;
	int		 order[6];
} rounds[] = {
	{ 3, 0, { 0, 1, 2, -1 } },
	{ 3, 1, { 1, 0, 2, -1 } },	/* the one that answered last first */
	{ 3, 2, { 2, 0, 1, -1 } },
	{ 3, 5, { 2, 0, 1, -1 } },	/* taken modulo n */
	{ 1, 0, { 0, -1 } },
	{ 0, 0, { -1 } },
};

static const struct {
	bool		 nil;
	size_t		 n;
	const char	*host;
	const char	*port;
	int		 rc;
	const char	*want;	/* sentinel_addr_format of the answer */
} masters[] = {
	{ false, 2, "127.0.0.1", "6380", 0, "127.0.0.1:6380" },
	{ false, 2, "::1", "6379", 0, "[::1]:6379" },
	{ false, 2, "redis-a.example", "6379", 0, "redis-a.example:6379" },
	{ true, 0, NULL, NULL, -1, NULL },	/* name not monitored */
	{ false, 1, "127.0.0.1", NULL, -1, NULL },
	{ false, 2, "127.0.0.1", "0", -1, NULL },
	{ false, 2, "127.0.0.1", "65536", -1, NULL },
	{ false, 2, "127.0.0.1", "63x", -1, NULL },
	{ false, 2, "", "6379", -1, NULL },
	{ false, 2, "bad host", "6379", -1, NULL },
};

static const struct {
	const char		*first;
	enum sentinel_role	 role;
} roles[] = {
	{ "master", SENTINEL_ROLE_MASTER },
	{ "slave", SENTINEL_ROLE_REPLICA },
	{ "sentinel", SENTINEL_ROLE_SENTINEL },
	{ "masters", SENTINEL_ROLE_UNKNOWN },
	{ "", SENTINEL_ROLE_UNKNOWN },
	{ NULL, SENTINEL_ROLE_UNKNOWN },	/* not an array of a string */
};

static void
test_addrs(void)
{
	struct webaddr a;
	const char *why;
	char out[300];
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		why = NULL;
		CHECK_INT_EQ(sentinel_parse_addr(addrs[i].in, &a, &why),
		    addrs[i].rc);
		if (addrs[i].rc != 0) {
			CHECK(why != NULL);
			continue;
		}
		CHECK_STR_EQ(a.host, addrs[i].host);
		CHECK_UINT_EQ(a.port, addrs[i].port);
		sentinel_addr_format(&a, out, sizeof(out));
		CHECK_STR_EQ(out, addrs[i].in);
	}
}

static void
test_rounds(void)
{
	struct sentinel_round r;
	size_t i, k;

	for (i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++) {
		sentinel_round_start(&r, rounds[i].n, rounds[i].good);
		for (k = 0; k <= rounds[i].n; k++)
			CHECK_INT_EQ(sentinel_round_next(&r),
			    rounds[i].order[k]);
		CHECK_INT_EQ(sentinel_round_next(&r), -1);	/* stays */
	}
}

static void
test_masters(void)
{
	struct webaddr a;
	const char *str[2], *why;
	size_t len[2];
	char out[300];
	size_t i;

	for (i = 0; i < sizeof(masters) / sizeof(masters[0]); i++) {
		str[0] = masters[i].host;
		str[1] = masters[i].port;
		len[0] = str[0] != NULL ? strlen(str[0]) : 0;
		len[1] = str[1] != NULL ? strlen(str[1]) : 0;
		why = NULL;
		CHECK_INT_EQ(sentinel_master_reply(masters[i].nil,
		    masters[i].n, str, len, &a, &why), masters[i].rc);
		if (masters[i].rc != 0) {
			CHECK(why != NULL);
			continue;
		}
		sentinel_addr_format(&a, out, sizeof(out));
		CHECK_STR_EQ(out, masters[i].want);
	}
}

static void
test_roles(void)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		CHECK_INT_EQ(sentinel_role_reply(roles[i].first,
		    roles[i].first != NULL ? strlen(roles[i].first) : 0),
		    roles[i].role);
	CHECK_STR_EQ(sentinel_role_name(SENTINEL_ROLE_REPLICA), "replica");
}

static void
test_conf(void)
{
	static char s1[] = "127.0.0.1:26379", s2[] = "127.0.0.1:26380";
	static char name[] = "mymaster", pw[] = "pw";
	char *addrs2[2] = { s1, s2 };
	struct sentinel_conf a = { addrs2, 2, name, pw };
	struct sentinel_conf b, none = { NULL, 0, NULL, NULL };

	sentinel_conf_copy(&b, &a);
	CHECK(b.addrs != a.addrs);
	CHECK(sentinel_conf_equal(&a, &b));
	free(b.password);
	b.password = NULL;		/* the password counts */
	CHECK(!sentinel_conf_equal(&a, &b));
	sentinel_conf_free(&b);
	CHECK_UINT_EQ(b.naddrs, 0);
	CHECK(sentinel_conf_equal(&b, NULL));
	CHECK(sentinel_conf_equal(&none, NULL));
	CHECK(!sentinel_conf_equal(&a, NULL));
	sentinel_conf_copy(&b, NULL);
	CHECK(b.addrs == NULL);
	sentinel_conf_free(&b);
	sentinel_conf_free(NULL);
}

int
main(void)
{
	test_addrs();
	test_rounds();
	test_masters();
	test_roles();
	test_conf();
	CHECK_DONE();
}
