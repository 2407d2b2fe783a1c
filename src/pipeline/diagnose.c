/* The phases of diagnose.h over the library's samplers, recorder and
 * analyses. The counting loop runs on its own until the targets are chosen,
 * then inside the recorder's tick, so sampling never stops while stacks are
 * taken. */
#include "pipeline/diagnose.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/diagnosis.h"
#include "analysis/group.h"
#include "analysis/outstanding.h"
#include "analysis/trace_analysis.h"
#include "analysis/userstacks.h"
#include "bpf/file_owners.h"
#include "kernel/cgroup.h"
#include "kernel/memcg.h"
#include "kernel/ksyms.h"
#include "model/machine_sampler.h"
#include "model/series.h"
#include "trace/recorder.h"
#include "util/globlist.h"
#include "util/notes.h"
#include "util/timeutil.h"

#define MAX_TARGETS 8

struct run {
	const struct diagnose_opts *opts;
	const struct diagnose_hooks *hooks;
	struct diagnosis *out;
	struct notes *notes;
	struct machine_sampler *ms;
	struct series_set *set;
	uint64_t t0_ns, end_ns, next_ns;
	bool stopped;
	int sample_err;
	/* inputs of the verdict, rebuilt from the latest snapshots */
	struct diag_process *procs;
	size_t nprocs;
	struct diag_cache *caches;
	size_t ncaches;
	struct diag_sysv_queue *queues;
	size_t nqueues;
	struct diag_stack *stacks;
	size_t nstacks;
	struct diag_owner *owners;
	size_t nowners, owners_cap;
	uint64_t recorded_events;
	/* the stack phase */
	char targets[MAX_TARGETS][64];
	size_t ntargets;
	/* The slab counters stop when the recorder starts; the caches whose
	 * frees they had found partly untraced by then stay so marked. */
	bool counters_stopped;
	char (*inexact)[64];
	size_t ninexact;
	int trace_fd;
	char trace_path[64];
	struct symtab *own_ksyms;
};

void diagnose_opts_init(struct diagnose_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->duration_ns = 60000000000ull;
	o->interval_ns = 1000000000ull;
	o->target_at = 0.4;
}

static double elapsed_s(const struct run *r)
{
	return (double)(monotonic_ns() - r->t0_ns) / 1e9;
}

static bool user_stop(struct run *r)
{
	if (!r->stopped && r->hooks && r->hooks->should_stop && r->hooks->should_stop(r->hooks->ctx))
		r->stopped = true;
	return r->stopped;
}

static void progress(struct run *r, const char *phase)
{
	if (r->hooks && r->hooks->progress)
		r->hooks->progress(r->hooks->ctx, phase, elapsed_s(r),
				   (double)r->opts->duration_ns / 1e9);
}

static int sample(struct run *r)
{
	int err = machine_sampler_sample(r->ms, elapsed_s(r), r->set, r->notes);

	r->next_ns += r->opts->interval_ns;
	if (err)
		r->sample_err = err;
	return err;
}

/* ---- the verdict's inputs from the latest snapshots ---- */

static int build_procs(struct run *r, bool units)
{
	const struct handles_snapshot *snap = machine_sampler_processes(r->ms);
	int i;

	free(r->procs);
	r->procs = NULL;
	r->nprocs = 0;
	if (!snap || !snap->count)
		return 0;
	r->procs = calloc((size_t)snap->count, sizeof(*r->procs));
	if (!r->procs)
		return -ENOMEM;
	for (i = 0; i < snap->count; i++) {
		const struct proc_handles *p = &snap->procs[i];
		struct diag_process *d = &r->procs[r->nprocs++];

		d->pid = p->pid;
		d->start = p->starttime;
		d->uid = p->uid;
		snprintf(d->comm, sizeof(d->comm), "%s", p->comm);
		if (units && cgroup_unit_of_pid(p->pid, d->unit, sizeof(d->unit)))
			d->unit[0] = '\0';
	}
	return 0;
}

static bool was_inexact(const struct run *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ninexact; i++)
		if (!strcmp(r->inexact[i], name))
			return true;
	return false;
}

