#include "model/series_feed.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kernel/ipc.h"
#include "kernel/keys.h"
#include "kernel/meminfo.h"
#include "kernel/limits.h"
#include "kernel/memcg.h"
#include "kernel/psi.h"
#include "model/handle_resources.h"
#include "model/handles.h"
#include "model/pool.h"
#include "model/series.h"
#include "model/series_name.h"
#include "util/hashmap.h"

static int add(struct series_set *set, const char *name, double t, double v, double limit)
{
	int err = series_set_add(set, name, t, v);

	if (!err && limit > 0)
		series_set_limit(set, name, limit);
	return err;
}

static double known(uint64_t v)
{
	return v ? (double)v : -1;
}

int series_feed_pool(struct series_set *set, double t, const struct pool_snapshot *snap)
{
	char name[160];
	size_t i;
	int err = 0;

	for (i = 0; i < snap->count && !err; i++) {
		const struct pool_tag *tag = &snap->tags[i];

		if (!tag->have_slab)
			continue;
		err = add(set, series_name_slab(name, sizeof(name), tag->name, "objs"), t,
			  (double)tag->objs, -1);
		if (!err)
			err = add(set, series_name_slab(name, sizeof(name), tag->name, "bytes"), t,
				  (double)tag->bytes, -1);
	}
	return err;
}

bool series_feed_upper_envelope(const char *name)
{
	/* It runs out by falling: folded, it keeps what its forecast reads. */
	return strcmp(name, "mem/MemAvailable") == 0;
}

int series_feed_meminfo(struct series_set *set, double t, const struct meminfo *mem)
{
	double total = meminfo_has(mem, MI_MEM_TOTAL) ? (double)mem->bytes[MI_MEM_TOTAL] : -1;
	char name[160];
	int f, err = 0;

	for (f = 0; f < MI_NR_FIELDS && !err; f++) {
		bool of_total = f == MI_SUNRECLAIM || f == MI_SLAB;

		if (!meminfo_has(mem, (enum meminfo_field)f))
			continue;
		err = add(set, series_name_mem(name, sizeof(name), meminfo_field_name((enum meminfo_field)f)),
			  t, (double)mem->bytes[f], of_total ? total : -1);
		if (!err && series_feed_upper_envelope(name))
			series_set_upper_envelope(set, name);
	}
	return err;
}

static int feed_process(struct series_set *set, double t, const struct proc_handles *p,
			const struct sys_limits *limits)
{
	char name[160], what[48];
	double fd_limit = -1;
	int k, err;

	if (p->fd_soft_limit != HANDLES_UNKNOWN && p->fd_soft_limit < UINT64_MAX - 1)
		fd_limit = (double)p->fd_soft_limit;
	err = add(set, series_name_proc(name, sizeof(name), p->pid, p->starttime, "fds"), t, p->fds,
		  fd_limit);
	for (k = 0; k < FD_KIND_COUNT && !err; k++) {
		snprintf(what, sizeof(what), "fds/%s", fd_kind_name((enum fd_kind)k));
		series_name_proc(name, sizeof(name), p->pid, p->starttime, what);
		/* A kind that went back to 0 keeps its series: that is news. */
		if (p->kinds[k] || series_set_find(set, name))
			err = add(set, name, t, p->kinds[k], -1);
	}
	if (!err && p->threads)
		err = add(set, series_name_proc(name, sizeof(name), p->pid, p->starttime, "threads"),
			  t, p->threads, known(limits ? limits->threads_max : 0));
	if (!err && p->maps != HANDLES_UNKNOWN)
		err = add(set, series_name_proc(name, sizeof(name), p->pid, p->starttime, "maps"), t,
			  (double)p->maps, known(limits ? limits->max_map_count : 0));
	if (!err && p->inotify_watches != HANDLES_UNKNOWN && p->inotify_watches)
		err = add(set, series_name_proc(name, sizeof(name), p->pid, p->starttime, "inotify"),
			  t, (double)p->inotify_watches,
			  known(limits ? limits->inotify_max_user_watches : 0));
	return err;
}

int series_feed_handles(struct series_set *set, double t, const struct handles_snapshot *snap,
			const struct sys_limits *limits)
{
	int i, err = 0;

	for (i = 0; i < snap->count && !err; i++)
		err = feed_process(set, t, &snap->procs[i], limits);
	return err;
}

