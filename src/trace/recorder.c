/* Recording session: BPF probe → trace writer. See recorder.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "util/symtab.h"
#include "kernel/slabinfo.h"
#include "trace/recorder.h"
#include "trace/recorder_int.h"
#include "trace/trace.h"
#include "util/globlist.h"
#include "util/hashmap.h"
#include "util/notes.h"
#include "util/procfs.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

#define EVENT_SLOT sizeof(struct rec_alloc_event)


static uint32_t tag_id(struct recorder *rc, const char *name)
{
	uint32_t id = trace_writer__string(rc->w, name);

	if (id == UINT32_MAX)
		return id;
	if (id >= rc->tag_names_cap) {
		uint32_t cap = rc->tag_names_cap ? rc->tag_names_cap : 256;

		while (cap <= id)
			cap *= 2;
		char **grown = realloc(rc->tag_names, cap * sizeof(*grown));

		if (!grown)
			return UINT32_MAX;
		memset(grown + rc->tag_names_cap, 0, (cap - rc->tag_names_cap) * sizeof(*grown));
		rc->tag_names = grown;
		rc->tag_names_cap = cap;
	}
	if (!rc->tag_names[id] && !(rc->tag_names[id] = strdup(name)))
		return UINT32_MAX;
	return id;
}

struct tag_stat *recorder_tag_stat(struct recorder *rc, uint32_t id)
{
	if (id == UINT32_MAX)
		return NULL;
	if (id >= rc->tag_stats_cap) {
		uint32_t cap = rc->tag_stats_cap ? rc->tag_stats_cap : 64;

		while (cap <= id)
			cap *= 2;
		struct tag_stat *grown = realloc(rc->tag_stats, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		memset(grown + rc->tag_stats_cap, 0, (cap - rc->tag_stats_cap) * sizeof(*grown));
		rc->tag_stats = grown;
		rc->tag_stats_cap = cap;
	}
	return &rc->tag_stats[id];
}

/* Name every kmem_cache that exists now. Caches are named once; a pointer
 * seen before its cache was listed triggers one refresh (rate-limited). */
static int refresh_cache_names(struct recorder *rc)
{
	struct rec_cache_name *names;
	size_t n;
	int err = record_probe__cache_names(rc->rp, &names, &n);

	rc->last_name_refresh = monotonic_ns();
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		if (u64map_find(rc->cache_tags, names[i].cache))
			continue;
		uint32_t id = tag_id(rc, names[i].name);

		err = id == UINT32_MAX ? -ENOMEM : u64map_set(rc->cache_tags, names[i].cache, id);
	}
	free(names);
	return err;
}

uint32_t recorder_event_tag(struct recorder *rc, const struct rec_event *ev)
{
	uint64_t *found;
	char name[64];

	switch (ev->kind) {
	case RK_PAGE:
		return rc->page_tags[ev->order & 31];
	case RK_PERCPU:
		return rc->percpu_tag;
	case RK_VMALLOC:
		return rc->vmalloc_tag;
	}
	if (!ev->cache)
		return ev->kind == RK_KMALLOC ? rc->large_tag : rc->empty_tag;
	found = u64map_find(rc->cache_tags, ev->cache);
	if (found)
		return (uint32_t)*found;
	if (monotonic_ns() - rc->last_name_refresh > 100000000ull) {
		refresh_cache_names(rc);
		found = u64map_find(rc->cache_tags, ev->cache);
		if (found)
			return (uint32_t)*found;
	}
	/* A cache destroyed before we could list it: say so, keyed by address. */
	snprintf(name, sizeof(name), "slab-%llx", (unsigned long long)ev->cache);
	uint32_t id = tag_id(rc, name);

	if (id != UINT32_MAX)
		u64map_set(rc->cache_tags, ev->cache, id);
	return id;
}

/* The trace's stack id for a BPF stack id, writing the stack the first time. */
uint32_t recorder_event_stack(struct recorder *rc, int32_t bpf_id)
{
	uint64_t ips[REC_MAX_DEPTH];
	int depth;

	if (bpf_id < 0)
		return TRACE_NO_STACK;
	if (u64map_find(rc->stacks_known, (uint64_t)bpf_id))
		return (uint32_t)bpf_id;
	depth = record_probe__stack(rc->rp, (uint32_t)bpf_id, ips, REC_MAX_DEPTH);
	if (depth < 0) {
		rc->sum->lost_stack++;
		return TRACE_NO_STACK;
	}
	for (int i = 0; i < depth; i++)
		recorder_note_addr(rc, ips[i]);
	if (trace_writer__stack(rc->w, (uint32_t)bpf_id, ips, depth) ||
	    u64map_set(rc->stacks_known, (uint64_t)bpf_id, 1))
		return TRACE_NO_STACK;
	return (uint32_t)bpf_id;
}

