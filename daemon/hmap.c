/*
 * hmap: the tree's one hash function and its one intrusive hash table
 * (see hmap.h). No element is ever allocated or freed here.
 */
#include <stdlib.h>

#include "base.h"
#include "hmap.h"

/* A murmur3-style mix over 8-byte little-endian words, the same on every
 * machine and build; compilers turn the shifts into one load. */
#define HASH_C1		0x87c37b91114253d5ULL
#define HASH_C2		0x4cf5ad432745937fULL
#define HASH_SEED	0x9e3779b97f4a7c15ULL

static uint64_t
rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t
load_le(const unsigned char *p, size_t n)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

static uint64_t
mix_word(uint64_t k)
{
	k *= HASH_C1;
	k = rotl64(k, 31);
	k *= HASH_C2;
	return k;
}

uint64_t
ew_hash(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = HASH_SEED ^ ((uint64_t)len * HASH_C2);
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		h ^= mix_word(load_le(s + i, 8));
		h = rotl64(h, 27) * 5 + 0x52dce729;
	}
	if (i < len)
		h ^= mix_word(load_le(s + i, len - i));
	h ^= (uint64_t)len;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The bucket of a hash: both halves count, so callers may pass hashes
 * whose low bits alone are weak (a device and inode mix). */
static size_t
bucket_of(const struct hmap *m, uint64_t hash)
{
	return (size_t)(hash ^ hash >> 32) & m->mask;
}

static void
grow(struct hmap *m)
{
	size_t n = m->buckets == NULL ? 16 : (m->mask + 1) * 2;
	struct hnode **old = m->buckets;
	size_t oldn = old == NULL ? 0 : m->mask + 1;
	struct hnode *node, *next;
	size_t i, b;

	m->buckets = xcalloc(n, sizeof(*m->buckets));
	m->mask = n - 1;
	for (i = 0; i < oldn; i++) {
		for (node = old[i]; node != NULL; node = next) {
			next = node->next;
			b = bucket_of(m, node->hash);
			node->next = m->buckets[b];
			m->buckets[b] = node;
		}
	}
	free(old);
}

void
hmap_free(struct hmap *m)
{
	free(m->buckets);
	m->buckets = NULL;
	m->mask = 0;
	m->count = 0;
}

void
hmap_insert(struct hmap *m, struct hnode *node, uint64_t hash)
{
	size_t b;

	if (m->buckets == NULL || m->count >= m->mask + 1)
		grow(m);
	node->hash = hash;
	b = bucket_of(m, hash);
	node->next = m->buckets[b];
	m->buckets[b] = node;
	m->count++;
}

void
hmap_remove(struct hmap *m, struct hnode *node)
{
	struct hnode **pp = &m->buckets[bucket_of(m, node->hash)];

	while (*pp != node)
		pp = &(*pp)->next;
	*pp = node->next;
	node->next = NULL;
	m->count--;
}

struct hnode *
hmap_first(const struct hmap *m, uint64_t hash)
{
	struct hnode *node;

	if (m->buckets == NULL)
		return NULL;
	for (node = m->buckets[bucket_of(m, hash)]; node != NULL;
	    node = node->next)
		if (node->hash == hash)
			return node;
	return NULL;
}

struct hnode *
hmap_next_same(const struct hnode *node)
{
	uint64_t hash = node->hash;

	for (node = node->next; node != NULL; node = node->next)
		if (node->hash == hash)
			return (struct hnode *)(uintptr_t)node;
	return NULL;
}
