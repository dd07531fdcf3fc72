/*
 * spike: per-second windows, rules, firing/resolved/cooldown (SPEC §9).
 *
 * A class is watched by up to two records of the same shape: one for its
 * spike rule (always), one for its drop rule (only when a drop rule
 * matches it; without one it holds no rings). Each has its own rings,
 * rule and alert state, so a spike and a drop rule may differ in window
 * and baseline, and each fires, resolves and cools down on its own; but
 * a class fires one alert at a time, since both would be the same
 * `<class>@<host>` field of P alerts:active (SPEC §7): one waits for the
 * other's resolve.
 *
 * Each class seen holds a ring of per-second counts W + B long, indexed by
 * absolute second modulo its length, with running sums X (the window
 * (s - W, s]) and N_B (the B seconds before it), and a ring of SPIKE_NSLOTS
 * 10-second counts with running sums of counts and squared counts. A
 * 10-second slot enters that ring once its last second has left the window,
 * so D measures the 6 h before the window and a spike never inflates its
 * own D. Closing a second is a constant amount of work per class; the
 * Poisson tail is only computed once X passes min_count and factor * mu.
 * Rings are allocated at a class's first line: a class never seen costs
 * its name and rule, nothing more.
 *
 * A static rule needs no baseline, so it fires from the first second; the
 * warm-up (B/2 observed) holds back adaptive and drop rules. A drop fires
 * when mu >= min_count, X <= mu / factor and the lower Poisson tail of
 * X / D at mu / D is below p; it resolves after W seconds back at or above
 * the frozen mu / factor. A reload keeps
 * every class's counts and alert state; a firing alert keeps its frozen
 * level and mu, and the rule name and severity it fired under, until it
 * resolves.
 *
 * Invariants: x and nb are the sums of their ring spans; s1 and s2 the
 * sums over the valid slots, nvalid their number; seconds before
 * valid_from (slots before d_from) are unknown, not zero, and count in no
 * baseline. The open second cur_sec is never in a ring: its lines wait in
 * cls->open. Events are queued with their own string copies and delivered
 * by spike_tick, so a reload or spike_set_class between an observe that
 * closed seconds and the tick that reports them changes nothing.
 * Touches no loop, fd or clock.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "config.h"
#include "spike.h"

#define SLOT_INVALID	UINT32_MAX
#define SLOT_MAX	(1U << 26)	/* so s2 fits: 2160 * 2^52 < 2^63 */
#define DEFAULT_RULE	"defaults"	/* SPEC §7: match of no rule */

struct rule {
	char			*match;
	bool			 drop;
	struct alert_params	 params;
};

struct cls {
	bool		 named;
	bool		 drop;		/* the drop record of its class */
	char		*name;
	int		 code;
	char		*category;

	/* the rule, resolved at spike_set_class and spike_reload */
	const char	*rule;		/* sp->rules[].match or DEFAULT_RULE;
					 * NULL: a drop record without a
					 * drop rule */
	struct alert_params prm;
	uint64_t	 w;		/* window, s */
	uint64_t	 b;		/* baseline, s */

	/* counts; cnt == NULL until the first line */
	uint32_t	 open;		/* lines in sp->cur_sec */
	uint32_t	*cnt;		/* len = w + b, by second % len */
	uint64_t	 len;
	uint64_t	 x;		/* X: lines in (s - w, s] */
	uint64_t	 nb;		/* N_B: lines in (s - w - b, s - w] */
	uint64_t	 valid_from;	/* first second whose count is known */

	uint32_t	*slot;		/* SPIKE_NSLOTS, by slot % NSLOTS */
	uint64_t	 s1;		/* sum of valid slots */
	uint64_t	 s2;		/* sum of their squares */
	uint64_t	 nvalid;
	uint64_t	 d_from;	/* first second a valid slot may hold */
	uint64_t	 acc;		/* the slot leaving the window */
	uint64_t	 acc_next;	/* the second expected to leave next */
	uint64_t	 k_next;	/* the next slot to be pushed */
	bool		 acc_ok;

