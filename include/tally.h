/*
 * tally: counts per class plus the bounded breakdown of unclassified
 * values (SPEC §5): the first TALLY_UNCL_MAX distinct values keep a field
 * of their own, every later new value counts under "other". Core module.
 */
#ifndef EW_TALLY_H
#define EW_TALLY_H

#include <stddef.h>
#include <stdint.h>

#define TALLY_UNCL_MAX		256
#define TALLY_UNCL_VALUE_MAX	64	/* longer values are cut to this */
#define TALLY_UNCL_OTHER	"other"

struct tally;

struct tally	*tally_create(size_t nclasses);
void		 tally_destroy(struct tally *t);
void		 tally_reset(struct tally *t);
void		 tally_add(struct tally *t, size_t cls, uint64_t n);
/* Records an unclassified value (the unknown code, or the name when there
 * was no code); the caller also adds to the Unclassified class. */
void		 tally_add_uncl(struct tally *t, const char *v, size_t len,
		    uint64_t n);
/* Adds every count of src into dst (same nclasses). */
void		 tally_merge(struct tally *dst, const struct tally *src);

size_t		 tally_nclasses(const struct tally *t);
uint64_t	 tally_get(const struct tally *t, size_t cls);
uint64_t	 tally_total(const struct tally *t);	/* sum of classes */
/* Unclassified breakdown, in first-seen order, "other" last if used.
 * Returns the number of entries; entry i by tally_uncl_at. */
size_t		 tally_uncl_count(const struct tally *t);
const char	*tally_uncl_at(const struct tally *t, size_t i,
		    uint64_t *count);

#endif