/* Say once that stack_id stands for unwalked allocations of its path
 * (stacks_known: 1 written, 2 also said to be an estimate). */
int recorder_stack_estimated(struct recorder *rc, uint32_t stack_id)
{
	uint64_t *known = u64map_find(rc->stacks_known, stack_id);
	int err;

	if (!known || *known == 2)
		return 0;
	err = trace_writer__stack_estimated(rc->w, stack_id);
	if (!err)
		*known = 2;
	return err;
}

/* Slab and kmalloc pointers share a key space (kfree frees any slab object). */
static uint64_t live_key(uint8_t kind, uint64_t ptr)
{
	return ptr ^ ((uint64_t)(kind == RK_KMALLOC ? RK_SLAB : kind) << 59);
}

/* The summary's outstanding counts: objects allocated while recording and
 * not freed since. Bookkeeping only; the trace holds the events themselves. */
static void live_alloc(struct recorder *rc, uint8_t kind, uint64_t ptr, uint32_t tag, uint64_t bytes)
{
	uint64_t key = live_key(kind, ptr), old;
	struct tag_stat *ts;

	if (bytes > UINT32_MAX)
		bytes = UINT32_MAX;
	if (u64map_remove(rc->live, key, &old) && (ts = recorder_tag_stat(rc, (uint32_t)(old >> 32)))) {
		/* Its free was never seen: lost (counted in TR_LOST) or through a
		 * path the tracepoints miss (bulk and RCU batch frees). */
		ts->outstanding--;
		ts->outstanding_bytes -= (int64_t)(old & UINT32_MAX);
		ts->frees_unseen++;
	}
	if (u64map_set(rc->live, key, (uint64_t)tag << 32 | bytes) == 0 && (ts = recorder_tag_stat(rc, tag))) {
		ts->outstanding++;
		ts->outstanding_bytes += (int64_t)bytes;
	}
}

static void live_free(struct recorder *rc, uint8_t kind, uint64_t ptr, struct tag_stat *freed_as)
{
	uint64_t old;
	struct tag_stat *ts;

	if (!u64map_remove(rc->live, live_key(kind, ptr), &old)) {
		rc->sum->unmatched_frees++;
		if (freed_as)
			freed_as->frees_before++;
		return;
	}
	ts = recorder_tag_stat(rc, (uint32_t)(old >> 32));
	if (ts) {
		ts->outstanding--;
		ts->outstanding_bytes -= (int64_t)(old & UINT32_MAX);
	}
}

static int write_event(struct recorder *rc, const void *rec, size_t size)
{
	const struct rec_event *ev = rec;
	uint32_t tag;
	struct tag_stat *ts;

	/* No object: a raw user stack for the event after it. */
	if (ev->type == RT_USTACK_RAW)
		return recorder_uraw(rc, rec, size);
	tag = recorder_event_tag(rc, ev);
	ts = recorder_tag_stat(rc, tag);

	if (tag == UINT32_MAX)
		return -ENOMEM;
	recorder_note_addr(rc, ev->call_site);
	if (ev->type == RT_ALLOC && size >= sizeof(struct rec_alloc_event)) {
		const struct rec_alloc_event *ae = rec;
		char comm[REC_COMM_LEN + 1];

		memcpy(comm, ae->comm, REC_COMM_LEN);
		comm[REC_COMM_LEN] = '\0';
		struct trace_alloc a = {
			.ts_ns = ev->ts, .ptr = ev->ptr, .call_site = ev->call_site,
			.bytes_req = ae->bytes_req, .bytes_alloc = ae->bytes_alloc, .tag_id = tag,
			.comm_id = trace_writer__string(rc->w, comm),
			.stack_id = recorder_event_stack(rc, ae->stack_id), .gfp_flags = ae->gfp_flags,
			.tgid = ev->tgid, .tid = ev->tid, .cpu = ev->cpu, .kind = ev->kind,
			.order = ev->order,
		};

		if (a.comm_id == UINT32_MAX)
			return -ENOMEM;
		int uerr = recorder_event_ustack(rc, ae, &a);

		if (uerr)
			return uerr;
		if ((ev->flags & REC_EF_PATH_STACK) && a.stack_id != TRACE_NO_STACK) {
			int err = recorder_stack_estimated(rc, a.stack_id);

			if (err)
				return err;
			rc->sum->path_stacks++;
		}
		rc->sum->allocs++;
		if (ts)
			ts->allocs++;
		live_alloc(rc, ev->kind, ev->ptr, tag, ae->bytes_alloc);
		return trace_writer__alloc(rc->w, &a);
	}
	if (ev->type != RT_FREE)
		return 0;
	struct trace_free f = {
		.ts_ns = ev->ts, .ptr = ev->ptr, .call_site = ev->call_site, .tag_id = tag,
		.tgid = ev->tgid, .tid = ev->tid, .cpu = ev->cpu, .kind = ev->kind,
	};

	rc->sum->frees++;
	if (ts)
		ts->frees++;
	live_free(rc, ev->kind, ev->ptr, ts);
	return trace_writer__free(rc->w, &f);
}

