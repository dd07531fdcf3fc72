/*
 * sink: the Redis link. It owns one hiredis 0.14 async context at a time,
 * the uv_poll_t that drives it (our adapter: hiredis's ev hooks, never
 * adapters/libuv.h), a state timer (backoff while DOWN, connect time-out
 * while connecting) and a reply timer. It never retries a command and
 * never looks inside one: the caller decides (SPEC §8).
 *
 * Invariants: every command accepted by sink_command or sink_eval is a
 * struct cmd on the sent list until its callback has run, exactly once,
 * with a reply or NULL. hiredis is entered only from poll_cb and
 * free_context (in_hiredis > 0 meanwhile); a decision to drop the link
 * taken under it is only recorded (dropping, why) and carried out when
 * hiredis has unwound, so the context is never freed inside a hiredis
 * callback. The context's end is seen in one place, ev_cleanup, which
 * every path through hiredis's free calls. The memory goes in the close
 * callback that brings nopen (timers, poll handles, resolver requests)
 * to zero.
 *
 * Sentinel (SPEC §15) uses the same one context at a time: an attempt
 * walks a round of sentinels (sentinel.c decides the order and reads the
 * answers), each asked on a short-lived context of its own with a short
 * deadline, then connects to the master named and checks ROLE before
 * SCRIPT LOAD and READY. Every end of a context still goes through
 * link_gone, which decides what comes next: the master named, the next
 * sentinel, or backoff once the round is spent.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "base.h"
#include "log.h"
#include "redisurl.h"
#include "sentinel.h"
#include "sink.h"
#include "webaddr.h"

#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		5000
#define CONNECT_TIMEOUT_MS	2000	/* when the options say 0 */
#define REPLY_TIMEOUT_MS	5000	/* when the options say 0 */
#define SENTINEL_TIMEOUT_MS	1000	/* one sentinel's answer, at most */
#define STABLE_MS		1000	/* READY this long: a loss is news,
					 * and the first retry goes at once */
#define WATCH_MS		1000	/* the watched sentinel asked again */
#define WHY_LEN			256
#define SHA_LEN			40

enum cmd_kind {
	CMD_USER,		/* sink_command */
	CMD_EVAL,		/* sink_eval: sent again once on NOSCRIPT */
	CMD_AUTH,		/* handshake */
	CMD_SELECT,		/* handshake */
	CMD_LOAD,		/* handshake: SCRIPT LOAD */
	CMD_RELOAD,		/* SCRIPT LOAD after a NOSCRIPT */
	CMD_ROLE,		/* handshake with Sentinel: master or not */
	CMD_SAUTH,		/* AUTH to a sentinel */
	CMD_ASK,		/* SENTINEL get-master-addr-by-name */
};

static const char *const kind_name[] = {
	"command", "EVALSHA", "AUTH", "SELECT", "SCRIPT LOAD", "SCRIPT LOAD",
	"ROLE", "AUTH", "SENTINEL get-master-addr-by-name",
};

/* One command hiredis holds a callback for. */
struct cmd {
	struct cmd	*prev;
	struct cmd	*next;		/* sent list, oldest (re)send first */
	struct sink	*s;
	enum cmd_kind	 kind;
	uint64_t	 sent_ms;	/* uv_now at the last (re)send */
	bool		 retried;	/* EVALSHA already sent again */
	sink_reply_fn	*cb;
	void		*arg;
	int		 argc;		/* CMD_EVAL: the argv, for a resend */
	const char	**argv;
	size_t		*argvlen;
	void		*mem;		/* one block behind argv */
};

/* One hiredis context and the poll handle that drives it. The handle may
 * outlive the context: it is closed in ev_cleanup and freed later. */
struct conn {
	uv_poll_t		 poll;
	struct sink		*s;
	redisAsyncContext	*ac;	/* NULL once hiredis let it go */
	int			 events;	/* UV_READABLE | UV_WRITABLE */
};

/* A name resolution in flight; abandoned when s->resolve moves on. */
struct resolve {
	uv_getaddrinfo_t	 req;
	struct sink		*s;
};

struct sink {
	uv_loop_t		*loop;
	uv_timer_t		 timer;		/* backoff, or connect */
	uv_timer_t		 reply_timer;
	enum sink_state		 state;

	struct redisurl		 url;		/* our copy: where, who */
	char			*script;	/* NULL: none */
	char			 sha[SHA_LEN + 1];	/* of script */
	uint64_t		 connect_timeout_ms;
	uint64_t		 reply_timeout_ms;
	struct sentinel_conf	 sent;		/* naddrs 0: the url's host */
	sink_state_fn		*on_state;
	void			*arg;

	struct conn		*conn;		/* current link, or NULL */
	redisAsyncContext	*ac;		/* conn->ac, or NULL */
	struct resolve		*resolve;	/* current lookup, or NULL */
	char			 target[WHY_LEN];	/* for logs */
	char			 dial_host[WEBADDR_HOST_MAX];	/* this attempt */
	int			 dial_port;
	unsigned		 addr_turn;	/* which lookup result to try */
	int			 hs_left;	/* handshake replies to come */

	struct cmd		*head;		/* sent list */
	struct cmd		*tail;
	size_t			 inflight;	/* CMD_USER and CMD_EVAL */

	/* Sentinel: the context in hand is a sentinel's (asking), or the
	 * master's that sentinel sent_idx named (have_master) */
	struct sentinel_round	 round;
	size_t			 sent_good;	/* its master was READY last:
					 * asked first, and watched */
	int			 sent_idx;	/* asked now, or last */
	bool			 asking;
	bool			 have_master;
	struct webaddr		 master;	/* named in this round */
	bool			 round_failed;	/* a round ended DOWN since
					 * READY: its failures are known */
	char			 last_master[WHY_LEN];	/* named last */
	struct sink		*watch;		/* a quiet link to the sentinel
					 * sent_good, asked every WATCH_MS
					 * whether the master moved */
	size_t			 watch_idx;
	bool			 watch_asking;	/* its question in flight */
	char			 watch_seen[WHY_LEN];	/* its last answer */
	uv_timer_t		 watch_timer;
	bool			 quiet;		/* a watch: state lines at debug */

	uint64_t		 ready_ms;	/* uv_now at READY */
	uint64_t		 backoff_ms;	/* next base delay */
	uint64_t		 rng;		/* xorshift state for jitter */
	bool			 failing;	/* DOWN since the last READY */
	char			 last_down[WHY_LEN];

	int			 in_hiredis;	/* hiredis on the stack */
	bool			 dropping;	/* drop the link, because why */
	char			 why[WHY_LEN];
	bool			 closing;
	int			 nopen;		/* handles and requests */
};