	/* alert state */
	bool		 firing;
	double		 level;		/* frozen: L (spike), mu / factor
					 * (drop) */
	double		 f_mu;		/* mu, frozen */
	uint64_t	 calm;		/* consecutive seconds back to normal:
					 * X < L, or X >= mu / factor */
	const char	*f_kind;	/* "static", "adaptive", "drop" */
	char		*f_rule;	/* copies, as at firing */
	char		 f_sev[16];	/* as alert_params.severity */
	uint64_t	 quiet_until_ms; /* cooldown end; 0: none */
};

struct pending {
	struct spike_event ev;		/* strings point at the copies below */
	char		*name;
	char		*category;
	char		*severity;
	char		*match;
};

struct spike {
	struct alert_params defaults;
	struct rule	*rules;
	size_t		 nrules;

	struct cls	*cls;		/* spike records, by class id */
	struct cls	*dcls;		/* drop records, by class id */
	size_t		 ncls;

	bool		 started;
	uint64_t	 start_sec;	/* the detector's first second */
	uint64_t	 cur_sec;	/* the open second */

	struct pending	*q;		/* events not yet delivered */
	size_t		 nq;
	size_t		 q_cap;
};

/*
 * The Poisson upper tail. P(Poisson(m) >= k) = P(k, m), the regularized
 * lower incomplete gamma function. Below m < k + 1 its series converges
 * (terms shrink by m / (k + n)) and is summed in log space; above, the
 * tail is large (about 1/2 or more) and 1 - Q(k, m) by Lentz's continued
 * fraction is exact enough.
 */
double
spike_log_poisson_tail(double m, uint64_t k)
{
	double a = (double)k, sum, term, b, c, d, h, an, del;
	uint64_t n;

	if (k == 0)
		return 0.0;
	if (!(m > 0.0))
		return -INFINITY;
	if (m < a + 1.0) {
		sum = 1.0;
		term = 1.0;
		for (n = 1; n < 10000000; n++) {
			term *= m / (a + (double)n);
			sum += term;
			if (term < sum * 1e-17)
				break;
		}
		return a * log(m) - m - lgamma(a + 1.0) + log(sum);
	}
	b = m + 1.0 - a;
	c = 1.0 / DBL_MIN;
	d = 1.0 / b;
	h = d;
	for (n = 1; n < 10000000; n++) {
		an = -(double)n * ((double)n - a);
		b += 2.0;
		d = an * d + b;
		if (fabs(d) < DBL_MIN)
			d = DBL_MIN;
		c = b + an / c;
		if (fabs(c) < DBL_MIN)
			c = DBL_MIN;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-16)
			break;
	}
	return log1p(-exp(a * log(m) - m - lgamma(a)) * h);
}

/*
 * The Poisson lower tail, ln P(Poisson(m) <= k). Below the mean (m > k +
 * 1) the terms from j = k down shrink by j / m, so the sum is taken in log
 * space from the largest term; at or above it the head is large (about
 * 1/2 or more) and 1 - P(Poisson(m) >= k + 1) is exact enough.
 */
double
spike_log_poisson_head(double m, uint64_t k)
{
	double a = (double)k, sum = 1.0, term = 1.0;
	uint64_t j;

	if (!(m > 0.0))
		return 0.0;
	if (m <= a + 1.0)
		return log1p(-exp(spike_log_poisson_tail(m, k + 1)));
	for (j = k; j > 0; j--) {
		term *= (double)j / m;
		sum += term;
		if (term < sum * 1e-17)
			break;
	}
	return a * log(m) - m - lgamma(a + 1.0) + log(sum);
}

/* 0 and 1 for a bad value, so a hand-built config cannot divide by 0. */
static uint64_t
to_s(uint64_t ms)
{
	return ms / 1000 > 0 ? ms / 1000 : 1;
}

static bool
is_code(const char *s, int code)
{
	long v = 0;

	if (code < 0 || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 1000000)
			return false;
		v = v * 10 + (*s - '0');
	}
	return v == code;
}

static bool
is_category(const char *match, const char *category)
{
	static const char pfx[] = "category:";

	return category != NULL && category[0] != '\0' &&
	    strncmp(match, pfx, sizeof(pfx) - 1) == 0 &&
	    strcmp(match + sizeof(pfx) - 1, category) == 0;
}

/* SPEC §9: the most specific rule of the record's kind (spike or drop)
 * wins; in file order among equals. */
