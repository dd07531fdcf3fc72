/*
 * agg: the counts this host has made and Redis has not yet acknowledged,
 * and the offset moves that travel with them (SPEC §8).
 *
 * Pending counts live in cells: one struct tally per cell (a slot cell_s
 * wide, start aligned to cell_s) kept in an array sorted by start, with
 * the cell of the last count cached, so agg_count is a compare and an add
 * in the common case. Files live in a hash by field, chained, plus a list
 * in first-seen order so batches list files in a stable order. Memory is
 * O(cells + files + closes), never per line.
 *
 * Invariants: at most one batch in flight; a file is in it at most once;
 * a file's stored value changes only through agg_offset_stored or
 * agg_commit, so a batch that is re-sent is identical to the first send.
 * Touches no loop, fd or clock: time comes in as now_ms.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "base.h"
#include "hmap.h"
#include "tally.h"


struct file {
	char		*field;		/* "<dev>:<ino>" */
	char		*stored;	/* what Redis holds; NULL: absent */
	char		*latest;	/* after all counted; NULL: none */
	char		*sent;		/* its next in flight; NULL: none */
	bool		 forget;	/* drop once its moves are committed */
	struct hnode	 node;		/* in agg.files, by field */
	struct file	*prev;		/* first-seen order */
	struct file	*next;
};

struct agg {
	size_t			 nclasses;
	uint64_t		 cell_s;
	uint64_t		 seq;		/* of the last batch cut */

	struct batch_cell	*cells;		/* pending, ascending start_s */
	size_t			 ncells;
	size_t			 cells_cap;
	size_t			 cur;		/* cached cell index */
	bool			 cur_valid;
	struct tally		*uncl;		/* pending breakdown */

	struct batch_close	*closes;	/* pending */
	size_t			 ncloses;
	size_t			 closes_cap;
	struct batch_alert	*alerts;	/* pending */
	size_t			 nalerts;
	uint64_t		*totals;	/* per class, since create */

	struct hmap		 files;		/* struct file, by field */
	struct file		*first;
	struct file		*last;

	struct batch		*inflight;
};

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static uint64_t
field_hash(const char *field)
{
	return ew_hash(field, strlen(field));
}

static struct file *
file_find(const struct agg *a, const char *field)
{
	struct hnode *n;

	for (n = hmap_first(&a->files, field_hash(field)); n != NULL;
	    n = hmap_next_same(n)) {
		struct file *f = container_of(n, struct file, node);

		if (strcmp(f->field, field) == 0)
			return f;
	}
	return NULL;
}

static struct file *
file_get(struct agg *a, const char *field)
{
	struct file *f = file_find(a, field);

	if (f != NULL)
		return f;
	f = xcalloc(1, sizeof(*f));
	f->field = xstrdup(field);
	hmap_insert(&a->files, &f->node, field_hash(field));
	f->prev = a->last;
	if (a->last != NULL)
		a->last->next = f;
	else
		a->first = f;
	a->last = f;
	return f;
}

static void
file_free(struct file *f)
{
	free(f->field);
	free(f->stored);
	free(f->latest);
	free(f->sent);
	free(f);
}

static void
file_remove(struct agg *a, struct file *f)
{
	hmap_remove(&a->files, &f->node);
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		a->first = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	else
		a->last = f->prev;
	file_free(f);
}

/* A move to send: something was recorded and Redis does not hold it. */
static bool
file_moved(const struct file *f)
{
	return f->latest != NULL && !str_eq(f->latest, f->stored);
}

/* A move for the next cut: past what Redis holds or will hold once the
 * batch in flight is acknowledged. */
static bool
file_pending(const struct file *f)
{
	if (f->sent != NULL)
		return !str_eq(f->latest, f->sent);
	return file_moved(f);
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? xstrdup(s) : NULL;
}

static void
alerts_free(struct batch_alert *al, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(al[i].field);
		free(al[i].json);
		for (j = 0; j < al[i].nkv; j++)
			free(al[i].kv[j]);
		free(al[i].kv);
	}
	free(al);
}

