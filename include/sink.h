/*
 * sink: the Redis link on the daemon's loop. hiredis 0.14's async API on
 * our own libuv adapter (the Debian one drops socket errors and has no
 * timers): non-blocking name resolution, connect and reply time-outs,
 * AUTH and SELECT, scripts by EVALSHA with a transparent reload on
 * NOSCRIPT, reconnect with capped exponential backoff and jitter
 * (100 ms to 5 s). With Sentinel (SPEC §15) each connection attempt
 * first asks the sentinels in turn for the master, and the server they
 * name must answer ROLE = master before it gets a script or a command.
 * hiredis stays in sink.c. The sink never retries a command by itself:
 * whoever sent it decides (SPEC §8).
 */
#ifndef EW_SINK_H
#define EW_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct ew_err;
struct redisurl;
struct sentinel_conf;
struct sink;

enum sink_state {
	SINK_DOWN,		/* not connected, backoff timer armed */
	SINK_DISCOVERING,	/* asking a sentinel for the master */
	SINK_RESOLVING,		/* uv_getaddrinfo in flight */
	SINK_CONNECTING,	/* TCP/unix connect in flight */
	SINK_HANDSHAKE,		/* AUTH, SELECT, SCRIPT LOAD in flight */
	SINK_READY,		/* commands may be sent */
	SINK_CLOSED,		/* sink_close called */
};

enum sink_reply_type {
	SINK_REPLY_STRING,
	SINK_REPLY_STATUS,
	SINK_REPLY_ERROR,
	SINK_REPLY_INTEGER,
	SINK_REPLY_NIL,
	SINK_REPLY_ARRAY,
};

/* A reply, copied out of hiredis; borrowed: valid until the callback
 * returns. */
struct sink_reply {
	enum sink_reply_type	 type;
	long long		 integer;
	const char		*str;	/* STRING, STATUS, ERROR; NUL-ended */
	size_t			 len;
	const struct sink_reply	*elem;	/* ARRAY */
	size_t			 nelem;
};

/* r == NULL: no reply will come (link lost, reply time-out, close); the
 * command may or may not have been applied. Called exactly once per
 * command that sink_command accepted. */
typedef void sink_reply_fn(void *arg, const struct sink_reply *r);
/* Called on every state change; why is a short human reason. */
typedef void sink_state_fn(void *arg, enum sink_state state,
    const char *why);

struct sink_opts {
	const struct redisurl *target;	/* where and who, credential
					 * resolved (config's redis.target);
					 * copied. NULL: url is parsed */
	const char	*url;		/* only when target is NULL */
	const char	*password;	/* overrides target's; NULL: none */
	const struct sentinel_conf *sentinel;	/* SPEC §15: the sentinels
					 * name the master, replacing the
					 * target's host and port (its user,
					 * password and db apply); copied.
					 * NULL or no sentinels: none */
	uint64_t	 connect_timeout_ms;
	uint64_t	 reply_timeout_ms;	/* no reply that long: reconnect */
	const char	*script;	/* Lua flush script, loaded at connect;
					 * may be NULL */
	sink_state_fn	*on_state;
	void		*arg;
};

/* Copies the target (or parses url with redisurl: errors name the part
 * that is wrong) and the sentinel settings (checked again: a unix URL,
 * no master name or a bad entry is an error), and arms the first connect
 * attempt on loop. With sentinels, a READY sink keeps a timer running
 * (the watch) until sink_close. */
struct sink	*sink_create(uv_loop_t *loop, const struct sink_opts *o,
		    struct ew_err *err);
/* Sends a command when READY. Returns 0, or -ENOTCONN when not READY
 * (cb is then never called). argv is copied. */
int		 sink_command(struct sink *s, int argc, const char **argv,
		    const size_t *argvlen, sink_reply_fn *cb, void *arg);
/* EVALSHA of the script given in the options, with numkeys 0 and args;
 * on NOSCRIPT it loads the script and sends it again, once. Same return
 * and callback rules as sink_command. */
int		 sink_eval(struct sink *s, int argc, const char **argv,
		    const size_t *argvlen, sink_reply_fn *cb, void *arg);
/* True when o would make the link s has (where, who, sentinels,
 * time-outs, script): a config reload keeps s then, else it takes a new
 * sink. The one answer to "does this reload need a new link" for the
 * three programs. o->target must be set. */
bool		 sink_same_link(const struct sink *s,
		    const struct sink_opts *o);
enum sink_state	 sink_state(const struct sink *s);
const char	*sink_state_name(enum sink_state st);
/* Commands sent and not yet answered. */
size_t		 sink_inflight(const struct sink *s);
/* Drops the link now and reconnects (after a config reload, say); with
 * sentinels, by asking them again. */
void		 sink_reconnect(struct sink *s, const char *why);
/* Starts closing: pending callbacks get NULL, memory goes once every
 * handle is closed. NULL: no-op. */
void		 sink_close(struct sink *s);

#endif
