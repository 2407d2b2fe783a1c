/* Kernel-wide handle resources in use against their limits, for `handles -s`
 * (and anything else that asks "which limit is this machine close to?"):
 * file handles, threads, pids, inotify per user, keys per user, SysV IPC and
 * POSIX queues. Plain numbers; naming users is the caller's business. */
#ifndef POOLSCOPE_MODEL_HANDLE_RESOURCES_H
#define POOLSCOPE_MODEL_HANDLE_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/ipc.h"
#include "model/handles.h"

struct handle_resource {
	const char *name; /* static: "file handles (fs.file-nr)", "inotify watches" */
	bool per_user;	  /* the resource is charged per user: see uid */
	uint32_t uid;
	uint64_t used;
	uint64_t limit; /* 0: no limit applies (or unknown) */
};

struct handle_resources {
	struct handle_resource *items;
	int count;
	int cap;
	bool keys_unavailable; /* /proc/key-users could not be read */
};

/* Collect every resource: limits from the kernel, usage from the snapshot
 * (inotify instances are the inotify fds of each user's processes; watches
 * need a scan with inotify_watches), /proc/key-users and ipc (the mqueue
 * row only when have_mqueue). 0 or -ENOMEM. */
int handle_resources_collect(const struct handles_snapshot *snap, const struct ipc_list *ipc,
			     bool have_mqueue, struct handle_resources *out);
void handle_resources_free(struct handle_resources *res); /* contents; accepts NULL */

#endif
