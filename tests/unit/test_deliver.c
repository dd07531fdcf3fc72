/*
 * test_deliver: the delivery bookkeeping of SPEC §13 as scripts of steps
 * over one Alertmanager (target 0) and one webhook (target 1): stream
 * order per target, one event per alert in a batch, acknowledgement only
 * once every target is done, 4xx final, backoff 1 s doubling to 60 s, a
 * late firing event after its delivered resolve never sent, invalid
 * entries acknowledged unsent, the re-send of firing and resolved alerts,
 * and a reload. Time is an argument: no sleeps.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "amapi.h"
#include "base.h"
#include "check.h"
#include "deliver.h"

enum op {
	ADD,		/* id, ev (index into events; -1: invalid) -> want */
	NEXT,		/* target at mono, wall -> want (1: a request),
			 * alerts in it, text that must be in it */
	DONE,		/* target, outcome at mono */
	ACK,		/* -> the id handed out, or "" */
	ACKED,		/* id, ok */
	RETRY_AT,	/* target -> want */
	RESEND,		/* active (events index list), wall -> count, text */
	RELOAD,
	END,
};

struct step {
	enum op		 op;
	int		 target;
	const char	*id;
	int		 ev;
	int		 outcome;
	uint64_t	 mono, wall;
	long long	 want;
	const char	*text;	/* in the body; NULL: not checked */
	const char	*absent;	/* not in the body */
};

/* The events: name, host, event, ts. */
static const char *const events[][4] = {
	{ "Punishment", "h1", "firing", "1000" },	/* 0 */
	{ "Punishment", "h1", "resolved", "5000" },	/* 1 */
	{ "Kicked", "h1", "firing", "2000" },		/* 2 */
	{ "Kicked", "h2", "firing", "8000" },		/* 3 */
	{ "Kicked", "h2", "resolved", "9000" },		/* 4 */
};

static struct amapi_event *
event(int i)
{
	const char *kv[] = { "event", events[i][2], "name", events[i][0],
	    "host", events[i][1], "severity", "warning", "rule", "static",
	    "count", "9", "ts", events[i][3] };
	size_t lens[ARRAY_SIZE(kv)], j;
	const char *why;

	for (j = 0; j < ARRAY_SIZE(kv); j++)
		lens[j] = strlen(kv[j]);
	return amapi_event_parse(kv, lens, ARRAY_SIZE(kv), &why);
}


