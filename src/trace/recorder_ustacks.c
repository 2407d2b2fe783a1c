/* record --user-stacks: user stacks into the trace, and what report needs to
 * name their frames after the process is gone: the executable mappings of
 * every allocating process, read from /proc/PID/maps the first time the
 * recorder meets it, with the build-id of each mapped file (read once per
 * path). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/procmaps.h"
#include "trace/recorder_int.h"
#include "trace/trace.h"
#include "trace/format.h"
#include "trace/unwind.h"
#include "util/elfsym.h"
#include "util/hashmap.h"

struct build_id_entry {
	char *path;
	uint8_t id[TRACE_MAX_BUILD_ID];
	int len; /* 0: none, or unreadable */
};

struct recorder_build_ids {
	struct u64map *by_hash; /* hash(path) → index + 1 (probed on collision) */
	struct build_id_entry *entries;
	size_t n, cap;
};

/* The build-id of path, read once. NULL on ENOMEM. */
static const struct build_id_entry *build_id_of(struct recorder *rc, const char *path)
{
	struct recorder_build_ids *b = rc->build_ids;
	uint64_t key = hash_bytes(path, strlen(path)), *found;
	struct build_id_entry *e;

	if (!b) {
		b = rc->build_ids = calloc(1, sizeof(*b));
		if (!b || !(b->by_hash = u64map_new(64)))
			return NULL;
	}
	while ((found = u64map_find(b->by_hash, key))) {
		if (!strcmp(b->entries[*found - 1].path, path))
			return &b->entries[*found - 1];
		key++;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		struct build_id_entry *grown = realloc(b->entries, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		b->entries = grown;
		b->cap = cap;
	}
	e = &b->entries[b->n];
	e->path = strdup(path);
	if (!e->path || u64map_set(b->by_hash, key, b->n + 1)) {
		free(e->path);
		return NULL;
	}
	/* "[vdso]" and friends are no file; a file gone since is " (deleted)". */
	e->len = path[0] == '/' ? elfsym_read_build_id(path, e->id, sizeof(e->id)) : 0;
	if (e->len < 0)
		e->len = 0;
	b->n++;
	return e;
}

/* The mappings of tgid, once per process. A process gone before its first
 * event was read has none: its frames stay addresses in the report. */
static int write_process_maps(struct recorder *rc, uint32_t tgid)
{
	struct procmaps pm;
	struct trace_mapping *maps;
	int err;

	if (u64map_find(rc->procs_known, tgid))
		return 0;
	if (u64map_set(rc->procs_known, tgid, 1))
		return -ENOMEM;
	if (procmaps_read_exec(tgid, &pm))
		return 0;
	maps = calloc(pm.n ? pm.n : 1, sizeof(*maps));
	err = maps ? 0 : -ENOMEM;
	for (size_t i = 0; i < pm.n && !err; i++) {
		const struct build_id_entry *b = build_id_of(rc, pm.maps[i].path);

		if (!b) {
			err = -ENOMEM;
			break;
		}
		maps[i] = (struct trace_mapping){ .start = pm.maps[i].start, .end = pm.maps[i].end,
						  .offset = pm.maps[i].offset, .path = pm.maps[i].path,
						  .build_id = b->len ? b->id : NULL,
						  .build_id_len = (uint32_t)b->len };
	}
	if (!err) {
		struct trace_process_maps tpm = { .tgid = tgid, .n = (uint32_t)pm.n, .maps = maps };

		err = trace_writer__maps(rc->w, &tpm);
	}
	free(maps);
	procmaps_release(&pm);
	return err;
}

/* The frame-pointer stack of an event, written the first time: its depth
 * (0: none, or lost), or -ENOMEM. */
static int fp_stack(struct recorder *rc, const struct rec_alloc_event *ae)
{
	uint64_t ips[REC_MAX_DEPTH], *known;
	int depth, err;

	if (ae->ustack_id < 0)
		return 0;
	known = u64map_find(rc->ustacks_known, (uint64_t)ae->ustack_id);
	if (known)
		return (int)*known;
	depth = record_probe__ustack(rc->rp, (uint32_t)ae->ustack_id, ips, REC_MAX_DEPTH);
	if (depth < 0) {
		rc->sum->lost_stack++;
		return 0;
	}
	/* The map's value holds REC_MAX_DEPTH frames: a full one was cut there. */
	err = trace_writer__ustack(rc->w, (uint32_t)ae->ustack_id, ips, depth,
				   TRACE_USTACK_FP |
					   (depth == REC_MAX_DEPTH ? TRACE_USTACK_TRUNCATED : 0));
	if (!err)
		err = u64map_set(rc->ustacks_known, (uint64_t)ae->ustack_id, (uint64_t)depth);
	return err ? err : depth;
}

/* The unwound stack that goes with an event (its raw copy came first in
 * the ring): its trace id and depth, or 0 when there is none. */
static int dwarf_stack(struct recorder *rc, const struct rec_alloc_event *ae, uint32_t *id)
{
	const uint64_t *v;

	if (!ae->uraw_seq || !rc->uraw_ids)
		return 0;
	v = u64map_find(rc->uraw_ids, (uint64_t)ae->ev.cpu << 32 | ae->uraw_seq);
	if (v) {
		*id = (uint32_t)*v;
		return (int)(*v >> 32);
	}
	if (rc->uraw_last[ae->ev.cpu % RECORDER_URAW_CPUS].seq != ae->uraw_seq)
		return 0;
	*id = rc->uraw_last[ae->ev.cpu % RECORDER_URAW_CPUS].id;
	return (int)rc->uraw_last[ae->ev.cpu % RECORDER_URAW_CPUS].depth;
}

int recorder_event_ustack(struct recorder *rc, const struct rec_alloc_event *ae,
			  struct trace_alloc *a)
{
	uint32_t dwarf_id = 0;
	int fp_depth, dwarf_depth, err;

	if (!rc->opts->probe.user_stacks)
		return 0;
	if (ae->ev.flags & REC_EF_KTHREAD) {
		a->ustack_state = TUS_KTHREAD;
		return 0;
	}
	a->ustack_state = TUS_LOST;
	err = write_process_maps(rc, ae->ev.tgid);
	if (err)
		return err;
	fp_depth = fp_stack(rc, ae);
	if (fp_depth < 0)
		return fp_depth;
	/* With --user-stacks=dwarf both were taken: the longer one (a
	 * frame-pointer walk of a program without them stops after a frame
	 * or two; an unwinding stops where the copied stack ends). */
	dwarf_depth = dwarf_stack(rc, ae, &dwarf_id);
	if (dwarf_depth > 0 && dwarf_depth >= fp_depth) {
		a->ustack_state = TUS_STACK;
		a->ustack_id = dwarf_id;
	} else if (fp_depth > 0) {
		a->ustack_state = TUS_STACK;
		a->ustack_id = (uint32_t)ae->ustack_id;
	}
	return 0;
}

/* Unwound stacks get ids of their own, above any stack map's. */
#define DWARF_USTACK_BASE 0x40000000u

int recorder_uraw(struct recorder *rc, const struct rec_ustack_raw *r, size_t size)
{
	uint64_t ips[REC_MAX_DEPTH], key, *known;
	uint32_t id;
	int depth, err;

	if (size < sizeof(*r))
		return 0;
	if (!rc->unwinder) {
		rc->unwinder = unwinder_new();
		rc->uraw_ids = u64map_new(256);
		rc->dwarf_ids = u64map_new(256);
		if (!rc->unwinder || !rc->uraw_ids || !rc->dwarf_ids)
			return -ENOMEM;
	}
	err = write_process_maps(rc, r->ev.tgid);
	if (err)
		return err;
	depth = unwinder_unwind(rc->unwinder, r->ev.tgid, r->ev.tid, (const uint64_t *)r->regs, r->data,
				r->len < REC_USTACK_BYTES ? r->len : REC_USTACK_BYTES, ips,
				REC_MAX_DEPTH);
	if (depth == -ENOMEM)
		return -ENOMEM;
	if (depth <= 0)
		return 0; /* its event keeps the frame-pointer walk */
	/* The same frames are one stack (a 64-bit hash of them: a collision
	 * would merge two stacks, at odds of 2^-64 a pair). */
	key = hash_bytes(ips, (size_t)depth * sizeof(ips[0])) ^ (uint64_t)depth;
	known = u64map_find(rc->dwarf_ids, key);
	if (known) {
		id = (uint32_t)*known;
	} else {
		id = DWARF_USTACK_BASE + rc->ndwarf++;
		err = trace_writer__ustack(rc->w, id, ips, depth,
					   TRACE_USTACK_DWARF |
						   (depth == REC_MAX_DEPTH ? TRACE_USTACK_TRUNCATED : 0));
		if (!err)
			err = u64map_set(rc->dwarf_ids, key, id);
		if (err)
			return err;
	}
	if (r->ev.flags & REC_UF_PATH)
		return u64map_set(rc->uraw_ids, (uint64_t)r->ev.cpu << 32 | r->seq,
				  (uint64_t)depth << 32 | id);
	rc->uraw_last[r->ev.cpu % RECORDER_URAW_CPUS].seq = r->seq;
	rc->uraw_last[r->ev.cpu % RECORDER_URAW_CPUS].id = id;
	rc->uraw_last[r->ev.cpu % RECORDER_URAW_CPUS].depth = (uint32_t)depth;
	return 0;
}

void recorder_ustacks_release(struct recorder *rc)
{
	struct recorder_build_ids *b = rc->build_ids;

	unwinder_free(rc->unwinder);
	u64map_free(rc->uraw_ids);
	u64map_free(rc->dwarf_ids);
	rc->unwinder = NULL;
	rc->uraw_ids = rc->dwarf_ids = NULL;
	u64map_free(rc->ustacks_known);
	u64map_free(rc->procs_known);
	rc->ustacks_known = rc->procs_known = NULL;
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->entries[i].path);
	free(b->entries);
	u64map_free(b->by_hash);
	free(b);
	rc->build_ids = NULL;
}