static int build_caches(struct run *r)
{
	const struct pool_snapshot *snap = machine_sampler_pool(r->ms);
	size_t i;

	free(r->caches);
	r->caches = NULL;
	r->ncaches = 0;
	if (!snap || !snap->count)
		return 0;
	r->caches = calloc(snap->count, sizeof(*r->caches));
	if (!r->caches)
		return -ENOMEM;
	for (i = 0; i < snap->count; i++) {
		const struct pool_tag *t = &snap->tags[i];
		struct diag_cache *c = &r->caches[r->ncaches++];
		size_t k, len = 0;

		snprintf(c->name, sizeof(c->name), "%s", t->name);
		c->reclaimable = t->have_type && t->reclaimable;
		c->frees_exact = t->frees_exact && !was_inexact(r, t->name);
		c->objsize = t->size;
		for (k = 0; t->group && k < (size_t)t->group->nnames && len + 1 < sizeof(c->names); k++)
			len += (size_t)snprintf(c->names + len, sizeof(c->names) - len, "%s%s",
						k ? "," : "", t->group->names[k]);
	}
	return 0;
}

static int build_queues(struct run *r)
{
	const struct handle_resource_readings *rd = machine_sampler_readings(r->ms);
	int i;

	free(r->queues);
	r->queues = NULL;
	r->nqueues = 0;
	if (!rd || !rd->ipc.count)
		return 0;
	r->queues = calloc((size_t)rd->ipc.count, sizeof(*r->queues));
	if (!r->queues)
		return -ENOMEM;
	for (i = 0; i < rd->ipc.count; i++) {
		const struct ipc_object *o = &rd->ipc.objects[i];
		struct diag_sysv_queue *q;

		if (o->kind != IPC_KIND_MSG)
			continue;
		q = &r->queues[r->nqueues++];
		q->msqid = (int)o->id;
		q->uid = o->uid;
		q->lspid = o->cpid; /* /proc/sysvipc/msg keeps the last sender's pid */
		q->bytes = o->bytes;
		q->messages = o->count;
		q->qbytes = rd->ipc_limits.msgmnb;
	}
	return 0;
}

static void inputs(const struct run *r, struct diagnosis_inputs *in)
{
	memset(in, 0, sizeof(*in));
	in->series = r->set;
	in->procs = r->procs;
	in->nprocs = r->nprocs;
	in->caches = r->caches;
	in->ncaches = r->ncaches;
	in->queues = r->queues;
	in->nqueues = r->nqueues;
	in->stacks = r->stacks;
	in->nstacks = r->nstacks;
	in->owners = r->owners;
	in->nowners = r->nowners;
	in->recorded_events = r->recorded_events;
	in->self_pid = getpid();
	in->duration_s = elapsed_s(r);
}

/* ---- counting ---- */

/* Sample until `until` (monotonic ns), a user stop or the end. */
static int count_until(struct run *r, uint64_t until)
{
	int err;

	while (!user_stop(r)) {
		uint64_t now = monotonic_ns();

		if (now >= until)
			return 0;
		if (now >= r->next_ns) {
			err = sample(r);
			if (err)
				return err;
			progress(r, "counting");
			continue;
		}
		sleep_ns_interruptible((r->next_ns < until ? r->next_ns : until) - now);
	}
	return 0;
}

/* ---- stacks ---- */

static bool rec_should_stop(void *ctx)
{
	return user_stop(ctx);
}

static int rec_tick(void *ctx, const struct recorder_progress *p)
{
	struct run *r = ctx;

	(void)p;
	if (monotonic_ns() >= r->next_ns && monotonic_ns() < r->end_ns) {
		if (sample(r))
			return 1;
		progress(r, "recording");
	}
	return 0;
}

static int open_trace_file(struct run *r, char *why, size_t whylen)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !*dir)
		dir = "/tmp";
	/* Unlinked from the start: the trace dies with this process, however
	 * it exits; /proc/self/fd/N reopens it for the writer and reader. */
	r->trace_fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (r->trace_fd < 0) {
		snprintf(why, whylen, "cannot create a temporary trace in %s: %s", dir,
			 strerror(errno));
		return -errno;
	}
	snprintf(r->trace_path, sizeof(r->trace_path), "/proc/self/fd/%d", r->trace_fd);
	return 0;
}

