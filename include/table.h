/*
 * table: data/error-codes.tsv (SPEC §3) to classes. A class is what a line
 * counts under: one per table entry (in file order), then one per code
 * shared by several entries (named by the code, "406", its candidates
 * listed), then Unclassified, always last. Class indexes are dense, so
 * counts live in plain arrays of table_nclasses() elements.
 */
#ifndef EW_TABLE_H
#define EW_TABLE_H

#include <stdbool.h>
#include <stddef.h>

struct ew_err;
struct buf;
struct table;

#define TABLE_UNCLASSIFIED_NAME	"Unclassified"

/* Loads and checks the table. A bad row (missing column, non-numeric
 * code, duplicate name, unknown category, missing header) is an error
 * naming file:line. */
struct table	*table_load(const char *path, struct ew_err *err);
void		 table_destroy(struct table *t);

size_t		 table_nclasses(const struct table *t);
size_t		 table_unclassified(const struct table *t);
/* Class by its name ("Punishment", "406", "Unclassified"); -1 if none. */
long		 table_find_class(const struct table *t, const char *name);
/* The class's name, code (-1 for Unclassified) and category ("" for
 * Unclassified, the entries' shared category or "ambiguous" for a shared
 * code). Strings live as long as the table. */
const char	*table_class_name(const struct table *t, size_t cls);
int		 table_class_code(const struct table *t, size_t cls);
const char	*table_class_category(const struct table *t, size_t cls);
/* True if category is one of the known category names. */
bool		 table_is_category(const char *category);
/* True if a rule's match names something: a class name, a code in the
 * table ("461"), or "category:NAME" with a known category. */
bool		 table_match_is_known(const struct table *t, const char *match);
/* Appends the class's JSON for `P codes` (SPEC §7):
 * {"code":461,"name":"Punishment","category":"account","description":..}
 * plus "candidates":[...] for a shared code. */
void		 table_class_json(const struct table *t, size_t cls,
		    struct buf *out);

/* SPEC §5: name in the table wins; else a code with one entry; else a
 * shared code gives its class ("406"); else Unclassified. name and code
 * are byte spans (not NUL-terminated), either may be empty (len 0). */
size_t		 table_classify(const struct table *t, const char *name,
		    size_t name_len, const char *code, size_t code_len);

#endif