static const char *const state_names[] = {
	"down", "discovering", "resolving", "connecting", "handshake", "ready",
	"closed",
};

static void	poll_cb(uv_poll_t *h, int status, int events);
static void	timer_cb(uv_timer_t *t);
static void	reply_timer_cb(uv_timer_t *t);
static void	drop_link(struct sink *s, const char *why);
static void	attempt(struct sink *s);
static void	ask_next(struct sink *s);
static void	dial(struct sink *s, uint64_t deadline_ms);
static void	start_watch(struct sink *s);
static struct sink *create(uv_loop_t *loop, const struct sink_opts *o,
		    bool quiet, struct ew_err *err);

const char *
sink_state_name(enum sink_state st)
{
	if ((size_t)st >= ARRAY_SIZE(state_names))
		return "?";
	return state_names[st];
}

/* --- small helpers ----------------------------------------------------- */

static uint64_t
rng_next(struct sink *s)
{
	uint64_t x = s->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return x;
}

/* Equal jitter on a doubling base, SPEC §7: each delay lies between half
 * and all of the base, never under 100 ms, the base capped at 5 s. */
static uint64_t
next_delay(struct sink *s)
{
	uint64_t base = s->backoff_ms, d;

	d = base / 2 + rng_next(s) % (base / 2 + 1);
	if (d < BACKOFF_MIN_MS)
		d = BACKOFF_MIN_MS;
	s->backoff_ms = EW_MIN(base * 2, BACKOFF_MAX_MS);
	return d;
}

static void
set_state(struct sink *s, enum sink_state to, const char *why)
{
	enum sink_state from = s->state;
	bool loud;

	if (from == to)
		return;
	s->state = to;
	/* SPEC §7: a failure logs when it starts or changes, and the end
	 * of it logs; the retries in between are silent */
	if (to == SINK_DOWN) {
		loud = !s->failing || strcmp(s->last_down, why) != 0;
		s->failing = true;
		snprintf(s->last_down, sizeof(s->last_down), "%s", why);
	} else {
		loud = to == SINK_READY || to == SINK_CLOSED || !s->failing;
	}
	if (s->quiet)
		log_debug("redis sentinel watch: %s -> %s (%s)",
		    state_names[from], state_names[to], why);
	else if (loud && to == SINK_DOWN)
		log_warn("redis: %s -> %s (%s)", state_names[from],
		    state_names[to], why);
	else if (loud)
		log_info("redis: %s -> %s (%s)", state_names[from],
		    state_names[to], why);
	if (to == SINK_READY) {
		s->failing = false;
		s->last_down[0] = '\0';
	}
	if (s->on_state != NULL)
		s->on_state(s->arg, to, why);
}

/* Records why the link is to go; the first reason wins. */
static void
note_why(struct sink *s, const char *why)
{
	if (s->dropping)
		return;
	s->dropping = true;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

/* --- replies ----------------------------------------------------------- */

struct arena {
	struct sink_reply	*node;	/* next free node */
	char			*str;	/* next free string byte */
};

static void
reply_size(const redisReply *r, size_t *nodes, size_t *bytes)
{
	size_t i;

	(*nodes)++;
	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		*bytes += r->len + 1;
		break;
	case REDIS_REPLY_ARRAY:
		for (i = 0; i < r->elements; i++)
			reply_size(r->element[i], nodes, bytes);
		break;
	default:
		break;
	}
}

static void
reply_fill(struct sink_reply *dst, const redisReply *r, struct arena *a)
{
	struct sink_reply *kids;
	char *p;
	size_t i;

	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		dst->type = r->type == REDIS_REPLY_STRING ? SINK_REPLY_STRING :
		    r->type == REDIS_REPLY_STATUS ? SINK_REPLY_STATUS :
		    SINK_REPLY_ERROR;
		p = a->str;
		if (r->len > 0)
			memcpy(p, r->str, r->len);
		p[r->len] = '\0';
		a->str += r->len + 1;
		dst->str = p;
		dst->len = r->len;
		break;
	case REDIS_REPLY_INTEGER:
		dst->type = SINK_REPLY_INTEGER;
		dst->integer = r->integer;
		break;
	case REDIS_REPLY_ARRAY:
		dst->type = SINK_REPLY_ARRAY;
		kids = a->node;		/* siblings stay contiguous */
		a->node += r->elements;
		for (i = 0; i < r->elements; i++)
			reply_fill(&kids[i], r->element[i], a);
		dst->elem = kids;
		dst->nelem = r->elements;
		break;
	default:
		dst->type = SINK_REPLY_NIL;
		break;
	}
}

/* A deep copy of r in one block: nodes first, then the strings. Free the
 * returned pointer (the root) with free(). */
static struct sink_reply *
reply_copy(const redisReply *r)
{
	struct sink_reply *root;
	struct arena a;
	size_t nodes = 0, bytes = 0;

	reply_size(r, &nodes, &bytes);
	root = xcalloc(1, nodes * sizeof(*root) + bytes);
	a.node = root + 1;
	a.str = (char *)(root + nodes);
	reply_fill(root, r, &a);
	return root;
}

static bool
is_error(const redisReply *r, const char *prefix)
{
	size_t n = strlen(prefix);

	return r != NULL && r->type == REDIS_REPLY_ERROR && r->len >= n &&
	    memcmp(r->str, prefix, n) == 0 &&
	    (r->len == n || r->str[n] == ' ');
}

/*
 * Error replies that say this link (not this command) is wrong, so the
 * sink reconnects after handing the reply on:
 *   LOADING   the server is loading its data set; the handshake then
 *             retries with backoff until it is done, and the caller sees
 *             DOWN instead of a stream of refused flushes.
 *   READONLY  we reached a replica (a failover, or DNS moved): a new
 *             connection resolves the name again.
 *   NOAUTH    the server restarted with a password: AUTH again.
 * OOM, BUSY and the rest are delivered and the link stays: reconnecting
 * cures none of them. NOSCRIPT is handled by sink_eval.
 */
static bool
error_drops_link(const redisReply *r)
{
	return is_error(r, "LOADING") || is_error(r, "READONLY") ||
	    is_error(r, "NOAUTH");
}

/* --- the sent list ----------------------------------------------------- */

static struct cmd *
cmd_new(enum cmd_kind kind, sink_reply_fn *cb, void *arg)
{
	struct cmd *c = xcalloc(1, sizeof(*c));

	c->kind = kind;
	c->cb = cb;
	c->arg = arg;
	return c;
}

