/*
 * test_webaddr: web.listen values, good and bad, one row each.
 */
#include <errno.h>

#include "check.h"
#include "webaddr.h"

static const struct {
	const char	*in;
	int		 rc;
	int		 kind;
	const char	*host;
	unsigned	 port;
	const char	*path;
} cases[] = {
	{ "127.0.0.1:8080", 0, WEBADDR_TCP, "127.0.0.1", 8080, "" },
	{ "localhost:1", 0, WEBADDR_TCP, "localhost", 1, "" },
	{ "[::1]:8080", 0, WEBADDR_TCP, "::1", 8080, "" },
	{ "unix:/run/errwatch/web.sock", 0, WEBADDR_UNIX, "", 0,
	    "/run/errwatch/web.sock" },
	{ "unix:run/web.sock", -EINVAL, 0, "", 0, "" },	/* relative */
	{ "127.0.0.1", -EINVAL, 0, "", 0, "" },		/* no port */
	{ "127.0.0.1:0", -EINVAL, 0, "", 0, "" },
	{ "127.0.0.1:65536", -EINVAL, 0, "", 0, "" },
	{ "127.0.0.1:80x", -EINVAL, 0, "", 0, "" },
	{ ":8080", -EINVAL, 0, "", 0, "" },		/* no host */
	{ "::1:8080", -EINVAL, 0, "", 0, "" },		/* v6 needs [] */
	{ "[::1]8080", -EINVAL, 0, "", 0, "" },
	{ "bad host:80", -EINVAL, 0, "", 0, "" },
	{ "", -EINVAL, 0, "", 0, "" },
};

int
main(void)
{
	struct webaddr a;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		CHECK_INT_EQ(webaddr_parse(cases[i].in, &a, &why),
		    cases[i].rc);
		if (cases[i].rc < 0) {
			CHECK(why != NULL);
			continue;
		}
		CHECK_INT_EQ(a.kind, cases[i].kind);
		CHECK_STR_EQ(a.host, cases[i].host);
		CHECK_UINT_EQ(a.port, cases[i].port);
		CHECK_STR_EQ(a.path, cases[i].path);
	}
	CHECK_DONE();
}