void
agg_batch_destroy(struct batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->ncells; i++)
		tally_destroy(b->cells[i].counts);
	free(b->cells);
	tally_destroy(b->uncl);
	for (i = 0; i < b->noffsets; i++) {
		free(b->offsets[i].field);
		free(b->offsets[i].expected);
		free(b->offsets[i].next);
	}
	free(b->offsets);
	free(b->closes);
	alerts_free(b->alerts, b->nalerts);
	free(b);
}

static void
cells_clear(struct agg *a)
{
	size_t i;

	for (i = 0; i < a->ncells; i++)
		tally_destroy(a->cells[i].counts);
	free(a->cells);
	a->cells = NULL;
	a->ncells = 0;
	a->cells_cap = 0;
	a->cur_valid = false;
}

struct agg *
agg_create(size_t nclasses, uint64_t cell_s)
{
	struct agg *a = xcalloc(1, sizeof(*a));

	a->nclasses = nclasses;
	a->cell_s = cell_s > 0 ? cell_s : 1;
	a->uncl = tally_create(nclasses);
	a->totals = xcalloc(nclasses, sizeof(*a->totals));
	return a;
}

void
agg_destroy(struct agg *a)
{
	struct file *f, *next;

	if (a == NULL)
		return;
	cells_clear(a);
	tally_destroy(a->uncl);
	free(a->closes);
	alerts_free(a->alerts, a->nalerts);
	free(a->totals);
	for (f = a->first; f != NULL; f = next) {
		next = f->next;
		file_free(f);
	}
	hmap_free(&a->files);
	agg_batch_destroy(a->inflight);
	free(a);
}

/* The pending cell starting at start_s, made when missing. Cells come in
 * time order except when the wall clock steps back. */
static struct tally *
cell_get(struct agg *a, uint64_t start_s)
{
	size_t lo = 0, hi = a->ncells, mid;

	if (a->ncells > 0 && a->cells[a->ncells - 1].start_s < start_s)
		lo = a->ncells;		/* the usual case: a new last cell */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a->cells[mid].start_s < start_s)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == a->ncells || a->cells[lo].start_s != start_s) {
		if (a->ncells == a->cells_cap) {
			a->cells_cap = a->cells_cap ? a->cells_cap * 2 : 8;
			a->cells = xrealloc(a->cells,
			    a->cells_cap * sizeof(*a->cells));
		}
		memmove(&a->cells[lo + 1], &a->cells[lo],
		    (a->ncells - lo) * sizeof(*a->cells));
		a->cells[lo].start_s = start_s;
		a->cells[lo].counts = tally_create(a->nclasses);
		a->ncells++;
	}
	a->cur = lo;
	a->cur_valid = true;
	return a->cells[lo].counts;
}

void
agg_count(struct agg *a, uint64_t now_ms, size_t cls, uint64_t n)
{
	uint64_t t_s = now_ms / 1000;
	uint64_t start_s = t_s - t_s % a->cell_s;
	struct tally *t;

	if (a->cur_valid && a->cells[a->cur].start_s == start_s)
		t = a->cells[a->cur].counts;
	else
		t = cell_get(a, start_s);
	tally_add(t, cls, n);
	if (cls < a->nclasses)
		a->totals[cls] += n;
}

const uint64_t *
agg_totals(const struct agg *a)
{
	return a->totals;
}

void
agg_alert(struct agg *a, const char *field, bool firing, const char *json,
    const char *const *kv, size_t nkv)
{
	struct batch_alert *al;
	size_t i;

	a->alerts = xrealloc(a->alerts, (a->nalerts + 1) * sizeof(*a->alerts));
	al = &a->alerts[a->nalerts++];
	al->field = xstrdup(field);
	al->firing = firing;
	al->json = xstrdup(json);
	al->kv = xcalloc(nkv, sizeof(*al->kv));
	for (i = 0; i < nkv; i++)
		al->kv[i] = xstrdup(kv[i]);
	al->nkv = nkv;
}