static void
cmd_free(struct cmd *c)
{
	if (c == NULL)
		return;
	free(c->mem);
	free(c);
}

/* Keeps "EVALSHA sha 0 args..." in one block for a resend. */
static void
cmd_keep_eval(struct cmd *c, const char *sha, int argc, const char **argv,
    const size_t *argvlen)
{
	size_t n = (size_t)argc + 3, bytes = 0, i, len;
	char *p;

	for (i = 0; i < (size_t)argc; i++)
		bytes += (argvlen ? argvlen[i] : strlen(argv[i])) + 1;
	bytes += sizeof("EVALSHA") + SHA_LEN + 1 + sizeof("0");
	c->mem = xcalloc(1, n * (sizeof(char *) + sizeof(size_t)) + bytes);
	c->argv = c->mem;
	c->argvlen = (size_t *)(void *)(c->argv + n);
	p = (char *)(c->argvlen + n);
	c->argc = (int)n;
	for (i = 0; i < n; i++) {
		const char *src = i == 0 ? "EVALSHA" : i == 1 ? sha :
		    i == 2 ? "0" : argv[i - 3];

		if (i >= 3 && argvlen != NULL)
			len = argvlen[i - 3];
		else
			len = strlen(src);
		if (len > 0)
			memcpy(p, src, len);
		p[len] = '\0';
		c->argv[i] = p;
		c->argvlen[i] = len;
		p += len + 1;
	}
}

static void
list_remove(struct sink *s, struct cmd *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	c->prev = c->next = NULL;
}

static void reply_cb(redisAsyncContext *ac, void *r, void *privdata);

/* Hands c to hiredis and puts it at the end of the sent list. Returns 0,
 * or -ENOTCONN when the context is gone or going (c is then not kept). */
static int
send_cmd(struct sink *s, struct cmd *c, int argc, const char **argv,
    const size_t *argvlen)
{
	redisAsyncContext *ac = s->ac;

	if (ac == NULL || s->dropping ||
	    (ac->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING)) != 0)
		return -ENOTCONN;
	if (redisAsyncCommandArgv(ac, reply_cb, c, argc, argv,
	    argvlen) != REDIS_OK)
		return -ENOTCONN;
	c->s = s;
	c->sent_ms = uv_now(s->loop);
	c->prev = s->tail;
	c->next = NULL;
	if (s->tail != NULL)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	if (!uv_is_active((uv_handle_t *)&s->reply_timer))
		uv_timer_start(&s->reply_timer, reply_timer_cb,
		    s->reply_timeout_ms, 0);
	return 0;
}

/* The one callback a caller's command gets. */
static void
deliver(struct sink *s, struct cmd *c, const redisReply *reply)
{
	struct sink_reply *copy = NULL;

	s->inflight--;
	if (reply != NULL)
		copy = reply_copy(reply);
	c->cb(c->arg, copy);
	free(copy);
	if (reply != NULL && error_drops_link(reply))
		drop_link(s, reply->str);	/* deferred: under hiredis */
	cmd_free(c);
}

static void
ready(struct sink *s)
{
	char why[WHY_LEN * 2];

	uv_timer_stop(&s->timer);
	/* the backoff is reset once the link proves stable (link_gone):
	 * a server that takes us and drops us at once still backs off */
	s->ready_ms = uv_now(s->loop);
	s->round_failed = false;
	if (s->url.db != 0)
		snprintf(why, sizeof(why), "%s, db %d", s->target, s->url.db);
	else
		snprintf(why, sizeof(why), "%s", s->target);
	if (s->sent.naddrs > 0) {
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
		    ", master %s", s->sent.master_name);
		/* proven right: asked first next time, and watched */
		s->sent_good = (size_t)s->sent_idx;
		start_watch(s);
	}
	set_state(s, SINK_READY, why);
}

/* SPEC §15: the server a sentinel named must say it is the master
 * before it gets a script or a command; a replica named by a stale or
 * wrong sentinel is left for the next sentinel. Returns 0 when it is
 * the master (SCRIPT LOAD then follows), -1 when the link goes. */
static int
role_check(struct sink *s, const redisReply *reply)
{
	const redisReply *first = NULL;
	const char *load[3] = { "SCRIPT", "LOAD", s->script };
	enum sentinel_role role;
	char why[WHY_LEN];
	struct cmd *c;

	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	    reply->element[0]->type == REDIS_REPLY_STRING)
		first = reply->element[0];
	role = sentinel_role_reply(first != NULL ? first->str : NULL,
	    first != NULL ? first->len : 0);
	if (role != SENTINEL_ROLE_MASTER) {
		/* sentinel_failed logs it, naming the sentinel */
		snprintf(why, sizeof(why), "ROLE says %s, not master: nothing "
		    "written there", sentinel_role_name(role));
		drop_link(s, why);
		return -1;
	}
	if (s->script == NULL)
		return 0;
	c = cmd_new(CMD_LOAD, NULL, NULL);
	if (send_cmd(s, c, 3, load, NULL) < 0) {
		cmd_free(c);
		drop_link(s, "SCRIPT LOAD could not be sent");
		return -1;
	}
	s->hs_left++;
	return 0;
}

/* An error reply to a step of the handshake or of a sentinel's turn ends
 * the link, naming the step. Returns true when it did. */
static bool
step_failed(struct sink *s, const struct cmd *c, const redisReply *reply)
{
	char why[WHY_LEN];

	if (reply->type != REDIS_REPLY_ERROR)
		return false;
	snprintf(why, sizeof(why), "%s: %s", kind_name[c->kind], reply->str);
	drop_link(s, why);
	return true;
}

/* A sentinel's answers: AUTH, then the master's address. Anything but an
 * address ends this sentinel's turn; link_gone asks the next one. */
static void
sentinel_reply(struct sink *s, struct cmd *c, const redisReply *reply)
{
	const char *str[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 }, n = 0, i;
	char why[WHY_LEN], addr[WHY_LEN];
	const char *w;

	if (reply == NULL || s->dropping || !s->asking ||
	    step_failed(s, c, reply))
		return;
	if (c->kind == CMD_SAUTH)
		return;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
		n = 2;
		for (i = 0; i < 2; i++) {
			if (reply->element[i]->type != REDIS_REPLY_STRING)
				n = 0;
			str[i] = reply->element[i]->str;
			len[i] = reply->element[i]->len;
		}
	}
	if (sentinel_master_reply(reply->type == REDIS_REPLY_NIL, n, str,
	    len, &s->master, &w) < 0) {
		snprintf(why, sizeof(why), "%s: %s", s->sent.master_name, w);
		drop_link(s, why);
		return;
	}
	s->have_master = true;
	sentinel_addr_format(&s->master, addr, sizeof(addr));
	if (strcmp(addr, s->last_master) != 0)
		log_info("redis: sentinel %s names %s as master %s",
		    s->sent.addrs[s->sent_idx], addr, s->sent.master_name);
	else
		log_debug("redis: sentinel %s names %s as master %s",
		    s->sent.addrs[s->sent_idx], addr, s->sent.master_name);
	snprintf(s->last_master, sizeof(s->last_master), "%s", addr);
	/* this context is done: link_gone dials the master */
	drop_link(s, "sentinel answered");
}

