/* The sources in order of cost: the pool sampler (a few files, the counter
 * map), the kernel-wide readings (a handful of small files), then the
 * process scan, which is the one that can cost more than it tells and is
 * thinned out to stay within its budget. */
#include "model/machine_sampler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/handles_iter.h"
#include "kernel/ipc.h"
#include "kernel/ksyms.h"
#include "kernel/memcg.h"
#include "kernel/psi.h"
#include "model/handle_scan.h"
#include "model/pool_sampler.h"
#include "model/series_feed.h"
#include "util/notes.h"
#include "util/timeutil.h"

struct machine_sampler {
	struct machine_sampler_opts opts;
	struct pool_sampler *pool;
	const struct pool_snapshot *pool_snap; /* borrowed from pool */
	struct handles_snapshot procs;
	bool have_procs;
	struct handle_resource_readings readings;
	bool have_readings;
	struct handle_resources resources;
	struct machine_sampler_status status;
	struct handles_iter *iter; /* loaded once: loading costs more than a scan */
	struct psi psi;
	bool have_psi;
	struct memcg_list memcgs;
	/* The last process scan's notes: said again on the samples between
	 * scans, so a thinned-out scan's conditions do not look cleared and
	 * come back (said anew) at every scan. */
	struct notes scan_notes;
};

void machine_sampler_opts_init(struct machine_sampler_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ns = 1000000000ull;
	o->cpu_budget = 0.2;
}

int machine_sampler_start(struct machine_sampler **out, const struct machine_sampler_opts *opts,
			  struct notes *ns)
{
	struct machine_sampler *ms = calloc(1, sizeof(*ms));
	struct pool_sampler_opts po = {0};
	int err;

	*out = NULL;
	if (!ms)
		return -ENOMEM;
	ms->opts = *opts;
	ms->status.process_every = 1;
	po.no_counters = opts->no_counters;
	err = pool_sampler_start(&ms->pool, &po, ns);
	if (err) {
		free(ms);
		return err;
	}
	/* Without BPF here, scans walk /proc. The kernel symbols tell the
	 * iterator anon inode kinds cheaply: the pool sampler's when its
	 * counters loaded them, else loaded for this once. */
	if (!opts->no_bpf) {
		const struct symtab *ks = pool_sampler_ksyms(ms->pool);
		struct symtab *own = NULL;

		if (!ks && ksyms__load(&own, NULL) == 0)
			ks = own;
		if (handles_iter_open(8192, ks, &ms->iter))
			ms->iter = NULL;
		symtab__free(own);
	}
	*out = ms;
	return 0;
}

static int sample_readings(struct machine_sampler *ms, double t, struct series_set *set,
			   struct notes *ns)
{
	struct handle_resource_sources src;
	int err;

	if (ms->have_readings)
		handle_resources_readings_release(&ms->readings);
	handle_resources_free(&ms->resources);
	memset(&ms->resources, 0, sizeof(ms->resources));
	err = handle_resources_read(&ms->readings, ns);
	if (err)
		return err;
	ms->have_readings = true;
	handle_resources_sources(&ms->readings, ms->have_procs ? &ms->procs : NULL, &src);
	err = handle_resources_build(&src, &ms->resources);
	if (!err)
		err = series_feed_resources(set, t, &ms->resources);
	if (!err && ms->readings.have_keys)
		err = series_feed_keys(set, t, &ms->readings.keys);
	if (!err)
		err = series_feed_sysv_msg(set, t, &ms->readings.ipc, ms->readings.ipc_limits.msgmnb);
	return err;
}

/* Thin the process scan out when one scan takes more than its budget of
 * the interval: every Nth sample, N the smallest that fits. */
static void budget_processes(struct machine_sampler *ms, uint64_t scan_ns, struct notes *ns)
{
	double budget_ns = ms->opts.cpu_budget * (double)ms->opts.interval_ns;
	unsigned int every;

	if (budget_ns <= 0 || (double)scan_ns <= budget_ns)
		return;
	every = (unsigned int)((double)scan_ns / budget_ns) + 1;
	if (every <= ms->status.process_every)
		return;
	ms->status.process_every = every;
	notes_add(ns, "processes-thinned",
		  "a scan of every process's handles takes %.0f ms of CPU: processes are sampled "
		  "every %u intervals to stay within %.0f %% of one core",
		  (double)scan_ns / 1e6, every, ms->opts.cpu_budget * 100);
}

static int sample_processes(struct machine_sampler *ms, double t, struct series_set *set,
			    struct notes *ns)
{
	struct handle_query q;
	struct handles_snapshot next = {0};
	uint64_t cpu0 = process_cpu_ns(), spent;
	int err;