static const struct rule *
find_rule(const struct spike *sp, const struct cls *c)
{
	const struct rule *r;
	size_t i;

	for (i = 0; i < sp->nrules; i++) {
		r = &sp->rules[i];
		if (r->drop == c->drop && strcmp(r->match, c->name) == 0)
			return r;
	}
	for (i = 0; i < sp->nrules; i++) {
		r = &sp->rules[i];
		if (r->drop == c->drop && is_code(r->match, c->code))
			return r;
	}
	for (i = 0; i < sp->nrules; i++) {
		r = &sp->rules[i];
		if (r->drop == c->drop && is_category(r->match, c->category))
			return r;
	}
	return NULL;
}

/* The ring keeps the seconds both lengths cover; the older ones become
 * unknown. Sums are recomputed: reload only. */
static void
resize_ring(struct spike *sp, struct cls *c, uint64_t w, uint64_t b)
{
	uint64_t len = w + b, keep = EW_MIN(len, c->len), t, last;
	uint32_t *cnt = xcalloc(len, sizeof(*cnt));

	last = sp->cur_sec;	/* seconds before it are closed */
	for (t = last >= keep ? last - keep : 0; t < last; t++)
		cnt[t % len] = c->cnt[t % c->len];
	if (len > c->len && last > c->len)
		c->valid_from = EW_MAX(c->valid_from, last - c->len);
	free(c->cnt);
	c->cnt = cnt;
	c->len = len;
	c->x = c->nb = 0;
	for (t = last >= len ? last - len : 0; t < last; t++) {
		if (t + w >= last)
			c->x += cnt[t % len];
		else
			c->nb += cnt[t % len];
	}
	/* the seconds leaving the window jump: the slot being built is lost */
	c->acc_ok = false;
}

static void
apply_rule(struct spike *sp, struct cls *c)
{
	const struct rule *r = find_rule(sp, c);
	uint64_t w, b;

	c->prm = r != NULL ? r->params : sp->defaults;
	c->rule = r != NULL ? r->match : DEFAULT_RULE;
	if (c->drop && r == NULL) {	/* never from the defaults */
		c->prm.enabled = false;
		c->rule = NULL;
	}
	w = to_s(c->prm.window_ms);
	b = to_s(c->prm.baseline_ms);
	if (c->cnt != NULL && (w != c->w || b != c->b))
		resize_ring(sp, c, w, b);
	c->w = w;
	c->b = b;
}

static void
copy_rules(struct spike *sp, const struct config_alerts *a)
{
	size_t i;

	sp->defaults = a->defaults;
	sp->nrules = a->nrules;
	sp->rules = sp->nrules > 0 ?
	    xcalloc(sp->nrules, sizeof(*sp->rules)) : NULL;
	for (i = 0; i < sp->nrules; i++) {
		sp->rules[i].match = xstrdup(a->rules[i].match);
		sp->rules[i].drop = a->rules[i].drop;
		sp->rules[i].params = a->rules[i].params;
	}
}

static void
free_rules(struct spike *sp)
{
	size_t i;

	for (i = 0; i < sp->nrules; i++)
		free(sp->rules[i].match);
	free(sp->rules);
	sp->rules = NULL;
	sp->nrules = 0;
}

struct spike *
spike_create(const struct config_alerts *a)
{
	struct spike *sp = xcalloc(1, sizeof(*sp));

	copy_rules(sp, a);
	return sp;
}

static void
free_pending(struct pending *p)
{
	free(p->name);
	free(p->category);
	free(p->severity);
	free(p->match);
}

static void
free_cls(struct cls *c)
{
	free(c->name);
	free(c->category);
	free(c->cnt);
	free(c->slot);
	free(c->f_rule);
}

void
spike_destroy(struct spike *sp)
{
	size_t i;

	if (sp == NULL)
		return;
	for (i = 0; i < sp->ncls; i++) {
		free_cls(&sp->cls[i]);
		free_cls(&sp->dcls[i]);
	}
	for (i = 0; i < sp->nq; i++)
		free_pending(&sp->q[i]);
	free(sp->q);
	free(sp->cls);
	free(sp->dcls);
	free_rules(sp);
	free(sp);
}

static void	alloc_rings(struct spike *, struct cls *, uint64_t);