static void
handshake_reply(struct sink *s, struct cmd *c, const redisReply *reply)
{
	/* NULL: the link is gone and ev_cleanup says why */
	if (reply == NULL || s->dropping || s->state != SINK_HANDSHAKE ||
	    step_failed(s, c, reply))
		return;
	if (c->kind == CMD_ROLE && role_check(s, reply) < 0)
		return;
	if (c->kind == CMD_LOAD) {
		if (reply->type != REDIS_REPLY_STRING ||
		    reply->len != SHA_LEN) {
			drop_link(s, "SCRIPT LOAD: not a sha1");
			return;
		}
		memcpy(s->sha, reply->str, SHA_LEN);
		s->sha[SHA_LEN] = '\0';
	}
	if (--s->hs_left == 0)
		ready(s);
}

/* NOSCRIPT (a SCRIPT FLUSH, a restart, a failover): SCRIPT LOAD and the
 * same EVALSHA go out back to back, so the load is applied first. The
 * sha1 is that of the script's text and does not change. */
static int
resend_eval(struct sink *s, struct cmd *c)
{
	const char *load[3] = { "SCRIPT", "LOAD", s->script };
	struct cmd *l = cmd_new(CMD_RELOAD, NULL, NULL);

	if (send_cmd(s, l, 3, load, NULL) < 0) {
		cmd_free(l);
		return -ENOTCONN;
	}
	c->retried = true;
	log_debug("redis: script not cached (NOSCRIPT), loading it again");
	return send_cmd(s, c, c->argc, c->argv, c->argvlen);
}

static void
reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	struct cmd *c = privdata;
	struct sink *s = c->s;
	const redisReply *reply = r;	/* hiredis frees it after we return */

	(void)ac;
	list_remove(s, c);
	switch (c->kind) {
	case CMD_AUTH:
	case CMD_SELECT:
	case CMD_LOAD:
	case CMD_ROLE:
		handshake_reply(s, c, reply);
		cmd_free(c);
		return;
	case CMD_SAUTH:
	case CMD_ASK:
		sentinel_reply(s, c, reply);
		cmd_free(c);
		return;
	case CMD_RELOAD:
		/* a failure shows in the EVALSHA that follows */
		cmd_free(c);
		return;
	case CMD_EVAL:
		/* no script configured: the NOSCRIPT goes to the caller */
		if (is_error(reply, "NOSCRIPT") && !c->retried &&
		    s->script != NULL && !s->closing && resend_eval(s, c) == 0)
			return;
		break;
	case CMD_USER:
		break;
	}
	deliver(s, c, reply);
}

/* --- the adapter: hiredis's ev hooks on a uv_poll_t -------------------- */

static void
ev_update(struct conn *cn, int add, int del)
{
	int events = (cn->events | add) & ~del;

	if (cn->ac == NULL || events == cn->events)
		return;
	cn->events = events;
	/* Only a closing handle or bad flags fail here; neither can be. */
	if (events == 0)
		(void)uv_poll_stop(&cn->poll);
	else
		(void)uv_poll_start(&cn->poll, events, poll_cb);
}

static void
ev_add_read(void *data)
{
	ev_update(data, UV_READABLE, 0);
}

static void
ev_del_read(void *data)
{
	ev_update(data, 0, UV_READABLE);
}

static void
ev_add_write(void *data)
{
	ev_update(data, UV_WRITABLE, 0);
}

static void
ev_del_write(void *data)
{
	ev_update(data, 0, UV_WRITABLE);
}

/* Copes with a half-built sink. */
static void
destroy(struct sink *s)
{
	struct cmd *c, *next;

	for (c = s->head; c != NULL; c = next) {	/* none: all answered */
		next = c->next;
		cmd_free(c);
	}
	s->head = s->tail = NULL;
	redisurl_free(&s->url);
	sentinel_conf_free(&s->sent);
	free(s->script);
	free(s);
}

static void
maybe_free(struct sink *s)
{
	if (s->closing && s->nopen == 0)
		destroy(s);
}

static void
conn_close_cb(uv_handle_t *h)
{
	struct conn *cn = container_of(h, struct conn, poll);
	struct sink *s = cn->s;

	free(cn);
	s->nopen--;
	maybe_free(s);
}

/* DOWN, and the next attempt after the backoff. */
static void
go_down(struct sink *s)
{
	uint64_t delay = next_delay(s);

	if (s->sent.naddrs > 0)
		s->round_failed = true;

	set_state(s, SINK_DOWN, s->why);
	if (s->closing)
		return;
	uv_timer_start(&s->timer, timer_cb, delay, 0);
}

/* A sentinel's turn ended without a master, or the master it named
 * failed: one line while things are new, then quiet (SPEC §7). */
static void
sentinel_failed(struct sink *s)
{
	const char *who = s->sent.addrs[s->sent_idx], *next;
	char why[WHY_LEN * 3];

	if (s->asking)
		snprintf(why, sizeof(why), "sentinel %s: %s", who, s->why);
	else
		snprintf(why, sizeof(why), "master %s named by sentinel %s: "
		    "%s", s->target, who, s->why);
	next = s->round.asked < s->round.n ? "asking the next sentinel" :
	    "every sentinel asked";
	if (!s->round_failed)	/* the first round after a change */
		log_warn("redis: %s, %s", why, next);
	else
		log_debug("redis: %s, %s", why, next);
	snprintf(s->why, sizeof(s->why), "%.*s", (int)sizeof(s->why) - 1,
	    why);
}

