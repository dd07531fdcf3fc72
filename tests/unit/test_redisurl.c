/*
 * test_redisurl: every accepted URL form with every parsed field, every
 * rejected one with its exact message (which never quotes a password),
 * and the credential rules: password file over the URL's password, the
 * systemd credential when no file is named.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "redisurl.h"
#include "check.h"

struct good {
	const char		*url;
	enum redisurl_scheme	 scheme;
	const char		*host;
	int			 port;
	const char		*path;
	const char		*user;
	const char		*password;
	int			 db;
};

static const struct good goods[] = {
	{ "redis://127.0.0.1", REDISURL_TCP, "127.0.0.1", 6379, NULL, NULL,
	    NULL, 0 },
	{ "redis://127.0.0.1:6380/2", REDISURL_TCP, "127.0.0.1", 6380, NULL,
	    NULL, NULL, 2 },
	{ "redis://redis.example-1.net:1/0", REDISURL_TCP,
	    "redis.example-1.net", 1, NULL, NULL, NULL, 0 },
	{ "redis://host/", REDISURL_TCP, "host", 6379, NULL, NULL, NULL, 0 },
	{ "redis://host:65535", REDISURL_TCP, "host", 65535, NULL, NULL,
	    NULL, 0 },
	{ "redis://u:p%40ss@host:1/0", REDISURL_TCP, "host", 1, NULL, "u",
	    "p@ss", 0 },
	{ "redis://:pw@[::1]:6379", REDISURL_TCP, "::1", 6379, NULL, NULL,
	    "pw", 0 },
	{ "redis://[::1]", REDISURL_TCP, "::1", 6379, NULL, NULL, NULL, 0 },
	{ "redis://[fe80::1:2]/7", REDISURL_TCP, "fe80::1:2", 6379, NULL,
	    NULL, NULL, 7 },
	{ "redis://[::ffff:10.0.0.1]:7000", REDISURL_TCP, "::ffff:10.0.0.1",
	    7000, NULL, NULL, NULL, 0 },
	{ "redis://[::1]/15?db=3", REDISURL_TCP, "::1", 6379, NULL, NULL,
	    NULL, 3 },
	{ "redis://alice:pw%25%40@h", REDISURL_TCP, "h", 6379, NULL,
	    "alice", "pw%@", 0 },
	{ "redis://alice@h", REDISURL_TCP, "h", 6379, NULL, "alice", NULL,
	    0 },
	{ "redis://alice:@h", REDISURL_TCP, "h", 6379, NULL, "alice", NULL,
	    0 },
	{ "redis://:@h", REDISURL_TCP, "h", 6379, NULL, NULL, NULL, 0 },
	{ "redis://a:b@c@h:2", REDISURL_TCP, "h", 2, NULL, "a", "b@c", 0 },
	{ "redis://a%3Ab:c:d@h", REDISURL_TCP, "h", 6379, NULL, "a:b", "c:d",
	    0 },
	{ "redis://h/2147483647", REDISURL_TCP, "h", 6379, NULL, NULL, NULL,
	    2147483647 },
	{ "unix:///run/redis/redis.sock", REDISURL_UNIX, NULL, 0,
	    "/run/redis/redis.sock", NULL, NULL, 0 },
	{ "unix:///run/redis/redis.sock?db=4", REDISURL_UNIX, NULL, 0,
	    "/run/redis/redis.sock", NULL, NULL, 4 },
	{ "unix:///s", REDISURL_UNIX, NULL, 0, "/s", NULL, NULL, 0 },
};

struct badurl {
	const char	*url;
	const char	*msg;	/* exact */
};

#define FORMS	"redis://[user:password@]host[:port][/db] or " \
	"unix:///path/redis.sock[?db=N]"