void
agg_count_uncl(struct agg *a, const char *v, size_t len)
{
	tally_add_uncl(a->uncl, v, len, 1);
}

void
agg_offset(struct agg *a, const char *field, const char *value)
{
	struct file *f = file_get(a, field);

	f->forget = false;	/* followed again */
	if (!str_eq(f->latest, value))
		set_str(&f->latest, value);
}

void
agg_offset_stored(struct agg *a, const char *field, const char *value)
{
	struct file *f = file_get(a, field);

	set_str(&f->stored, value);
}

/* A file marked to forget goes as soon as nothing of it is unacknowledged:
 * no move in flight and none recorded but not yet cut. Until then it
 * stays, so its last move still reaches Redis. */
void
agg_offset_forget(struct agg *a, const char *field)
{
	struct file *f = file_find(a, field);

	if (f == NULL)
		return;
	f->forget = true;
	if (f->sent == NULL && !file_moved(f))
		file_remove(a, f);
}

void
agg_close_bucket(struct agg *a, size_t res, uint64_t start_s)
{
	size_t i;

	for (i = 0; i < a->ncloses; i++)
		if (a->closes[i].res == res && a->closes[i].start_s == start_s)
			return;
	if (a->ncloses == a->closes_cap) {
		a->closes_cap = a->closes_cap ? a->closes_cap * 2 : 8;
		a->closes = xrealloc(a->closes,
		    a->closes_cap * sizeof(*a->closes));
	}
	a->closes[a->ncloses].res = res;
	a->closes[a->ncloses].start_s = start_s;
	a->ncloses++;
}

bool
agg_has_pending(const struct agg *a)
{
	const struct file *f;

	if (a->ncells > 0 || a->ncloses > 0 || a->nalerts > 0 ||
	    tally_uncl_count(a->uncl) > 0)
		return true;
	for (f = a->first; f != NULL; f = f->next)
		if (file_pending(f))
			return true;
	return false;
}

const struct batch *
agg_inflight(const struct agg *a)
{
	return a->inflight;
}

const struct batch *
agg_cut(struct agg *a, uint64_t now_ms)
{
	struct batch *b;
	struct batch_offset *o;
	struct file *f;
	size_t n = 0;

	if (a->inflight != NULL || !agg_has_pending(a))
		return NULL;
	b = xcalloc(1, sizeof(*b));
	b->seq = ++a->seq;
	b->cut_ms = now_ms;

	/* The pending arrays change hands: nothing is copied per cell. */
	b->cells = a->cells;
	b->ncells = a->ncells;
	a->cells = NULL;
	a->ncells = 0;
	a->cells_cap = 0;
	a->cur_valid = false;
	b->uncl = a->uncl;
	a->uncl = tally_create(a->nclasses);
	b->closes = a->closes;
	b->ncloses = a->ncloses;
	a->closes = NULL;
	a->ncloses = 0;
	a->closes_cap = 0;
	b->alerts = a->alerts;
	b->nalerts = a->nalerts;
	a->alerts = NULL;
	a->nalerts = 0;

	for (f = a->first; f != NULL; f = f->next)
		if (file_moved(f))
			n++;
	b->offsets = xcalloc(n, sizeof(*b->offsets));
	for (f = a->first; f != NULL; f = f->next) {
		if (!file_moved(f))
			continue;
		o = &b->offsets[b->noffsets++];
		o->field = xstrdup(f->field);
		o->expected = xstrdup(f->stored != NULL ? f->stored : "");
		o->next = xstrdup(f->latest);
		f->sent = xstrdup(f->latest);
	}
	a->inflight = b;
	return b;
}