/* The one place a context's end (or a failed attempt) is decided on. */
static void
link_gone(struct sink *s)
{
	enum sink_state was = s->state;
	bool stable;

	if (s->closing)
		return;
	uv_timer_stop(&s->reply_timer);
	if (s->resolve != NULL) {
		(void)uv_cancel((uv_req_t *)&s->resolve->req);
		s->resolve = NULL;
	}
	if (was != SINK_READY)
		s->addr_turn++;		/* next time, the next address */
	s->dropping = false;
	stable = was == SINK_READY &&
	    uv_now(s->loop) - s->ready_ms >= STABLE_MS;
	if (stable)
		s->backoff_ms = BACKOFF_MIN_MS;
	if (s->sent.naddrs > 0 && was != SINK_READY) {
		if (s->asking && s->have_master) {
			s->asking = false;
			snprintf(s->dial_host, sizeof(s->dial_host), "%s",
			    s->master.host);
			s->dial_port = s->master.port;
			dial(s, s->connect_timeout_ms);
			return;
		}
		sentinel_failed(s);
		s->asking = false;
		ask_next(s);		/* or DOWN once the round is spent */
		return;
	}
	if (stable) {
		/* SPEC §15: a lost link or -READONLY (a demoted master):
		 * the first try goes at once, discovery with sentinels */
		set_state(s, SINK_DOWN, s->why);
		if (s->closing)
			return;
		uv_timer_start(&s->timer, timer_cb, 0, 0);
		return;
	}
	go_down(s);
}

/* hiredis is about to free the context: every pending callback has had
 * its NULL. The poll stops now, before hiredis closes the fd. */
static void
ev_cleanup(void *data)
{
	struct conn *cn = data;
	struct sink *s = cn->s;
	redisAsyncContext *ac = cn->ac;

	cn->ac = NULL;
	uv_close((uv_handle_t *)&cn->poll, conn_close_cb);
	if (s->conn == cn) {
		s->conn = NULL;
		s->ac = NULL;
	}
	if (s->closing)
		return;
	if (ac != NULL && ac->c.err != 0)
		note_why(s, ac->c.errstr);
	else
		note_why(s, "connection closed");
	link_gone(s);
}

/* Frees the context unless hiredis is on the stack (then poll_cb does it
 * once hiredis returns). */
static void
free_context(struct sink *s)
{
	redisAsyncContext *ac = s->ac;

	if (ac == NULL || s->in_hiredis > 0)
		return;
	s->in_hiredis++;
	redisAsyncFree(ac);	/* NULL to pending callbacks, ev_cleanup */
	s->in_hiredis--;
}

/* Connected to a sentinel: AUTH when it wants one, and the question,
 * pipelined. */
static void
ask_sentinel(struct sink *s)
{
	const char *ask[3] = { "SENTINEL", "get-master-addr-by-name",
	    s->sent.master_name };
	const char *auth[2] = { "AUTH", s->sent.password };
	struct cmd *c;

	if (s->sent.password != NULL) {
		c = cmd_new(CMD_SAUTH, NULL, NULL);
		if (send_cmd(s, c, 2, auth, NULL) < 0)
			goto gone;
	}
	c = cmd_new(CMD_ASK, NULL, NULL);
	if (send_cmd(s, c, 3, ask, NULL) < 0)
		goto gone;
	return;
gone:
	/* The context is already failing; ev_cleanup follows. */
	cmd_free(c);
	note_why(s, "the question could not be sent");
}

static void
connect_cb(const redisAsyncContext *ac, int status)
{
	struct sink *s = ac->data;
	const char *load[3];
	const char *auth[3];
	const char *sel[2];
	const char *role[1];
	char dbs[16];
	struct cmd *c;
	int n = 0;

	if (s->closing)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context when we return */
		note_why(s, ac->errstr);
		return;
	}
	if (s->asking) {
		ask_sentinel(s);
		return;
	}
	set_state(s, SINK_HANDSHAKE, s->target);
	if (s->closing)
		return;
	/* Pipelined; hs_left counts the replies still to come. */
	s->hs_left = 0;
	if (s->url.password != NULL) {
		auth[n++] = "AUTH";
		if (s->url.user != NULL)
			auth[n++] = s->url.user;
		auth[n++] = s->url.password;
		c = cmd_new(CMD_AUTH, NULL, NULL);
		if (send_cmd(s, c, n, auth, NULL) < 0)
			goto gone;
		s->hs_left++;
	}
	if (s->url.db != 0) {
		snprintf(dbs, sizeof(dbs), "%d", s->url.db);
		sel[0] = "SELECT";
		sel[1] = dbs;
		c = cmd_new(CMD_SELECT, NULL, NULL);
		if (send_cmd(s, c, 2, sel, NULL) < 0)
			goto gone;
		s->hs_left++;
	}
	if (s->sent.naddrs > 0) {
		/* SCRIPT LOAD waits for ROLE = master (role_check) */
		role[0] = "ROLE";
		c = cmd_new(CMD_ROLE, NULL, NULL);
		if (send_cmd(s, c, 1, role, NULL) < 0)
			goto gone;
		s->hs_left++;
	} else if (s->script != NULL) {
		load[0] = "SCRIPT";
		load[1] = "LOAD";
		load[2] = s->script;
		c = cmd_new(CMD_LOAD, NULL, NULL);
		if (send_cmd(s, c, 3, load, NULL) < 0)
			goto gone;
		s->hs_left++;
	}
	if (s->hs_left == 0)
		ready(s);
	return;
gone:
	/* The context is already failing; ev_cleanup follows. */
	cmd_free(c);
	note_why(s, "handshake could not be sent");
}

static void
disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct sink *s = ac->data;

	/* ev_cleanup has run: the context dies when we return */
	(void)status;
	if (s->ac == ac) {
		s->ac = NULL;
		s->conn = NULL;
	}
}

static void
socket_error(int fd, int status, char *out, size_t len)
{
	socklen_t sl = sizeof(int);
	int e = 0;

	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 &&
	    e != 0)
		snprintf(out, len, "%s", strerror(e));
	else
		snprintf(out, len, "socket error: %s", uv_strerror(status));
}

static void
poll_cb(uv_poll_t *h, int status, int events)
{
	struct conn *cn = container_of(h, struct conn, poll);
	struct sink *s = cn->s;
	char why[WHY_LEN];

	if (cn->ac == NULL || s->closing)
		return;
	if (status < 0) {
		/* libuv has stopped the poll on POLLERR, and hiredis would
		 * never hear of it: a refused connect, a reset with a reply
		 * pending. The link is lost; say so ourselves. */
		socket_error(cn->ac->c.fd, status, why, sizeof(why));
		log_debug("redis: poll: %s: %s", uv_strerror(status), why);
		drop_link(s, why);
		return;
	}
	s->in_hiredis++;
	if ((events & UV_READABLE) != 0)
		redisAsyncHandleRead(cn->ac);
	if (cn->ac != NULL && (events & UV_WRITABLE) != 0)
		redisAsyncHandleWrite(cn->ac);
	s->in_hiredis--;
	/* decisions taken under hiredis, carried out now it has unwound */
	if (s->ac != NULL && (s->dropping || s->closing))
		free_context(s);
}

