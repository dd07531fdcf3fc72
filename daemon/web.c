/*
 * web: the HTTP shell of errwatch-web. libmicrohttpd runs in external
 * polling mode with epoll: its one descriptor sits in a uv_poll and its
 * next time-out in a uv_timer, so requests, Redis replies and signals are
 * all served by the same libuv thread, with no lock. A request that needs
 * Redis is suspended (MHD_suspend_connection) while its commands are in
 * flight on the sink, then resumed to queue the answer; the others go on
 * meanwhile. Limits (SPEC §14): 256 connections (more wait in the listen
 * backlog), 30 s idle time-out, 16 KiB of memory per connection (a longer
 * request line or header is refused by libmicrohttpd). It owns the
 * descriptors, the Redis commands and the sharing of reads between
 * requests (struct snap: a page is at most 3 s old, usually under 1 s);
 * what an answer says belongs to route, fleet, html, api and metrics.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "base.h"
#include "config.h"
#include "snapshot.h"
#include "html.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "sink.h"
#include "web.h"
#include "webaddr.h"

#define WEB_CONN_MAX		256
#define WEB_IDLE_S		30
#define WEB_CONN_MEMORY		(16 * 1024)
#define WEB_SNAP_MS		1000	/* a read answers this long */
#define WEB_STALE_MS		3000	/* ... or this long, while the
					 * next read is in flight */
#define WEB_NAMED_MAX		256	/* class and host answers kept */
#define WEB_DYGRAPHS_DIR	"/usr/share/javascript/dygraphs"

static const char csp[] = "default-src 'none'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

struct web {
	uv_loop_t		*loop;
	struct sink		*sink;
	struct MHD_Daemon	*mhd;
	int			 listen_fd;
	char			*unix_path;	/* to unlink at close */
	uv_poll_t		 poll;
	uv_timer_t		 timer;
	int			 open_handles;
	bool			 closing;
	char			*prefix;
	char			*assets;
	uint64_t		 refresh_ms;
	uint64_t		 silent_after_s;	/* delivery.silent_after */
	struct config_bucket	 buckets[CONFIG_MAX_BUCKETS];
	size_t			 nbuckets;
	char			 status[128];
	uint64_t		 served;
	struct snap		*snaps;	/* reads fresh or in flight */
};

/*
 * One read of Redis, shared: every request that needs the same data within
 * WEB_SNAP_MS of its read is answered from it; past that, the next read is
 * started and, while it is in flight, the last good one answers (up to
 * WEB_STALE_MS old); with none, requests wait for it (SPEC §14: the work
 * is bounded by what is asked, not by how many ask). key "" is the fleet
 * snapshot that every page and most answers use;
 * "series:<res>:<from>:<to>" a series read;
 * "ping" /healthz. The answers rendered from it are kept with it (every
 * unnamed one, up to WEB_NAMED_MAX class and host ones). Freed when the last reference goes (the list holds one, each
 * request one).
 */
struct snap {
	struct web	*w;
	struct snap	*next;		/* in w->snaps */
	char		 key[80];
	struct snapshot	*data;
	uint64_t	 taken_ms;	/* monotonic, when the read began */
	size_t		 pending;	/* commands in flight */
	bool		 done;
	bool		 failed;	/* a reply missing or refused */
	char		 why[160];
	int		 refs;
	struct req	*waiters;
	struct buf	 body[ROUTE_DYGRAPHS + 1];	/* by route kind */
	bool		 has_body[ROUTE_DYGRAPHS + 1];
	struct named	*named;		/* class and host answers */
	size_t		 nnamed;	/* at most WEB_NAMED_MAX */
};

/* A rendered class or host answer, kept with its read. */
struct named {
	struct named	*next;
	enum route_kind	 kind;
	char		*name;
	size_t		 len;
	struct buf	 body;
};

