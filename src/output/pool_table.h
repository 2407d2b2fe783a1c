/* The tag table of `top`: a pool snapshot as rows of the one table model
 * (text, CSV and JSON alike), filtered and sorted by a view. JSON keys are
 * the schema of `top --format json` (poolscope-top(8)). */
#ifndef POOLSCOPE_OUTPUT_POOL_TABLE_H
#define POOLSCOPE_OUTPUT_POOL_TABLE_H

#include <stdbool.h>

#include "model/pool.h"
#include "util/globlist.h"

struct table;

/* Which tags a view shows, and in what order. */
struct pool_view {
	const char *sort_key; /* a JSON key of the table: "bytes", "allocs_change", ... */
	bool reverse;	      /* flip the key's natural order */
	enum pool_type_filter type;
	const struct globlist *filter; /* may be NULL; matches the name or any merged name */
};

/* The tag table's columns, JSON keys documented in poolscope-top(8). */
struct table *pool_table_new(void);
/* Append the tags view selects to t (made by pool_table_new), sorted. */
int pool_table_fill(struct table *t, const struct pool_snapshot *snap,
		    const struct pool_view *view);
/* pool_table_new and pool_table_fill in one: *out is the new table (the
 * caller frees it), NULL on error. 0, -ENOMEM, or -EINVAL for a bad key. */
int pool_table_make(const struct pool_snapshot *snap, const struct pool_view *view,
		    struct table **out);
/* Sort keys: every key above that can be sorted; "tag" sorts by name. */
bool pool_sort_key_valid(const char *key);
/* The "change" twin of a key ("bytes" → "bytes_change"), or key itself. */
const char *pool_sort_key_change(const char *key, bool change);

#endif