static int on_event(void *ctx, const void *rec, size_t size)
{
	struct recorder *rc = ctx;

	if (size < sizeof(struct rec_event) || rc->err)
		return 0;
	if (rc->flight) {
		uint8_t *slot = rc->flight + ((rc->flight_head + rc->flight_count) % rc->flight_slots) * EVENT_SLOT;

		memcpy(slot, rec, size < EVENT_SLOT ? size : EVENT_SLOT);
		if (rc->flight_count < rc->flight_slots)
			rc->flight_count++;
		else
			rc->flight_head = (rc->flight_head + 1) % rc->flight_slots;
		return 0;
	}
	if (rc->at_limit) {
		rc->sum->past_limit++;
		return 0;
	}
	rc->err = write_event(rc, rec, size);
	if (!rc->err && rc->opts->max_size && trace_writer__bytes(rc->w) >= rc->opts->max_size)
		rc->at_limit = true;
	return rc->err ? 1 : 0;
}

static int dump_flight(struct recorder *rc)
{
	int err = 0;

	for (size_t i = 0; i < rc->flight_count && !err; i++) {
		const uint8_t *slot = rc->flight + ((rc->flight_head + i) % rc->flight_slots) * EVENT_SLOT;
		const struct rec_event *ev = (const void *)slot;

		err = write_event(rc, slot, ev->type == RT_ALLOC ? EVENT_SLOT : sizeof(*ev));
	}
	rc->flight_head = rc->flight_count = 0;
	rc->sum->flight_dumps++;
	return err;
}

/* Per-CPU loss counts since the last TR_LOST of that CPU (deltas, so a
 * reader sums them), and the BPF recursion misses under cpu 0xffff. */
static int write_lost(struct recorder *rc)
{
	int ncpus = record_probe__ncpus(rc->rp), err;
	uint64_t now = monotonic_ns();

	err = record_probe__lost(rc->rp, rc->lost_now);
	if (err)
		return err;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		uint64_t *cur = &rc->lost_now[(size_t)cpu * LOST_NR];
		uint64_t *old = &rc->lost_written[(size_t)cpu * LOST_NR];
		struct trace_lost l = {
			.ts_ns = now, .cpu = (uint16_t)cpu,
			.ringbuf_full = cur[LOST_RINGBUF] - old[LOST_RINGBUF],
			.map_full = cur[LOST_MAP_FULL] - old[LOST_MAP_FULL] + cur[LOST_STACK] -
				    old[LOST_STACK],
		};

		rc->sum->lost_ringbuf += l.ringbuf_full;
		rc->sum->lost_map += cur[LOST_MAP_FULL] - old[LOST_MAP_FULL];
		rc->sum->lost_stack += cur[LOST_STACK] - old[LOST_STACK];
		rc->sum->unmatched_frees += cur[STAT_UNMATCHED_FREE] - old[STAT_UNMATCHED_FREE];
		memcpy(old, cur, LOST_NR * sizeof(*cur));
		if ((l.ringbuf_full || l.map_full) && (err = trace_writer__lost(rc->w, &l)))
			return err;
	}
	uint64_t misses = record_probe__recursion_misses(rc->rp);

	if (misses != rc->misses_written) {
		struct trace_lost l = { .ts_ns = now, .cpu = UINT16_MAX,
					.bpf_misses = misses - rc->misses_written };

		rc->sum->bpf_misses += l.bpf_misses;
		rc->misses_written = misses;
		err = trace_writer__lost(rc->w, &l);
	}
	return err;
}