static const struct badurl bads[] = {
	{ "", "empty: expected " FORMS },
	{ "http://host", "expected " FORMS },
	{ "redis:/host", "expected " FORMS },
	{ "REDIS://host", "expected " FORMS },
	{ "rediss://host", "TLS (rediss://) is not supported: use redis:// "
	    "or unix://" },
	{ "redis://", "no host after redis://" },
	{ "redis://:6379", "no host after redis://" },
	{ "redis://u:topsecret@/0", "no host after redis://" },
	{ "redis://ho st", "bad host: expected letters, digits, '-', '.' or "
	    "'_', or an IPv6 address in brackets" },
	{ "redis://::1", "no host after redis://" },
	{ "redis://host:0", "bad port: expected a number from 1 to 65535 "
	    "after ':'" },
	{ "redis://host:65536", "bad port: expected a number from 1 to 65535 "
	    "after ':'" },
	{ "redis://127.0.0.1:notaport/0", "bad port: expected a number from "
	    "1 to 65535 after ':'" },
	{ "redis://host:", "bad port: expected a number from 1 to 65535 "
	    "after ':'" },
	{ "redis://host:-1", "bad port: expected a number from 1 to 65535 "
	    "after ':'" },
	{ "redis://u:topsecret@host:99999", "bad port: expected a number "
	    "from 1 to 65535 after ':'" },
	{ "redis://host/x", "bad db: expected a number after '/'" },
	{ "redis://host/-1", "bad db: expected a number after '/'" },
	{ "redis://host/2147483648", "bad db: expected a number after '/'" },
	{ "redis://host/1/2", "bad db: expected a number after '/'" },
	{ "redis://host?foo=1", "unknown query: only ?db=N is known" },
	{ "redis://host/0?db=", "bad db: expected a number after ?db=" },
	{ "redis://host#x", "unexpected '#'" },
	{ "redis://host/0#x", "unexpected '#'" },
	{ "redis://[::1", "bad IPv6 address: no closing ']'" },
	{ "redis://[]", "bad IPv6 address: write it in brackets, as in "
	    "[::1]" },
	{ "redis://[1.2.3.4]", "bad IPv6 address: write it in brackets, as "
	    "in [::1]" },
	{ "redis://[::1]x", "bad IPv6 address: expected ':' or '/' after "
	    "']'" },
	{ "redis://[::1]:0", "bad port: expected a number from 1 to 65535 "
	    "after ':'" },
	{ "redis://u:pw%4@host", "bad %XX escape in the user or password" },
	{ "redis://u:topsecret%zz@host", "bad %XX escape in the user or "
	    "password" },
	{ "redis://u%00:pw@host", "bad %XX escape in the user or password" },
	{ "unix://run/redis.sock", "the socket path must be absolute, as in "
	    "unix:///run/redis/redis.sock" },
	{ "unix://", "the socket path must be absolute, as in "
	    "unix:///run/redis/redis.sock" },
	{ "unix:///s?db=x", "bad db: expected a number after ?db=" },
	{ "unix:///s?x=1", "unknown query: only ?db=N is known" },
	{ "unix:///s#x", "unexpected '#'" },
};

static void
check_str(const char *got, const char *want)
{
	if (want == NULL)
		CHECK(got == NULL);
	else
		CHECK_STR_EQ(got, want);
}

static void
test_parse(void)
{
	struct redisurl u, c;
	struct ew_err err;
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(goods); i++) {
		const struct good *g = &goods[i];

		ew_err_clear(&err);
		r = redisurl_parse(&u, g->url, &err);
		if (r != 0)
			fprintf(stderr, "%s: %s\n", g->url, err.msg);
		CHECK_INT_EQ(r, 0);
		CHECK_STR_EQ(err.msg, "");
		CHECK_INT_EQ(u.scheme, g->scheme);
		check_str(u.host, g->host);
		CHECK_INT_EQ(u.port, g->port);
		check_str(u.path, g->path);
		check_str(u.user, g->user);
		check_str(u.password, g->password);
		CHECK_INT_EQ(u.db, g->db);
		redisurl_copy(&c, &u);
		CHECK(redisurl_equal(&c, &u));
		CHECK(c.host == NULL || c.host != u.host);
		c.db ^= 1;	/* one field differs */
		CHECK(!redisurl_equal(&c, &u));
		redisurl_free(&c);
		CHECK(c.host == NULL && c.password == NULL && c.scheme == 0);
		redisurl_free(&u);
	}
	for (i = 0; i < ARRAY_SIZE(bads); i++) {
		ew_err_clear(&err);
		CHECK_INT_EQ(redisurl_parse(&u, bads[i].url, &err), -EINVAL);
		if (strcmp(err.msg, bads[i].msg) != 0)
			fprintf(stderr, "%s: %s\n", bads[i].url, err.msg);
		CHECK_STR_EQ(err.msg, bads[i].msg);
		CHECK_STR_EQ(err.file, "");
		CHECK_INT_EQ(err.line, 0);
		CHECK(strstr(err.msg, "topsecret") == NULL);
		CHECK(u.scheme == 0 && u.host == NULL && u.path == NULL &&
		    u.user == NULL && u.password == NULL && u.port == 0 &&
		    u.db == 0);
	}
	ew_err_clear(&err);
	CHECK_INT_EQ(redisurl_parse(&u, NULL, &err), -EINVAL);
	redisurl_free(NULL);
}

struct pw_case {
	const char	*content;
	size_t		 len;
	const char	*want;		/* NULL: an error, msg */
	const char	*msg;
};

static const struct pw_case pw_cases[] = {
	{ "hunter2\n", 8, "hunter2", NULL },
	{ "hunter2\r\n", 9, "hunter2", NULL },
	{ "hunter2", 7, "hunter2", NULL },
	{ "a b\nsecond line\n", 16, "a b", NULL },
	{ "", 0, NULL, "password file is empty" },
	{ "\n", 1, NULL, "password file is empty" },
	{ "a\0b\n", 4, NULL, "password file holds a NUL byte" },
};

static void
put(const char *path, const char *content, size_t len)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	CHECK_UINT_EQ(fwrite(content, 1, len, f), len);
	CHECK(fclose(f) == 0);
}

