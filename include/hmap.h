/*
 * hmap: the one hash function and the one hash table of the tree.
 *
 * ew_hash is a 64-bit hash whose value is fixed across machines and
 * builds: file fingerprints and tail hashes stored in Redis are made with
 * it (SPEC §8), so its output must never change.
 *
 * struct hmap is an intrusive chained table, as in Open vSwitch's hmap:
 * the caller embeds a struct hnode in its element, computes the hash and
 * compares keys itself; the map only links nodes by hash. It never
 * allocates an element and never frees one. Buckets double when the map
 * holds more nodes than buckets, so a lookup costs O(1) on average.
 */
#ifndef EW_HMAP_H
#define EW_HMAP_H

#include <stddef.h>
#include <stdint.h>

/* Stable 64-bit hash of len bytes (any bytes, NUL included). */
uint64_t	 ew_hash(const void *p, size_t len);

struct hnode {
	struct hnode	*next;		/* in the same bucket */
	uint64_t	 hash;
};

/* All zero is an empty map: no allocation until the first insert. */
struct hmap {
	struct hnode	**buckets;
	size_t		  mask;		/* buckets - 1; 0 with no buckets */
	size_t		  count;	/* nodes in the map */
};

/* Frees the bucket array (never the elements); the map is empty after. */
void		 hmap_free(struct hmap *m);
/* Links node under hash. The same node must not be in the map twice. */
void		 hmap_insert(struct hmap *m, struct hnode *node, uint64_t hash);
/* Unlinks node, which must be in the map. */
void		 hmap_remove(struct hmap *m, struct hnode *node);
/* The first node stored under hash, or NULL; hmap_next_same gives the
 * next one with the same hash. The caller compares the keys. */
struct hnode	*hmap_first(const struct hmap *m, uint64_t hash);
struct hnode	*hmap_next_same(const struct hnode *node);

#endif
