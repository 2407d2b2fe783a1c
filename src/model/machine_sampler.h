/* Every source of this machine in one sample, into named series: slab caches
 * (the pool sampler: slabinfo, /sys/kernel/slab, meminfo, the optional eBPF
 * counters), every process's fds by type, threads, mappings and inotify
 * watches (the handle scanner), the kernel-wide resources against their
 * limits, keys per user and SysV message queues, memory pressure (PSI) and
 * memory cgroups. `diagnose` samples it every
 * second, `watch` every interval; both read the latest snapshots back for
 * what the series do not carry (names, units, queue owners).
 *
 * Cost control: a scan of every process's fds and mappings costs more on a
 * machine with a million fds than it tells every second. The sampler times
 * each process scan and, when one takes more than cpu_budget of the
 * interval, scans processes only every Nth sample (said in a note, and in
 * machine_sampler_status for `checked`). */
#ifndef POOLSCOPE_MODEL_MACHINE_SAMPLER_H
#define POOLSCOPE_MODEL_MACHINE_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "model/handle_resources.h"
#include "model/handles.h"
#include "model/pool.h"

/* Memory cgroups read per sample, at most (a systemd machine has a few
 * hundred; a container host may have thousands, which a note says). */
#define MACHINE_SAMPLER_MAX_MEMCGS 512

struct globlist;
struct memcg_list;
struct psi;
struct notes;
struct series_set;

struct machine_sampler_opts {
	bool no_counters;	      /* no eBPF slab counters (watch: none per event) */
	const int *pids;	      /* borrowed: only these processes (with names: either) */
	int npids;
	const struct globlist *names; /* borrowed comm globs; NULL: every process */
	uint64_t interval_ns;	      /* the caller's sampling period, for the budget */
	double cpu_budget;	      /* fraction of the interval a process scan may take: 0.2 */
	bool no_bpf;		      /* walk /proc even where the BPF iterator works */
};

void machine_sampler_opts_init(struct machine_sampler_opts *o);

struct machine_sampler;

struct machine_sampler_status {
	unsigned int samples;
	unsigned int process_scans;
	unsigned int process_every; /* processes scanned every Nth sample (1: every) */
	uint64_t process_scan_ns;   /* CPU of the last process scan */
	uint64_t cpu_ns;	    /* CPU of all samples so far (this thread) */
	bool counters;		    /* the eBPF slab counters run */
	bool slabinfo;		    /* /proc/slabinfo is readable */
	bool used_bpf;		    /* the last process scan used the BPF iterator */
	uint64_t counter_misses;
};

/* Opens the sources (those that cannot be opened are notes). 0 or -ENOMEM. */
int machine_sampler_start(struct machine_sampler **out, const struct machine_sampler_opts *opts,
			  struct notes *ns);
/* Sample everything due now into set at t (seconds since the set's origin).
 * Problems are notes (keys repeat per sample). 0 or -ENOMEM. */
int machine_sampler_sample(struct machine_sampler *ms, double t, struct series_set *set,
			   struct notes *ns);
/* The latest of each (borrowed; empty before the first sample). */
const struct pool_snapshot *machine_sampler_pool(const struct machine_sampler *ms);
const struct handles_snapshot *machine_sampler_processes(const struct machine_sampler *ms);
const struct handle_resource_readings *machine_sampler_readings(const struct machine_sampler *ms);
const struct handle_resources *machine_sampler_resources(const struct machine_sampler *ms);
/* The latest PSI reading and memory cgroups; NULL where not read. */
const struct psi *machine_sampler_psi(const struct machine_sampler *ms);
const struct memcg_list *machine_sampler_memcgs(const struct machine_sampler *ms);
/* The run's kernel symbols (loaded once, for the counters; NULL when not
 * loaded or unreadable): a recorder started alongside borrows them. */
const struct symtab *machine_sampler_ksyms(const struct machine_sampler *ms);
void machine_sampler_status(const struct machine_sampler *ms, struct machine_sampler_status *out);
/* pool_sampler_stop_counters of the run's slab sampler. */
void machine_sampler_stop_counters(struct machine_sampler *ms, const char *why);
void machine_sampler_stop(struct machine_sampler *ms); /* accepts NULL */

#endif
