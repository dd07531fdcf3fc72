/*
 * test_httpc: POSTs through libcurl's multi interface on a real libuv
 * loop, against a real HTTP server that this test starts on loopback
 * (tests/integration/receiver.py): 2xx, 4xx and 5xx replies with their
 * bodies, a refused connection, a server that never answers (the request
 * time-out), a URL curl refuses, headers and body as sent, and a close
 * with a request in flight. Ends with uv_loop_close() == 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "base.h"
#include "check.h"
#include "httpc.h"

static char dir[] = "/tmp/ew-test-httpc-XXXXXX";
static char port_file[64], log_file[64];
static pid_t server;

static void
stop_server(void)
{
	char cmd[128];

	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static int
start_server(void)
{
	const char *src = getenv("EW_SRC");
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char script[512];
	FILE *f;
	int i, port = 0;

	snprintf(script, sizeof(script), "%s/tests/integration/receiver.py",
	    src != NULL ? src : ".");
	snprintf(port_file, sizeof(port_file), "%s/port", dir);
	snprintf(log_file, sizeof(log_file), "%s/requests", dir);
	if ((server = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("python3", "python3", script, port_file, log_file,
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && port == 0; i++) {	/* bounded poll */
		if ((f = fopen(port_file, "r")) != NULL) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (port == 0)
			nanosleep(&ts, NULL);
	}
	return port;
}

/* A loopback port nobody listens on: bound, then closed. */
static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

struct post_case {
	const char	*path;	/* NULL: the closed port */
	long		 status;
	const char	*body;	/* the reply, as the server sends it */
	int		 done;
	long		 got_status;
	char		 got_body[64];
	char		 got_error[128];
};

static struct post_case cases[] = {
	{ "/ok", 200, "status 200\n", 0, -1, "", "" },
	{ "/status/202", 202, "status 202\n", 0, -1, "", "" },
	{ "/status/400", 400, "status 400\n", 0, -1, "", "" },
	{ "/status/503", 503, "status 503\n", 0, -1, "", "" },
	{ "/hang", 0, "", 0, -1, "", "" },	/* the request time-out */
	{ NULL, 0, "", 0, -1, "", "" },		/* refused */
};

static int ndone;

static void
done_cb(void *arg, const struct httpc_result *r)
{
	struct post_case *c = arg;

	c->done++;
	c->got_status = r->status;
	snprintf(c->got_body, sizeof(c->got_body), "%.*s", (int)r->len,
	    r->body);
	snprintf(c->got_error, sizeof(c->got_error), "%s", r->error);
	ndone++;
}

static void
walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int
main(void)
{
	struct httpc_opts o = { 2000, 1000 };
	char h1[] = "X-Test: one two", h2[] = "Authorization: Bearer t";
	char *headers[] = { h1, h2 };
	struct post_case closing = { "/hang", 0, "", 0, -1, "", "" };
	struct ew_err err = { 0 };
	uv_loop_t loop;
	struct httpc *h;
	char url[128], line[4096];
	int port, dead, r, nlines = 0;
	size_t i;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	atexit(stop_server);
	port = start_server();
	CHECK(port > 0);
	dead = closed_port();
	uv_loop_init(&loop);
	h = httpc_create(&loop, &o, &err);
	CHECK(h != NULL);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].path != NULL)
			snprintf(url, sizeof(url), "http://127.0.0.1:%d%s",
			    port, cases[i].path);
		else
			snprintf(url, sizeof(url), "http://127.0.0.1:%d/",
			    dead);
		r = httpc_post(h, url, headers, ARRAY_SIZE(headers),
		    "{\"a\":1}", 7, done_cb, &cases[i]);
		CHECK_INT_EQ(r, 0);
	}
	CHECK_UINT_EQ(httpc_inflight(h), ARRAY_SIZE(cases));
	CHECK_INT_EQ(httpc_post(h, "ftp://127.0.0.1/", NULL, 0, "", 0,
	    done_cb, &closing), -EINVAL);
	while (ndone < (int)ARRAY_SIZE(cases))
		uv_run(&loop, UV_RUN_ONCE);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		CHECK_INT_EQ(cases[i].done, 1);
		CHECK_INT_EQ(cases[i].got_status, cases[i].status);
		CHECK_STR_EQ(cases[i].got_body, cases[i].body);
		CHECK((cases[i].status == 0) == (cases[i].got_error[0] != 0));
	}
	CHECK_UINT_EQ(httpc_inflight(h), 0);

	/* what the server got: 5 requests with our headers and body */
	f = fopen(log_file, "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		nlines++;
		CHECK(strstr(line, "\"X-Test\": \"one two\"") != NULL);
		CHECK(strstr(line, "\"Authorization\": \"Bearer t\"") != NULL);
		CHECK(strstr(line, "\"Content-Type\": \"application/json\"") !=
		    NULL);
		CHECK(strstr(line, "\"body\": \"{\\\"a\\\":1}\"") != NULL);
	}
	fclose(f);
	CHECK_INT_EQ(nlines, 5);

	/* a close with a request in flight: its callback hears "closed" */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hang", port);
	CHECK_INT_EQ(httpc_post(h, url, NULL, 0, "x", 1, done_cb, &closing),
	    0);
	for (i = 0; i < 5; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	httpc_close(h);
	CHECK_INT_EQ(closing.done, 1);
	CHECK_INT_EQ(closing.got_status, 0);
	CHECK_STR_EQ(closing.got_error, "closed");
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_walk(&loop, walk_cb, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK_INT_EQ(uv_loop_close(&loop), 0);
	CHECK_DONE();
}
