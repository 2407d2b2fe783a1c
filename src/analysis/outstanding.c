#include "analysis/outstanding.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/hashmap.h"

#define NKINDS 8 /* enum trace_kind fits; pages and slab pointers get separate maps */

/* Live allocations of one kind: open addressing, linear probing, the
 * record stored in the slot (24 bytes), so a lookup is one cache miss; tables
 * are 42-85% full, so 28-57 bytes per live object. Kinds get separate tables: a
 * page's pfn and a slab pointer with equal values are different objects. */
struct live_slot {
	uint64_t ptr;
	uint64_t ts_ns;
	uint32_t site;
	uint32_t used;
};

struct live_table {
	struct live_slot *slots;
	size_t cap; /* power of two, or 0 before the first insert */
	size_t count;
};

/* Aggregate-mode state of a site: the last snapshot at or before `from`
 * (s0) and at or before `to` (s1). A generation number tells whether the
 * site was in the latest snapshot (absent = nothing outstanding). */
struct snap_state {
	struct trace_snapshot_entry s0, s1;
	uint64_t gen0, gen1;
};

struct outstanding {
	uint64_t from, to;
	struct alloc_site *sites;
	size_t nsites, sites_cap;
	struct u64map *site_index; /* hash of the site's identity → index + 1 */
	struct live_table live[NKINDS];
	struct snap_state *snaps; /* parallel to sites once a snapshot is seen */
	size_t snaps_cap;
	uint64_t gen0, gen1;
	struct u64map *lost[3]; /* cpu → latest cumulative count (ringbuf, map, misses) */
	struct outstanding_observer observer; /* event NULL = none */
	struct outstanding_totals totals;
	bool finished;
};

static const char *const class_names[AC_COUNT] = { "AIFO", "AIFI", "AOFI", "AOFO" };

const char *alloc_class_name(enum alloc_class c)
{
	return c < AC_COUNT ? class_names[c] : "?";
}

int alloc_class_parse(const char *s, enum alloc_class *c)
{
	int i;

	for (i = 0; i < AC_COUNT; i++) {
		if (strcasecmp(s, class_names[i]) == 0) {
			*c = (enum alloc_class)i;
			return 0;
		}
	}
	return -EINVAL;
}

int alloc_class_parse_list(const char *s, unsigned int *mask)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum alloc_class c;

		if (alloc_class_parse(tok, &c)) {
			err = -EINVAL;
			break;
		}
		*mask |= 1u << c;
	}
	free(copy);
	return *mask ? err : -EINVAL;
}