/* One request. */
struct req {
	struct web		*w;
	struct MHD_Connection	*conn;
	struct route		 route;
	char			 name[ROUTE_NAME_MAX + 1];
	struct snap		*snap;		/* a reference */
	struct req		*next_waiter;
	bool			 suspended;
	uint64_t		 from_ms, to_ms;
};

enum cmd_kind {
	CMD_CODES, CMD_TOTALS, CMD_UNCL, CMD_ACTIVE, CMD_EVENTS, CMD_HOSTS,
	CMD_WINDOW, CMD_HOST_STATS, CMD_HOST_COUNTS, CMD_SERIES, CMD_PING,
};

struct cmd {
	struct snap	*snap;
	enum cmd_kind	 kind;
	size_t		 idx;	/* window or host index */
};

static void	kick(struct web *w);

static void
snap_unref(struct snap *sn)
{
	struct named *nm;
	size_t i;

	if (sn == NULL || --sn->refs > 0)
		return;
	snapshot_destroy(sn->data);
	for (i = 0; i < ARRAY_SIZE(sn->body); i++)
		buf_free(&sn->body[i]);
	while ((nm = sn->named) != NULL) {
		sn->named = nm->next;
		free(nm->name);
		buf_free(&nm->body);
		free(nm);
	}
	free(sn);
}

/* Drops from the list the reads that are done and failed, too old to
 * serve even while the next is in flight, or followed by a newer one. */
static void
snaps_prune(struct web *w, uint64_t now)
{
	struct snap **pp = &w->snaps, *sn, *o;
	bool newer;

	while ((sn = *pp) != NULL) {
		newer = false;
		for (o = w->snaps; sn->done && o != NULL && !newer;
		    o = o->next)
			newer = o != sn && o->done && !o->failed &&
			    strcmp(o->key, sn->key) == 0 &&
			    o->taken_ms > sn->taken_ms;
		if (sn->done && (sn->failed || newer ||
		    now - sn->taken_ms >= WEB_STALE_MS)) {
			*pp = sn->next;
			snap_unref(sn);
		} else
			pp = &sn->next;
	}
}

/* --- answers --------------------------------------------------------- */

/* The headers every answer carries (SPEC §14: no inline script, nothing
 * sniffed, nothing leaked in Referer); cache: Cache-Control's value. */
static void
add_headers(struct MHD_Response *resp, const char *ctype, const char *cache)
{
	MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", cache);
}

static enum MHD_Result
respond(struct MHD_Connection *c, unsigned status, const char *ctype,
    struct buf *body)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(body->len, body->p,
	    MHD_RESPMEM_MUST_COPY);
	buf_free(body);
	if (resp == NULL)
		return MHD_NO;
	add_headers(resp, ctype, "no-store");
	if (status == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
refuse(struct MHD_Connection *c, unsigned status, const char *why,
    bool json)
{
	struct buf b = { NULL, 0, 0 };

	if (json) {
		api_error(&b, why);
		return respond(c, status, "application/json", &b);
	}
	html_error(&b, status, why);
	return respond(c, status, "text/html; charset=utf-8", &b);
}

static const char *
file_type(const char *name, size_t len)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".png", "image/png" },
		{ ".svg", "image/svg+xml" },
		{ ".map", "application/json" },
		{ ".html", "text/html; charset=utf-8" },
	};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		n = strlen(types[i].ext);
		if (len > n && memcmp(name + len - n, types[i].ext, n) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}

