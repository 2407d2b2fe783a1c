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

int recorder_event_ustack(struct recorder *rc, const struct rec_alloc_event *ae,
			  struct trace_alloc *a)
{
	uint64_t ips[REC_MAX_DEPTH];
	int depth, err;

	if (!rc->opts->probe.user_stacks)
		return 0;
	if (ae->ev.flags & REC_EF_KTHREAD) {
		a->ustack_state = TUS_KTHREAD;
		return 0;
	}
	a->ustack_state = TUS_LOST;
	err = write_process_maps(rc, ae->ev.tgid);
	if (err || ae->ustack_id < 0)
		return err;
	if (u64map_find(rc->ustacks_known, (uint64_t)ae->ustack_id)) {
		a->ustack_state = TUS_STACK;
		a->ustack_id = (uint32_t)ae->ustack_id;
		return 0;
	}
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
		err = u64map_set(rc->ustacks_known, (uint64_t)ae->ustack_id, 1);
	if (err)
		return err;
	a->ustack_state = TUS_STACK;
	a->ustack_id = (uint32_t)ae->ustack_id;
	return 0;
}

void recorder_ustacks_release(struct recorder *rc)
{
	struct recorder_build_ids *b = rc->build_ids;

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