	handle_query_init(&q);
	q.pids = ms->opts.pids;
	q.npids = ms->opts.npids;
	q.names = ms->opts.names;
	q.inotify_watches = true;
	q.no_bpf = ms->opts.no_bpf;
	q.iter = ms->iter;
	notes_clear(&ms->scan_notes);
	err = handle_query_run(&q, NULL, &next, &ms->scan_notes);
	if (err) {
		handles_snapshot_free(&next);
		return err;
	}
	if (ms->have_procs)
		handles_snapshot_free(&ms->procs);
	ms->procs = next;
	ms->have_procs = true;
	spent = process_cpu_ns() - cpu0;
	ms->status.process_scan_ns = spent;
	ms->status.process_scans++;
	ms->status.used_bpf = next.used_bpf;
	budget_processes(ms, spent, ns);
	return series_feed_handles(set, t, &ms->procs,
				   ms->have_readings ? &ms->readings.limits : NULL);
}

/* Memory pressure and memory cgroups: a few small files each, no process
 * walk. Neither is everywhere (PSI can be off; a container may see no
 * memory controller): a note, once, and the rest goes on. */
static int sample_memory(struct machine_sampler *ms, double t, struct series_set *set,
			 struct notes *ns)
{
	int err;

	memcg_list_free(&ms->memcgs);
	err = psi_read_memory(&ms->psi);
	ms->have_psi = !err;
	if (err)
		notes_add(ns, "no-psi",
			  "memory pressure not sampled: /proc/pressure/memory: %s (a kernel "
			  "without CONFIG_PSI, or booted with psi=0)",
			  strerror(-err));
	err = memcg_read_all(&ms->memcgs, MACHINE_SAMPLER_MAX_MEMCGS);
	if (err == -ENOENT)
		notes_add(ns, "no-memcg", "memory cgroups not sampled: no memory controller "
					  "is mounted (cgroup v2 or v1 /sys/fs/cgroup/memory)");
	else if (err)
		return err;
	if (ms->memcgs.truncated)
		notes_add(ns, "memcg-truncated",
			  "memory cgroups: only the first %d (or 16 levels deep) are sampled",
			  MACHINE_SAMPLER_MAX_MEMCGS);
	err = ms->have_psi ? series_feed_psi(set, t, &ms->psi) : 0;
	if (!err)
		err = series_feed_memcg(set, t, &ms->memcgs);
	return err;
}

int machine_sampler_sample(struct machine_sampler *ms, double t, struct series_set *set,
			   struct notes *ns)
{
	uint64_t cpu0 = process_cpu_ns();
	int err;

	err = pool_sampler_sample(ms->pool, ns, &ms->pool_snap);
	if (!err)
		err = series_feed_pool(set, t, ms->pool_snap);
	if (!err)
		err = series_feed_meminfo(set, t, &ms->pool_snap->mem);
	if (!err)
		err = sample_memory(ms, t, set, ns);
	if (!err && ms->status.samples % ms->status.process_every == 0)
		err = sample_processes(ms, t, set, ns);
	notes_add_all(ns, &ms->scan_notes);
	/* After the processes: inotify instances per user come from their fds. */
	if (!err)
		err = sample_readings(ms, t, set, ns);
	ms->status.samples++;
	ms->status.cpu_ns += process_cpu_ns() - cpu0;
	return err;
}

const struct pool_snapshot *machine_sampler_pool(const struct machine_sampler *ms)
{
	return ms->pool_snap ? ms->pool_snap : pool_sampler_latest(ms->pool);
}

const struct handles_snapshot *machine_sampler_processes(const struct machine_sampler *ms)
{
	return ms->have_procs ? &ms->procs : NULL;
}

const struct handle_resource_readings *machine_sampler_readings(const struct machine_sampler *ms)
{
	return ms->have_readings ? &ms->readings : NULL;
}

const struct handle_resources *machine_sampler_resources(const struct machine_sampler *ms)
{
	return ms->have_readings ? &ms->resources : NULL;
}

const struct psi *machine_sampler_psi(const struct machine_sampler *ms)
{
	return ms->have_psi ? &ms->psi : NULL;
}

const struct memcg_list *machine_sampler_memcgs(const struct machine_sampler *ms)
{
	return ms->memcgs.version ? &ms->memcgs : NULL;
}

const struct symtab *machine_sampler_ksyms(const struct machine_sampler *ms)
{
	return pool_sampler_ksyms(ms->pool);
}

void machine_sampler_status(const struct machine_sampler *ms, struct machine_sampler_status *out)
{
	struct pool_sampler_status ps;
	const struct pool_snapshot *snap = machine_sampler_pool(ms);

	*out = ms->status;
	pool_sampler_status(ms->pool, &ps);
	out->counters = ps.counters;
	out->slabinfo = ps.slabinfo;
	out->counter_misses = snap ? snap->missed_events : 0;
}

void machine_sampler_stop_counters(struct machine_sampler *ms, const char *why)
{
	pool_sampler_stop_counters(ms->pool, why);
}

void machine_sampler_stop(struct machine_sampler *ms)
{
	if (!ms)
		return;
	pool_sampler_stop(ms->pool);
	handles_iter_close(ms->iter);
	if (ms->have_procs)
		handles_snapshot_free(&ms->procs);
	if (ms->have_readings)
		handle_resources_readings_release(&ms->readings);
	handle_resources_free(&ms->resources);
	memcg_list_free(&ms->memcgs);
	notes_release(&ms->scan_notes);
	free(ms);
}