/* --- connecting -------------------------------------------------------- */

static void
connect_to(struct sink *s, const char *ip)
{
	redisAsyncContext *ac;
	struct conn *cn;
	char why[WHY_LEN];
	int r;

	if (s->url.path != NULL)
		snprintf(s->target, sizeof(s->target), "unix %s", s->url.path);
	else if (strchr(ip, ':') != NULL)
		snprintf(s->target, sizeof(s->target), "[%s]:%d", ip,
		    s->dial_port);
	else
		snprintf(s->target, sizeof(s->target), "%s:%d", ip,
		    s->dial_port);
	if (!s->asking)		/* a sentinel's turn stays DISCOVERING */
		set_state(s, SINK_CONNECTING, s->target);
	if (s->closing)
		return;
	if (s->url.path != NULL)
		ac = redisAsyncConnectUnix(s->url.path);
	else
		ac = redisAsyncConnect(ip, s->dial_port);
	if (ac == NULL) {
		drop_link(s, "hiredis: out of memory");
		return;
	}
	if (ac->err != 0) {
		/* not attached yet: freeing it calls nothing of ours */
		snprintf(why, sizeof(why), "%s", ac->errstr);
		redisAsyncFree(ac);
		drop_link(s, why);
		return;
	}
	cn = xcalloc(1, sizeof(*cn));
	cn->s = s;
	r = uv_poll_init(s->loop, &cn->poll, ac->c.fd);
	if (r < 0) {
		free(cn);
		redisAsyncFree(ac);
		snprintf(why, sizeof(why), "poll: %s", uv_strerror(r));
		drop_link(s, why);
		return;
	}
	s->nopen++;
	cn->ac = ac;
	s->conn = cn;
	s->ac = ac;
	ac->data = s;
	ac->ev.data = cn;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	(void)redisAsyncSetDisconnectCallback(ac, disconnect_cb);
	/* waits for the first write event: hooks must be set before */
	(void)redisAsyncSetConnectCallback(ac, connect_cb);
}

static void
resolve_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct resolve *rv = container_of(req, struct resolve, req);
	struct sink *s = rv->s;
	bool current = s->resolve == rv;
	const struct addrinfo *ai;
	char ip[INET6_ADDRSTRLEN];
	char why[WHY_LEN + WEBADDR_HOST_MAX];
	unsigned n = 0, pick;

	free(rv);
	s->nopen--;
	if (!current || s->closing) {	/* abandoned: time-out or close */
		uv_freeaddrinfo(res);
		maybe_free(s);
		return;
	}
	s->resolve = NULL;
	for (ai = res; status == 0 && ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			n++;
	if (n == 0) {
		snprintf(why, sizeof(why), "resolve %s: %s", s->dial_host,
		    status < 0 ? uv_strerror(status) : "no address");
		uv_freeaddrinfo(res);
		drop_link(s, why);
		return;
	}
	/* One address per attempt; a failed attempt moves to the next. */
	pick = s->addr_turn % n;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (pick-- == 0)
			break;
	}
	if (ai->ai_family == AF_INET)
		uv_ip4_name((const struct sockaddr_in *)(const void *)
		    ai->ai_addr, ip, sizeof(ip));
	else
		uv_ip6_name((const struct sockaddr_in6 *)(const void *)
		    ai->ai_addr, ip, sizeof(ip));
	uv_freeaddrinfo(res);
	connect_to(s, ip);
}

static bool
is_numeric(const char *host)
{
	unsigned char buf[16];

	return uv_inet_pton(AF_INET, host, buf) == 0 ||
	    uv_inet_pton(AF_INET6, host, buf) == 0;
}

/* Connects to dial_host:dial_port (the url's, a sentinel's or the
 * master named), resolving a name first; one deadline from here to
 * READY, or to a sentinel's answer. */
static void
dial(struct sink *s, uint64_t deadline_ms)
{
	struct addrinfo hints;
	struct resolve *rv;
	char why[WHY_LEN + WEBADDR_HOST_MAX];
	int r;

	uv_timer_start(&s->timer, timer_cb, deadline_ms, 0);
	if (s->url.path != NULL || is_numeric(s->dial_host)) {
		connect_to(s, s->dial_host);
		return;
	}
	if (!s->asking)
		set_state(s, SINK_RESOLVING, s->dial_host);
	if (s->closing)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rv = xcalloc(1, sizeof(*rv));
	rv->s = s;
	r = uv_getaddrinfo(s->loop, &rv->req, resolve_cb, s->dial_host, NULL,
	    &hints);
	if (r < 0) {
		free(rv);
		snprintf(why, sizeof(why), "resolve %s: %s", s->dial_host,
		    uv_strerror(r));
		drop_link(s, why);
		return;
	}
	s->resolve = rv;
	s->nopen++;
}

/* The next sentinel of the round (SPEC §15), or DOWN with backoff once
 * every one has been asked. */
static void
ask_next(struct sink *s)
{
	struct webaddr a;
	const char *w;
	int i;

	s->have_master = false;
	if ((i = sentinel_round_next(&s->round)) < 0) {
		go_down(s);
		return;
	}
	s->sent_idx = i;
	/* checked by sink_create */
	(void)sentinel_parse_addr(s->sent.addrs[i], &a, &w);
	snprintf(s->dial_host, sizeof(s->dial_host), "%s", a.host);
	s->dial_port = a.port;
	s->asking = true;
	set_state(s, SINK_DISCOVERING, s->sent.addrs[i]);
	if (s->closing)
		return;
	dial(s, EW_MIN(s->connect_timeout_ms, SENTINEL_TIMEOUT_MS));
}

static void
attempt(struct sink *s)
{
	if (s->sent.naddrs > 0) {
		sentinel_round_start(&s->round, s->sent.naddrs, s->sent_good);
		ask_next(s);
		return;
	}
	snprintf(s->dial_host, sizeof(s->dial_host), "%s",
	    s->url.host != NULL ? s->url.host : "");
	s->dial_port = s->url.port;
	dial(s, s->connect_timeout_ms);
}

/* Drops the link (or the attempt) and goes DOWN with backoff. Under
 * hiredis this only records the reason; poll_cb finishes the job. */
static void
drop_link(struct sink *s, const char *why)
{
	if (s->closing)
		return;
	note_why(s, why);
	if (s->ac != NULL) {
		free_context(s);	/* ev_cleanup calls link_gone */
		return;
	}
	link_gone(s);
}

