/*
 * web: errwatch-web's HTTP side (SPEC §14). libmicrohttpd, driven from
 * the libuv loop (its epoll descriptor in a uv_poll, its time-out in a
 * uv_timer: one thread, no locks), answers each request from a fresh
 * read of Redis through the shared link (sink): pages (html), the JSON
 * API (api), /metrics (metrics), /healthz, and the assets. A request
 * that waits for Redis is suspended, so a slow Redis or a slow client
 * never holds up the others.
 */
#ifndef EW_WEB_H
#define EW_WEB_H

#include <uv.h>

struct config;
struct ew_err;
struct web;

/* Binds cfg->web.listen, starts serving on loop and connects to Redis.
 * Copies what it needs from cfg. On failure returns NULL with err set
 * and nothing left on the loop. */
struct web	*web_create(uv_loop_t *loop, const struct config *cfg,
		    struct ew_err *err);
/* Takes the new config's refresh, assets and buckets; changed Redis
 * settings (url, credential, sentinels, time-out) take a new link.
 * listen is kept (a restart changes it). Returns 0, or -1 with err and
 * nothing changed. */
int		 web_reload(struct web *w, const struct config *cfg,
		    struct ew_err *err);
/* A line for the service manager's STATUS. */
const char	*web_status(struct web *w);
/* Stops serving and closes the link; memory goes once every handle is
 * closed. NULL: no-op. */
void		 web_close(struct web *w);

#endif