/* End of one period: what makes the file consistent up to now. */
static int checkpoint(struct recorder *rc)
{
	int err = 0;

	/* With a tag filter, caches created since the start must be allowed in
	 * the kernel before their first event: list them every period. */
	if (rc->opts->probe.tags && !globlist_empty(rc->opts->probe.tags))
		err = refresh_cache_names(rc);
	if (!err && rc->opts->probe.aggregate)
		err = recorder_write_snapshot(rc);
	if (!err)
		err = write_lost(rc);
	if (!err)
		err = recorder_write_pending_syms(rc);
	if (!err)
		err = trace_writer__flush(rc->w);
	return err;
}

/* The header; options is the caller's text with the map sizes in effect,
 * defaults included: a trace with map_full losses says how big the maps were. */
static int fill_header(struct trace_header *hdr, const struct recorder_opts *o,
		       struct strbuf *options)
{
	struct utsname uts;

	memset(hdr, 0, sizeof(*hdr));
	hdr->version = 1;
	if (uname(&uts) == 0) {
		snprintf(hdr->hostname, sizeof(hdr->hostname), "%s", uts.nodename);
		snprintf(hdr->kernel_release, sizeof(hdr->kernel_release), "%s", uts.release);
	}
	procfs_read_line(-1, "/proc/sys/kernel/random/boot_id", hdr->boot_id, sizeof(hdr->boot_id));
	hdr->boot_id[strcspn(hdr->boot_id, "\n")] = '\0';
	hdr->aggregate = o->probe.aggregate;
	hdr->stacks = o->probe.stacks;
	hdr->user_stacks = o->probe.stacks && o->probe.user_stacks;
	hdr->sample_every = o->probe.sample_every ? o->probe.sample_every : 1;
	hdr->stack_rate = o->probe.stacks ? o->probe.stack_rate : 0;
	if (strbuf_puts(options, o->options_text ? o->options_text : ""))
		return -ENOMEM;
	if (o->probe.stacks &&
	    strbuf_printf(options, " [stack-buckets=%u]",
			  o->probe.max_stacks ? o->probe.max_stacks : REC_DEFAULT_STACKS))
		return -ENOMEM;
	if (hdr->stack_rate && strbuf_printf(options, " [stack-rate=%u]", hdr->stack_rate))
		return -ENOMEM;
	if ((o->probe.aggregate || record_probe_opts_live_set(&o->probe)) &&
	    strbuf_printf(options, " [max-outstanding=%u]",
			  o->probe.max_outstanding ? o->probe.max_outstanding
						   : REC_DEFAULT_OUTSTANDING))
		return -ENOMEM;
	hdr->options = strbuf_str(options);
	return 0;
}

static int setup_tags(struct recorder *rc)
{
	char name[32];

	rc->empty_tag = tag_id(rc, ""); /* id 0: the comm of every free */
	rc->percpu_tag = tag_id(rc, "percpu");
	rc->vmalloc_tag = tag_id(rc, "vmalloc");
	rc->large_tag = tag_id(rc, "kmalloc-large");
	for (int order = 0; order < 11; order++) {
		snprintf(name, sizeof(name), "page-order-%d", order);
		rc->page_tags[order] = tag_id(rc, name);
	}
	for (int order = 11; order < 32; order++)
		rc->page_tags[order] = rc->page_tags[10];
	return rc->page_tags[10] == UINT32_MAX ? -ENOMEM : 0;
}

/* Tags whose frees the kernel does not all trace (bulk and RCU batch
 * frees have no tracepoint, and fentry is refused here): their outstanding
 * counts only grow. Either of two proofs marks a tag, in the trace and the
 * summary:
 *  - events mode: more of its objects were allocated again at an address
 *    still live than events were lost in all (ring buffer, recursion
 *    misses): each such reuse is a free never seen, and losses cannot
 *    explain them all (not with --ring, whose overwritten events would);
 *  - more of its objects outstanding than its cache holds at all:
 *    /proc/slabinfo's active objects, the larger of a read before and one
 *    after the final drain (SLUB counts its CPU slabs' free objects as
 *    active, so that number only overstates). */