static int record(struct run *r, const struct symtab *ks, char *why, size_t whylen)
{
	struct recorder_opts ro;
	struct recorder_hooks rh = {0};
	struct recorder_summary sum = {0};
	struct globlist tags = {0};
	char options[512];
	size_t i, len = 0;
	int err;

	err = open_trace_file(r, why, whylen);
	if (err)
		return err;
	for (i = 0; i < r->ntargets; i++) {
		err = globlist_add(&tags, r->targets[i]);
		if (err)
			goto out;
		len += (size_t)snprintf(options + len, sizeof(options) - len, "%s%s",
					i ? "," : "diagnose --tag ", r->targets[i]);
		if (len >= sizeof(options))
			len = sizeof(options) - 1;
	}
	recorder_opts_init(&ro);
	ro.path = r->trace_path;
	ro.options_text = options;
	ro.probe.tags = &tags;
	ro.probe.kinds = RK_MASK(RK_SLAB);
	/* The allocating process's own call chain beside the kernel path, on
	 * the same stack budget: which function of the program leaks; unwound
	 * by .eh_frame too, for programs built without frame pointers (most
	 * of a distribution's). */
	ro.probe.user_stacks = !r->opts->no_user_stacks;
	ro.probe.user_stacks_dwarf = ro.probe.user_stacks;
	ro.duration_ns = r->end_ns > monotonic_ns() ? r->end_ns - monotonic_ns() : 1;
	err = recorder_opts_validate(&ro, why, whylen);
	if (err)
		goto out;
	rh.should_stop = rec_should_stop;
	rh.stop_reason = "stopped";
	rh.tick = rec_tick;
	rh.tick_ns = r->opts->interval_ns / 4 ? r->opts->interval_ns / 4 : 1;
	rh.ctx = r;
	err = recorder_run(&ro, &rh, ks, &sum, r->notes, why, whylen);
	r->out->lost.ringbuf += sum.lost_ringbuf;
	r->out->lost.map += sum.lost_map;
	r->out->lost.stacks += sum.lost_stack;
	r->out->lost.bpf_misses += sum.bpf_misses;
	r->recorded_events = sum.allocs + sum.frees;
	recorder_summary_release(&sum);
out:
	globlist_clear(&tags);
	return err;
}

struct live_files {
	const struct trace_analysis *ta;
	uint32_t filp_tag;
	bool have_tag;
	uint64_t *ptrs;
	struct alloc_site const **sites;
	size_t n, cap;
};

