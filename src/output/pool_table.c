#include "output/pool_table.h"

#include <errno.h>
#include <stdlib.h>
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
	PC_FREES_EXACT,
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
    /* Text: a '~' right of Diff where frees are not all traced (legend in
     * the header); CSV the same; JSON true/false (null without counters). */
    [PC_FREES_EXACT] = {"", "frees_exact", COL_JSON, COL_LEFT, false, false},
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
	if (tag->have_counts && tag->have_slab)
		err |= table_set_json(t, r, PC_FREES_EXACT, tag->frees_exact ? "true" : "false",
				      tag->frees_exact ? "" : "~");
	else
		err |= table_set_json(t, r, PC_FREES_EXACT, "null", "");
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

/* Sorting: the tags, not the table, so that a tag whose frees are not
 * exact ranks by its growth from Objs under "diff" and "diff_change"
 * (pool_tag_growth, objs_change) instead of by a Diff that only grows. */
struct sort_value {
	bool known;
	enum { SV_UINT, SV_INT, SV_STR } kind;
	uint64_t u;
	int64_t i;
	const char *s;
};

struct sort_item {
	const struct pool_tag *tag;
	size_t index; /* name order: ties keep it */
	struct sort_value v;
};

struct sort_ctx {
	bool desc;
};

static void sv_uint(struct sort_value *v, bool known, uint64_t u)
{
	*v = (struct sort_value){.known = known, .kind = SV_UINT, .u = u};
}

static void sv_int(struct sort_value *v, bool known, int64_t i)
{
	*v = (struct sort_value){.known = known, .kind = SV_INT, .i = i};
}

static void sv_str(struct sort_value *v, bool known, const char *s)
{
	*v = (struct sort_value){.known = known, .kind = SV_STR, .s = s};
}

/* The value a column shows for tag ("known" as the table's null), except
 * where frees are not exact (see above). */
static void sort_value_of(const struct pool_tag *tag, int col, struct sort_value *v)
{
	bool counts = tag->have_counts, counts_prev = counts && tag->have_prev;
	bool slab_prev = tag->have_slab && tag->have_prev;
	bool inexact = counts && !tag->frees_exact;

	switch (col) {
	case PC_TAG: sv_str(v, true, tag->name); break;
	case PC_TYPE: sv_str(v, tag->have_type, tag->reclaimable ? "Recl" : "Unrecl"); break;
	case PC_ALLOCS: sv_uint(v, counts, tag->allocs); break;
	case PC_ALLOCS_CHANGE: sv_int(v, counts_prev, tag->allocs_change); break;
	case PC_FREES: sv_uint(v, counts, tag->frees); break;
	case PC_FREES_CHANGE: sv_int(v, counts_prev, tag->frees_change); break;
	case PC_DIFF: sv_int(v, counts, pool_tag_growth(tag)); break;
	case PC_DIFF_CHANGE:
		sv_int(v, inexact ? slab_prev : counts_prev,
		       inexact ? tag->objs_change : tag->allocs_change - tag->frees_change);
		break;
	case PC_OBJS: sv_uint(v, tag->have_slab, tag->objs); break;
	case PC_OBJS_CHANGE: sv_int(v, slab_prev, tag->objs_change); break;
	case PC_BYTES: sv_uint(v, tag->have_slab, tag->bytes); break;
	case PC_BYTES_CHANGE: sv_int(v, slab_prev, tag->bytes_change); break;
	case PC_SIZE: sv_uint(v, tag->size != 0, tag->size); break;
	case PC_OWNER: sv_str(v, counts && tag->owner[0], tag->owner); break;
	default: sv_uint(v, false, 0); break;
	}
}

static int sort_item_cmp(const void *pa, const void *pb, void *arg)
{
	const struct sort_item *a = pa, *b = pb;
	const struct sort_ctx *ctx = arg;
	const struct sort_value *x = &a->v, *y = &b->v;
	int r = 0;

	if (x->known != y->known)
		return x->known ? -1 : 1; /* unknown last either way */
	if (x->known) {
		switch (x->kind) {
		case SV_UINT: r = (x->u > y->u) - (x->u < y->u); break;
		case SV_INT: r = (x->i > y->i) - (x->i < y->i); break;
		case SV_STR: r = strcmp(x->s, y->s); break;
		}
	}
	if (ctx->desc)
		r = -r;
	if (r == 0)
		r = (a->index > b->index) - (a->index < b->index);
	return r;
}

int pool_table_fill(struct table *t, const struct pool_snapshot *snap, const struct pool_view *view)
{
	const char *key = view->sort_key ? view->sort_key : "bytes";
	int col = col_by_key(key);
	struct sort_ctx ctx;
	struct sort_item *items;
	size_t i, n = 0;
	char time[40];
	int err = 0;

	if (col < 0 || !pool_cols[col].sortable)
		return -EINVAL;
	items = malloc((snap->count ? snap->count : 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	for (i = 0; i < snap->count; i++) {
		if (!tag_selected(&snap->tags[i], view))
			continue;
		items[n].tag = &snap->tags[i];
		items[n].index = i;
		sort_value_of(&snap->tags[i], col, &items[n].v);
		n++;
	}
	ctx.desc = pool_cols[col].natural_desc != view->reverse;
	qsort_r(items, n, sizeof(*items), sort_item_cmp, &ctx);
	format_iso8601(snap->realtime_ns, time, sizeof(time));
	for (i = 0; i < n && !err; i++)
		err = fill_row(t, items[i].tag, time);
	free(items);
	return err;
}

int pool_table_make(const struct pool_snapshot *snap, const struct pool_view *view,
		    struct table **out)
{
	struct table *t = pool_table_new();
	int err = t ? pool_table_fill(t, snap, view) : -ENOMEM;

	if (err) {
		table_free(t);
		t = NULL;
	}
	*out = t;
	return err;
}