static int mark_untraced_frees(struct recorder *rc, const struct slabinfo *before,
			       const struct slabinfo *after)
{
	uint64_t lost = rc->sum->lost_ringbuf + rc->sum->bpf_misses;
	int err = 0;

	for (uint32_t id = 0; id < rc->tag_stats_cap && !err; id++) {
		struct tag_stat *ts = &rc->tag_stats[id];
		const char *name = id < rc->tag_names_cap ? rc->tag_names[id] : NULL;
		const struct slabinfo_row *b, *a;
		uint64_t active = 0;

		if (!name || !ts->outstanding)
			continue;
		b = before ? slabinfo_find(before, name) : NULL;
		a = after ? slabinfo_find(after, name) : NULL;
		if (b)
			active = b->active_objs;
		if (a && a->active_objs > active)
			active = a->active_objs;
		if ((!rc->flight && ts->frees_unseen > lost) ||
		    ((a || b) && (uint64_t)ts->outstanding > active)) {
			ts->frees_not_exact = true;
			err = trace_writer__frees_not_exact(rc->w, name);
		}
	}
	return err;
}

static int cmp_tag_net(const void *a, const void *b)
{
	const struct recorder_tag *x = a, *y = b;

	if (x->outstanding_bytes != y->outstanding_bytes)
		return x->outstanding_bytes < y->outstanding_bytes ? 1 : -1;
	if (x->outstanding != y->outstanding)
		return x->outstanding < y->outstanding ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void fill_summary_tags(struct recorder *rc)
{
	struct recorder_summary *sum = rc->sum;
	size_t n = 0;

	sum->tags = calloc(rc->tag_stats_cap ? rc->tag_stats_cap : 1, sizeof(*sum->tags));
	if (!sum->tags)
		return;
	for (uint32_t id = 0; id < rc->tag_stats_cap; id++) {
		const struct tag_stat *ts = &rc->tag_stats[id];
		struct recorder_tag *t;

		if (!ts->allocs && !ts->frees && !ts->outstanding)
			continue;
		t = &sum->tags[n++];
		t->allocs = ts->allocs;
		t->frees = ts->frees;
		t->frees_before = ts->frees_before;
		t->frees_unseen = ts->frees_unseen;
		t->frees_exact = !ts->frees_not_exact;
		t->outstanding = ts->outstanding;
		t->outstanding_bytes = ts->outstanding_bytes;
		snprintf(t->name, sizeof(t->name), "%s",
			 id < rc->tag_names_cap && rc->tag_names[id] ? rc->tag_names[id] : "?");
	}
	sum->ntags = n;
	qsort(sum->tags, n, sizeof(*sum->tags), cmp_tag_net);
}

/* A --pid that names no process records nothing until a process with that
 * pid starts: say so at once (a typo would otherwise record an empty trace).
 * Pid 0 is the idle task: it exists without a /proc entry. */
static void note_missing_pids(const struct record_probe_opts *p, struct notes *notes)
{
	char list[256] = "";
	size_t used = 0, missing = 0;

	for (size_t i = 0; i < p->npids && notes; i++) {
		if (!p->pids[i] || kill((pid_t)p->pids[i], 0) == 0 || errno != ESRCH)
			continue;
		missing++;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%u",
						 used ? "," : "", p->pids[i]);
	}
	if (missing)
		notes_add(notes, "record-pid-missing",
			  "--pid %s: no such process%s now; only a process started later with %s "
			  "will be recorded",
			  list, missing > 1 ? "es" : "", missing > 1 ? "those pids" : "that pid");
}

static bool caller_stops(const struct recorder_hooks *h)
{
	return h && h->should_stop && h->should_stop(h->ctx);
}

/* How long to wait before looking at the clock, the hooks and the kernel
 * again: at most max_ns, less when the next period or hook tick is nearer. */
static uint64_t wait_ns(uint64_t now, uint64_t next_period, uint64_t next_hook, uint64_t max_ns)
{
	uint64_t until = next_period < next_hook ? next_period : next_hook;

	if (until <= now)
		return 0;
	return until - now < max_ns ? until - now : max_ns;
}

