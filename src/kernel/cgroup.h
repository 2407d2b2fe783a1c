/* Which cgroup a process is in, and the systemd unit that names it: how a
 * finding says "myservice.service" rather than only a pid. Parsing of
 * /proc/PID/cgroup text is apart from reading it, for fixtures. */
#ifndef POOLSCOPE_KERNEL_CGROUP_H
#define POOLSCOPE_KERNEL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

/* From /proc/PID/cgroup text (modified in place): the unified (v2,
 * "0::PATH") path, or where that is "/" on a hybrid system, the path in
 * the name=systemd hierarchy. "" when the process is in the root cgroup.
 * 0 or -EINVAL (no line of either kind). */
int cgroup_parse_path(char *text, char *path, size_t len);
/* The systemd unit a cgroup path names: its last component that ends in
 * .service or .scope ("user@1000.service/app.slice/x.scope" → "x.scope");
 * else the whole path; "" for the root. Into buf, which is returned. */
const char *cgroup_unit(const char *path, char *buf, size_t len);
/* Both for a live process: the unit (or cgroup path) of pid into buf.
 * 0 or -errno (the process is gone, or its cgroup file unreadable). */
int cgroup_unit_of_pid(int pid, char *buf, size_t len);
/* Where the memory controller's hierarchy is: 2 with its root in buf when a
 * cgroup v2 hierarchy (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid
 * system) lists "memory" in cgroup.controllers; else 1 when the v1 memory
 * hierarchy is mounted at /sys/fs/cgroup/memory; 0 when there is none. */
int cgroup_memory_root(char *buf, size_t len);

#endif