static enum MHD_Result
serve_file(struct MHD_Connection *c, const char *dir, const char *name,
    size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	struct stat st;
	char *path;
	int fd;

	path = xasprintf("%s/%.*s", dir, (int)len, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	free(path);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		return refuse(c, 404, "no such file", false);
	}
	resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (resp == NULL) {
		close(fd);
		return MHD_NO;
	}
	add_headers(resp, file_type(name, len), "max-age=300");
	rc = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
answer(struct req *r)
{
	struct snap *sn = r->snap;
	struct snapshot *f = sn->data;
	struct html_opts o = { r->w->refresh_ms, NULL };
	struct buf own = { NULL, 0, 0 }, *b = &own;
	struct MHD_Response *resp;
	enum MHD_Result rc;
	const char *ctype = "application/json";
	unsigned status = sn->failed ? 503 : 200;
	enum route_kind k = r->route.kind;
	bool shared = true, cached = false;
	struct named *nm = NULL;

	if (sn->failed)
		o.redis_error = sn->why;
	if (k < ARRAY_SIZE(sn->body) && r->route.name == NULL) {
		b = &sn->body[k];
		cached = sn->has_body[k];
		sn->has_body[k] = true;
	} else {
		for (nm = sn->named; nm != NULL; nm = nm->next)
			if (nm->kind == k && nm->len == r->route.len &&
			    memcmp(nm->name, r->name, nm->len) == 0)
				break;
		if (nm == NULL && sn->nnamed < WEB_NAMED_MAX) {
			nm = xcalloc(1, sizeof(*nm));
			nm->kind = k;
			nm->name = xstrndup(r->name, r->route.len);
			nm->len = r->route.len;
			nm->next = sn->named;
			sn->named = nm;
			sn->nnamed++;
		} else if (nm != NULL)
			cached = true;
		if (nm != NULL)
			b = &nm->body;
		else
			shared = false;	/* past the bound: rendered alone */
	}
	switch (k) {
	case ROUTE_FLEET:
	case ROUTE_CLASS:
	case ROUTE_HOST:
		ctype = "text/html; charset=utf-8";
		break;
	case ROUTE_METRICS:
		ctype = sn->failed ? "text/plain; charset=utf-8" :
		    "text/plain; version=0.0.4; charset=utf-8";
		break;
	case ROUTE_HEALTHZ:
		ctype = "text/plain; charset=utf-8";
		break;
	default:
		break;
	}
	if (!cached) {
		if (sn->failed && k >= ROUTE_API_TOTALS &&
		    k <= ROUTE_API_HOST)
			api_error(b, sn->why);
		else if (sn->failed && k == ROUTE_METRICS)
			/* Prometheus marks the target down: no stale zeros */
			buf_printf(b, "redis unreachable: %s\n", sn->why);
		else if (k == ROUTE_FLEET)
			html_fleet(b, f, &o);
		else if (k == ROUTE_CLASS)
			html_class(b, f, r->name, r->route.len, &o);
		else if (k == ROUTE_HOST)
			html_host(b, f, r->name, r->route.len, &o);
		else if (k == ROUTE_API_TOTALS)
			api_totals(b, f);
		else if (k == ROUTE_API_SERIES)
			api_series(b, f, r->from_ms, r->to_ms);
		else if (k == ROUTE_API_ALERTS)
			api_alerts(b, f);
		else if (k == ROUTE_API_HOSTS)
			api_hosts(b, f);
		else if (k == ROUTE_API_CLASSES)
			api_classes(b, f);
		else if (k == ROUTE_API_CLASS)
			api_class(b, f, r->name, r->route.len);
		else if (k == ROUTE_API_HOST)
			api_host(b, f, r->name, r->route.len);
		else if (k == ROUTE_METRICS)
			metrics_render(b, f);
		else if (k == ROUTE_HEALTHZ)
			buf_puts(b, sn->failed ? "redis unreachable\n" :
			    "ok\n");
	}
	/* a shared body lives in the snap, which the request holds until
	 * libmicrohttpd has sent it (completed_cb) */
	resp = MHD_create_response_from_buffer(b->len, b->p, shared ?
	    MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	buf_free(&own);
	if (resp == NULL)
		return MHD_NO;
	add_headers(resp, ctype, "no-store");
	rc = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* --- Redis ------------------------------------------------------------- */

static void
fail(struct snap *sn, const char *why)
{
	if (!sn->failed)
		snprintf(sn->why, sizeof(sn->why), "%s", why);
	sn->failed = true;
}

static struct snapshot_kv *
pairs(const struct sink_reply *a, size_t *n)
{
	struct snapshot_kv *kv;
	size_t i;

	*n = 0;
	if (a->type != SINK_REPLY_ARRAY || a->nelem < 2)
		return NULL;
	kv = xcalloc(a->nelem / 2, sizeof(*kv));
	for (i = 0; i + 1 < a->nelem; i += 2) {
		if (a->elem[i].type != SINK_REPLY_STRING ||
		    a->elem[i + 1].type != SINK_REPLY_STRING)
			continue;
		kv[*n].k = a->elem[i].str;
		kv[*n].klen = a->elem[i].len;
		kv[*n].v = a->elem[i + 1].str;
		kv[*n].vlen = a->elem[i + 1].len;
		(*n)++;
	}
	return kv;
}

static void	send_cmd(struct snap *sn, enum cmd_kind kind, size_t idx,
		    int argc, const char **argv);

static void
host_cmds(struct snap *sn)
{
	struct snapshot *f = sn->data;
	struct buf k = { NULL, 0, 0 };
	const char *argv[2];
	size_t i;

	for (i = 0; i < f->nhosts; i++) {
		buf_reset(&k);
		keys_name(&k, sn->w->prefix, "stats:");
		buf_append(&k, f->hosts[i].name.p, f->hosts[i].name.len);
		argv[0] = "HGETALL";
		argv[1] = k.p;
		send_cmd(sn, CMD_HOST_STATS, i, 2, argv);
		buf_reset(&k);
		keys_name(&k, sn->w->prefix, "host:");
		buf_append(&k, f->hosts[i].name.p, f->hosts[i].name.len);
		buf_puts(&k, ":count:total");
		argv[1] = k.p;
		send_cmd(sn, CMD_HOST_COUNTS, i, 2, argv);
	}
	buf_free(&k);
}

static void
stream_entry(struct snapshot *f, const struct sink_reply *e, bool point)
{
	struct snapshot_kv *kv;
	size_t n;

	if (e->type != SINK_REPLY_ARRAY || e->nelem != 2 ||
	    e->elem[0].type != SINK_REPLY_STRING)
		return;
	kv = pairs(&e->elem[1], &n);
	if (point)
		snapshot_add_point(f, e->elem[0].str, e->elem[0].len, kv, n);
	else
		snapshot_add_event(f, kv, n);
	free(kv);
}

/* The read is complete: every waiter is resumed to be answered. */
static void
snap_done(struct snap *sn)
{
	struct req *r;

	sn->done = true;
	snapshot_finish(sn->data);
	while ((r = sn->waiters) != NULL) {
		sn->waiters = r->next_waiter;
		r->suspended = false;
		MHD_resume_connection(r->conn);
	}
	kick(sn->w);
}

static void
reply_cb(void *arg, const struct sink_reply *rep)
{
	struct cmd *c = arg;
	struct snap *sn = c->snap;
	struct snapshot *f = sn->data;
	struct snapshot_kv *kv = NULL;
	size_t i, n = 0;

	sn->pending--;
	if (rep == NULL)
		fail(sn, "the link to Redis was lost");
	else if (rep->type == SINK_REPLY_ERROR)
		fail(sn, rep->str);
	else {
		kv = pairs(rep, &n);
		switch (c->kind) {
		case CMD_CODES:
			snapshot_add_codes(f, kv, n);
			break;
		case CMD_TOTALS:
			snapshot_add_totals(f, kv, n);
			break;
		case CMD_UNCL:
			snapshot_add_uncl(f, kv, n);
			break;
		case CMD_ACTIVE:
			snapshot_add_active(f, kv, n);
			break;
		case CMD_WINDOW:
			snapshot_add_window(f, (unsigned)c->idx, kv, n);
			break;
		case CMD_HOSTS:
			snapshot_add_hosts(f, kv, n);
			if (!sn->w->closing)
				host_cmds(sn);
			break;
		case CMD_HOST_STATS:
			snapshot_add_host_stats(f, c->idx, kv, n);
			break;
		case CMD_HOST_COUNTS:
			snapshot_add_host_counts(f, c->idx, kv, n);
			break;
		case CMD_EVENTS:
		case CMD_SERIES:
			for (i = 0; rep->type == SINK_REPLY_ARRAY &&
			    i < rep->nelem; i++)
				stream_entry(f, &rep->elem[i],
				    c->kind == CMD_SERIES);
			break;
		case CMD_PING:
			break;
		}
	}
	free(kv);
	free(c);
	if (sn->pending == 0)
		snap_done(sn);
	snap_unref(sn);		/* the command's reference */
}

static void
send_cmd(struct snap *sn, enum cmd_kind kind, size_t idx, int argc,
    const char **argv)
{
	struct cmd *c;
	size_t lens[8];
	int i;

	if (sn->failed)
		return;
	c = xcalloc(1, sizeof(*c));
	c->snap = sn;
	c->kind = kind;
	c->idx = idx;
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (sink_command(sn->w->sink, argc, argv, lens, reply_cb, c) < 0) {
		free(c);
		fail(sn, sink_state_name(sink_state(sn->w->sink)));
		return;
	}
	sn->refs++;
	sn->pending++;
}

static void
send_named(struct snap *sn, enum cmd_kind kind, size_t idx,
    const char *verb, const char *name)
{
	struct buf k = { NULL, 0, 0 };
	const char *argv[2];

	keys_name(&k, sn->w->prefix, name);
	argv[0] = verb;
	argv[1] = k.p;
	send_cmd(sn, kind, idx, 2, argv);
	buf_free(&k);
}

/* SPEC §14: what a page or an answer shows, read afresh. */
static void
fetch_snapshot(struct snap *sn)
{
	struct web *w = sn->w;
	struct buf k = { NULL, 0, 0 };
	uint64_t starts[SNAPSHOT_WINDOW_BUCKETS];
	const char *argv[7];
	char name[64];
	size_t i, n, res;
	unsigned win;

	send_named(sn, CMD_CODES, 0, "HGETALL", "codes");
	send_named(sn, CMD_TOTALS, 0, "HGETALL", "count:total");
	send_named(sn, CMD_UNCL, 0, "HGETALL", "unclassified");
	send_named(sn, CMD_ACTIVE, 0, "HGETALL", "alerts:active");
	keys_name(&k, w->prefix, "hosts");
	argv[0] = "ZRANGE";
	argv[1] = k.p;
	argv[2] = "0";
	argv[3] = "-1";
	argv[4] = "WITHSCORES";
	send_cmd(sn, CMD_HOSTS, 0, 5, argv);
	buf_reset(&k);
	keys_name(&k, w->prefix, "alerts");
	argv[0] = "XREVRANGE";
	argv[1] = k.p;
	argv[2] = "+";
	argv[3] = "-";
	argv[4] = "COUNT";
	argv[5] = "50";
	send_cmd(sn, CMD_EVENTS, 0, 6, argv);
	for (win = 0; win < SNAPSHOT_WINDOWS; win++) {
		n = snapshot_window_buckets(w->buckets, w->nbuckets, win,
		    sn->data->now_ms / 1000, starts, &res);
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "count:%s:%" PRIu64,
			    w->buckets[res].name, starts[i]);
			send_named(sn, CMD_WINDOW, win, "HGETALL", name);
		}
	}
	buf_free(&k);
}

static void
fetch_series(struct snap *sn, size_t bucket, uint64_t from_ms,
    uint64_t to_ms)
{
	struct buf k = { NULL, 0, 0 };
	char from[32], to[32], count[32];
	const char *argv[6];

	snprintf(sn->data->res, sizeof(sn->data->res), "%s",
	    sn->w->buckets[bucket].name);
	keys_name(&k, sn->w->prefix, "series:");
	buf_puts(&k, sn->data->res);
	snprintf(from, sizeof(from), "%" PRIu64, from_ms);
	snprintf(to, sizeof(to), "%" PRIu64, to_ms);
	snprintf(count, sizeof(count), "%d", ROUTE_SERIES_POINTS + 1);
	argv[0] = "XRANGE";
	argv[1] = k.p;
	argv[2] = from;
	argv[3] = to;
	argv[4] = "COUNT";
	argv[5] = count;
	send_cmd(sn, CMD_SERIES, 0, 6, argv);
	buf_free(&k);
}

static struct snap *
snap_start(struct web *w, const char *key, enum route_kind kind,
    size_t bucket, uint64_t from_ms, uint64_t to_ms, uint64_t now)
{
	struct snap *sn = xcalloc(1, sizeof(*sn));

	sn->w = w;
	snprintf(sn->key, sizeof(sn->key), "%s", key);
	sn->data = snapshot_create(ew_wall_ms(), w->silent_after_s);
	sn->taken_ms = now;
	sn->refs = 2;	/* the list's, and ours until the sends are out */
	sn->next = w->snaps;
	w->snaps = sn;
	if (kind == ROUTE_API_SERIES)
		fetch_series(sn, bucket, from_ms, to_ms);
	else if (kind == ROUTE_HEALTHZ) {
		const char *ping[1] = { "PING" };

		send_cmd(sn, CMD_PING, 0, 1, ping);
	} else
		fetch_snapshot(sn);
	if (sn->pending == 0) {
		sn->done = true;
		snapshot_finish(sn->data);
	}
	sn->refs--;
	return sn;
}

/* The read that answers for key: one done less than WEB_SNAP_MS ago;
 * else the next is started (or joined), and while it is in flight the
 * last good one answers, up to WEB_STALE_MS old, so a page never waits
 * behind a refresh. A failure answers at once. */
static struct snap *
snap_get(struct web *w, const char *key, enum route_kind kind,
    size_t bucket, uint64_t from_ms, uint64_t to_ms)
{
	struct snap *sn, *done = NULL, *flying = NULL;
	uint64_t now;

	uv_update_time(w->loop);
	now = uv_now(w->loop);
	snaps_prune(w, now);
	for (sn = w->snaps; sn != NULL; sn = sn->next) {
		if (strcmp(sn->key, key) != 0)
			continue;
		if (!sn->done)
			flying = sn;
		else if (done == NULL || sn->taken_ms > done->taken_ms)
			done = sn;
	}
	if (done != NULL && now - done->taken_ms < WEB_SNAP_MS)
		return done;
	if (flying == NULL)
		flying = snap_start(w, key, kind, bucket, from_ms, to_ms,
		    now);
	if (done != NULL && !flying->done)
		return done;
	return flying;
}

/* --- libmicrohttpd ----------------------------------------------------- */

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct req *r = *con_cls;
	struct route rt;
	const char *why;
	char key[80];
	unsigned status;
	size_t bucket = 0;

	(void)version;
	(void)upload;
	if (r != NULL)
		return r->snap->done ? answer(r) : MHD_YES;
	log_debug("http: %s %s", method, url);
	status = route_parse(method, url, &rt, &why);
	if (status != 0)
		return refuse(conn, status, why, strncmp(url, "/api/", 5) ==
		    0);
	if (*upload_size != 0) {
		*upload_size = 0;
		return refuse(conn, 400, "a GET carries no body", false);
	}
	if (rt.kind == ROUTE_STATIC)
		return serve_file(conn, w->assets, rt.name, rt.len);
	if (rt.kind == ROUTE_DYGRAPHS)
		return serve_file(conn, WEB_DYGRAPHS_DIR, rt.name, rt.len);
	r = xcalloc(1, sizeof(*r));
	r->w = w;
	r->conn = conn;
	r->route = rt;
	if (rt.name != NULL) {
		memcpy(r->name, rt.name, rt.len);
		r->route.name = r->name;
	}
	*con_cls = r;
	w->served++;
	key[0] = '\0';
	if (rt.kind == ROUTE_API_SERIES) {
		status = route_series(MHD_lookup_connection_value(conn,
		    MHD_GET_ARGUMENT_KIND, "res"),
		    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		    "from"), MHD_lookup_connection_value(conn,
		    MHD_GET_ARGUMENT_KIND, "to"), w->buckets, w->nbuckets,
		    ew_wall_ms(), &bucket, &r->from_ms, &r->to_ms, &why);
		if (status != 0)
			return refuse(conn, status, why, true);
		snprintf(key, sizeof(key), "series:%zu:%" PRIu64 ":%" PRIu64,
		    bucket, r->from_ms, r->to_ms);
	} else if (rt.kind == ROUTE_HEALTHZ)
		snprintf(key, sizeof(key), "ping");
	r->snap = snap_get(w, key, rt.kind, bucket, r->from_ms, r->to_ms);
	r->snap->refs++;
	if (r->snap->done)
		return answer(r);
	r->next_waiter = r->snap->waiters;
	r->snap->waiters = r;
	r->suspended = true;
	MHD_suspend_connection(conn);
	return MHD_YES;
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)why;
	if (r == NULL)
		return;
	snap_unref(r->snap);
	free(r);
	*con_cls = NULL;
}