int recorder_run(const struct recorder_opts *o, const struct recorder_hooks *hooks,
		 const struct symtab *kallsyms, struct recorder_summary *sum, struct notes *notes,
		 char *why, size_t whylen)
{
	struct recorder rc = { .opts = o, .sum = sum, .kallsyms = kallsyms };
	struct strbuf options = STRBUF_INIT, scratch = STRBUF_INIT;
	struct slabinfo slabs[2] = { 0 };
	bool slabs_ok[2] = { false, false };
	struct trace_header hdr;
	uint64_t period = o->interval_ns ? o->interval_ns
					 : o->probe.aggregate ? RECORDER_AGGREGATE_INTERVAL_NS
							      : RECORDER_FLUSH_NS;
	uint64_t tick_ns = hooks && hooks->tick ? hooks->tick_ns : 0;
	uint64_t start, next_tick, next_hook = UINT64_MAX;
	int ncpus, err;

	memset(sum, 0, sizeof(*sum));
	sum->stop_reason = "stopped";
	sum->stack_rate = o->probe.stacks ? o->probe.stack_rate : 0;
	rc.cache_tags = u64map_new(1024);
	rc.live = u64map_new(65536);
	rc.stacks_known = u64map_new(4096);
	rc.addrs_seen = u64map_new(4096);
	rc.syms_stored = u64map_new(4096);
	rc.ustacks_known = u64map_new(64);
	rc.procs_known = u64map_new(64);
	if (!rc.cache_tags || !rc.live || !rc.stacks_known || !rc.addrs_seen || !rc.syms_stored ||
	    !rc.ustacks_known || !rc.procs_known) {
		err = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (o->flight_bytes && !o->probe.aggregate) {
		rc.flight_slots = o->flight_bytes / EVENT_SLOT;
		if (!rc.flight_slots)
			rc.flight_slots = 1;
		rc.flight = malloc(rc.flight_slots * EVENT_SLOT);
		if (!rc.flight) {
			err = -ENOMEM;
			snprintf(why, whylen, "cannot allocate the %llu-byte flight-recorder buffer",
				 (unsigned long long)o->flight_bytes);
			goto out;
		}
	}
	if (rc.kallsyms)
		recorder_note_kaslr_anchors(&rc);
	err = record_probe__start(&o->probe, rc.kallsyms, on_event, &rc, notes, &rc.rp, why, whylen);
	if (err)
		goto out;
	note_missing_pids(&o->probe, notes);
	snprintf(sum->note, sizeof(sum->note), "%s%s", record_probe__note(rc.rp),
		 rc.kallsyms ? "" : "; /proc/kallsyms unreadable: stacks are stored without names");
	ncpus = record_probe__ncpus(rc.rp);
	rc.lost_now = calloc((size_t)ncpus * LOST_NR, sizeof(uint64_t));
	rc.lost_written = calloc((size_t)ncpus * LOST_NR, sizeof(uint64_t));
	if (!rc.lost_now || !rc.lost_written || fill_header(&hdr, o, &options)) {
		err = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	/* Live from here: the set-up above (the loader's buffers) made its
	 * frees before, the trace file's creation is the first thing recorded. */
	record_probe__go(rc.rp);
	start = monotonic_ns();
	hdr.start_ns = start;
	hdr.start_realtime_ns = realtime_ns();
	err = trace_writer__open(o->path, &hdr, &rc.w);
	if (err) {
		snprintf(why, whylen, "cannot write %s: %s", o->path, strerror(-err));
		goto out;
	}
	err = setup_tags(&rc);
	if (!err)
		err = refresh_cache_names(&rc);
	if (err) {
		snprintf(why, whylen, "cannot name the slab caches: %s", strerror(-err));
		goto out;
	}
	if (hooks && hooks->started)
		hooks->started(hooks->ctx, notes);
	next_tick = start + period;
	if (tick_ns)
		next_hook = start + tick_ns;
	while (!caller_stops(hooks)) {
		uint64_t now = monotonic_ns();

		if (o->duration_ns && now - start >= o->duration_ns) {
			sum->stop_reason = "duration reached";
			break;
		}
		if (o->probe.aggregate) {
			sleep_ns_interruptible(wait_ns(now, next_tick, next_hook, 100000000ull));
		} else {
			int n = record_probe__poll(rc.rp, 50);

			if (n < 0) {
				err = n;
				snprintf(why, whylen, "reading the BPF ring buffer failed: %s", strerror(-n));
				goto out;
			}
			if (rc.err) {
				err = rc.err;
				goto write_failed;
			}
		}
		if (rc.flight && hooks && hooks->dump_requested && hooks->dump_requested(hooks->ctx)) {
			int n = record_probe__flush(rc.rp);

			if (n < 0) {
				err = n;
				snprintf(why, whylen, "reading the BPF ring buffer failed: %s",
					 strerror(-n));
				goto out;
			}
			err = rc.err ? rc.err : dump_flight(&rc);
			if (!err)
				err = checkpoint(&rc);
			if (err)
				goto write_failed;
		}
		now = monotonic_ns();
		if (now >= next_tick) {
			next_tick = now + period;
			err = checkpoint(&rc);
			if (err)
				goto write_failed;
		}
		if (rc.at_limit || (o->max_size && trace_writer__bytes(rc.w) >= o->max_size)) {
			sum->stop_reason = "size limit reached";
			break;
		}
		if (tick_ns && now >= next_hook) {
			struct recorder_progress pr = { .elapsed_ns = now - start,
							.bytes_written = trace_writer__bytes(rc.w),
							.allocs = sum->allocs, .frees = sum->frees };

			next_hook = now + tick_ns;
			if (hooks->tick(hooks->ctx, &pr)) {
				sum->stop_reason = hooks->stop_reason ? hooks->stop_reason : "stopped";
				break;
			}
		}
	}
	if (caller_stops(hooks))
		sum->stop_reason = hooks->stop_reason ? hooks->stop_reason : "stopped";
	/* The caches' sizes around the final drain, for mark_untraced_frees
	 * (unreadable without root: that proof is then not made). */
	slabs_ok[0] = slabinfo_read(&slabs[0], &scratch) == 0;
	/* Drain what the ring buffer still holds. */
	if (!o->probe.aggregate) {
		int n = record_probe__finish(rc.rp);

		if (n < 0 && !rc.err) {
			err = n;
			snprintf(why, whylen, "reading the BPF ring buffer failed: %s", strerror(-n));
			goto out;
		}
	}
	err = rc.err;
	if (!err && rc.flight)
		err = dump_flight(&rc);
	if (!err)
		err = checkpoint(&rc);
	if (err)
		goto write_failed;
	slabs_ok[1] = slabinfo_read(&slabs[1], &scratch) == 0;
	err = mark_untraced_frees(&rc, slabs_ok[0] ? &slabs[0] : NULL,
				  slabs_ok[1] ? &slabs[1] : NULL);
	if (err)
		goto write_failed;
	sum->bytes_written = trace_writer__bytes(rc.w);
	sum->elapsed_ns = monotonic_ns() - start;
	err = trace_writer__close(rc.w, monotonic_ns());
	rc.w = NULL;
	sum->bytes_written += 16;
	if (err)
		goto write_failed;
	fill_summary_tags(&rc);
	goto out;
write_failed:
	/* Chunks are written whole or not at all to the reader: say so, so that
	 * a full disk at 3 a.m. does not read as "the recording is lost". */
	snprintf(why, whylen, "writing %s failed: %s (what was written before stays readable: "
			      "report reads up to the last complete chunk)", o->path, strerror(-err));
out:
	if (rc.w)
		trace_writer__close(rc.w, 0);
	record_probe__stop(rc.rp);
	symtab__free(rc.pending_syms);
	u64map_free(rc.cache_tags);
	u64map_free(rc.live);
	u64map_free(rc.stacks_known);
	u64map_free(rc.addrs_seen);
	u64map_free(rc.syms_stored);
	recorder_ustacks_release(&rc);
	free(rc.tag_stats);
	for (uint32_t i = 0; i < rc.tag_names_cap; i++)
		free(rc.tag_names[i]);
	free(rc.tag_names);
	free(rc.flight);
	free(rc.lost_now);
	free(rc.lost_written);
	strbuf_release(&options);
	strbuf_release(&scratch);
	slabinfo_release(&slabs[0]);
	slabinfo_release(&slabs[1]);
	return err;
}

void recorder_summary_release(struct recorder_summary *sum)
{
	if (!sum)
		return;
	free(sum->tags);
	sum->tags = NULL;
	sum->ntags = 0;
}