void
agg_commit(struct agg *a)
{
	struct batch *b = a->inflight;
	struct file *f;
	size_t i;

	if (b == NULL)
		return;
	a->inflight = NULL;
	for (i = 0; i < b->noffsets; i++) {
		f = file_find(a, b->offsets[i].field);
		if (f == NULL || f->sent == NULL)	/* kept in flight */
			continue;
		free(f->stored);
		f->stored = f->sent;	/* == b->offsets[i].next */
		f->sent = NULL;
		if (f->forget && !file_moved(f))
			file_remove(a, f);
	}
	agg_batch_destroy(b);
}

/* Bucket closes and alerts survive: they carry no counts. The script
 * skips a close already in the stream, so sending one again is harmless
 * while dropping it would leave a hole in `P series:<res>`. */
void
agg_drop_all(struct agg *a)
{
	struct batch *b = a->inflight;
	struct file *f, *next;
	size_t i;

	a->inflight = NULL;
	if (b != NULL) {
		for (i = 0; i < b->ncloses; i++)
			agg_close_bucket(a, b->closes[i].res,
			    b->closes[i].start_s);
		/* Alerts survive too: the re-read does not raise them again,
		 * and they go out before any raised since. */
		if (b->nalerts > 0) {
			b->alerts = xrealloc(b->alerts, (b->nalerts +
			    a->nalerts) * sizeof(*b->alerts));
			if (a->nalerts > 0)
				memcpy(b->alerts + b->nalerts, a->alerts,
				    a->nalerts * sizeof(*a->alerts));
			free(a->alerts);
			a->alerts = b->alerts;
			a->nalerts += b->nalerts;
			b->alerts = NULL;
			b->nalerts = 0;
		}
		agg_batch_destroy(b);
	}
	cells_clear(a);
	tally_reset(a->uncl);
	for (f = a->first; f != NULL; f = next) {
		next = f->next;
		file_free(f);
	}
	a->first = NULL;
	a->last = NULL;
	hmap_free(&a->files);
}

void
agg_stored_foreach(const struct agg *a, agg_stored_fn *fn, void *arg)
{
	const struct file *f;

	for (f = a->first; f != NULL; f = f->next)
		if (f->stored != NULL || f->sent != NULL)
			fn(arg, f->field, f->stored, f->sent);
}

/* A tally's size is not public: classes as 8-byte counters plus the
 * breakdown entries at their largest. */
static size_t
tally_bytes(const struct tally *t)
{
	return 64 + tally_nclasses(t) * sizeof(uint64_t) +
	    tally_uncl_count(t) * (TALLY_UNCL_VALUE_MAX + 32);
}

static size_t
file_bytes(const struct file *f)
{
	size_t n = sizeof(*f) + strlen(f->field) + 1;

	if (f->stored != NULL)
		n += strlen(f->stored) + 1;
	if (f->latest != NULL)
		n += strlen(f->latest) + 1;
	if (f->sent != NULL)
		n += strlen(f->sent) + 1;
	return n;
}

size_t
agg_memory(const struct agg *a)
{
	const struct batch *b = a->inflight;
	const struct file *f;
	size_t n, i;

	n = sizeof(*a) + (a->files.buckets == NULL ? 0 :
	    (a->files.mask + 1) * sizeof(*a->files.buckets)) +
	    a->cells_cap * sizeof(*a->cells) +
	    a->closes_cap * sizeof(*a->closes) + tally_bytes(a->uncl);
	for (i = 0; i < a->ncells; i++)
		n += tally_bytes(a->cells[i].counts);
	for (f = a->first; f != NULL; f = f->next)
		n += file_bytes(f);
	if (b != NULL) {
		n += sizeof(*b) + b->ncells * sizeof(*b->cells) +
		    b->ncloses * sizeof(*b->closes) + tally_bytes(b->uncl);
		for (i = 0; i < b->ncells; i++)
			n += tally_bytes(b->cells[i].counts);
		for (i = 0; i < b->noffsets; i++)
			n += sizeof(b->offsets[i]) +
			    strlen(b->offsets[i].field) +
			    strlen(b->offsets[i].expected) +
			    strlen(b->offsets[i].next) + 3;
	}
	return n;
}
