#include "model/pool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/symtab.h"
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

static void owner_resolve(struct pool_tag *tag, const struct symtab *ks)
{
	const struct symbol *sym;

	tag->owner[0] = '\0';
	if (!tag->owner_call_site)
		return;
	sym = ks ? symtab__resolve(ks, tag->owner_call_site) : NULL;
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
			if (before && bsearch(&key, snap->tags, before, sizeof(key), tag_cmp))
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

uint64_t pool_frees_slack(const struct pool_tag *tag, unsigned int ncpus)
{
	uint64_t cached = (uint64_t)(tag->objperslab ? tag->objperslab : 1) * (4ull * ncpus + 1);
	uint64_t skew = (tag->allocs - tag->base_allocs) / 8;

	return cached > skew ? cached : skew;
}

int64_t pool_tag_growth(const struct pool_tag *tag)
{
	if (tag->frees_exact || !tag->have_base)
		return (int64_t)(tag->allocs - tag->frees);
	return tag->base_diff + (int64_t)(tag->objs - tag->base_objs);
}

/* Untraced frees: Diff counts every allocation and only the frees the
 * tracepoints see, Objs counts what is there. A baseline is taken when a tag
 * is first seen with both; one sample of excess can be a burst between the
 * two reads, two in a row are not. */
static void check_frees(struct pool_tag *tag, const struct pool_tag *old, unsigned int ncpus)
{
	int64_t excess;

	tag->frees_exact = true;
	if (!tag->have_counts || !tag->have_slab)
		return;
	if (old && old->have_base) {
		tag->have_base = true;
		tag->base_diff = old->base_diff;
		tag->base_objs = old->base_objs;
		tag->base_allocs = old->base_allocs;
		tag->frees_exact = old->frees_exact;
		tag->excess_samples = old->excess_samples;
	} else {
		tag->have_base = true;
		tag->base_diff = (int64_t)(tag->allocs - tag->frees);
		tag->base_objs = tag->objs;
		tag->base_allocs = tag->allocs;
	}
	if (!tag->frees_exact)
		return;
	excess = ((int64_t)(tag->allocs - tag->frees) - tag->base_diff) -
		 (int64_t)(tag->objs - tag->base_objs);
	if (excess > 0 && (uint64_t)excess > pool_frees_slack(tag, ncpus))
		tag->excess_samples++;
	else
		tag->excess_samples = 0;
	if (tag->excess_samples >= 2)
		tag->frees_exact = false;
}

/* Changes since prev, and owners: a call site seen at the previous refresh
 * keeps its resolved name instead of being looked up and formatted again. */
static void attach_changes(struct pool_snapshot *snap, const struct pool_snapshot *prev,
			   const struct symtab *ks, unsigned int ncpus)
{
	size_t i;

	snap->frees_inexact = 0;
	for (i = 0; i < snap->count; i++) {
		struct pool_tag *tag = &snap->tags[i];
		const struct pool_tag *old = prev ? pool_snapshot_find(prev, tag->name) : NULL;

		if (old && old->owner_call_site == tag->owner_call_site)
			memcpy(tag->owner, old->owner, sizeof(tag->owner));
		else
			owner_resolve(tag, ks);
		check_frees(tag, old, ncpus);
		if (!tag->frees_exact)
			snap->frees_inexact++;
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
			tag->objperslab = row->objperslab;
			tag_set_group(tag, src->slabsys);
		}
	} else if (src->slabsys) {
		err = tags_from_slabsys(snap, src->slabsys);
		if (err)
			return err;
	}
	if (snap->count) /* no tags: tags may be NULL, which qsort must not get */
		qsort(snap->tags, snap->count, sizeof(*snap->tags), tag_cmp);
	if (src->counters_on) {
		err = attach_counts(snap, src);
		if (err)
			return err;
	}
	attach_changes(snap, prev, src->ksyms, src->ncpus ? src->ncpus : 1);
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