static const struct step order[] = {
	{ ADD, 0, "1-0", 0, 0, 0, 0, 0, NULL, NULL },
	{ ADD, 0, "3-0", 2, 0, 0, 0, 0, NULL, NULL },
	{ ADD, 0, "2-0", 1, 0, 0, 0, 0, NULL, NULL },	/* sorted in */
	{ ADD, 0, "2-0", 1, 0, 0, 0, -EEXIST, NULL, NULL },
	{ ADD, 0, "x-1", 1, 0, 0, 0, -EINVAL, NULL, NULL },
	{ ADD, 0, "4-0", -1, 0, 0, 0, 0, NULL, NULL },	/* not an event */
	/* the batch stops at the second event of Punishment@h1 */
	{ NEXT, 0, NULL, 0, 0, 0, 100000, 1,
	    "\"startsAt\":\"1970-01-01T00:00:01.000Z\",\"endsAt\":"
	    "\"1970-01-01T00:05:40.000Z\"", "Kicked" },
	{ NEXT, 0, NULL, 0, 0, 0, 100000, -1, NULL, NULL },	/* busy */
	{ NEXT, 1, NULL, 0, 0, 0, 100000, 0,
	    "{\"event\":\"firing\",\"name\":\"Punishment\"", NULL },
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "4-0", NULL },	/* invalid: at once */
	{ ACKED, 0, "4-0", 0, 1, 0, 0, 0, NULL, NULL },
	{ DONE, 0, NULL, 0, DELIVER_OK, 0, 0, 0, NULL, NULL },
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "", NULL },	/* webhook owes it */
	{ DONE, 1, NULL, 0, DELIVER_OK, 0, 0, 0, NULL, NULL },
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "1-0", NULL },
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "", NULL },	/* handed out once */
	{ ACKED, 0, "1-0", 0, 0, 0, 0, 0, NULL, NULL },	/* XACK failed */
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "1-0", NULL },	/* so again */
	{ ACKED, 0, "1-0", 0, 1, 0, 0, 0, NULL, NULL },
	/* the resolve starts at the firing time delivered, ends at its ts;
	 * Kicked@h1 rides along */
	{ NEXT, 0, NULL, 0, 0, 0, 100000, 2,
	    "\"startsAt\":\"1970-01-01T00:00:01.000Z\",\"endsAt\":"
	    "\"1970-01-01T00:00:05.000Z\"", NULL },
	{ DONE, 0, NULL, 0, DELIVER_OK, 0, 0, 0, NULL, NULL },
	{ NEXT, 1, NULL, 0, 0, 0, 100000, 0, "\"event\":\"resolved\"", NULL },
	{ DONE, 1, NULL, 0, DELIVER_OK, 0, 0, 0, NULL, NULL },
	{ NEXT, 1, NULL, 0, 0, 0, 100000, 0, "Kicked", NULL },
	{ DONE, 1, NULL, 0, DELIVER_OK, 0, 0, 0, NULL, NULL },
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "2-0", NULL },
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "3-0", NULL },
	{ NEXT, 0, NULL, 0, 0, 0, 0, -1, NULL, NULL },	/* nothing owed */
	{ END, 0, NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static const struct step backoff[] = {
	{ ADD, 0, "1-0", 0, 0, 0, 0, 0, NULL, NULL },
	{ NEXT, 1, NULL, 0, 0, 0, 0, 0, NULL, NULL },
	/* a 4xx */
	{ DONE, 1, NULL, 0, DELIVER_REJECTED, 0, 0, 0, NULL, NULL },
	{ NEXT, 1, NULL, 0, 0, 0, 0, -1, NULL, NULL },	/* never again */
	{ NEXT, 0, NULL, 0, 0, 0, 0, 1, NULL, NULL },
	{ DONE, 0, NULL, 0, DELIVER_RETRY, 0, 0, 0, NULL, NULL },
	{ RETRY_AT, 0, NULL, 0, 0, 0, 0, 1000, NULL, NULL },
	{ NEXT, 0, NULL, 0, 0, 999, 0, -1, NULL, NULL },
	{ NEXT, 0, NULL, 0, 0, 1000, 0, 1, NULL, NULL },
	{ DONE, 0, NULL, 0, DELIVER_RETRY, 1000, 0, 0, NULL, NULL },
	{ RETRY_AT, 0, NULL, 0, 0, 0, 0, 3000, NULL, NULL },	/* 2 s */
	{ NEXT, 0, NULL, 0, 0, 3000, 0, 1, NULL, NULL },
	{ DONE, 0, NULL, 0, DELIVER_RETRY, 3000, 0, 0, NULL, NULL },
	{ RETRY_AT, 0, NULL, 0, 0, 0, 0, 7000, NULL, NULL },	/* 4 s */
	{ NEXT, 0, NULL, 0, 0, 7000, 0, 1, NULL, NULL },
	{ DONE, 0, NULL, 0, DELIVER_RETRY, 7000, 0, 0, NULL, NULL },
	{ NEXT, 0, NULL, 0, 0, 15000, 0, 1, NULL, NULL },
	{ DONE, 0, NULL, 0, DELIVER_RETRY, 15000, 0, 0, NULL, NULL },
	{ NEXT, 0, NULL, 0, 0, 31000, 0, 1, NULL, NULL },
	{ DONE, 0, NULL, 0, DELIVER_RETRY, 31000, 0, 0, NULL, NULL },
	{ NEXT, 0, NULL, 0, 0, 63000, 0, 1, NULL, NULL },
	{ DONE, 0, NULL, 0, DELIVER_RETRY, 63000, 0, 0, NULL, NULL },
	{ RETRY_AT, 0, NULL, 0, 0, 0, 0, 123000, NULL, NULL },	/* capped */
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "", NULL },	/* still pending */
	{ NEXT, 0, NULL, 0, 0, 123000, 0, 1, NULL, NULL },
	{ DONE, 0, NULL, 0, DELIVER_OK, 123000, 0, 0, NULL, NULL },
	{ RETRY_AT, 0, NULL, 0, 0, 0, 0, 0, NULL, NULL },
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "1-0", NULL },
	{ END, 0, NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

/* A firing event claimed late from a dead instance, after its resolve was
 * delivered: never sent, acknowledged. Then the re-send. */
static const struct step late[] = {
	{ ADD, 0, "9-0", 4, 0, 0, 0, 0, NULL, NULL },
	{ NEXT, 0, NULL, 0, 0, 0, 0, 1, "\"host\":\"h2\"", NULL },
	{ DONE, 0, NULL, 0, DELIVER_OK, 0, 0, 0, NULL, NULL },
	{ NEXT, 1, NULL, 0, 0, 0, 0, 0, "resolved", NULL },
	{ DONE, 1, NULL, 0, DELIVER_OK, 0, 0, 0, NULL, NULL },
	{ ADD, 0, "8-0", 3, 0, 0, 0, 0, NULL, NULL },	/* claimed */
	{ NEXT, 0, NULL, 0, 0, 0, 0, -1, NULL, NULL },
	{ NEXT, 1, NULL, 0, 0, 0, 0, -1, NULL, NULL },
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "8-0", NULL },
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "9-0", NULL },
	/* the re-send: Punishment@h1 firing from alerts:active (endsAt now
	 * + 4 x 60 s), Kicked@h2 resolved at 9 s while retained; active's
	 * stale Kicked@h2 firing is left out */
	{ RESEND, 0, NULL, 0, 0, 0, 60000, 2,
	    "\"endsAt\":\"1970-01-01T00:05:00.000Z\"", "\"rule\":\"x\"" },
	{ RESEND, 0, NULL, 0, 0, 0, 60000, 2,
	    "\"startsAt\":\"1970-01-01T00:00:09.000Z\",\"endsAt\":"
	    "\"1970-01-01T00:00:09.000Z\"", NULL },
	{ RESEND, 0, NULL, 0, 0, 0, 909000, 2, NULL, NULL },
	{ RESEND, 0, NULL, 0, 0, 0, 909001, 1, NULL, "h2" },	/* retention */
	{ END, 0, NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static const struct step reload[] = {
	{ ADD, 0, "1-0", 0, 0, 0, 0, 0, NULL, NULL },
	{ NEXT, 0, NULL, 0, 0, 0, 0, 1, NULL, NULL },
	{ RELOAD, 0, NULL, 0, 0, 0, 0, 0, NULL, NULL },	/* gen 1 now */
	{ DONE, 0, NULL, 0, DELIVER_OK, 0, 0, 0, NULL, NULL },	/* gen 0 */
	{ ACK, 0, NULL, 0, 0, 0, 0, 0, "", NULL },
	{ NEXT, 0, NULL, 0, 0, 0, 0, 1, NULL, NULL },	/* owed again */
	{ END, 0, NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static unsigned
count_alerts(const char *body)
{
	unsigned n = 0;

	for (; (body = strstr(body, "\"labels\"")) != NULL; body++)
		n++;
	return n;
}

static void
run(const char *name, const struct step *s)
{
	struct deliver_opts o = { 1, 1, 60000, 900000, { NULL, NULL } };
	struct buf body = { NULL, 0, 0 };
	struct amapi_event *active[2];
	struct deliver *d = deliver_create(&o);
	const struct step *first = s;
	unsigned gen = 0;
	const char *id;
	bool got;
	size_t n;

	for (; s->op != END; s++) {
		switch (s->op) {
		case ADD:
			CHECK_INT_EQ(deliver_add(d, s->id, s->ev >= 0 ?
			    event(s->ev) : NULL), s->want);
			break;
		case NEXT:
			got = deliver_next(d, (size_t)s->target, s->mono,
			    s->wall, &body);
			if (s->want < 0) {
				CHECK(!got);
				break;
			}
			if (!got)
				fprintf(stderr, "%s: step %d: no request\n",
				    name, (int)(s - first));
			CHECK(got);
			if (!got)
				break;
			if (s->target == 0)
				CHECK_UINT_EQ(count_alerts(body.p),
				    (unsigned)s->want);
			if (s->text != NULL && strstr(body.p, s->text) == NULL)
				fprintf(stderr, "%s: %s lacks %s\n", name,
				    body.p, s->text);
			CHECK(s->text == NULL || strstr(body.p, s->text));
			CHECK(s->absent == NULL ||
			    strstr(body.p, s->absent) == NULL);
			break;
		case DONE:
			deliver_done(d, (size_t)s->target, gen,
			    (enum deliver_outcome)s->outcome, s->mono);
			break;
		case ACK:
			id = deliver_next_ack(d);
			CHECK_STR_EQ(id != NULL ? id : "", s->text);
			break;
		case ACKED:
			deliver_acked(d, s->id, s->outcome != 0);
			break;
		case RETRY_AT:
			CHECK_UINT_EQ(deliver_retry_at(d, (size_t)s->target),
			    (uint64_t)s->want);
			break;
		case RESEND:
			active[0] = event(0);
			active[1] = event(3);
			n = deliver_resend(d, active, 2, s->wall, &body);
			CHECK_UINT_EQ(n, (size_t)s->want);
			CHECK(s->text == NULL || strstr(body.p, s->text));
			CHECK(s->absent == NULL ||
			    strstr(body.p, s->absent) == NULL);
			amapi_event_destroy(active[0]);
			amapi_event_destroy(active[1]);
			break;
		case RELOAD:
			deliver_reload(d, &o);
			CHECK_UINT_EQ(deliver_generation(d), gen + 1);
			/* DONE steps after it answer the old request */
			break;
		case END:
			break;
		}
	}
	buf_free(&body);
	deliver_destroy(d);
}

int
main(void)
{
	run("order", order);
	run("backoff", backoff);
	run("late", late);
	run("reload", reload);
	CHECK_DONE();
}
