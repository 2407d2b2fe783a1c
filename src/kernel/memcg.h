/* Memory cgroups: each one's usage against its limit and the kernel memory
 * charged to it. cgroup v2: memory.current, memory.max and memory.stat
 * (kernel, slab, sock, kernel_stack, pagetables, percpu); cgroup v1 (still
 * what some machines run, this one too): memory.usage_in_bytes,
 * memory.limit_in_bytes and memory.kmem.usage_in_bytes, with no breakdown.
 * A service that leaks kernel objects inside a memory limit is killed by
 * its cgroup's OOM long before the machine's memory runs out: its limit is
 * the one that applies. */
#ifndef POOLSCOPE_KERNEL_MEMCG_H
#define POOLSCOPE_KERNEL_MEMCG_H

#include <stdbool.h>
#include <stdint.h>

#define MEMCG_UNKNOWN UINT64_MAX

struct memcg {
	char path[192];	       /* below the hierarchy's root, e.g. "system.slice/x.service" */
	uint64_t usage;	       /* bytes charged (page cache included) */
	uint64_t limit;	       /* bytes; 0: no limit */
	uint64_t kernel;       /* kernel memory charged; MEMCG_UNKNOWN when not read */
	uint64_t slab, sock, kernel_stack, pagetables, percpu; /* v2 only, else UNKNOWN */
};

struct memcg_list {
	int version; /* 1 or 2; 0: no memory controller */
	struct memcg *items;
	int count;
	bool truncated; /* more cgroups than asked for (or deeper than 16) */
};

void memcg_list_free(struct memcg_list *list); /* accepts NULL */

/* A v2 memory.stat (modified in place) into m's kernel-memory fields; the
 * fields absent from the text stay MEMCG_UNKNOWN. 0 or -EINVAL (no field). */
int memcg_parse_stat(char *text, struct memcg *m);
/* memory.max ("max") or memory.limit_in_bytes (v1 says "no limit" with a
 * page-rounded LONG_MAX): 0 for none. 0 or -EINVAL. */
int memcg_parse_limit(const char *text, uint64_t *limit);
/* Every memory cgroup under the root of cgroup_memory_root (the root itself
 * left out: it is the whole machine, which meminfo already says), at most
 * max of them, parents before children. 0, -ENOENT when there is no memory
 * controller, or -ENOMEM. Cgroups that vanish while being read are skipped. */
int memcg_read_all(struct memcg_list *list, int max);
/* The same below root, for a hierarchy of the given version (tests). */
int memcg_read_tree(const char *root, int version, struct memcg_list *list, int max);

/* The processes a memory cgroup's usage is charged to, for a diagnosis
 * aimed at them: cgroup.procs text (one pid per line; modified in place)
 * appended to pids[*n], at most max in all. 0 or -EINVAL (a line that is
 * no pid). */
int memcg_parse_procs(char *text, int *pids, int max, int *n);
/* The pids of cgroup path (below root, as memcg_read_tree names it) and of
 * every cgroup below it (its usage counts theirs), at most max, into pids;
 * *n how many. 0, -ENOENT (no such cgroup) or -EINVAL. */
int memcg_procs_tree(const char *root, const char *path, int *pids, int max, int *n);
/* The same under the root of cgroup_memory_root. -ENOENT without one. */
int memcg_procs(const char *path, int *pids, int max, int *n);

#endif