void
spike_reload(struct spike *sp, const struct config_alerts *a)
{
	struct cls *dc;
	size_t i;

	free_rules(sp);
	copy_rules(sp, a);
	for (i = 0; i < sp->ncls; i++) {
		if (!sp->cls[i].named)
			continue;
		apply_rule(sp, &sp->cls[i]);
		dc = &sp->dcls[i];
		apply_rule(sp, dc);
		/* a new drop rule on a class already seen: its counts start
		 * now, the seconds before are unknown */
		if (dc->rule != NULL && dc->cnt == NULL &&
		    sp->cls[i].cnt != NULL)
			alloc_rings(sp, dc, sp->cur_sec);
	}
}

static void
name_cls(struct cls *c, const char *name, int code, const char *category)
{
	free(c->name);
	free(c->category);
	c->name = xstrdup(name != NULL ? name : "");
	c->category = xstrdup(category != NULL ? category : "");
	c->code = code;
	c->named = true;
}

void
spike_set_class(struct spike *sp, size_t cls, const char *name, int code,
    const char *category)
{
	struct cls *c;

	size_t i;

	if (cls >= sp->ncls) {
		sp->cls = xrealloc(sp->cls, (cls + 1) * sizeof(*sp->cls));
		sp->dcls = xrealloc(sp->dcls, (cls + 1) * sizeof(*sp->dcls));
		memset(sp->cls + sp->ncls, 0,
		    (cls + 1 - sp->ncls) * sizeof(*sp->cls));
		memset(sp->dcls + sp->ncls, 0,
		    (cls + 1 - sp->ncls) * sizeof(*sp->dcls));
		for (i = sp->ncls; i <= cls; i++)
			sp->dcls[i].drop = true;
		sp->ncls = cls + 1;
	}
	c = &sp->cls[cls];
	name_cls(c, name, code, category);
	apply_rule(sp, c);
	c = &sp->dcls[cls];
	name_cls(c, name, code, category);
	apply_rule(sp, c);
	if (c->rule != NULL && c->cnt == NULL && sp->cls[cls].cnt != NULL)
		alloc_rings(sp, c, sp->cur_sec);
}

static void
slot_push(struct cls *c, uint64_t k, uint32_t v)
{
	uint32_t *e = &c->slot[k % SPIKE_NSLOTS];

	if (*e != SLOT_INVALID) {
		c->s1 -= *e;
		c->s2 -= (uint64_t)*e * *e;
		c->nvalid--;
	}
	*e = v;
	if (v != SLOT_INVALID) {
		c->s1 += v;
		c->s2 += (uint64_t)v * v;
		c->nvalid++;
	}
}

/* Pushes slot k. Slots skipped since the last push (a reload shortened
 * the window) become unknown, so no stale count stays in D. */
static void
slot_close(struct cls *c, uint64_t k, uint32_t v)
{
	uint64_t j;

	for (j = c->k_next; j < k && j < c->k_next + SPIKE_NSLOTS; j++)
		slot_push(c, j, SLOT_INVALID);
	slot_push(c, k, v);
	c->k_next = k + 1;
}

/* Second t (count m) has left the window: into the 10-second slot. */
static void
slot_feed(struct cls *c, uint64_t t, uint32_t m)
{
	if (t % SPIKE_SLOT_S == 0) {
		c->acc = 0;
		c->acc_ok = t >= c->d_from;
	} else if (t != c->acc_next)
		c->acc_ok = false;
	c->acc_next = t + 1;
	c->acc = EW_MIN(c->acc + m, SLOT_MAX);
	if (t % SPIKE_SLOT_S == SPIKE_SLOT_S - 1) {
		slot_close(c, t / SPIKE_SLOT_S,
		    c->acc_ok ? (uint32_t)c->acc : SLOT_INVALID);
		c->acc_ok = false;
	}
}

/* The rings of c, with the seconds from known_from known to be zero: the
 * detector's start at a class's first line (as they were: no line came),
 * the open second for a drop rule that comes later. */
