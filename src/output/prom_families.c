#include "output/prom_families.h"

/* Merge rules: slab caches of the same name are distinct caches, so their
 * bytes and objects add up; every other family holds one measurement per
 * label set, and a duplicate is the same thing reported twice: the larger
 * value (use), the smaller limit and the sooner exhaustion are kept. */
static const struct prom_family_spec families[] = {
	{ PROM_BUILD_INFO, PROM_GAUGE, PROM_MERGE_MAX, "version,kernel",
	  "Always 1; the labels say which poolscope and which kernel release." },
	{ PROM_SLAB_BYTES, PROM_GAUGE, PROM_MERGE_SUM, "cache,type",
	  "Bytes held by a slab cache; type recl (reclaimable, counted in SReclaimable) or "
	  "unrecl (SUnreclaim); caches sharing a name are summed." },
	{ PROM_SLAB_OBJECTS, PROM_GAUGE, PROM_MERGE_SUM, "cache",
	  "Active objects of a slab cache; caches sharing a name are summed." },
	{ PROM_RESOURCE_USED, PROM_GAUGE, PROM_MERGE_MAX, "resource",
	  "Current use of a kernel-wide finite resource (file-nr, threads, inotify watches, keys, "
	  "SysV IPC, memory), in its own unit." },
	{ PROM_RESOURCE_LIMIT, PROM_GAUGE, PROM_MERGE_MIN, "resource",
	  "The limit that resource runs out at, in the unit of poolscope_resource_used." },
	{ PROM_PROCESS_FDS, PROM_GAUGE, PROM_MERGE_MAX, "pid,comm,type",
	  "Open file descriptors of a process by kind (eventfd, socket, ...), for the top "
	  "processes only." },
	{ PROM_EXHAUSTION_SECONDS, PROM_GAUGE, PROM_MERGE_MIN, "resource,pid,comm",
	  "Forecast time until the resource runs out, for every forecast in force (pid and comm "
	  "for a per-process resource)." },
	{ PROM_MEMORY_PRESSURE_STALLED, PROM_COUNTER, PROM_MERGE_MAX, "kind",
	  "Time tasks stalled waiting for memory since boot (/proc/pressure/memory total); kind "
	  "some (at least one task) or full (every non-idle task at once)." },
	{ PROM_MEMORY_PRESSURE_RATIO, PROM_GAUGE, PROM_MERGE_MAX, "kind,window",
	  "Share of the last 10s, 60s or 300s (window) that tasks stalled on memory, 0 to 1 "
	  "(the kernel's avg10, avg60, avg300)." },
	{ PROM_MEMCG_BYTES, PROM_GAUGE, PROM_MERGE_MAX, "cgroup,type",
	  "Memory charged to a memory cgroup: type usage (all of it, page cache included), "
	  "kernel (kernel memory), slab, sock, kernel_stack, pagetables, percpu (cgroup v2)." },
	{ PROM_MEMCG_LIMIT_BYTES, PROM_GAUGE, PROM_MERGE_MIN, "cgroup",
	  "The memory limit of a memory cgroup (memory.max, memory.limit_in_bytes), for "
	  "cgroups that have one." },
	{ PROM_SAMPLE_DURATION_SECONDS, PROM_GAUGE, PROM_MERGE_MAX, "",
	  "How long the last sample of every source took." },
};

const struct prom_family_spec *prom_families(size_t *count)
{
	*count = sizeof(families) / sizeof(families[0]);
	return families;
}

int prom_families_declare(struct prom_exposition *e)
{
	size_t i;
	int err;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		const struct prom_family_spec *f = &families[i];

		err = prom_family(e, f->name, f->type, f->merge, f->help);
		if (err)
			return err;
	}
	return 0;
}
