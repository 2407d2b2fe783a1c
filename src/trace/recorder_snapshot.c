/* Aggregate mode's snapshots (recorder_int.h): the kernel's outstanding
 * objects grouped by origin and joined with the per-origin counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace/recorder_int.h"
#include "trace/trace.h"
#include "util/hashmap.h"
#include "util/timeutil.h"

/* Aggregate mode: group the outstanding objects by origin and join the
 * per-origin alloc/free counters. */
struct snap_build {
	struct recorder *rc;
	struct u64map *index; /* origin hash (probed) → entry index */
	struct trace_snapshot_entry *entries;
	struct rec_origin_key *keys;
	uint32_t n, cap;
	int err;
};

static uint64_t origin_hash(const struct rec_origin_key *k)
{
	return hash_bytes(k, sizeof(*k));
}

static struct trace_snapshot_entry *snap_entry(struct snap_build *sb,
					       const struct rec_origin_key *k)
{
	uint64_t key = origin_hash(k), *found;

	while ((found = u64map_find(sb->index, key))) {
		if (!memcmp(&sb->keys[*found], k, sizeof(*k)))
			return &sb->entries[*found];
		key++;
	}
	if (sb->n == sb->cap) {
		uint32_t cap = sb->cap ? sb->cap * 2 : 1024;
		struct trace_snapshot_entry *e = realloc(sb->entries, cap * sizeof(*e));

		if (e)
			sb->entries = e;
		struct rec_origin_key *ks = realloc(sb->keys, cap * sizeof(*ks));

		if (ks)
			sb->keys = ks;
		if (!e || !ks)
			return NULL;
		sb->cap = cap;
	}
	if (u64map_set(sb->index, key, sb->n))
		return NULL;
	sb->keys[sb->n] = *k;
	struct trace_snapshot_entry *e = &sb->entries[sb->n++];

	memset(e, 0, sizeof(*e));
	return e;
}

static int visit_outstanding(void *ctx, const struct rec_obj_key *key, const struct rec_obj *obj)
{
	(void)key;
	struct snap_build *sb = ctx;
	struct rec_origin_key ok = {.cache = obj->cache,
				    .tgid = obj->tgid,
				    .stack_id = obj->stack_id,
				    .kind = obj->kind,
				    .order = obj->order};
	struct trace_snapshot_entry *e = snap_entry(sb, &ok);

	if (!e)
		return -ENOMEM;
	e->outstanding_count++;
	e->outstanding_bytes += obj->bytes;
	if (!e->oldest_ts_ns || obj->ts < e->oldest_ts_ns)
		e->oldest_ts_ns = obj->ts;
	return 0;
}

static int visit_origin(void *ctx, const struct rec_origin_key *key, const struct rec_origin *val)
{
	struct snap_build *sb = ctx;
	struct trace_snapshot_entry *e = snap_entry(sb, key);

	if (!e)
		return -ENOMEM;
	e->allocs = val->allocs;
	return 0;
}

int recorder_write_snapshot(struct recorder *rc)
{
	struct snap_build sb = {.rc = rc, .index = u64map_new(4096)};
	int err;

	if (!sb.index)
		return -ENOMEM;
	/* Origins first: an allocation made during the walk then shows as
	 * outstanding, never as freed (frees = allocs − outstanding). */
	err = record_probe__origins(rc->rp, visit_origin, &sb);
	if (!err)
		err = record_probe__outstanding(rc->rp, visit_outstanding, &sb);
	if (err)
		goto out;
	for (uint32_t i = 0; i < rc->tag_stats_cap; i++)
		rc->tag_stats[i] = (struct tag_stat){0};
	rc->sum->allocs = rc->sum->frees = 0;
	for (uint32_t i = 0; i < sb.n; i++) {
		struct trace_snapshot_entry *e = &sb.entries[i];
		const struct rec_origin_key *k = &sb.keys[i];
		struct rec_event ev = {
		    .cache = k->cache, .kind = (uint8_t)k->kind, .order = (uint8_t)k->order};

		/* Frees since the start: what left the outstanding map (see
		 * track_free in record.bpf.c). */
		e->frees = e->allocs > e->outstanding_count ? e->allocs - e->outstanding_count : 0;
		e->tag_id = recorder_event_tag(rc, &ev);
		e->stack_id = recorder_event_stack(rc, k->stack_id);
		/* On the budget the kernel's counters do not tell walked from
		 * unwalked allocations of a path: every stack is labelled. */
		if (rc->opts->probe.stacks && rc->opts->probe.stack_rate &&
		    e->stack_id != TRACE_NO_STACK) {
			err = recorder_stack_estimated(rc, e->stack_id);
			if (err)
				goto out;
		}
		e->tgid = k->tgid;
		e->kind = (uint8_t)k->kind;
		struct tag_stat *ts = recorder_tag_stat(rc, e->tag_id);

		if (ts) {
			ts->allocs += e->allocs;
			ts->frees += e->frees;
			ts->outstanding += (int64_t)e->outstanding_count;
			ts->outstanding_bytes += (int64_t)e->outstanding_bytes;
		}
		rc->sum->allocs += e->allocs;
		rc->sum->frees += e->frees;
	}
	struct trace_snapshot snap = {
	    .ts_ns = monotonic_ns(), .nentries = sb.n, .entries = sb.entries};

	err = trace_writer__snapshot(rc->w, &snap);
	rc->sum->snapshots++;
out:
	u64map_free(sb.index);
	free(sb.entries);
	free(sb.keys);
	return err;
}