static void
alloc_rings(struct spike *sp, struct cls *c, uint64_t known_from)
{
	uint64_t k, kfirst, kend, left;
	size_t i;

	c->len = c->w + c->b;
	c->cnt = xcalloc(c->len, sizeof(*c->cnt));
	c->x = c->nb = 0;
	c->valid_from = known_from;
	c->slot = xmalloc(SPIKE_NSLOTS * sizeof(*c->slot));
	for (i = 0; i < SPIKE_NSLOTS; i++)
		c->slot[i] = SLOT_INVALID;
	c->s1 = c->s2 = c->nvalid = 0;
	c->d_from = known_from;
	c->acc = 0;
	c->acc_ok = false;
	c->k_next = 0;
	/* next to leave the window: cur_sec - w; the whole slots before it,
	 * since the start, were empty */
	if (sp->cur_sec < c->w)
		return;
	left = sp->cur_sec - c->w;
	kfirst = (known_from + SPIKE_SLOT_S - 1) / SPIKE_SLOT_S;
	kend = left / SPIKE_SLOT_S;	/* slots < kend are whole */
	if (kend > kfirst + SPIKE_NSLOTS)
		kfirst = kend - SPIKE_NSLOTS;
	for (k = kfirst; k < kend; k++)
		slot_push(c, k, 0);
	c->k_next = kend;
	if (left % SPIKE_SLOT_S != 0) {
		c->acc_ok = kend * SPIKE_SLOT_S >= known_from;
		c->acc_next = left;
	}
}

/* D: variance / mean of the valid slots, at least 1. */
static double
dispersion(const struct cls *c)
{
	double d;

	if (c->s1 == 0 || c->nvalid == 0)
		return 1.0;
	d = (double)c->s2 / (double)c->s1 -
	    (double)c->s1 / (double)c->nvalid;
	return d > 1.0 ? d : 1.0;
}