static int collect_file(void *ctx, uint64_t ptr, uint64_t ts_ns, const struct alloc_site *site)
{
	struct live_files *lf = ctx;

	if (ts_ns < lf->ta->from_ns || site->tag_id != lf->filp_tag)
		return 0;
	if (lf->n == lf->cap) {
		size_t cap = lf->cap ? lf->cap * 2 : 1024;
		uint64_t *p = realloc(lf->ptrs, cap * sizeof(*p));
		const struct alloc_site **s;

		if (!p)
			return -ENOMEM;
		lf->ptrs = p;
		s = realloc(lf->sites, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		lf->sites = s;
		lf->cap = cap;
	}
	lf->ptrs[lf->n] = ptr;
	lf->sites[lf->n++] = site;
	return 0;
}

static int add_owner(struct run *r, int alloc_pid, const char *alloc_comm, int holder_pid)
{
	size_t i;

	for (i = 0; i < r->nowners; i++) {
		if (r->owners[i].alloc_pid == alloc_pid && r->owners[i].holder_pid == holder_pid) {
			r->owners[i].files++;
			return 0;
		}
	}
	if (r->nowners == r->owners_cap) {
		size_t cap = r->owners_cap ? r->owners_cap * 2 : 16;
		struct diag_owner *v = realloc(r->owners, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->owners = v;
		r->owners_cap = cap;
	}
	r->owners[r->nowners] = (struct diag_owner){
	    .alloc_pid = alloc_pid, .holder_pid = holder_pid, .files = 1};
	snprintf(r->owners[r->nowners].alloc_comm, sizeof(r->owners[0].alloc_comm), "%s",
		 alloc_comm);
	r->nowners++;
	return 0;
}

/* Who holds the recorded struct files that are still outstanding: exact,
 * from the fd tables, right after the recording (they are still held). */
static int match_files(struct run *r, const struct trace_analysis *ta, uint32_t filp_tag)
{
	struct live_files lf = {.ta = ta, .filp_tag = filp_tag};
	struct file_owner *owners = NULL;
	size_t i;
	int err;

	err = outstanding__each_live(ta->outstanding, collect_file, &lf);
	if (err || !lf.n)
		goto out;
	owners = calloc(lf.n, sizeof(*owners));
	if (!owners) {
		err = -ENOMEM;
		goto out;
	}
	err = file_owners_find(lf.ptrs, lf.n, owners);
	if (err) {
		diagnosis_checked_skip(r->out, "holders of recorded files: the BPF task_file "
					       "iterator is not available (%s)",
				       strerror(-err));
		err = 0;
		goto out;
	}
	diagnosis_checked_source(r->out, "holders of %zu recorded struct files (BPF task_file)",
				 lf.n);
	for (i = 0; i < lf.n && !err; i++)
		err = add_owner(r, (int)lf.sites[i]->tgid,
				trace_names__string(&ta->names, lf.sites[i]->comm_id),
				owners[i].tgid);
out:
	free(owners);
	free(lf.ptrs);
	free(lf.sites);
	return err;
}

static int cmp_stack(const void *a, const void *b)
{
	const struct diag_stack *x = a, *y = b;

	return x->aifo < y->aifo ? 1 : x->aifo > y->aifo ? -1 : 0;
}

/* Each allocating path, per process that allocated on it, with what is
 * still outstanding of it (AIFO), largest first; the largest ones only. */
#define MAX_STACK_ROWS 512

static int fold_stacks(struct run *r, const struct trace_analysis *ta)
{
	static const enum group_dim dims[] = {GD_TAG, GD_STACK, GD_PROCESS};
	struct group_opts g = trace_analysis__group_opts(ta, dims, 3, 1u << AC_AIFO);
	struct grouping *grouping = NULL;
	size_t i, n, cap;
	int err;

	err = group__build(ta->outstanding, &g, &grouping);
	if (err)
		return err;
	n = grouping__nrows(grouping);
	cap = n;
	r->stacks = calloc(cap ? cap : 1, sizeof(*r->stacks));
	if (!r->stacks) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct group_row *row = grouping__row(grouping, i);
		struct diag_stack *st;

		if (!row->outstanding)
			continue;
		st = &r->stacks[r->nstacks++];
		snprintf(st->tag, sizeof(st->tag), "%s",
			 trace_names__string(&ta->names, row->site->tag_id));
		st->aifo = st->alloc_pid_aifo = row->outstanding;
		st->aifo_bytes = row->outstanding_bytes;
		st->alloc_pid = (int)row->site->tgid;
		snprintf(st->alloc_comm, sizeof(st->alloc_comm), "%s",
			 trace_names__string(&ta->names, row->site->comm_id));
		st->stack_id = row->site->stack_id;
	}
	qsort(r->stacks, r->nstacks, sizeof(*r->stacks), cmp_stack);
	if (r->nstacks > MAX_STACK_ROWS)
		r->nstacks = MAX_STACK_ROWS;
	/* Frames only for the rows kept. */
	for (i = 0; i < r->nstacks; i++) {
		struct diag_stack *st = &r->stacks[i];
		const uint64_t *ips;
		int depth = trace_names__stack(&ta->names, st->stack_id, &ips), f;

		for (f = 0; f < depth && f < FINDING_FRAMES; f++)
			trace_names__frame(&ta->names, ips[f], st->frames[f], sizeof(st->frames[f]));
		st->nframes = (size_t)(f > 0 ? f : 0);
		if (ta->ustacks) {
			const struct user_frame *uf;
			const char *what;
			int nu = userstacks__frames(ta->ustacks, st->stack_id, &uf, &what);

			snprintf(st->ustack_kind, sizeof(st->ustack_kind), "%s", what);
			for (f = 0; f < nu && f < FINDING_UFRAMES; f++)
				snprintf(st->uframes[f], sizeof(st->uframes[f]), "%s", uf[f].frame);
			st->nuframes = (size_t)(f > 0 ? f : 0);
		}
	}
out:
	grouping__free(grouping);
	return err;
}

static int analyse_trace(struct run *r)
{
	struct trace_analysis *ta = NULL;
	struct trace_analysis_opts o;
	char err_text[512];
	uint32_t t;
	int err;

	err = trace_analysis__open(r->trace_path, &ta, err_text, sizeof(err_text));
	if (err)
		goto fail;
	trace_analysis_opts_init(&o);
	err = trace_analysis__run(ta, &o, err_text, sizeof(err_text));
	if (err)
		goto fail;
	err = fold_stacks(r, ta);
	for (t = 0; !err && t < ta->ntags; t++) {
		if (strcmp(trace_names__string(&ta->names, ta->tags[t].tag_id), "filp") == 0)
			err = match_files(r, ta, ta->tags[t].tag_id);
	}
	trace_analysis__free(ta);
	return err;
fail:
	diagnosis_checked_skip(r->out, "the recorded stacks could not be read back: %s", err_text);
	trace_analysis__free(ta);
	return err == -ENOMEM ? err : 0;
}

/* The recorder counts the traced caches' allocations exactly, on the same
 * tracepoints as the slab counters: both at once cost the traced workload
 * the two programs' sum (measured: 0.35-0.49 of its untraced rate against
 * 0.46-0.68 under `record --tag` alone). The growth verdict reads object
 * counts, not the counters, so they stop here; what they found (frees
 * partly untraced) is kept. */
static int stop_counters(struct run *r)
{
	size_t i;

	r->inexact = calloc(r->ncaches ? r->ncaches : 1, sizeof(*r->inexact));
	if (!r->inexact)
		return -ENOMEM;
	for (i = 0; i < r->ncaches; i++)
		if (!r->caches[i].frees_exact)
			snprintf(r->inexact[r->ninexact++], sizeof(r->inexact[0]), "%s",
				 r->caches[i].name);
	machine_sampler_stop_counters(r->ms, "stopped for the stack phase");
	r->counters_stopped = true;
	return 0;
}

static int stack_phase(struct run *r, char *why, size_t whylen)
{
	struct diagnosis_inputs in;
	const struct symtab *ks;
	size_t i;
	int err;

	err = build_procs(r, false);
	if (!err)
		err = build_caches(r);
	if (err)
		return err;
	inputs(r, &in);
	r->ntargets = diagnosis_stack_targets(&in, r->targets, MAX_TARGETS);
	if (!r->ntargets)
		return 0;
	for (i = 0; i < r->ntargets; i++)
		snprintf(r->out->checked.recorded_tags[i], sizeof(r->out->checked.recorded_tags[0]),
			 "%s", r->targets[i]);
	r->out->checked.nrecorded = r->ntargets;
	ks = machine_sampler_ksyms(r->ms);
	if (!ks && ksyms__load(&r->own_ksyms, r->notes) == 0)
		ks = r->own_ksyms;
	err = stop_counters(r);
	if (err)
		return err;
	progress(r, "recording");
	err = record(r, ks, why, whylen);
	if (err) {
		/* Counting goes on without stacks: say what was missed. */
		diagnosis_checked_skip(r->out, "stacks: %s", why);
		why[0] = '\0';
		return err == -ENOMEM ? err : 0;
	}
	progress(r, "analysing");
	return analyse_trace(r);
}

/* ---- the run ---- */

static void say_sources(struct run *r)
{
	struct machine_sampler_status st;
	const struct memcg_list *memcgs;

	machine_sampler_status(r->ms, &st);
	r->out->checked.samples = st.samples;
	r->out->lost.counter_misses = st.counter_misses;
	diagnosis_checked_source(r->out, "slab caches (%s%s)",
				 st.slabinfo ? "/proc/slabinfo, /sys/kernel/slab" : "/sys/kernel/slab",
				 st.counters	       ? ", eBPF counters"
				 : r->counters_stopped ? ", eBPF counters until the stack phase"
						       : "");
	if (!st.slabinfo)
		diagnosis_checked_skip(r->out, "slab objects and bytes: /proc/slabinfo is readable "
					       "only by root");
	diagnosis_checked_source(r->out, "fds by type, threads, mappings, inotify watches of "
					 "every process (%s)",
				 st.used_bpf ? "BPF task_file iterator" : "/proc/PID/fd");
	if (st.process_every > 1)
		diagnosis_checked_skip(r->out, "processes were sampled every %u intervals only: "
					       "one scan took %.0f ms of CPU",
				       st.process_every, (double)st.process_scan_ns / 1e6);
	diagnosis_checked_source(r->out, "keys per user, SysV IPC and POSIX queues, file-nr, "
					 "threads and pids against their limits");
	diagnosis_checked_source(r->out, "meminfo");
	if (r->opts->no_stacks)
		diagnosis_checked_skip(r->out, "kernel stacks (--no-stacks)");
	else if (geteuid() != 0 && !r->ntargets)
		diagnosis_checked_skip(r->out, "kernel stacks: recording needs root (CAP_BPF and "
					       "CAP_PERFMON)");
	memcgs = machine_sampler_memcgs(r->ms);
	if (memcgs)
		diagnosis_checked_source(r->out, "memory cgroups' usage against their limits and "
						 "their kernel memory (%d cgroups, cgroup v%d%s)",
					 memcgs->count, memcgs->version,
					 memcgs->version == 1 ? ": no slab breakdown" : "");
	else
		diagnosis_checked_skip(r->out, "memory cgroups: no memory controller mounted");
	if (machine_sampler_psi(r->ms))
		diagnosis_checked_source(r->out, "memory pressure (/proc/pressure/memory)");
	else
		diagnosis_checked_skip(r->out, "memory pressure: no /proc/pressure/memory (PSI)");
}

static void release(struct run *r)
{
	machine_sampler_stop(r->ms);
	free(r->procs);
	free(r->caches);
	free(r->inexact);
	free(r->queues);
	free(r->stacks);
	free(r->owners);
	symtab__free(r->own_ksyms);
	if (r->trace_fd >= 0)
		close(r->trace_fd);
}

int diagnose_run(const struct diagnose_opts *opts, const struct diagnose_hooks *hooks,
		 struct diagnosis *out, struct series_set **series, struct notes *notes, char *why,
		 size_t whylen)
{
	struct run r = {.opts = opts, .hooks = hooks, .out = out, .notes = notes, .trace_fd = -1};
	struct machine_sampler_opts mo;
	struct diagnosis_inputs in;
	uint64_t target_ns;
	int err;

	why[0] = '\0';
	if (series)
		*series = NULL;
	r.set = series_set_new();
	if (!r.set)
		return -ENOMEM;
	machine_sampler_opts_init(&mo);
	mo.no_counters = opts->no_counters;
	mo.pids = opts->pids;
	mo.npids = opts->npids;
	mo.names = opts->names;
	mo.interval_ns = opts->interval_ns;
	err = machine_sampler_start(&r.ms, &mo, notes);
	if (err) {
		snprintf(why, whylen, "cannot start sampling: %s", strerror(-err));
		goto out;
	}
	r.t0_ns = r.next_ns = monotonic_ns();
	r.end_ns = r.t0_ns + opts->duration_ns;
	target_ns = r.t0_ns + (uint64_t)((double)opts->duration_ns * opts->target_at);
	if (target_ns < r.t0_ns + DIAGNOSE_MIN_TARGET_SAMPLES * opts->interval_ns)
		target_ns = r.t0_ns + DIAGNOSE_MIN_TARGET_SAMPLES * opts->interval_ns;
	if (target_ns > r.end_ns)
		target_ns = r.end_ns;
	err = count_until(&r, opts->no_stacks ? r.end_ns : target_ns);
	if (!err && !opts->no_stacks && !r.stopped)
		err = stack_phase(&r, why, whylen);
	if (!err)
		err = count_until(&r, r.end_ns);
	if (err && r.sample_err) {
		snprintf(why, whylen, "sampling failed: %s", strerror(-err));
		goto out;
	}
	if (err)
		goto out;
	/* The last sample of everything, then the verdict. */
	if (!r.stopped && sample(&r) != 0) {
		snprintf(why, whylen, "sampling failed: %s", strerror(-r.sample_err));
		err = r.sample_err;
		goto out;
	}
	err = build_procs(&r, true);
	if (!err)
		err = build_caches(&r);
	if (!err)
		err = build_queues(&r);
	if (err)
		goto out;
	say_sources(&r);
	out->checked.duration_s = elapsed_s(&r);
	out->checked.processes = (unsigned int)r.nprocs;
	out->checked.caches = (unsigned int)r.ncaches;
	inputs(&r, &in);
	err = diagnosis_build(&in, out);
	if (err)
		snprintf(why, whylen, "the verdict failed: %s", strerror(-err));
out:
	release(&r);
	if (!err && series)
		*series = r.set;
	else
		series_set_free(r.set);
	return err;
}