static void
mhd_log_cb(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: %s", line);
}

static void	timer_cb(uv_timer_t *t);

/* Runs libmicrohttpd and sets the timer to its next time-out. */
static void
drive(struct web *w)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (w->closing || w->mhd == NULL)
		return;
	MHD_run(w->mhd);
	if (MHD_get_timeout(w->mhd, &ms) != MHD_YES || ms > 1000)
		ms = 1000;
	uv_timer_start(&w->timer, timer_cb, (uint64_t)ms, 0);
}

static void
timer_cb(uv_timer_t *t)
{
	drive(container_of(t, struct web, timer));
}

static void
poll_cb(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	drive(container_of(p, struct web, poll));
}

/* A resumed connection is served on the next turn of the loop. */
static void
kick(struct web *w)
{
	if (!w->closing)
		uv_timer_start(&w->timer, timer_cb, 0, 0);
}

/* --- life -------------------------------------------------------------- */

static int
bind_listen(struct web *w, const char *listen_s, struct ew_err *err)
{
	struct addrinfo hints, *ai = NULL, *p;
	struct sockaddr_un sun;
	struct webaddr a;
	const char *why;
	char port[8];
	int fd = -1, one = 1, rc;

	if (webaddr_parse(listen_s, &a, &why) < 0) {
		ew_err_set(err, NULL, 0, 0, "web.listen: %s", why);
		return -EINVAL;
	}
	if (a.kind == WEBADDR_UNIX) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, a.path, strlen(a.path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		unlink(a.path);
		if (fd == -1 || bind(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1 || listen(fd, 511) == -1)
			goto fail;
		w->unix_path = xstrdup(a.path);
		w->listen_fd = fd;
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", (unsigned)a.port);
	rc = getaddrinfo(a.host, port, &hints, &ai);
	if (rc != 0) {
		ew_err_set(err, NULL, 0, 0, "web.listen: %s: %s", a.host,
		    gai_strerror(rc));
		return -EINVAL;
	}
	for (p = ai; p != NULL; p = p->ai_next) {
		fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, p->ai_addr, p->ai_addrlen) == 0 &&
		    listen(fd, 511) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd == -1)
		goto fail;
	w->listen_fd = fd;
	return 0;
fail:
	ew_err_set(err, NULL, 0, 0, "web.listen: %s: %s", listen_s,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	return -errno;
}

static void
copy_config(struct web *w, const struct config *cfg)
{
	free(w->prefix);
	free(w->assets);
	w->prefix = xstrdup(cfg->redis.prefix);
	w->assets = xstrdup(cfg->web.assets);
	w->refresh_ms = cfg->web.refresh_ms;
	w->silent_after_s = cfg->delivery.silent_after_ms / 1000;
	w->nbuckets = cfg->redis.nbuckets;
	memcpy(w->buckets, cfg->redis.buckets, sizeof(w->buckets));
}

static void
close_cb(uv_handle_t *h)
{
	struct web *w = h->data;

	if (--w->open_handles > 0)
		return;
	free(w->prefix);
	free(w->assets);
	free(w->unix_path);
	free(w);
}

static void
destroy(struct web *w)
{
	if (w->mhd != NULL)
		MHD_stop_daemon(w->mhd);
	w->mhd = NULL;
	if (w->listen_fd != -1)
		close(w->listen_fd);
	w->listen_fd = -1;
	if (w->unix_path != NULL)
		unlink(w->unix_path);
}

/* The link cfg asks for (borrowed from cfg). */
static void
link_opts(const struct config *cfg, struct sink_opts *so)
{
	memset(so, 0, sizeof(*so));
	so->target = &cfg->redis.target;
	so->sentinel = &cfg->redis.sentinel;
	so->connect_timeout_ms = cfg->redis.connect_timeout_ms;
	so->reply_timeout_ms = 5000;
}

struct web *
web_create(uv_loop_t *loop, const struct config *cfg, struct ew_err *err)
{
	struct web *w = xcalloc(1, sizeof(*w));
	struct sink_opts so;
	const union MHD_DaemonInfo *info;

	w->loop = loop;
	w->listen_fd = -1;
	copy_config(w, cfg);
	if (bind_listen(w, cfg->web.listen, err) < 0)
		goto fail;
	w->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, access_cb, w,
	    MHD_OPTION_LISTEN_SOCKET, w->listen_fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEB_IDLE_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEB_CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, w,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log_cb, w,
	    MHD_OPTION_END);
	if (w->mhd == NULL) {
		ew_err_set(err, NULL, 0, 0, "web.listen: %s: libmicrohttpd "
		    "did not start", cfg->web.listen);
		goto fail;
	}
	w->listen_fd = -1;	/* libmicrohttpd's now */
	info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		ew_err_set(err, NULL, 0, 0, "libmicrohttpd: no epoll");
		goto fail;
	}
	link_opts(cfg, &so);
	w->sink = sink_create(loop, &so, err);
	if (w->sink == NULL)
		goto fail;
	uv_poll_init(loop, &w->poll, info->epoll_fd);
	uv_timer_init(loop, &w->timer);
	w->poll.data = w;
	w->timer.data = w;
	w->open_handles = 2;
	uv_poll_start(&w->poll, UV_READABLE, poll_cb);
	kick(w);
	return w;
fail:
	destroy(w);
	free(w->prefix);
	free(w->assets);
	free(w->unix_path);
	free(w);
	return NULL;
}