static void
timer_cb(uv_timer_t *t)
{
	struct sink *s = container_of(t, struct sink, timer);
	char why[WHY_LEN];

	if (s->closing)
		return;
	if (s->state == SINK_DOWN) {
		attempt(s);
		return;
	}
	if (s->asking)
		snprintf(why, sizeof(why), "no answer within %" PRIu64 " ms",
		    EW_MIN(s->connect_timeout_ms, SENTINEL_TIMEOUT_MS));
	else
		snprintf(why, sizeof(why), "not ready within %" PRIu64 " ms",
		    s->connect_timeout_ms);
	drop_link(s, why);
}

/* A server that accepts and never answers: the oldest command sets the
 * deadline. */
static void
reply_timer_cb(uv_timer_t *t)
{
	struct sink *s = container_of(t, struct sink, reply_timer);
	char why[WHY_LEN];
	uint64_t age;

	if (s->closing || s->head == NULL)
		return;
	age = uv_now(s->loop) - s->head->sent_ms;
	if (age >= s->reply_timeout_ms) {
		snprintf(why, sizeof(why), "no reply within %" PRIu64 " ms",
		    s->reply_timeout_ms);
		drop_link(s, why);
		return;
	}
	uv_timer_start(&s->reply_timer, reply_timer_cb,
	    s->reply_timeout_ms - age, 0);
}

/* --- the API ----------------------------------------------------------- */

/* Config checked these already; a caller that built its own is told. */
static int
check_sentinels(struct sink *s, const struct sentinel_conf *sc,
    struct ew_err *err)
{
	struct webaddr a;
	const char *why;
	size_t i;

	if (s->url.path != NULL) {
		ew_err_set(err, NULL, 0, 0, "redis.sentinels: the URL must be "
		    "redis:// (the master's host and port replace its own)");
		return -1;
	}
	if (sc->master_name == NULL || sc->master_name[0] == '\0') {
		ew_err_set(err, NULL, 0, 0, "redis.master_name: required with "
		    "redis.sentinels");
		return -1;
	}
	if (sc->naddrs > SENTINEL_MAX) {
		ew_err_set(err, NULL, 0, 0, "redis.sentinels: at most %d",
		    SENTINEL_MAX);
		return -1;
	}
	for (i = 0; i < sc->naddrs; i++) {
		if (sentinel_parse_addr(sc->addrs[i], &a, &why) == 0)
			continue;
		ew_err_set(err, NULL, 0, 0, "redis.sentinels[%zu]: %s", i,
		    why);
		return -1;
	}
	sentinel_conf_copy(&s->sent, sc);
	return 0;
}

struct sink *
sink_create(uv_loop_t *loop, const struct sink_opts *o, struct ew_err *err)
{
	return create(loop, o, false, err);
}

static void	watch_tick(uv_timer_t *t);

/* sink_opts' password, when given, replaces the URL's (wiped first). */
static void
take_password(struct redisurl *u, const char *password)
{
	if (password == NULL || password[0] == '\0')
		return;
	if (u->password != NULL)
		explicit_bzero(u->password, strlen(u->password));
	free(u->password);
	u->password = xstrdup(password);
}

static struct sink *
create(uv_loop_t *loop, const struct sink_opts *o, bool quiet,
    struct ew_err *err)
{
	struct sink *s = xcalloc(1, sizeof(*s));
	struct ew_err uerr = { 0 };

	s->loop = loop;
	s->quiet = quiet;
	s->state = SINK_DOWN;
	if (o->target != NULL)
		redisurl_copy(&s->url, o->target);
	else if (redisurl_parse(&s->url, o->url, &uerr) < 0) {
		ew_err_set(err, NULL, 0, 0, "redis url: %s", uerr.msg);
		goto fail;
	}
	take_password(&s->url, o->password);
	if (o->sentinel != NULL && o->sentinel->naddrs > 0 &&
	    check_sentinels(s, o->sentinel, err) < 0)
		goto fail;
	if (o->script != NULL)
		s->script = xstrdup(o->script);
	s->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms :
	    CONNECT_TIMEOUT_MS;
	s->reply_timeout_ms = o->reply_timeout_ms ? o->reply_timeout_ms :
	    REPLY_TIMEOUT_MS;
	s->on_state = o->on_state;
	s->arg = o->arg;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->rng = (uv_hrtime() ^ ((uint64_t)getpid() << 32) ^
	    (uint64_t)(uintptr_t)s) | 1;
	uv_timer_init(loop, &s->timer);
	uv_timer_init(loop, &s->reply_timer);
	uv_timer_init(loop, &s->watch_timer);
	s->nopen = 3;
	/* the first attempt runs from the loop, never inside create */
	uv_timer_start(&s->timer, timer_cb, 0, 0);
	return s;
fail:
	destroy(s);
	return NULL;
}

bool
sink_same_link(const struct sink *s, const struct sink_opts *o)
{
	struct redisurl u = { 0 };
	bool same;

	if (s == NULL || o->target == NULL)
		return false;
	redisurl_copy(&u, o->target);
	take_password(&u, o->password);
	same = redisurl_equal(&s->url, &u) &&
	    sentinel_conf_equal(&s->sent, o->sentinel) &&
	    s->connect_timeout_ms == (o->connect_timeout_ms ?
	    o->connect_timeout_ms : CONNECT_TIMEOUT_MS) &&
	    s->reply_timeout_ms == (o->reply_timeout_ms ?
	    o->reply_timeout_ms : REPLY_TIMEOUT_MS) &&
	    ((s->script == NULL && o->script == NULL) ||
	    (s->script != NULL && o->script != NULL &&
	    strcmp(s->script, o->script) == 0));
	redisurl_free(&u);
	return same;
}

int
sink_command(struct sink *s, int argc, const char **argv,
    const size_t *argvlen, sink_reply_fn *cb, void *arg)
{
	struct cmd *c;

	if (argc <= 0 || cb == NULL)
		return -EINVAL;
	if (s->state != SINK_READY || s->dropping)
		return -ENOTCONN;
	c = cmd_new(CMD_USER, cb, arg);
	if (send_cmd(s, c, argc, argv, argvlen) < 0) {
		cmd_free(c);
		return -ENOTCONN;
	}
	s->inflight++;
	return 0;
}

int
sink_eval(struct sink *s, int argc, const char **argv,
    const size_t *argvlen, sink_reply_fn *cb, void *arg)
{
	struct cmd *c;

	if (argc < 0 || cb == NULL)
		return -EINVAL;
	if (s->state != SINK_READY || s->dropping)
		return -ENOTCONN;
	c = cmd_new(CMD_EVAL, cb, arg);
	cmd_keep_eval(c, s->sha, argc, argv, argvlen);
	if (send_cmd(s, c, c->argc, c->argv, c->argvlen) < 0) {
		cmd_free(c);
		return -ENOTCONN;
	}
	s->inflight++;
	return 0;
}