static void
test_credential(const char *dir)
{
	struct redisurl u;
	struct ew_err err;
	char *pwf = xasprintf("%s/pw", dir), *cred = xasprintf("%s/creds",
	    dir), *credf = xasprintf("%s/creds/redis-password", dir), *pw;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pw_cases); i++) {
		put(pwf, pw_cases[i].content, pw_cases[i].len);
		ew_err_clear(&err);
		pw = redisurl_read_password(pwf, &err);
		if (pw_cases[i].want != NULL) {
			CHECK_STR_EQ(pw, pw_cases[i].want);
			CHECK_STR_EQ(err.msg, "");
		} else {
			CHECK(pw == NULL);
			CHECK_STR_EQ(err.file, pwf);
			CHECK_STR_EQ(err.msg, pw_cases[i].msg);
		}
		free(pw);
	}
	CHECK(unlink(pwf) == 0);
	ew_err_clear(&err);
	CHECK(redisurl_read_password(pwf, &err) == NULL);
	CHECK_STR_EQ(err.file, pwf);
	CHECK_STR_EQ(err.msg, "cannot open password file: No such file or "
	    "directory");

	/* no file named, no systemd: the URL's password stays */
	unsetenv("CREDENTIALS_DIRECTORY");
	CHECK(redisurl_password_file(NULL) == NULL);
	CHECK(redisurl_password_file("") == NULL);
	CHECK_INT_EQ(redisurl_parse(&u, "redis://:urlpw@h", &err), 0);
	CHECK_INT_EQ(redisurl_credential(&u, "", &err), 0);
	CHECK_STR_EQ(u.password, "urlpw");
	/* a named file wins over the URL */
	put(pwf, "filepw\n", 7);
	CHECK_INT_EQ(redisurl_credential(&u, pwf, &err), 0);
	CHECK_STR_EQ(u.password, "filepw");
	redisurl_free(&u);
	/* a named file that is missing is an error naming it */
	CHECK(unlink(pwf) == 0);
	CHECK_INT_EQ(redisurl_parse(&u, "redis://h", &err), 0);
	ew_err_clear(&err);
	CHECK_INT_EQ(redisurl_credential(&u, pwf, &err), -1);
	CHECK_STR_EQ(err.file, pwf);
	CHECK(u.password == NULL);

	/* systemd: $CREDENTIALS_DIRECTORY/redis-password when it exists */
	CHECK(mkdir(cred, 0700) == 0);
	setenv("CREDENTIALS_DIRECTORY", cred, 1);
	CHECK(redisurl_password_file("") == NULL);	/* not there yet */
	put(credf, "credpw\n", 7);
	pw = redisurl_password_file("");
	CHECK_STR_EQ(pw, credf);
	free(pw);
	pw = redisurl_password_file(NULL);
	CHECK_STR_EQ(pw, credf);
	free(pw);
	pw = redisurl_password_file("/etc/other");	/* named wins */
	CHECK_STR_EQ(pw, "/etc/other");
	free(pw);
	ew_err_clear(&err);
	CHECK_INT_EQ(redisurl_credential(&u, "", &err), 0);
	CHECK_STR_EQ(u.password, "credpw");
	redisurl_free(&u);
	setenv("CREDENTIALS_DIRECTORY", "relative/dir", 1);	/* ignored */
	CHECK(redisurl_password_file("") == NULL);
	unsetenv("CREDENTIALS_DIRECTORY");
	CHECK(unlink(credf) == 0);
	CHECK(rmdir(cred) == 0);
	free(pwf);
	free(cred);
	free(credf);
}

/* Where a URL points, for log lines: never its user or password. */
static void
test_where(void)
{
	static const struct {
		const char	*url;
		const char	*want;
	} rows[] = {
		{ "redis://127.0.0.1:6379/0", "127.0.0.1:6379" },
		{ "redis://u:secret@cache.example:7000/3",
		    "cache.example:7000, db 3" },
		{ "redis://:secret@[::1]:6380", "[::1]:6380" },
		{ "unix:///run/redis/redis.sock?db=2",
		    "unix /run/redis/redis.sock, db 2" },
	};
	struct redisurl u = { 0 };
	struct ew_err err = { 0 };
	char out[128], tiny[6];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		CHECK_INT_EQ(redisurl_parse(&u, rows[i].url, &err), 0);
		redisurl_where(&u, out, sizeof(out));
		CHECK_STR_EQ(out, rows[i].want);
		CHECK(strstr(out, "secret") == NULL);
		redisurl_where(&u, tiny, sizeof(tiny));	/* cut, terminated */
		CHECK_UINT_EQ(strlen(tiny), sizeof(tiny) - 1);
		redisurl_free(&u);
	}
}

int
main(void)
{
	char dir[] = "/tmp/ew-test-redisurl-XXXXXX";

	CHECK(mkdtemp(dir) != NULL);
	test_parse();
	test_where();
	test_credential(dir);
	CHECK(rmdir(dir) == 0);
	CHECK_DONE();
}