int outstanding__new(const struct outstanding_opts *opts, struct outstanding **out)
{
	struct outstanding *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	o->from = opts ? opts->from_ns : 0;
	o->to = opts ? opts->to_ns : UINT64_MAX;
	o->site_index = u64map_new(1024);
	if (!o->site_index) {
		free(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

void outstanding__free(struct outstanding *o)
{
	int k;

	if (!o)
		return;
	for (k = 0; k < NKINDS; k++)
		free(o->live[k].slots);
	for (k = 0; k < 3; k++)
		u64map_free(o->lost[k]);
	u64map_free(o->site_index);
	free(o->sites);
	free(o->snaps);
	free(o);
}

void outstanding__set_observer(struct outstanding *o, const struct outstanding_observer *obs)
{
	o->observer = obs ? *obs : (struct outstanding_observer){ 0 };
}

/* The identity of a site: every field `--group` can select, nothing else. */
static bool same_site(const struct alloc_site *a, const struct alloc_site *b)
{
	return a->call_site == b->call_site && a->size == b->size && a->tag_id == b->tag_id &&
	       a->comm_id == b->comm_id && a->stack_id == b->stack_id && a->tgid == b->tgid &&
	       a->cpu == b->cpu && a->kind == b->kind && a->alloc_unseen == b->alloc_unseen &&
	       a->from_snapshot == b->from_snapshot;
}

static uint64_t site_hash(const struct alloc_site *s)
{
	uint64_t h = hash_u64(s->call_site ^ (s->size << 17));

	h = hash_u64(h ^ ((uint64_t)s->tag_id << 32 | s->comm_id));
	h = hash_u64(h ^ ((uint64_t)s->stack_id << 32 | s->tgid));
	return hash_u64(h ^ ((uint64_t)s->cpu << 16 | (uint64_t)s->kind << 8 |
			     (uint64_t)s->alloc_unseen << 1 | s->from_snapshot));
}

/* Index of the site with key's identity, created if new; -ENOMEM. Hash
 * collisions are resolved by probing the next hash value. */
static int64_t site_findnew(struct outstanding *o, const struct alloc_site *key)
{
	uint64_t h = site_hash(key);

	for (;;) {
		uint64_t *slot = u64map_findnew(o->site_index, h, 0);

		if (!slot)
			return -ENOMEM;
		if (*slot == 0) {
			if (o->nsites == o->sites_cap) {
				size_t cap = o->sites_cap ? o->sites_cap * 2 : 256;
				struct alloc_site *grown = realloc(o->sites, cap * sizeof(*grown));

				if (!grown) {
					u64map_remove(o->site_index, h, NULL);
					return -ENOMEM;
				}
				o->sites = grown;
				o->sites_cap = cap;
			}
			o->sites[o->nsites] = *key;
			memset(o->sites[o->nsites].count, 0, sizeof(key->count));
			memset(o->sites[o->nsites].bytes, 0, sizeof(key->bytes));
			o->sites[o->nsites].oldest_ns = 0;
			o->sites[o->nsites].window_allocs = 0;
			o->sites[o->nsites].window_frees = 0;
			*slot = ++o->nsites;
			return (int64_t)(*slot - 1);
		}
		if (same_site(&o->sites[*slot - 1], key))
			return (int64_t)(*slot - 1);
		h++;
	}
}

static void count_class(struct outstanding *o, struct alloc_site *s, enum alloc_class c,
			uint64_t bytes)
{
	s->count[c]++;
	s->bytes[c] += bytes;
	o->totals.count[c]++;
	o->totals.bytes[c] += bytes;
}

static void note_ts(struct outstanding *o, uint64_t ts)
{
	if (!o->totals.first_ns || ts < o->totals.first_ns)
		o->totals.first_ns = ts;
	if (ts > o->totals.last_ns)
		o->totals.last_ns = ts;
}

static void note_event(struct outstanding *o, uint64_t ts)
{
	if (!o->totals.first_event_ns || ts < o->totals.first_event_ns)
		o->totals.first_event_ns = ts;
}

/* An allocation made at alloc_ns ends at free_ns: fold it into its site. */
static void retire(struct outstanding *o, uint32_t site_idx, uint64_t alloc_ns, uint64_t free_ns)
{
	struct alloc_site *s = &o->sites[site_idx];

	if (free_ns < o->from)
		return; /* lived and died before the window */
	if (alloc_ns < o->from) {
		count_class(o, s, AC_AOFI, s->size);
		return;
	}
	count_class(o, s, AC_AIFI, s->size);
	if (o->observer.event)
		o->observer.event(o->observer.ctx, s, free_ns, -1, -(int64_t)s->size);
}

static size_t live_home(const struct live_table *t, uint64_t ptr)
{
	return hash_u64(ptr) & (t->cap - 1);
}

/* The slot holding ptr, or the empty slot where it would go. */
static struct live_slot *live_slot(const struct live_table *t, uint64_t ptr)
{
	size_t i = live_home(t, ptr);

	while (t->slots[i].used && t->slots[i].ptr != ptr)
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static int live_grow(struct live_table *t)
{
	struct live_table bigger = { .cap = t->cap ? t->cap * 2 : 4096 };
	size_t i;

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i].used)
			*live_slot(&bigger, t->slots[i].ptr) = t->slots[i];
	bigger.count = t->count;
	free(t->slots);
	*t = bigger;
	return 0;
}

/* Remove a slot, shifting later members of its probe run back so that
 * lookups never stop early (no tombstones). */
static void live_remove(struct live_table *t, struct live_slot *slot)
{
	size_t mask = t->cap - 1, i = (size_t)(slot - t->slots), j = i;

	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!t->slots[j].used)
			break;
		k = live_home(t, t->slots[j].ptr);
		/* Leave j where it is if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->slots[i] = t->slots[j];
		i = j;
	}
	t->slots[i].used = 0;
	t->count--;
}

static int add_alloc(struct outstanding *o, const struct trace_alloc *a)
{
	struct alloc_site key = {
		.call_site = a->call_site, .size = a->bytes_alloc, .tag_id = a->tag_id,
		.comm_id = a->comm_id, .stack_id = a->stack_id, .tgid = a->tgid,
		.cpu = a->cpu, .kind = a->kind,
	};
	struct live_table *t = &o->live[a->kind % NKINDS];
	struct live_slot *slot;
	int64_t site;

	o->totals.allocs++;
	note_ts(o, a->ts_ns);
	note_event(o, a->ts_ns);
	if (a->ts_ns > o->to)
		return 1;
	site = site_findnew(o, &key);
	if (site < 0)
		return (int)site;
	/* Grow past 85% full: linear probing copes, and memory stays near 28 B
	 * per live object. */
	if ((t->count + 1) * 20 > t->cap * 17 && live_grow(t))
		return -ENOMEM;
	slot = live_slot(t, a->ptr);
	if (slot->used) {
		/* The address is live already: its free was lost. Close the old
		 * allocation here, the best time we know. */
		o->totals.reused_ptrs++;
		retire(o, slot->site, slot->ts_ns, a->ts_ns);
	} else {
		*slot = (struct live_slot){ .ptr = a->ptr, .used = 1 };
		t->count++;
		if (++o->totals.live > o->totals.peak_live)
			o->totals.peak_live = o->totals.live;
	}
	slot->ts_ns = a->ts_ns;
	slot->site = (uint32_t)site;
	if (a->ts_ns >= o->from)
		o->sites[site].window_allocs++;
	if (o->observer.event && a->ts_ns >= o->from)
		o->observer.event(o->observer.ctx, &o->sites[site], a->ts_ns, 1,
				  (int64_t)a->bytes_alloc);
	return 0;
}

static int add_free(struct outstanding *o, const struct trace_free *f)
{
	struct live_table *t = &o->live[f->kind % NKINDS];

	o->totals.frees++;
	note_ts(o, f->ts_ns);
	note_event(o, f->ts_ns);
	if (f->ts_ns > o->to)
		return 1;
	if (t->count) {
		struct live_slot *slot = live_slot(t, f->ptr);

		if (slot->used) {
			if (f->ts_ns >= o->from)
				o->sites[slot->site].window_frees++;
			retire(o, slot->site, slot->ts_ns, f->ts_ns);
			live_remove(t, slot);
			o->totals.live--;
			return 0;
		}
	}
	/* Allocated before the trace began: its site is unknown, but its
	 * tag, process and kind are what the free names. */
	o->totals.unmatched_frees++;
	if (f->ts_ns >= o->from) {
		struct alloc_site key = { .tag_id = f->tag_id, .comm_id = SITE_NO_COMM,
					  .stack_id = TRACE_NO_STACK, .tgid = f->tgid,
					  .cpu = f->cpu, .kind = f->kind, .alloc_unseen = true };
		int64_t site = site_findnew(o, &key);

		if (site < 0)
			return (int)site;
		o->sites[site].window_frees++;
		count_class(o, &o->sites[site], AC_AOFI, 0);
	}
	return 0;
}

/* The snapshot state of a site, the array grown to hold it; NULL on -ENOMEM. */
static struct snap_state *snap_state_of(struct outstanding *o, size_t site)
{
	if (site >= o->snaps_cap) {
		size_t cap = o->snaps_cap ? o->snaps_cap : 64;
		struct snap_state *grown;

		while (cap <= site)
			cap *= 2;
		grown = realloc(o->snaps, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		memset(grown + o->snaps_cap, 0, (cap - o->snaps_cap) * sizeof(*grown));
		o->snaps = grown;
		o->snaps_cap = cap;
	}
	return &o->snaps[site];
}

/* Inside the window a snapshot is a change of level per site: the observer
 * hears the change since the previous snapshot (sites absent from this one
 * fell to 0), so a time series follows aggregate traces too. */
static void observe_level(struct outstanding *o, size_t site, const struct trace_snapshot_entry *prev,
			  const struct trace_snapshot_entry *now, uint64_t ts)
{
	int64_t dcount = (int64_t)now->outstanding_count - (int64_t)prev->outstanding_count;
	int64_t dbytes = (int64_t)now->outstanding_bytes - (int64_t)prev->outstanding_bytes;

	if (o->observer.event && dcount)
		o->observer.event(o->observer.ctx, &o->sites[site], ts, (int)dcount, dbytes);
}

static int add_snapshot(struct outstanding *o, const struct trace_snapshot *snap)
{
	static const struct trace_snapshot_entry zero;
	bool before_from = snap->ts_ns <= o->from;
	uint32_t i;
	size_t k;

	o->totals.snapshots++;
	note_ts(o, snap->ts_ns);
	if (snap->ts_ns > o->to)
		return 1;
	if (snap->ts_ns >= o->from)
		o->totals.window_other++;
	if (before_from) {
		o->gen0++;
		o->totals.snapshot_from_ns = snap->ts_ns;
	}
	o->totals.snapshot_to_ns = snap->ts_ns;
	o->gen1++;
	for (i = 0; i < snap->nentries; i++) {
		const struct trace_snapshot_entry *e = &snap->entries[i];
		struct alloc_site key = { .tag_id = e->tag_id, .comm_id = SITE_AGGREGATE_COMM,
					  .stack_id = e->stack_id, .tgid = e->tgid,
					  .kind = e->kind, .from_snapshot = true };
		int64_t site = site_findnew(o, &key);
		struct snap_state *st;

		if (site < 0)
			return (int)site;
		st = snap_state_of(o, (size_t)site);
		if (!st)
			return -ENOMEM;
		if (before_from) {
			st->s0 = *e;
			st->gen0 = o->gen0;
		} else {
			observe_level(o, (size_t)site, st->gen1 == o->gen1 - 1 ? &st->s1 : &zero, e,
				      snap->ts_ns);
		}
		st->s1 = *e;
		st->gen1 = o->gen1;
	}
	/* Sites of the previous snapshot missing from this one. */
	for (k = 0; !before_from && k < o->nsites && k < o->snaps_cap; k++)
		if (o->sites[k].from_snapshot && o->snaps[k].gen1 == o->gen1 - 1)
			observe_level(o, k, &o->snaps[k].s1, &zero, snap->ts_ns);
	return 0;
}

/* LOST counts are cumulative per CPU: keep the latest of each, sum at the end. */
static int add_lost(struct outstanding *o, const struct trace_lost *l)
{
	uint64_t v[3] = { l->ringbuf_full, l->map_full, l->bpf_misses };
	uint64_t *totals[3] = { &o->totals.lost_ringbuf, &o->totals.lost_map,
				&o->totals.lost_misses };
	int k;

	if (l->ts_ns >= o->from && l->ts_ns <= o->to)
		o->totals.window_other++;
	for (k = 0; k < 3; k++) {
		uint64_t *slot;

		if (!o->lost[k]) {
			o->lost[k] = u64map_new(16);
			if (!o->lost[k])
				return -ENOMEM;
		}
		slot = u64map_findnew(o->lost[k], l->cpu, 0);
		if (!slot)
			return -ENOMEM;
		if (v[k] > *slot) {
			*totals[k] += v[k] - *slot;
			*slot = v[k];
		}
	}
	return 0;
}

int outstanding__add_record(struct outstanding *o, const struct trace_record *rec)
{
	o->totals.records++;
	switch (rec->type) {
	case TR_ALLOC:
		return add_alloc(o, &rec->alloc);
	case TR_FREE:
		return add_free(o, &rec->free);
	case TR_LOST:
		return add_lost(o, &rec->lost);
	case TR_SNAPSHOT:
		return add_snapshot(o, &rec->snapshot);
	}
	return 0;
}

static void note_oldest(struct outstanding *o, struct alloc_site *s, uint64_t ts)
{
	if (!s->oldest_ns || ts < s->oldest_ns)
		s->oldest_ns = ts;
	if (!o->totals.oldest_ns || ts < o->totals.oldest_ns)
		o->totals.oldest_ns = ts;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Aggregate mode: outstanding counts at `from` and `to` are known per
 * site, individual objects are not. Objects outstanding at both ends are
 * taken to be the same ones (AOFO) when the oldest outstanding object
 * predates `from`: leaks keep their oldest objects. */
static void finish_snapshots(struct outstanding *o)
{
	size_t i;

	for (i = 0; i < o->nsites && i < o->snaps_cap; i++) {
		struct snap_state *st = &o->snaps[i];
		struct alloc_site *s = &o->sites[i];
		struct trace_snapshot_entry zero = { 0 };
		const struct trace_snapshot_entry *e0 = st->gen0 == o->gen0 && o->gen0 ? &st->s0 : &zero;
		const struct trace_snapshot_entry *e1 = st->gen1 == o->gen1 && o->gen1 ? &st->s1 : &zero;
		uint64_t out0 = e0->outstanding_count, out1 = e1->outstanding_count;
		uint64_t aofo = 0, per_obj, est[AC_COUNT];
		int c;

		if (!s->from_snapshot)
			continue;
		if (out1 && e1->oldest_ts_ns && e1->oldest_ts_ns < o->from)
			aofo = out0 < out1 ? out0 : out1;
		est[AC_AOFO] = aofo;
		est[AC_AIFO] = out1 - aofo;
		est[AC_AOFI] = sub0(out0, aofo);
		est[AC_AIFI] = sub0(sub0(e1->allocs, e0->allocs), est[AC_AIFO]);
		per_obj = out1 ? e1->outstanding_bytes / out1 : out0 ? e0->outstanding_bytes / out0 : 0;
		s->size = per_obj;
		for (c = 0; c < AC_COUNT; c++) {
			s->count[c] = est[c];
			s->bytes[c] = est[c] * per_obj;
			o->totals.count[c] += est[c];
			o->totals.bytes[c] += est[c] * per_obj;
		}
		if (out1 && e1->oldest_ts_ns)
			note_oldest(o, s, e1->oldest_ts_ns);
	}
}

int outstanding__finish(struct outstanding *o, uint64_t end_ns)
{
	int k;

	(void)end_ns;
	if (o->finished)
		return 0;
	o->finished = true;
	for (k = 0; k < NKINDS; k++) {
		const struct live_table *t = &o->live[k];
		size_t i;

		for (i = 0; i < t->cap; i++) {
			const struct live_slot *la = &t->slots[i];
			struct alloc_site *s;

			if (!la->used)
				continue;
			s = &o->sites[la->site];
			count_class(o, s, la->ts_ns < o->from ? AC_AOFO : AC_AIFO, s->size);
			note_oldest(o, s, la->ts_ns);
		}
	}
	/* Snapshots only describe what events do not: with events, ignore them. */
	if (o->snaps && o->totals.allocs == 0 && o->totals.frees == 0)
		finish_snapshots(o);
	return 0;
}

int outstanding__each_live(const struct outstanding *o,
			   int (*fn)(void *ctx, uint64_t ptr, uint64_t ts_ns,
				     const struct alloc_site *site),
			   void *ctx)
{
	int k, rc;

	for (k = 0; k < NKINDS; k++) {
		const struct live_table *t = &o->live[k];
		size_t i;

		for (i = 0; i < t->cap; i++) {
			const struct live_slot *la = &t->slots[i];

			if (!la->used)
				continue;
			rc = fn(ctx, la->ptr, la->ts_ns, &o->sites[la->site]);
			if (rc)
				return rc;
		}
	}
	return 0;
}

size_t outstanding__nsites(const struct outstanding *o)
{
	return o->nsites;
}

const struct alloc_site *outstanding__site(const struct outstanding *o, size_t i)
{
	return &o->sites[i];
}

const struct outstanding_totals *outstanding__totals(const struct outstanding *o)
{
	return &o->totals;
}

uint64_t outstanding__from(const struct outstanding *o)
{
	return o->from;
}

uint64_t outstanding__to(const struct outstanding *o)
{
	return o->to;
}
