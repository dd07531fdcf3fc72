/*
 * tally: counts per class, plus the bounded breakdown of unclassified
 * values (SPEC §5). Core module: no I/O, no time, no logging.
 *
 * Invariants: total is the sum of counts[]. At most TALLY_UNCL_MAX values
 * have an entry of their own, in first-seen order; once that many exist,
 * a value not among them counts under "other", and a value already among
 * them keeps counting in its own entry. Values are stored cleaned: cut to
 * TALLY_UNCL_VALUE_MAX bytes, then every byte outside printable ASCII
 * (0x20..0x7e, so NUL, control bytes and any non-ASCII byte) replaced by
 * '?'. A stored value is thus a C string and a valid Redis field and JSON
 * key without escaping; values that differ only in such bytes share an
 * entry. An empty value is stored as "(empty)". The value "other" itself
 * counts under "other", so the breakdown never holds two "other" fields.
 * Entries and their index are allocated on the first unclassified
 * value, since most tallies (one per bucket and class set) never see one.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "hmap.h"
#include "tally.h"

#define UNCL_EMPTY	"(empty)"

struct uncl {
	struct hnode	node;				/* in tally.index */
	char		v[TALLY_UNCL_VALUE_MAX + 1];	/* cleaned, NUL-ended */
	size_t		len;				/* bytes, < sizeof(v) */
	uint64_t	count;
};

struct tally {
	size_t		 nclasses;
	uint64_t	*counts;	/* nclasses elements */
	uint64_t	 total;		/* sum of counts */
	struct uncl	*uncl;		/* first-seen order */
	size_t		 nuncl;
	size_t		 uncl_cap;
	struct hmap	 index;		/* of uncl[], by value */
	uint64_t	 other;
	bool		 other_used;
};

struct tally *
tally_create(size_t nclasses)
{
	struct tally *t = xcalloc(1, sizeof(*t));

	t->nclasses = nclasses;
	t->counts = xcalloc(nclasses, sizeof(*t->counts));
	return t;
}

void
tally_destroy(struct tally *t)
{
	if (t == NULL)
		return;
	free(t->counts);
	free(t->uncl);
	hmap_free(&t->index);
	free(t);
}

void
tally_reset(struct tally *t)
{
	memset(t->counts, 0, t->nclasses * sizeof(*t->counts));
	t->total = 0;
	t->nuncl = 0;
	t->other = 0;
	t->other_used = false;
	hmap_free(&t->index);
}

void
tally_add(struct tally *t, size_t cls, uint64_t n)
{
	if (cls >= t->nclasses)		/* not a class of this table */
		return;
	t->counts[cls] += n;
	t->total += n;
}

static void
add_other(struct tally *t, uint64_t n)
{
	t->other += n;
	t->other_used = true;
}

/* Counts n under the cleaned value v (len bytes). */
static void
add_clean(struct tally *t, const char *v, size_t len, uint64_t n)
{
	uint64_t hash = ew_hash(v, len);
	struct hnode *node;
	struct uncl *u;
	size_t i;

	if (len == strlen(TALLY_UNCL_OTHER) &&
	    memcmp(v, TALLY_UNCL_OTHER, len) == 0) {
		add_other(t, n);
		return;
	}
	for (node = hmap_first(&t->index, hash); node != NULL;
	    node = hmap_next_same(node)) {
		u = container_of(node, struct uncl, node);
		if (u->len == len && memcmp(u->v, v, len) == 0) {
			u->count += n;
			return;
		}
	}
	if (t->nuncl == TALLY_UNCL_MAX) {	/* SPEC §5: later new values */
		add_other(t, n);
		return;
	}
	if (t->nuncl == t->uncl_cap) {
		t->uncl_cap = t->uncl_cap ? t->uncl_cap * 2 : 8;
		if (t->uncl_cap > TALLY_UNCL_MAX)
			t->uncl_cap = TALLY_UNCL_MAX;
		t->uncl = xrealloc(t->uncl, t->uncl_cap * sizeof(*t->uncl));
		/* the entries moved: index them again (amortised O(1)) */
		hmap_free(&t->index);
		for (i = 0; i < t->nuncl; i++)
			hmap_insert(&t->index, &t->uncl[i].node,
			    t->uncl[i].node.hash);
	}
	u = &t->uncl[t->nuncl++];
	memcpy(u->v, v, len);
	u->v[len] = '\0';
	u->len = len;
	u->count = n;
	hmap_insert(&t->index, &u->node, hash);
}

void
tally_add_uncl(struct tally *t, const char *v, size_t len, uint64_t n)
{
	char clean[TALLY_UNCL_VALUE_MAX];
	size_t i;

	if (n == 0)		/* nothing to count: no field either */
		return;
	if (len == 0) {
		add_clean(t, UNCL_EMPTY, strlen(UNCL_EMPTY), n);
		return;
	}
	len = EW_MIN(len, sizeof(clean));
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		clean[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	add_clean(t, clean, len, n);
}

void
tally_merge(struct tally *dst, const struct tally *src)
{
	size_t i, n = EW_MIN(dst->nclasses, src->nclasses);

	for (i = 0; i < n; i++)
		tally_add(dst, i, src->counts[i]);
	/* src order is dst's first-seen order for values new to dst, so a
	 * merge keeps the values that came first, up to dst's bound */
	for (i = 0; i < src->nuncl; i++)
		if (src->uncl[i].count > 0)
			add_clean(dst, src->uncl[i].v, src->uncl[i].len,
			    src->uncl[i].count);
	if (src->other_used && src->other > 0)
		add_other(dst, src->other);
}

size_t
tally_nclasses(const struct tally *t)
{
	return t->nclasses;
}

uint64_t
tally_get(const struct tally *t, size_t cls)
{
	return cls < t->nclasses ? t->counts[cls] : 0;
}

uint64_t
tally_total(const struct tally *t)
{
	return t->total;
}

size_t
tally_uncl_count(const struct tally *t)
{
	return t->nuncl + (t->other_used ? 1 : 0);
}

const char *
tally_uncl_at(const struct tally *t, size_t i, uint64_t *count)
{
	if (i < t->nuncl) {
		if (count != NULL)
			*count = t->uncl[i].count;
		return t->uncl[i].v;
	}
	if (i == t->nuncl && t->other_used) {
		if (count != NULL)
			*count = t->other;
		return TALLY_UNCL_OTHER;
	}
	if (count != NULL)
		*count = 0;
	return NULL;
}
