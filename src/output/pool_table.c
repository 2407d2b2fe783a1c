#include "output/pool_table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output/table.h"
#include "util/timeutil.h"

/* The table: JSON keys are the schema of `top --format json` (man page). */
enum {
	PC_TIME,
	PC_TAG,
	PC_TYPE,
	PC_ALLOCS,
	PC_ALLOCS_CHANGE,
	PC_FREES,
	PC_FREES_CHANGE,
	PC_DIFF,
	PC_DIFF_CHANGE,
	PC_OBJS,
	PC_OBJS_CHANGE,
	PC_BYTES,
	PC_BYTES_CHANGE,
	PC_SIZE,
	PC_OWNER,
	PC_ALIASES,
	PC_NR,
};

static const struct pool_col {
	const char *title, *key;
	enum col_type type;
	unsigned int flags;
	bool natural_desc; /* numbers sort largest first, names A to Z */
	bool sortable;
} pool_cols[PC_NR] = {
    /* CSV only: JSON has the time in its envelope, text in its header. */
    [PC_TIME] = {"time", "time", COL_STR, COL_TEXT_HIDDEN | COL_JSON_HIDDEN, false, false},
    [PC_TAG] = {"Tag", "tag", COL_STR, COL_LEFT, false, true},
    [PC_TYPE] = {"Type", "type", COL_STR, COL_LEFT, false, true},
    [PC_ALLOCS] = {"Allocs", "allocs", COL_UINT, 0, true, true},
    [PC_ALLOCS_CHANGE] = {"+Allocs", "allocs_change", COL_INT, 0, true, true},
    [PC_FREES] = {"Frees", "frees", COL_UINT, 0, true, true},
    [PC_FREES_CHANGE] = {"+Frees", "frees_change", COL_INT, 0, true, true},
    [PC_DIFF] = {"Diff", "diff", COL_INT, 0, true, true},
    [PC_DIFF_CHANGE] = {"+Diff", "diff_change", COL_INT, COL_SIGNED | COL_TEXT_HIDDEN, true, true},
    [PC_OBJS] = {"Objs", "objs", COL_UINT, 0, true, true},
    [PC_OBJS_CHANGE] = {"+Objs", "objs_change", COL_INT, COL_SIGNED | COL_TEXT_HIDDEN, true, true},
    [PC_BYTES] = {"Bytes", "bytes", COL_UINT, COL_HUMAN_BYTES, true, true},
    [PC_BYTES_CHANGE] = {"+Bytes", "bytes_change", COL_INT, COL_SIGNED | COL_HUMAN_BYTES, true,
			 true},
    [PC_SIZE] = {"PerObj", "size", COL_UINT, 0, true, true},
    [PC_OWNER] = {"Owner", "owner", COL_STR, COL_LEFT | COL_SQUEEZE, false, true},
    [PC_ALIASES] = {"Merged", "aliases", COL_STRLIST, COL_LEFT | COL_SQUEEZE, false, false},
};

struct table *pool_table_new(void)
{
	struct table *t = table_new();
	int i;

	if (!t)
		return NULL;
	for (i = 0; i < PC_NR; i++) {
		if (table_add_col(t, pool_cols[i].title, pool_cols[i].key, pool_cols[i].type,
				  pool_cols[i].flags) != i) {
			table_free(t);
			return NULL;
		}
	}
	return t;
}

static int col_by_key(const char *key)
{
	int i;

	for (i = 0; key && i < PC_NR; i++)
		if (strcmp(pool_cols[i].key, key) == 0)
			return i;
	return -1;
}

bool pool_sort_key_valid(const char *key)
{
	int c = col_by_key(key);

	return c >= 0 && pool_cols[c].sortable;
}

