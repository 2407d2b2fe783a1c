/* Kernel-wide handle resources in use against their limits, for `handles -s`
 * (and anything else that asks "which limit is this machine close to?"):
 * file handles, threads, pids, inotify per user, keys per user, SysV IPC and
 * POSIX queues. Built from plain reader results (handle_resource_sources),
 * like model/pool.h's pool_sources, so it is testable on fixtures;
 * handle_resources_read gathers those results from this kernel. Plain
 * numbers; naming users is the caller's business. */
#ifndef POOLSCOPE_MODEL_HANDLE_RESOURCES_H
#define POOLSCOPE_MODEL_HANDLE_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/ipc.h"
#include "kernel/keys.h"
#include "kernel/limits.h"
#include "model/handles.h"

struct notes;

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
	bool keys_unavailable; /* no /proc/key-users: no key rows */
};

/* What the resources are built from; everything borrowed. */
struct handle_resource_sources {
	/* inotify instances are the inotify fds of each user's processes;
	 * watches need a scan with inotify_watches. */
	const struct handles_snapshot *snap;
	const struct sys_limits *limits;	  /* a field 0: not known */
	const struct sysvipc_limits *ipc_limits;  /* a field 0: not known */
	const struct key_users *keys;		  /* NULL: /proc/key-users not readable */
	const struct ipc_list *ipc;		  /* SysV objects and POSIX queues */
	bool have_mqueue;			  /* ipc lists the queues (else no row) */
	uint64_t page_size;			  /* kernel.shmall is in pages */
};

/* Build every resource row from src. 0 or -ENOMEM. */
int handle_resources_build(const struct handle_resource_sources *src,
			   struct handle_resources *out);
void handle_resources_free(struct handle_resources *res); /* contents; accepts NULL */

/* What handle_resources_read gathers from this kernel; owned. */
struct handle_resource_readings {
	struct sys_limits limits;
	struct sysvipc_limits ipc_limits;
	struct key_users keys;
	bool have_keys;
	struct ipc_list ipc;
	bool have_mqueue;
	uint64_t page_size;
};

/* Read the limits, /proc/key-users, /proc/sysvipc and the POSIX queues. A
 * source that cannot be read is left out with a note ("handles-sysvipc",
 * "handles-mqueue", "handles-keys"); a limit not read stays 0. 0 or
 * -ENOMEM. */
int handle_resources_read(struct handle_resource_readings *r, struct notes *ns);
/* The sources of r plus snap, for handle_resources_build. */
void handle_resources_sources(const struct handle_resource_readings *r,
			      const struct handles_snapshot *snap,
			      struct handle_resource_sources *src);
void handle_resources_readings_release(struct handle_resource_readings *r); /* accepts NULL */

struct handle_query;

/* The system summary: every process's fds by type, and every resource. */
struct handle_summary {
	struct handles_snapshot snap; /* every process q selects, with inotify watches */
	struct handle_resource_readings readings;
	struct handle_resources resources;
};

/* Scan what q selects (its kind filter, top N and details do not apply: the
 * totals count every selected process), read the resources and build them.
 * Notes as handle_query_run and handle_resources_read leave them. 0 or
 * -errno (-ENOMEM; another error: /proc could not be scanned). */
int handle_summary_collect(const struct handle_query *q, struct handle_summary *out,
			   struct notes *ns);
void handle_summary_release(struct handle_summary *s); /* contents; accepts NULL */

#endif
