#include "model/pool.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/ksyms.h"
#include "output/table.h"
#include "util/timeutil.h"

static int tag_cmp(const void *a, const void *b)
{
	const struct pool_tag *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int count_cmp(const void *a, const void *b)
{
	const struct slab_count *x = a, *y = b;

	return strncmp(x->name, y->name, sizeof(x->name));
}

static struct pool_tag *tag_append(struct pool_snapshot *snap, const char *name)
{
	struct pool_tag *tag;

	if (snap->count == snap->cap) {
		size_t cap = snap->cap ? snap->cap * 2 : 256;
		struct pool_tag *tags = realloc(snap->tags, cap * sizeof(*tags));

		if (!tags)
			return NULL;
		snap->tags = tags;
		snap->cap = cap;
	}
	tag = &snap->tags[snap->count++];
	memset(tag, 0, sizeof(*tag));
	snprintf(tag->name, sizeof(tag->name), "%s", name);
	return tag;
}

static void tag_set_group(struct pool_tag *tag, const struct slabsys *ss)
{
	tag->group = ss ? slabsys_find(ss, tag->name) : NULL;
	if (tag->group && tag->group->have_attrs) {
		tag->have_type = true;
		tag->reclaimable = tag->group->reclaimable;
		if (!tag->have_slab)
			tag->size = tag->group->slab_size;
	}
}

/* Without /proc/slabinfo, the caches are the slabsys groups: a real
 * directory is its own name, a ':' directory is named by its first name. */
static int tags_from_slabsys(struct pool_snapshot *snap, const struct slabsys *ss)
{
	size_t i;

	for (i = 0; i < ss->count; i++) {
		const struct slab_group *g = &ss->groups[i];
		const char *name = g->dir[0] != ':' ? g->dir : (g->nnames ? g->names[0] : NULL);
		struct pool_tag *tag;

		if (!name)
			continue;
		tag = tag_append(snap, name);
		if (!tag)
			return -ENOMEM;
		tag_set_group(tag, ss);
	}
	return 0;
}

static void owner_resolve(struct pool_tag *tag, const struct ksyms *ks)
{
	const struct ksym *sym;

	tag->owner[0] = '\0';
	if (!tag->owner_call_site)
		return;
	sym = ks ? ksyms__resolve(ks, tag->owner_call_site) : NULL;
	if (!sym) {
		snprintf(tag->owner, sizeof(tag->owner), "0x%" PRIx64, tag->owner_call_site);
		return;
	}
	if (sym->module)
		snprintf(tag->owner, sizeof(tag->owner), "%s [%s]", sym->name, sym->module);
	else
		snprintf(tag->owner, sizeof(tag->owner), "%s", sym->name);
}

static int attach_counts(struct pool_snapshot *snap, const struct pool_sources *src)
{
	struct slab_count *counts;
	size_t i, n = src->ncounts;
	int err = 0;

	/* Sorted copies let both sides be walked by binary search. */
	counts = malloc((n ? n : 1) * sizeof(*counts));
	if (!counts)
		return -ENOMEM;
	if (n)
		memcpy(counts, src->counts, n * sizeof(*counts));
	for (i = 0; i < n; i++)
		counts[i].name[sizeof(counts[i].name) - 1] = '\0';
	qsort(counts, n, sizeof(*counts), count_cmp);
	/* Counted names that slabinfo does not list still get a row, with
	 * Objs/Bytes unknown: a cache destroyed since (its counts remain
	 * history) or a pseudo-class such as the counters' kmalloc-large. */
	{
		size_t before = snap->count;

		for (i = 0; i < n; i++) {
			struct pool_tag key, *tag;

			snprintf(key.name, sizeof(key.name), "%s", counts[i].name);
			if (bsearch(&key, snap->tags, before, sizeof(key), tag_cmp))
				continue;
			tag = tag_append(snap, counts[i].name);
			if (!tag) {
				err = -ENOMEM;
				goto out;
			}
			tag_set_group(tag, src->slabsys);
		}
		qsort(snap->tags, snap->count, sizeof(*snap->tags), tag_cmp);
	}
	for (i = 0; i < snap->count; i++) {
		struct pool_tag *tag = &snap->tags[i];
		struct slab_count key;
		const struct slab_count *c;

		snprintf(key.name, sizeof(key.name), "%s", tag->name);
		c = bsearch(&key, counts, n, sizeof(key), count_cmp);
		/* Counters on and no entry: no event in this cache since the start. */
		tag->have_counts = true;
		if (!c)
			continue;
		tag->allocs = c->allocs;
		tag->frees = c->frees;
		tag->owner_call_site = c->owner_call_site;
	}
out:
	free(counts);
	return err;
}

/* Changes since prev, and owners: a call site seen at the previous refresh
 * keeps its resolved name instead of being looked up and formatted again. */
static void attach_changes(struct pool_snapshot *snap, const struct pool_snapshot *prev,
			   const struct ksyms *ks)
{
	size_t i;

	for (i = 0; i < snap->count; i++) {
		struct pool_tag *tag = &snap->tags[i];
		const struct pool_tag *old = prev ? pool_snapshot_find(prev, tag->name) : NULL;

		if (old && old->owner_call_site == tag->owner_call_site)
			memcpy(tag->owner, old->owner, sizeof(tag->owner));
		else
			owner_resolve(tag, ks);
		if (!old)
			continue;
		tag->have_prev = true;
		tag->allocs_change = (int64_t)(tag->allocs - old->allocs);
		tag->frees_change = (int64_t)(tag->frees - old->frees);
		tag->objs_change = (int64_t)(tag->objs - old->objs);
		tag->bytes_change = (int64_t)(tag->bytes - old->bytes);
	}
}

int pool_snapshot_build(struct pool_snapshot *snap, const struct pool_sources *src,
			const struct pool_snapshot *prev)
{
	size_t i;
	int err;

	snap->count = 0;
	snap->realtime_ns = src->realtime_ns;
	if (src->mem)
		snap->mem = *src->mem;
	else
		memset(&snap->mem, 0, sizeof(snap->mem));
	snap->have_slabinfo = src->slabinfo != NULL;
	snap->have_counters = src->counters_on;
	snap->unattributed_frees = src->unattributed_frees;
	snap->missed_events = src->missed_events;
	if (src->slabinfo) {
		for (i = 0; i < src->slabinfo->count; i++) {
			const struct slabinfo_row *row = &src->slabinfo->rows[i];
			struct pool_tag *tag = tag_append(snap, row->name);

			if (!tag)
				return -ENOMEM;
			tag->have_slab = true;
			tag->objs = row->active_objs;
			tag->bytes = slabinfo_row_bytes(row, src->page_size);
			tag->size = row->objsize;
			tag_set_group(tag, src->slabsys);
		}
	} else if (src->slabsys) {
		err = tags_from_slabsys(snap, src->slabsys);
		if (err)
			return err;
	}
	qsort(snap->tags, snap->count, sizeof(*snap->tags), tag_cmp);
	if (src->counters_on) {
		err = attach_counts(snap, src);
		if (err)
			return err;
	}
	attach_changes(snap, prev, src->ksyms);
	return 0;
}

const struct pool_tag *pool_snapshot_find(const struct pool_snapshot *snap, const char *name)
{
	struct pool_tag key;

	if (!snap->count)
		return NULL;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, snap->tags, snap->count, sizeof(key), tag_cmp);
}

void pool_snapshot_release(struct pool_snapshot *snap)
{
	if (!snap)
		return;
	free(snap->tags);
	memset(snap, 0, sizeof(*snap));
}

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

int pool_type_parse(const char *s, enum pool_type_filter *type)
{
	if (strcmp(s, "all") == 0)
		*type = POOL_TYPE_ALL;
	else if (strcmp(s, "unrecl") == 0)
		*type = POOL_TYPE_UNRECL;
	else if (strcmp(s, "recl") == 0)
		*type = POOL_TYPE_RECL;
	else
		return -EINVAL;
	return 0;
}

const char *pool_type_name(enum pool_type_filter type)
{
	switch (type) {
	case POOL_TYPE_UNRECL: return "unrecl";
	case POOL_TYPE_RECL: return "recl";
	default: return "all";
	}
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