static void
queue_event(struct spike *sp, const struct cls *c, size_t id, bool firing,
    uint64_t s)
{
	struct pending *p;

	if (sp->nq == sp->q_cap) {
		sp->q_cap = sp->q_cap > 0 ? 2 * sp->q_cap : 8;
		sp->q = xrealloc(sp->q, sp->q_cap * sizeof(*sp->q));
	}
	p = &sp->q[sp->nq++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(c->name);
	p->category = xstrdup(c->category);
	p->severity = xstrdup(c->f_sev);
	p->match = xstrdup(c->f_rule != NULL ? c->f_rule : DEFAULT_RULE);
	p->ev.name = p->name;
	p->ev.category = p->category;
	p->ev.severity = p->severity;
	p->ev.rule = c->f_kind != NULL ? c->f_kind : "adaptive";
	p->ev.match = p->match;
	p->ev.firing = firing;
	p->ev.cls = id;
	p->ev.code = c->code;
	p->ev.window_s = c->w;
	p->ev.count = c->x;
	p->ev.baseline = c->f_mu;
	p->ev.threshold = c->level;
	p->ev.ts_ms = s * 1000;
}

static void
fire(struct spike *sp, struct cls *c, size_t id, uint64_t s, double level,
    double mu)
{
	c->firing = true;
	c->level = level;
	c->f_mu = mu;
	c->calm = 0;
	if (c->drop)
		c->f_kind = "drop";
	else if (c->prm.set & ALERT_F_THRESHOLD)
		c->f_kind = "static";
	else
		c->f_kind = "adaptive";
	free(c->f_rule);
	c->f_rule = xstrdup(c->rule);
	snprintf(c->f_sev, sizeof(c->f_sev), "%s", c->prm.severity);
	queue_event(sp, c, id, true, s);
}

static void
resolve(struct spike *sp, struct cls *c, size_t id, uint64_t s)
{
	c->firing = false;
	c->quiet_until_ms = s * 1000 + c->prm.cooldown_ms;
	queue_event(sp, c, id, false, s);
}

/* The smallest X that fires at this mu and D: L for an adaptive alert.
 * x fires, so the search for the smallest k = floor(X / D) whose tail is
 * below p runs over [0, floor(x / D)]. */
static uint64_t
adaptive_level(const struct cls *c, uint64_t x, double mu, double d,
    double logp)
{
	uint64_t lo = 0, hi = (uint64_t)floor((double)x / d), mid, l;
	double f;

	while (hi - lo > 1) {	/* tail(lo) >= p > tail(hi) */
		mid = lo + (hi - lo) / 2;
		if (spike_log_poisson_tail(mu / d, mid) < logp)
			hi = mid;
		else
			lo = mid;
	}
	l = EW_MAX((uint64_t)ceil((double)hi * d), c->prm.min_count);
	f = ceil(c->prm.factor * mu);	/* below x, since x fires */
	if (f > (double)l)
		l = f < (double)x ? (uint64_t)f : x;
	return EW_MIN(l, x);
}

static void
evaluate(struct spike *sp, struct cls *c, size_t id, uint64_t s)
{
	uint64_t covered, seen, k;
	double mu, d;

	if (c->firing) {
		if (!c->prm.enabled) {	/* disabled by a reload */
			resolve(sp, c, id, s);
			return;
		}
		c->calm = (double)c->x < c->level ? c->calm + 1 : 0;
		if (c->calm >= c->w)
			resolve(sp, c, id, s);
		return;
	}
	if (!c->prm.enabled || s * 1000 < c->quiet_until_ms ||
	    sp->dcls[id].firing)
		return;
	covered = s + 1 - EW_MAX(sp->start_sec, c->valid_from);
	seen = covered > c->w ? EW_MIN(covered - c->w, c->b) : 1;
	if (c->prm.set & ALERT_F_THRESHOLD) {
		if (c->x >= c->prm.threshold)
			fire(sp, c, id, s, (double)c->prm.threshold,
			    (double)(c->nb + 1) * (double)c->w / (double)seen);
		return;
	}
	/* SPEC §9: armed after B/2 of observed time */
	if (2 * covered < c->b || c->x < c->prm.min_count)
		return;
	mu = (double)(c->nb + 1) * (double)c->w / (double)seen;
	if ((double)c->x < c->prm.factor * mu)
		return;
	d = dispersion(c);
	k = (uint64_t)floor((double)c->x / d);
	if (spike_log_poisson_tail(mu / d, k) >= log(c->prm.p))
		return;
	fire(sp, c, id, s,
	    (double)adaptive_level(c, c->x, mu, d, log(c->prm.p)), mu);
}

/* SPEC §9, drop rules: armed, cooled down and frozen as spikes are. */
static void
evaluate_drop(struct spike *sp, struct cls *c, size_t id, uint64_t s)
{
	uint64_t covered, seen, k;
	double mu, d;

	if (c->firing) {
		if (!c->prm.enabled) {	/* gone or disabled by a reload */
			resolve(sp, c, id, s);
			return;
		}
		c->calm = (double)c->x >= c->level ? c->calm + 1 : 0;
		if (c->calm >= c->w)
			resolve(sp, c, id, s);
		return;
	}
	if (!c->prm.enabled || s * 1000 < c->quiet_until_ms ||
	    sp->cls[id].firing)
		return;
	covered = s + 1 - EW_MAX(sp->start_sec, c->valid_from);
	if (2 * covered < c->b)
		return;
	seen = covered > c->w ? EW_MIN(covered - c->w, c->b) : 1;
	mu = (double)(c->nb + 1) * (double)c->w / (double)seen;
	/* a class whose baseline is below min_count cannot drop */
	if (mu < (double)c->prm.min_count ||
	    (double)c->x > mu / c->prm.factor)
		return;
	d = dispersion(c);
	k = (uint64_t)floor((double)c->x / d);
	if (spike_log_poisson_head(mu / d, k) >= log(c->prm.p))
		return;
	fire(sp, c, id, s, mu / c->prm.factor, mu);
}

/* Closes second s for c: s - W - B leaves the baseline, s - W moves from
 * the window to the baseline (and towards its 10-second slot), s enters. */
static void
close_second(struct spike *sp, struct cls *c, size_t id, uint64_t s)
{
	uint32_t v = c->open, m;
	uint64_t i = s % c->len;

	c->open = 0;
	if (s >= c->w) {
		m = c->cnt[(s - c->w) % c->len];
		c->x -= m;
		c->nb += m;
		slot_feed(c, s - c->w, m);
	}
	c->nb -= c->cnt[i];
	c->cnt[i] = v;
	c->x += v;
	if (c->drop)
		evaluate_drop(sp, c, id, s);
	else
		evaluate(sp, c, id, s);
}

/* Forgets every count: after a jump of the clock nothing in the rings
 * describes the last W + B seconds any more. */
static void
reset(struct spike *sp, uint64_t now_sec)
{
	struct cls *c;
	size_t i;

	for (i = 0; i < 2 * sp->ncls; i++) {
		c = i % 2 == 0 ? &sp->cls[i / 2] : &sp->dcls[i / 2];
		if (c->firing) {
			c->x = 0;
			resolve(sp, c, i / 2, now_sec);
		}
		free(c->cnt);
		free(c->slot);
		c->cnt = NULL;
		c->slot = NULL;
		c->open = 0;
		c->quiet_until_ms = 0;
	}
	sp->start_sec = now_sec;
	sp->cur_sec = now_sec;
}

static void
advance(struct spike *sp, uint64_t now_ms)
{
	uint64_t now_sec = now_ms / 1000, s;
	size_t i;

	if (!sp->started) {
		sp->started = true;
		sp->start_sec = sp->cur_sec = now_sec;
		return;
	}
	if (now_sec > sp->cur_sec + SPIKE_JUMP_S ||
	    now_sec + SPIKE_JUMP_S < sp->cur_sec) {
		reset(sp, now_sec);
		return;
	}
	for (s = sp->cur_sec; s < now_sec; s++) {
		for (i = 0; i < sp->ncls; i++) {
			if (sp->cls[i].cnt != NULL)
				close_second(sp, &sp->cls[i], i, s);
			if (sp->dcls[i].cnt != NULL)
				close_second(sp, &sp->dcls[i], i, s);
		}
	}
	if (now_sec > sp->cur_sec)
		sp->cur_sec = now_sec;
}

void
spike_observe(struct spike *sp, size_t cls, uint64_t now_ms, uint64_t n)
{
	struct cls *c;

	advance(sp, now_ms);
	if (cls >= sp->ncls || !sp->cls[cls].named || n == 0)
		return;
	c = &sp->cls[cls];
	if (c->cnt == NULL)
		alloc_rings(sp, c, sp->start_sec);
	c->open = n > UINT32_MAX - c->open ? UINT32_MAX : c->open + (uint32_t)n;
	c = &sp->dcls[cls];
	if (c->cnt == NULL && c->rule != NULL)
		alloc_rings(sp, c, sp->start_sec);
	if (c->cnt != NULL)
		c->open = n > UINT32_MAX - c->open ? UINT32_MAX :
		    c->open + (uint32_t)n;
}

void
spike_tick(struct spike *sp, uint64_t now_ms, spike_event_fn *fn, void *arg)
{
	struct pending *q;
	size_t i, nq;

	advance(sp, now_ms);
	/* taken out first: a callback that observes queues for next time */
	q = sp->q;
	nq = sp->nq;
	sp->q = NULL;
	sp->nq = sp->q_cap = 0;
	for (i = 0; i < nq; i++) {
		if (fn != NULL)
			fn(arg, &q[i].ev);
		free_pending(&q[i]);
	}
	free(q);
}

const char *
spike_class_rule(const struct spike *sp, size_t cls)
{
	if (cls >= sp->ncls || !sp->cls[cls].named ||
	    !sp->cls[cls].prm.enabled)
		return NULL;
	return sp->cls[cls].rule;
}

const char *
spike_class_drop_rule(const struct spike *sp, size_t cls)
{
	if (cls >= sp->ncls || !sp->dcls[cls].named ||
	    !sp->dcls[cls].prm.enabled)
		return NULL;
	return sp->dcls[cls].rule;
}

bool
spike_is_firing(const struct spike *sp, size_t cls)
{
	return cls < sp->ncls && (sp->cls[cls].firing ||
	    sp->dcls[cls].firing);
}

size_t
spike_memory(const struct spike *sp)
{
	const struct cls *c;
	size_t i, n = sizeof(*sp) + 2 * sp->ncls * sizeof(*sp->cls) +
	    sp->nrules * sizeof(*sp->rules) + sp->q_cap * sizeof(*sp->q);

	for (i = 0; i < 2 * sp->ncls; i++) {
		c = i % 2 == 0 ? &sp->cls[i / 2] : &sp->dcls[i / 2];
		if (c->cnt != NULL)
			n += c->len * sizeof(uint32_t) +
			    SPIKE_NSLOTS * sizeof(uint32_t);
	}
	return n;
}
