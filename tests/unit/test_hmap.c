/* hmap: the stable hash's values, and the table through growth, equal
 * hashes and removal. */
#include <stdint.h>
#include <stdlib.h>

#include "base.h"
#include "check.h"
#include "hmap.h"

struct elem {
	struct hnode	node;
	int		key;
};

static struct elem *
find(const struct hmap *m, int key, uint64_t hash)
{
	struct hnode *n;

	for (n = hmap_first(m, hash); n != NULL; n = hmap_next_same(n)) {
		struct elem *e = container_of(n, struct elem, node);

		if (e->key == key)
			return e;
	}
	return NULL;
}

static void
test_hash(void)
{
	/* Stored in Redis (fingerprints, tail hashes): never change. */
	CHECK_UINT_EQ(ew_hash("", 0), 0x9ca066f1a4ab2eeaULL);
	CHECK_UINT_EQ(ew_hash("abc", 3), 0x6213f46a24b18329ULL);
	CHECK(ew_hash("abc", 3) != ew_hash("abd", 3));
	CHECK(ew_hash("abc", 3) != ew_hash("abc\0", 4));
	CHECK(ew_hash("", 0) != ew_hash("\0", 1));
}

static void
test_map(void)
{
	struct hmap m = { 0 };
	struct elem *e = calloc(1000, sizeof(*e));
	int i;

	CHECK(hmap_first(&m, 1) == NULL);
	for (i = 0; i < 1000; i++) {
		e[i].key = i;
		/* hashes collide in tens: the caller's key compare settles */
		hmap_insert(&m, &e[i].node, (uint64_t)(i / 10));
	}
	CHECK_UINT_EQ(m.count, 1000);
	CHECK(m.mask + 1 >= 1000);
	for (i = 0; i < 1000; i++)
		CHECK(find(&m, i, (uint64_t)(i / 10)) == &e[i]);
	CHECK(find(&m, 5, 1) == NULL);
	for (i = 0; i < 1000; i += 2)
		hmap_remove(&m, &e[i].node);
	CHECK_UINT_EQ(m.count, 500);
	for (i = 0; i < 1000; i++)
		CHECK(find(&m, i, (uint64_t)(i / 10)) ==
		    (i % 2 ? &e[i] : NULL));
	hmap_free(&m);
	CHECK(m.buckets == NULL && m.count == 0);
	free(e);
}

int
main(void)
{
	test_hash();
	test_map();
	CHECK_DONE();
}
