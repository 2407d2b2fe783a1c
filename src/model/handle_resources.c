#include "model/handle_resources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/handle_scan.h"
#include "util/hashmap.h"
#include "util/notes.h"

void handle_resources_free(struct handle_resources *res)
{
	if (!res)
		return;
	free(res->items);
	memset(res, 0, sizeof(*res));
}

static int add(struct handle_resources *res, const char *name, bool per_user, uint32_t uid,
	       uint64_t used, uint64_t limit)
{
	if (res->count == res->cap) {
		int cap = res->cap ? res->cap * 2 : 32;
		struct handle_resource *grown = realloc(res->items, (size_t)cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		res->items = grown;
		res->cap = cap;
	}
	res->items[res->count++] = (struct handle_resource){
		.name = name, .per_user = per_user, .uid = uid, .used = used,
		.limit = limit == LIMIT_UNLIMITED ? 0 : limit,
	};
	return 0;
}

/* inotify instances and watches per uid of the holding processes. */
static int add_inotify(struct handle_resources *res, const struct handles_snapshot *snap,
		       const struct sys_limits *lim)
{
	struct u64map *slots = u64map_new(16);
	uint64_t (*per_uid)[2] = calloc((size_t)snap->count + 1, sizeof(*per_uid));
	uint64_t uid, slot, nuids = 0;
	size_t pos = 0;
	int i, err = -ENOMEM;

	if (!slots || !per_uid)
		goto out;
	for (i = 0; i < snap->count; i++) {
		const struct proc_handles *p = &snap->procs[i];
		uint64_t *s;

		if (!p->kinds[FD_KIND_INOTIFY])
			continue;
		s = u64map_findnew(slots, p->uid, nuids);
		if (!s)
			goto out;
		if (*s == nuids)
			nuids++;
		per_uid[*s][0] += p->kinds[FD_KIND_INOTIFY];
		per_uid[*s][1] += p->inotify_watches;
	}
	err = 0;
	while (!err && u64map_next(slots, &pos, &uid, &slot)) {
		err = add(res, "inotify instances", true, (uint32_t)uid, per_uid[slot][0],
			  lim->inotify_max_user_instances);
		if (!err)
			err = add(res, "inotify watches", true, (uint32_t)uid, per_uid[slot][1],
				  lim->inotify_max_user_watches);
	}
out:
	u64map_free(slots);
	free(per_uid);
	return err;
}

static int add_keys(struct handle_resources *res, const struct key_users *keys)
{
	int i, err = 0;

	if (!keys) {
		res->keys_unavailable = true;
		return 0;
	}
	for (i = 0; i < keys->count && !err; i++) {
		const struct key_user *k = &keys->users[i];

		err = add(res, "keys", true, k->uid, k->qnkeys, k->maxkeys);
		if (!err)
			err = add(res, "key bytes", true, k->uid, k->qnbytes, k->maxbytes);
	}
	return err;
}

static int add_ipc(struct handle_resources *res, const struct handle_resource_sources *src)
{
	static const struct sysvipc_limits none;
	const struct sysvipc_limits *l = src->ipc_limits ? src->ipc_limits : &none;
	uint64_t shm_n = 0, shm_bytes = 0, sem_n = 0, sems = 0, msg_n = 0, msg_bytes = 0, mq_n = 0;
	uint64_t page = src->page_size ? src->page_size : 4096, shm_limit = 0;
	int i, err;

	for (i = 0; src->ipc && i < src->ipc->count; i++) {
		const struct ipc_object *obj = &src->ipc->objects[i];

		switch (obj->kind) {
		case IPC_KIND_SHM: shm_n++; shm_bytes += obj->bytes; break;
		case IPC_KIND_SEM: sem_n++; sems += obj->count; break;
		case IPC_KIND_MSG: msg_n++; msg_bytes += obj->bytes; break;
		case IPC_KIND_MQUEUE: mq_n++; break;
		}
	}
	/* The default shmall is "no limit" in pages: do not overflow it. */
	if (l->shmall_pages && l->shmall_pages < UINT64_MAX / page)
		shm_limit = l->shmall_pages * page;
	err = add(res, "sysv shm segments (kernel.shmmni)", false, 0, shm_n, l->shmmni);
	if (!err)
		err = add(res, "sysv shm bytes (kernel.shmall)", false, 0, shm_bytes, shm_limit);
	if (!err)
		err = add(res, "sysv semaphore sets (kernel.sem SEMMNI)", false, 0, sem_n,
			  l->semmni);
	if (!err)
		err = add(res, "sysv semaphores (kernel.sem SEMMNS)", false, 0, sems, l->semmns);
	if (!err)
		err = add(res, "sysv msg queues (kernel.msgmni)", false, 0, msg_n, l->msgmni);
	if (!err)
		err = add(res, "sysv msg bytes", false, 0, msg_bytes, 0);
	if (!err && src->have_mqueue)
		err = add(res, "posix mqueues (fs.mqueue.queues_max)", false, 0, mq_n,
			  src->limits ? src->limits->mq_queues_max : 0);
	return err;
}

int handle_resources_build(const struct handle_resource_sources *src,
			   struct handle_resources *out)
{
	static const struct sys_limits none;
	const struct sys_limits *lim = src->limits ? src->limits : &none;
	static const struct handles_snapshot no_procs;
	int err;

	memset(out, 0, sizeof(*out));
	err = add(out, "file handles (fs.file-nr)", false, 0, lim->file_nr, lim->file_max);
	if (!err)
		err = add(out, "threads (kernel.threads-max)", false, 0, lim->threads,
			  lim->threads_max);
	/* Every thread holds a pid. */
	if (!err)
		err = add(out, "pids (kernel.pid_max)", false, 0, lim->threads, lim->pid_max);
	if (!err)
		err = add_inotify(out, src->snap ? src->snap : &no_procs, lim);
	if (!err)
		err = add_keys(out, src->keys);
	if (!err)
		err = add_ipc(out, src);
	if (err)
		handle_resources_free(out);
	return err;
}

int handle_resources_read(struct handle_resource_readings *r, struct notes *ns)
{
	int err, mq_dir;

	memset(r, 0, sizeof(*r));
	r->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	sys_limits_read(&r->limits);	       /* a limit not read stays 0: shown as none */
	sysvipc_limits_read(&r->ipc_limits); /* likewise */
	err = sysvipc_read(&r->ipc);
	if (err == -ENOMEM)
		return err;
	if (err)
		notes_add(ns, "handles-sysvipc", "SysV IPC: cannot read /proc/sysvipc: %s",
			  strerror(-err));
	mq_dir = mqueue_open();
	if (mq_dir >= 0 && mqueue_read_dir(mq_dir, &r->ipc) == 0)
		r->have_mqueue = true;
	else
		notes_add(ns, "handles-mqueue", "POSIX message queues not counted: no mqueue "
						"filesystem is mounted and making a private one "
						"needs CAP_SYS_ADMIN");
	if (mq_dir >= 0)
		close(mq_dir);
	err = key_users_read(&r->keys);
	if (err == -ENOMEM)
		return err;
	r->have_keys = !err;
	if (err)
		notes_add(ns, "handles-keys", "keys: /proc/key-users is not readable (kernel "
					      "without CONFIG_KEYS?): key quotas not shown");
	return 0;
}

void handle_resources_sources(const struct handle_resource_readings *r,
			      const struct handles_snapshot *snap,
			      struct handle_resource_sources *src)
{
	*src = (struct handle_resource_sources){
		.snap = snap,
		.limits = &r->limits,
		.ipc_limits = &r->ipc_limits,
		.keys = r->have_keys ? &r->keys : NULL,
		.ipc = &r->ipc,
		.have_mqueue = r->have_mqueue,
		.page_size = r->page_size,
	};
}

void handle_resources_readings_release(struct handle_resource_readings *r)
{
	if (!r)
		return;
	key_users_free(&r->keys);
	ipc_list_free(&r->ipc);
	memset(r, 0, sizeof(*r));
}

int handle_summary_collect(const struct handle_query *q, struct handle_summary *out,
			   struct notes *ns)
{
	struct handle_query every = *q;
	struct handle_resource_sources src;
	int err;

	memset(out, 0, sizeof(*out));
	every.kinds.on = false;
	every.top = 0;
	every.details = false;
	every.inotify_watches = true;
	err = handle_query_run(&every, NULL, &out->snap, ns);
	if (!err)
		err = handle_resources_read(&out->readings, ns);
	if (!err) {
		handle_resources_sources(&out->readings, &out->snap, &src);
		err = handle_resources_build(&src, &out->resources);
	}
	return err;
}

void handle_summary_release(struct handle_summary *s)
{
	if (!s)
		return;
	handle_resources_free(&s->resources);
	handle_resources_readings_release(&s->readings);
	handles_snapshot_free(&s->snap);
}
