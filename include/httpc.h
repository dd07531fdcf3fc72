/*
 * httpc: HTTP POSTs on the program's libuv loop, through libcurl's multi
 * interface (SPEC §13): curl's sockets are watched with uv_poll and its
 * time-outs with one uv_timer, so no request ever blocks the loop (names
 * are resolved by curl's threaded resolver). libcurl stays in httpc.c.
 */
#ifndef EW_HTTPC_H
#define EW_HTTPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct ew_err;
struct httpc;

#define HTTPC_BODY_MAX	4096	/* bytes of a reply kept, for the log */

/* What came back. Borrowed: valid until the callback returns. */
struct httpc_result {
	long		 status;	/* HTTP status; 0: no reply (refused,
					 * time-out, closed) */
	const char	*error;		/* why, when status is 0; else "" */
	const char	*body;		/* the reply, cut at HTTPC_BODY_MAX */
	size_t		 len;
};

/* Called exactly once per request httpc_post accepted, from the loop
 * (never from within httpc_post), or from httpc_close with status 0. */
typedef void httpc_done_fn(void *arg, const struct httpc_result *r);

struct httpc_opts {
	uint64_t	 connect_timeout_ms;	/* SPEC §13: 2 s */
	uint64_t	 timeout_ms;		/* the whole request: 10 s */
};

/* Returns NULL with err filled when curl cannot start. */
struct httpc	*httpc_create(uv_loop_t *loop, const struct httpc_opts *o,
		    struct ew_err *err);
/* POSTs len bytes of body (copied) to url with Content-Type
 * application/json and the given header lines ("Name: value", copied).
 * Returns 0, or -EINVAL when the URL is not http(s) or curl refuses
 * it, -ESHUTDOWN once closing (cb is then never called). */
int		 httpc_post(struct httpc *h, const char *url,
		    char *const *headers, size_t nheaders, const char *body,
		    size_t len, httpc_done_fn *cb, void *arg);
/* Requests in flight. */
size_t		 httpc_inflight(const struct httpc *h);
/* Starts closing: requests in flight get status 0 ("closed") now; the
 * memory goes once every handle is closed. NULL: no-op. */
void		 httpc_close(struct httpc *h);

#endif