/* SPEC §10: changed Redis settings take a new link; the reads waiting
 * on the old one get their NULL replies (their requests answer 503) and
 * the next request reads through the new one. */
int
web_reload(struct web *w, const struct config *cfg, struct ew_err *err)
{
	struct sink_opts so;
	struct sink *sk;

	link_opts(cfg, &so);
	if (!sink_same_link(w->sink, &so)) {
		if ((sk = sink_create(w->loop, &so, err)) == NULL)
			return -1;
		log_info("reload: new Redis settings, reconnecting");
		sink_close(w->sink);
		w->sink = sk;
	}
	copy_config(w, cfg);
	return 0;
}

const char *
web_status(struct web *w)
{
	snprintf(w->status, sizeof(w->status), "redis %s, %" PRIu64
	    " requests", sink_state_name(sink_state(w->sink)), w->served);
	return w->status;
}

void
web_close(struct web *w)
{
	struct snap *sn;

	if (w == NULL || w->closing)
		return;
	/* the link first: waiting requests get their NULL replies */
	sink_close(w->sink);
	w->sink = NULL;
	w->closing = true;
	while ((sn = w->snaps) != NULL) {
		w->snaps = sn->next;
		snap_unref(sn);
	}
	destroy(w);
	uv_close((uv_handle_t *)&w->poll, close_cb);
	uv_close((uv_handle_t *)&w->timer, close_cb);
}