const char *pool_sort_key_change(const char *key, bool change)
{
	static const struct {
		const char *value, *change;
	} twins[] = {
	    {"allocs", "allocs_change"}, {"frees", "frees_change"}, {"diff", "diff_change"},
	    {"objs", "objs_change"},	 {"bytes", "bytes_change"},
	};
	unsigned int i;

	for (i = 0; i < sizeof(twins) / sizeof(twins[0]); i++) {
		if (change && strcmp(key, twins[i].value) == 0)
			return twins[i].change;
		if (!change && strcmp(key, twins[i].change) == 0)
			return twins[i].value;
	}
	return key;
}

static bool tag_selected(const struct pool_tag *tag, const struct pool_view *view)
{
	int i;

	if (view->type != POOL_TYPE_ALL) {
		/* An unknown type is neither: filtering by type hides it. */
		if (!tag->have_type || tag->reclaimable != (view->type == POOL_TYPE_RECL))
			return false;
	}
	if (!view->filter || globlist_empty(view->filter))
		return true;
	if (globlist_match(view->filter, tag->name))
		return true;
	for (i = 0; tag->group && i < tag->group->nnames; i++)
		if (globlist_match(view->filter, tag->group->names[i]))
			return true;
	return false;
}

static int fill_row(struct table *t, const struct pool_tag *tag, const char *time)
{
	const char *aliases[64];
	int r = table_add_row(t), n = 0, i, err = 0;

	if (r < 0)
		return r;
	err |= table_set_str(t, r, PC_TIME, time);
	err |= table_set_str(t, r, PC_TAG, tag->name);
	if (tag->have_type)
		err |= table_set_str(t, r, PC_TYPE, tag->reclaimable ? "Recl" : "Unrecl");
	if (tag->have_counts) {
		err |= table_set_uint(t, r, PC_ALLOCS, tag->allocs);
		err |= table_set_uint(t, r, PC_FREES, tag->frees);
		err |= table_set_int(t, r, PC_DIFF, (int64_t)(tag->allocs - tag->frees));
		if (tag->have_prev) {
			err |= table_set_int(t, r, PC_ALLOCS_CHANGE, tag->allocs_change);
			err |= table_set_int(t, r, PC_FREES_CHANGE, tag->frees_change);
			err |= table_set_int(t, r, PC_DIFF_CHANGE,
					     tag->allocs_change - tag->frees_change);
		}
		if (tag->owner[0])
			err |= table_set_str(t, r, PC_OWNER, tag->owner);
	}
	if (tag->have_slab) {
		err |= table_set_uint(t, r, PC_OBJS, tag->objs);
		err |= table_set_uint(t, r, PC_BYTES, tag->bytes);
		if (tag->have_prev) {
			err |= table_set_int(t, r, PC_OBJS_CHANGE, tag->objs_change);
			err |= table_set_int(t, r, PC_BYTES_CHANGE, tag->bytes_change);
		}
	}
	if (tag->size)
		err |= table_set_uint(t, r, PC_SIZE, tag->size);
	for (i = 0; tag->group && i < tag->group->nnames && n < 64; i++)
		if (strcmp(tag->group->names[i], tag->name) != 0)
			aliases[n++] = tag->group->names[i];
	/* JSON always has an array: [] when the cache is not merged. */
	err |= table_set_list(t, r, PC_ALIASES, aliases, n);
	return err ? -ENOMEM : 0;
}

int pool_table_fill(struct table *t, const struct pool_snapshot *snap, const struct pool_view *view)
{
	const char *key = view->sort_key ? view->sort_key : "bytes";
	int col = col_by_key(key);
	char time[40];
	size_t i;
	int err;

	if (col < 0 || !pool_cols[col].sortable)
		return -EINVAL;
	format_iso8601(snap->realtime_ns, time, sizeof(time));
	for (i = 0; i < snap->count; i++) {
		if (!tag_selected(&snap->tags[i], view))
			continue;
		err = fill_row(t, &snap->tags[i], time);
		if (err)
			return err;
	}
	/* Ties keep name order: the snapshot is sorted by name. */
	table_sort(t, col, pool_cols[col].natural_desc != view->reverse);
	return 0;
}