int series_feed_resources(struct series_set *set, double t, const struct handle_resources *res)
{
	char name[160], resource[128];
	int i, err = 0;

	for (i = 0; i < res->count && !err; i++) {
		const struct handle_resource *r = &res->items[i];

		if (r->per_user)
			snprintf(resource, sizeof(resource), "%s uid %u", r->name, r->uid);
		else
			snprintf(resource, sizeof(resource), "%s", r->name);
		err = add(set, series_name_sys(name, sizeof(name), resource), t, (double)r->used,
			  known(r->limit));
	}
	return err;
}

int series_feed_keys(struct series_set *set, double t, const struct key_users *keys)
{
	char name[160];
	int i, err = 0;

	for (i = 0; keys && i < keys->count && !err; i++) {
		const struct key_user *u = &keys->users[i];

		err = add(set, series_name_keys(name, sizeof(name), u->uid, "keys"), t,
			  (double)u->qnkeys, known(u->maxkeys));
		if (!err)
			err = add(set, series_name_keys(name, sizeof(name), u->uid, "bytes"), t,
				  (double)u->qnbytes, known(u->maxbytes));
	}
	return err;
}

/* Unread bytes per last sender: who leaves messages behind, robust to
 * other processes' queues coming and going. */
static int feed_senders(struct series_set *set, double t, const struct ipc_list *ipc)
{
	struct u64map *bytes;
	char name[160];
	size_t pos = 0;
	uint64_t pid, sum;
	int i, err = 0;

	if (!ipc || !ipc->count)
		return 0;
	bytes = u64map_new((size_t)ipc->count);
	if (!bytes)
		return -ENOMEM;
	for (i = 0; i < ipc->count && !err; i++) {
		const struct ipc_object *o = &ipc->objects[i];
		uint64_t *b;

		if (o->kind != IPC_KIND_MSG || o->cpid <= 0)
			continue;
		b = u64map_findnew(bytes, (uint64_t)o->cpid, 0);
		if (!b)
			err = -ENOMEM;
		else
			*b += o->bytes;
	}
	while (!err && u64map_next(bytes, &pos, &pid, &sum))
		err = add(set, series_name_sysv_sender(name, sizeof(name), (int)pid, "bytes"), t,
			  (double)sum, -1);
	u64map_free(bytes);
	return err;
}

int series_feed_sysv_msg(struct series_set *set, double t, const struct ipc_list *ipc,
			 uint64_t msgmnb)
{
	char name[160];
	int i, err = feed_senders(set, t, ipc);

	for (i = 0; ipc && i < ipc->count && !err; i++) {
		const struct ipc_object *o = &ipc->objects[i];

		if (o->kind != IPC_KIND_MSG || o->id < 0)
			continue;
		err = add(set, series_name_sysv_msg(name, sizeof(name), (int)o->id, "bytes"), t,
			  (double)o->bytes, known(msgmnb));
		if (!err)
			err = add(set, series_name_sysv_msg(name, sizeof(name), (int)o->id, "messages"),
				  t, (double)o->count, -1);
	}
	return err;
}

int series_feed_psi(struct series_set *set, double t, const struct psi *psi)
{
	char name[160];
	int err = 0;

	if (psi->some.have)
		err = add(set, series_name_mem(name, sizeof(name), "pressure_some_avg10"), t,
			  psi->some.avg10, -1);
	if (!err && psi->full.have)
		err = add(set, series_name_mem(name, sizeof(name), "pressure_full_avg10"), t,
			  psi->full.avg10, -1);
	return err;
}

int series_feed_memcg(struct series_set *set, double t, const struct memcg_list *list)
{
	char name[320];
	int i, err = 0;

	for (i = 0; list && i < list->count && !err; i++) {
		const struct memcg *m = &list->items[i];

		err = add(set, series_name_memcg(name, sizeof(name), m->path, "usage"), t,
			  (double)m->usage, m->limit ? (double)m->limit : -1);
		if (!err && m->kernel != MEMCG_UNKNOWN)
			err = add(set, series_name_memcg(name, sizeof(name), m->path, "kernel"), t,
				  (double)m->kernel, -1);
		if (!err && m->slab != MEMCG_UNKNOWN)
			err = add(set, series_name_memcg(name, sizeof(name), m->path, "slab"), t,
				  (double)m->slab, -1);
	}
	return err;
}