enum sink_state
sink_state(const struct sink *s)
{
	return s->state;
}

size_t
sink_inflight(const struct sink *s)
{
	return s->inflight;
}

void
sink_reconnect(struct sink *s, const char *why)
{
	if (s == NULL || s->closing)
		return;
	s->backoff_ms = BACKOFF_MIN_MS;
	if (s->state == SINK_DOWN) {
		uv_timer_start(&s->timer, timer_cb, 0, 0);
		return;
	}
	drop_link(s, why != NULL ? why : "reconnect asked");
}

static void
timer_close_cb(uv_handle_t *h)
{
	struct sink *s = container_of(h, struct sink, timer);

	s->nopen--;
	maybe_free(s);
}

static void
reply_timer_close_cb(uv_handle_t *h)
{
	struct sink *s = container_of(h, struct sink, reply_timer);

	s->nopen--;
	maybe_free(s);
}

static void
watch_timer_close_cb(uv_handle_t *h)
{
	struct sink *s = container_of(h, struct sink, watch_timer);

	s->nopen--;
	maybe_free(s);
}

void
sink_close(struct sink *s)
{
	if (s == NULL || s->closing)
		return;
	s->closing = true;
	set_state(s, SINK_CLOSED, "sink closed");
	if (s->resolve != NULL) {
		(void)uv_cancel((uv_req_t *)&s->resolve->req);
		s->resolve = NULL;
	}
	sink_close(s->watch);	/* its question's callback: NULL */
	s->watch = NULL;
	/* pending callbacks get NULL now, or when hiredis unwinds */
	free_context(s);
	uv_close((uv_handle_t *)&s->timer, timer_close_cb);
	uv_close((uv_handle_t *)&s->reply_timer, reply_timer_close_cb);
	uv_close((uv_handle_t *)&s->watch_timer, watch_timer_close_cb);
}

/* --- the watch: has the master moved? (SPEC §15) ----------------------- */

/*
 * Between a switchover's promotion and the old master's demotion both
 * servers take writes for a few seconds, and a dead master's link may
 * sit in backoff while the sentinels promote another: neither shows on
 * the link. So the sentinel that named the master of the moment is kept
 * on a quiet link of its own and asked every WATCH_MS; when it names
 * another master than the last one named, discovery runs at once.
 */
static void
watch_cb(void *arg, const struct sink_reply *r)
{
	struct sink *s = arg;
	const char *str[2] = { NULL, NULL }, *w;
	size_t len[2] = { 0, 0 }, n = 0, i;
	char addr[WHY_LEN], cur[WHY_LEN], why[WHY_LEN * 3];
	struct webaddr a;
	bool changed;

	s->watch_asking = false;
	if (r == NULL || s->closing)
		return;
	if (r->type == SINK_REPLY_ARRAY && r->nelem == 2) {
		n = 2;
		for (i = 0; i < 2; i++) {
			if (r->elem[i].type != SINK_REPLY_STRING)
				n = 0;
			str[i] = r->elem[i].str;
			len[i] = r->elem[i].len;
		}
	}
	if (sentinel_master_reply(r->type == SINK_REPLY_NIL, n, str, len, &a,
	    &w) < 0) {
		log_debug("redis: sentinel %s: %s", s->sent.addrs[s->watch_idx],
		    w);
		return;
	}
	sentinel_addr_format(&a, addr, sizeof(addr));
	changed = strcmp(addr, s->watch_seen) != 0;
	snprintf(s->watch_seen, sizeof(s->watch_seen), "%s", addr);
	if (s->state == SINK_READY) {
		/* the master we write to, as named in the last round */
		sentinel_addr_format(&s->master, cur, sizeof(cur));
		if (strcmp(addr, cur) == 0)
			return;
		snprintf(why, sizeof(why), "sentinel %s names %s as master "
		    "%s, not %s", s->sent.addrs[s->watch_idx], addr,
		    s->sent.master_name, cur);
		log_info("redis: %s: discovering again", why);
		s->backoff_ms = BACKOFF_MIN_MS;
		drop_link(s, why);	/* link_gone: a round at once */
	} else if (s->state == SINK_DOWN && changed &&
	    strcmp(addr, s->last_master) != 0) {
		/* only a new answer cuts the backoff short: a sentinel that
		 * keeps naming a master that keeps failing does not */
		log_info("redis: sentinel %s names %s as master %s, not %s: "
		    "discovering now", s->sent.addrs[s->watch_idx], addr,
		    s->sent.master_name, s->last_master);
		uv_timer_start(&s->timer, timer_cb, 0, 0);
	}
}

static void
watch_tick(uv_timer_t *t)
{
	struct sink *s = container_of(t, struct sink, watch_timer);
	const char *ask[3] = { "SENTINEL", "get-master-addr-by-name",
	    s->sent.master_name };

	if (s->closing || s->watch == NULL || s->watch_asking ||
	    sink_state(s->watch) != SINK_READY)
		return;
	if (sink_command(s->watch, 3, ask, NULL, watch_cb, s) == 0)
		s->watch_asking = true;
}

/* Watches sent_good, unless it is watched already. */
static void
start_watch(struct sink *s)
{
	struct sink_opts o;
	struct redisurl u;
	struct webaddr a;
	struct ew_err err = { 0 };
	const char *w;

	if (s->watch != NULL && s->watch_idx == s->sent_good)
		return;
	sink_close(s->watch);
	s->watch = NULL;
	s->watch_asking = false;
	s->watch_seen[0] = '\0';
	if (sentinel_parse_addr(s->sent.addrs[s->sent_good], &a, &w) < 0)
		return;		/* NOTREACHED: checked by sink_create */
	memset(&u, 0, sizeof(u));
	u.scheme = REDISURL_TCP;
	u.host = a.host;
	u.port = a.port;
	u.password = s->sent.password;
	memset(&o, 0, sizeof(o));
	o.target = &u;
	o.connect_timeout_ms = SENTINEL_TIMEOUT_MS;
	o.reply_timeout_ms = 2 * SENTINEL_TIMEOUT_MS;
	s->watch = create(s->loop, &o, true, &err);
	if (s->watch == NULL) {
		log_warn("redis: sentinel %s cannot be watched: %s",
		    s->sent.addrs[s->sent_good], err.msg);
		return;
	}
	s->watch_idx = s->sent_good;
	uv_timer_start(&s->watch_timer, watch_tick, WATCH_MS, WATCH_MS);
}
