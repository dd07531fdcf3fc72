/*
 * httpc: libcurl's multi interface on a libuv loop. curl tells us which
 * sockets to watch (socket_cb) and when to wake it (timer_cb); uv_poll
 * and one uv_timer do the watching, and every wake-up ends in
 * curl_multi_socket_action followed by a harvest of the finished
 * transfers. A socket's poll handle lives in a small struct assigned to
 * the socket with curl_multi_assign, and is closed when curl says
 * CURL_POLL_REMOVE. Completion callbacks run from the harvest only, so a
 * caller may post again from inside one. The memory goes when the last
 * handle is closed (STYLE §5).
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "httpc.h"
#include "log.h"

struct httpc {
	uv_loop_t	*loop;
	CURLM		*multi;
	uv_timer_t	 timer;
	struct httpc_opts o;
	size_t		 inflight;
	struct req	*reqs;		/* in flight, a list */
	struct sock	*socks;		/* watched, a list */
	int		 open_handles;	/* timer + socket polls */
	bool		 closing;
};

struct sock {
	uv_poll_t	 poll;
	struct httpc	*h;
	curl_socket_t	 fd;
	struct sock	*next, **prevp;
};

struct req {
	struct req	*next, **prevp;
	CURL		*easy;
	struct curl_slist *headers;
	struct buf	 reply;
	httpc_done_fn	*cb;
	void		*arg;
	char		 errbuf[CURL_ERROR_SIZE];
};

static void
maybe_free(struct httpc *h)
{
	if (h->closing && h->open_handles == 0) {
		free(h);
		curl_global_cleanup();
	}
}

static void
sock_close_cb(uv_handle_t *hd)
{
	struct sock *s = container_of((uv_poll_t *)hd, struct sock, poll);
	struct httpc *h = s->h;

	free(s);
	h->open_handles--;
	maybe_free(h);
}

static void
timer_close_cb(uv_handle_t *hd)
{
	struct httpc *h = container_of((uv_timer_t *)hd, struct httpc, timer);

	h->open_handles--;
	maybe_free(h);
}

static void
unlink_sock(struct sock *s)
{
	if (s->prevp == NULL)
		return;
	*s->prevp = s->next;
	if (s->next != NULL)
		s->next->prevp = s->prevp;
	s->prevp = NULL;
}

static void
close_sock(struct sock *s)
{
	unlink_sock(s);
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, sock_close_cb);
}

static void
finish(struct httpc *h, struct req *r, CURLcode code)
{
	struct httpc_result res;
	long status = 0;

	*r->prevp = r->next;
	if (r->next != NULL)
		r->next->prevp = r->prevp;
	curl_multi_remove_handle(h->multi, r->easy);
	if (code == CURLE_OK)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	res.status = status;
	res.error = status != 0 ? "" : r->errbuf[0] != '\0' ? r->errbuf :
	    curl_easy_strerror(code);
	res.body = r->reply.p != NULL ? r->reply.p : "";
	res.len = r->reply.len;
	h->inflight--;
	r->cb(r->arg, &res);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	buf_free(&r->reply);
	free(r);
}

/* Every finished transfer, its callback called. */
static void
harvest(struct httpc *h)
{
	struct req *r;
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &r);
		finish(h, r, m->data.result);
	}
}

static void
poll_cb(uv_poll_t *p, int status, int events)
{
	struct sock *s = container_of(p, struct sock, poll);
	struct httpc *h = s->h;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, s->fd, flags, &running);
	harvest(h);
}

static void
timer_cb(uv_timer_t *t)
{
	struct httpc *h = container_of(t, struct httpc, timer);
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	harvest(h);
}

/* curl: watch fd for what, or stop watching it. */
static int
socket_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct httpc *h = userp;
	struct sock *s = socketp;
	int events = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			close_sock(s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->h = h;
		s->fd = fd;
		if (uv_poll_init_socket(h->loop, &s->poll, fd) < 0) {
			free(s);
			return -1;
		}
		h->open_handles++;
		s->next = h->socks;
		if (h->socks != NULL)
			h->socks->prevp = &s->next;
		s->prevp = &h->socks;
		h->socks = s;
		curl_multi_assign(h->multi, fd, s);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, poll_cb);
	return 0;
}

/* curl: wake me in ms (-1: never). 0 runs on the next loop turn, never
 * from within curl. */
static int
timeout_cb(CURLM *m, long ms, void *userp)
{
	struct httpc *h = userp;

	(void)m;
	if (h->closing)
		return 0;
	if (ms < 0)
		uv_timer_stop(&h->timer);
	else
		uv_timer_start(&h->timer, timer_cb, (uint64_t)ms, 0);
	return 0;
}

static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = size * n, room;

	room = r->reply.len < HTTPC_BODY_MAX ? HTTPC_BODY_MAX - r->reply.len :
	    0;
	buf_append(&r->reply, data, EW_MIN(len, room));
	return len;		/* the rest is read and dropped */
}

struct httpc *
httpc_create(uv_loop_t *loop, const struct httpc_opts *o, struct ew_err *err)
{
	struct httpc *h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		ew_err_set(err, NULL, 0, 0, "libcurl: global init failed");
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->loop = loop;
	h->o = *o;
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		ew_err_set(err, NULL, 0, 0, "libcurl: multi init failed");
		free(h);
		curl_global_cleanup();
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timeout_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	uv_timer_init(loop, &h->timer);
	h->open_handles = 1;
	return h;
}

int
httpc_post(struct httpc *h, const char *url, char *const *headers,
    size_t nheaders, const char *body, size_t len, httpc_done_fn *cb,
    void *arg)
{
	struct req *r;
	CURL *e;
	size_t i;

	if (h->closing)
		return -ESHUTDOWN;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return -EINVAL;
	if ((e = curl_easy_init()) == NULL)
		return -EINVAL;
	r = xcalloc(1, sizeof(*r));
	r->easy = e;
	r->cb = cb;
	r->arg = arg;
	r->headers = curl_slist_append(NULL,
	    "Content-Type: application/json");
	r->headers = curl_slist_append(r->headers, "Expect:");
	for (i = 0; i < nheaders; i++)
		r->headers = curl_slist_append(r->headers, headers[i]);
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK) {
		curl_easy_cleanup(e);
		curl_slist_free_all(r->headers);
		free(r);
		return -EINVAL;
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)h->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->o.timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "errwatch-alerts/" EW_VERSION);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		curl_slist_free_all(r->headers);
		free(r);
		return -EINVAL;
	}
	r->next = h->reqs;
	if (h->reqs != NULL)
		h->reqs->prevp = &r->next;
	r->prevp = &h->reqs;
	h->reqs = r;
	h->inflight++;
	return 0;
}

size_t
httpc_inflight(const struct httpc *h)
{
	return h->inflight;
}

void
httpc_close(struct httpc *h)
{
	struct req *r;

	if (h == NULL || h->closing)
		return;
	h->closing = true;
	/* the transfers still in curl: each callback hears "closed" */
	while ((r = h->reqs) != NULL) {
		snprintf(r->errbuf, sizeof(r->errbuf), "closed");
		finish(h, r, CURLE_ABORTED_BY_CALLBACK);
	}
	curl_multi_cleanup(h->multi);
	while (h->socks != NULL)	/* what curl kept open till now */
		close_sock(h->socks);
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, timer_close_cb);
}
