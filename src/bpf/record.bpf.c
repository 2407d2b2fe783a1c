// SPDX-License-Identifier: GPL-2.0
/* The allocation flight recorder: BTF-typed raw tracepoints (tp_btf, no perf
 * buffer copy) on the kmem, percpu and vmalloc allocation events.
 *
 * --events: every event that passes the filters goes through one BPF ring
 * buffer to user space, staged per CPU and handed on a batch at a time
 * (struct rec_stage; unbatched with --user-stacks=dwarf). --aggregate: the
 * kernel keeps the outstanding objects (kind+pointer → origin) and
 * per-origin alloc/free counters, and user space samples them. Stacks: on a budget per allocating path by default (see
 * take_stack), on every allocation, every Nth, or none. Filters run here,
 * before anything is copied: tags (a set of
 * allowed kmem_cache pointers filled by user space from the name globs),
 * pids, comm, size range; kinds are chosen by not loading programs.
 * Nothing is dropped silently: a full ring buffer, a full map and a failed
 * stack capture each bump a per-CPU counter (enum rec_lost_slot). */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/record_abi.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool aggregate = false;
const volatile bool stacks = true;
/* --user-stacks: with every kernel stack walked, the user-space call chain
 * too (frame pointers), into ustack_traces. */
const volatile bool user_stacks = false;
/* --user-stacks=dwarf: with each user stack walked, its registers and the
 * top of the stack for the recorder to unwind by .eh_frame. */
const volatile bool ustack_raw = false;
const volatile __u32 sample_every = 1;	   /* stacks for every Nth alloc per CPU */
/* Stacks per second per allocating path per CPU after its first (the
 * budget); 0 = a stack for every allocation (--stacks all, --sample). */
const volatile __u32 stack_rate = 0;
const volatile bool filter_pids = false;
const volatile __u32 self_tgid = 0; /* the recorder: its own writes are not recorded */
const volatile bool filter_comm = false;
const volatile char comm_filter[REC_COMM_LEN] = {};
const volatile __u64 size_min = 0, size_max = ~0ULL;
const volatile bool filter_tags = false;	  /* slab/kmalloc: allowed_caches */
const volatile __u32 page_orders = 0xffffffff;	  /* tag filter for pages: bit per order */
const volatile bool have_get_kmem_cache = false;
const volatile __u64 wakeup_bytes = 0;	  /* wake user space once this much is queued */
const volatile __u64 large_lo[8] = {}, large_hi[8] = {}; /* kmalloc entry points */
const volatile __u32 large_n = 0;
/* Events mode with a --pid, --comm or --size filter: a free is recorded only
 * when it frees an object the filter recorded (live_objs), not every free of
 * the machine's objects of those tags. */
const volatile bool live_set = false;
/* Events mode: records go through the per-CPU staging buffers (struct
 * rec_stage) and reach the ring a batch at a time. */
const volatile bool batched = false;
/* Bytes a staging buffer holds before it is handed on: REC_STAGE_BYTES, or
 * a quarter of a small ring (a batch larger than the ring would never fit). */
const volatile __u32 stage_limit = REC_STAGE_BYTES;

extern struct kmem_cache *bpf_get_kmem_cache(__u64 addr) __ksym __weak;

/* Written by user space while running. Nothing is recorded until `started`:
 * before it, the page program only collects the struct page addresses of
 * pages that user space faults in (calib_tid), from which user space
 * computes the base of the struct page array (randomized with
 * CONFIG_RANDOMIZE_MEMORY and not exposed to BPF), so pages are keyed by pfn. */
volatile __u32 started;
volatile __u32 calib_tid;
volatile __u64 vmemmap_start; /* 0: pages keyed by struct page address */
__u64 calib_pages[REC_CALIB_PAGES];
__u32 calib_n;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24); /* set by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, REC_MAX_DEPTH * sizeof(__u64));
} stack_traces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1); /* set by the loader */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, REC_MAX_DEPTH * sizeof(__u64));
} ustack_traces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, REC_MAX_PIDS);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} allowed_caches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOST_NR);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sample_count SEC(".maps");

/* The batched path's staging buffer, one per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_stage);
} stage SEC(".maps");

/* --user-stacks=dwarf: the last rec_ustack_raw seq per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} uraw_seq SEC(".maps");

/* The stack budget's state per allocating path, per CPU (no shared cache
 * line, no atomics). Preallocated; full = a new path gets a stack every time
 * (as --stacks all), never a missing one. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1); /* set by the loader */
	__type(key, struct rec_path_key);
	__type(value, struct rec_path);
} paths SEC(".maps");

/* Aggregate mode. Preallocated (the default): an update never allocates,
 * so tracking an allocation never causes one. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct rec_obj_key);
	__type(value, struct rec_obj);
} outstanding SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct rec_origin_key);
	__type(value, struct rec_origin);
} origins SEC(".maps");

/* Events mode with live_set: the objects the filter recorded and whose free
 * has not been seen. Preallocated (never allocates while tracing); full =
 * counted as LOST_MAP_FULL (that object's free will not be recorded). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* set by the loader */
	__type(key, struct rec_obj_key);
	__type(value, __u8);
} live_objs SEC(".maps");

static __always_inline void count_lost(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&lost, &slot);

	if (v)
		*v += 1;
}

static __always_inline void count_lost_n(__u32 slot, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&lost, &slot);

	if (v)
		*v += n;
}

static __always_inline bool tag_allowed(__u8 kind, __u64 cache, __u8 order)
{
	if (!filter_tags)
		return true;
	if (kind == RK_SLAB || kind == RK_KMALLOC)
		return bpf_map_lookup_elem(&allowed_caches, &cache) != NULL;
	if (kind == RK_PAGE)
		return order < 32 && (page_orders & (1u << order));
	return true; /* percpu/vmalloc: decided by loading the program or not */
}

static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < REC_COMM_LEN; i++) {
		if (comm[i] != comm_filter[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline __s32 walk_stack(void *ctx)
{
	/* Skip our program, bpf_trace_runN and __traceiter_<tracepoint>: the
	 * stack starts at the allocator (kmem_cache_alloc_noprof, ...). */
	long id = bpf_get_stackid(ctx, &stack_traces, 3 & BPF_F_SKIP_FIELD_MASK);

	if (id < 0) {
		count_lost(LOST_STACK);
		return -1;
	}
	return (__s32)id;
}

/* The user-space call chain, walked by frame pointers (the kernel's
 * perf callchain code from the saved user registers). Kernel threads have
 * none: -1 with REC_EF_KTHREAD. An allocation in interrupt context gets the
 * user stack of the task it interrupted. */
/* --user-stacks=dwarf: the task's user registers and up to
 * REC_USTACK_BYTES of its stack, read a chunk at a time (the stack may end
 * sooner), into the ring before the event. Its seq, or 0. */
static __always_inline __u32 emit_uraw(struct task_struct *task, bool path_ref)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct rec_ustack_raw *r;
	__u32 zero = 0, *seq = bpf_map_lookup_elem(&uraw_seq, &zero), n;
	__u64 sp;
	int i;

	if (!seq || !regs)
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost(LOST_RINGBUF);
		return 0;
	}
	*seq += 1;
	n = *seq;
	__builtin_memset(&r->ev, 0, sizeof(r->ev));
	r->ev.ts = bpf_ktime_get_ns();
	r->ev.tgid = task->tgid;
	r->ev.tid = task->pid;
	r->ev.cpu = (__u16)bpf_get_smp_processor_id();
	r->ev.type = RT_USTACK_RAW;
	r->ev.flags = path_ref ? REC_UF_PATH : 0;
	r->seq = n;
	r->regs[0] = BPF_CORE_READ(regs, ax);
	r->regs[1] = BPF_CORE_READ(regs, dx);
	r->regs[2] = BPF_CORE_READ(regs, cx);
	r->regs[3] = BPF_CORE_READ(regs, bx);
	r->regs[4] = BPF_CORE_READ(regs, si);
	r->regs[5] = BPF_CORE_READ(regs, di);
	r->regs[6] = BPF_CORE_READ(regs, bp);
	r->regs[7] = BPF_CORE_READ(regs, sp);
	r->regs[8] = BPF_CORE_READ(regs, r8);
	r->regs[9] = BPF_CORE_READ(regs, r9);
	r->regs[10] = BPF_CORE_READ(regs, r10);
	r->regs[11] = BPF_CORE_READ(regs, r11);
	r->regs[12] = BPF_CORE_READ(regs, r12);
	r->regs[13] = BPF_CORE_READ(regs, r13);
	r->regs[14] = BPF_CORE_READ(regs, r14);
	r->regs[15] = BPF_CORE_READ(regs, r15);
	r->regs[16] = BPF_CORE_READ(regs, ip);
	sp = r->regs[7];
	r->len = 0;
	for (i = 0; i < REC_USTACK_BYTES / REC_USTACK_CHUNK; i++) {
		if (bpf_probe_read_user(r->data + i * REC_USTACK_CHUNK, REC_USTACK_CHUNK,
					(const void *)(sp + i * REC_USTACK_CHUNK)))
			break;
		r->len = (i + 1) * REC_USTACK_CHUNK;
	}
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return n;
}

static __always_inline __s32 walk_ustack(void *ctx, struct task_struct *task, __u8 *flags)
{
	long id;

	if (!user_stacks)
		return -1;
	if (task->flags & 0x00200000 /* PF_KTHREAD */) {
		*flags |= REC_EF_KTHREAD;
		return -1;
	}
	id = bpf_get_stackid(ctx, &ustack_traces, BPF_F_USER_STACK);
	if (id < 0) {
		count_lost(LOST_STACK);
		return -1;
	}
	return (__s32)id;
}

/* The syscall the current task is in, from its saved user registers: nearly
 * free (two loads) and what tells alloc_empty_file via eventfd2 from the same
 * call site via openat (every struct file has that one call site). -1 for
 * kernel threads (no user registers). An allocation in interrupt context
 * counts under the syscall of the task it interrupted: its path is then
 * coarser, its counts still exact. x86-64 keeps the number in orig_ax,
 * arm64 in syscallno. */
static __always_inline __s32 current_syscall(struct task_struct *task)
{
	struct pt_regs *regs;

	if (task->flags & 0x00200000 /* PF_KTHREAD */)
		return -1;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return -1;
	/* A BTF pointer: a plain load, no probe-read helper call (~1 % of the
	 * traced loop's time in the default mode). */
#if defined(__TARGET_ARCH_arm64)
	return (__s32)regs->syscallno;
#else
	return (__s32)regs->orig_ax;
#endif
}

/* The stack of one allocation. The budget (stack_rate > 0): a walk the
 * first time this CPU sees the path, then at most stack_rate walks per
 * second per path; the other allocations carry the path's first stack and
 * REC_EF_PATH_STACK, so counts per path stay exact and only the split of a
 * path between its stacks is estimated. */
/* A user stack walked, and with --user-stacks=dwarf its raw copy (seq into
 * *uraw) when the task has user registers. */
static __always_inline __s32 walk_user(void *ctx, struct task_struct *task, __u8 *flags,
				       __u32 *uraw, bool path_ref)
{
	__s32 id = walk_ustack(ctx, task, flags);

	*uraw = ustack_raw && user_stacks && !(task->flags & 0x00200000 /* PF_KTHREAD */)
			? emit_uraw(task, path_ref) : 0;
	return id;
}

static __always_inline __s32 take_stack(void *ctx, struct task_struct *task, __u8 kind,
					__u64 call_site, __u8 order, __u64 now, __u8 *flags,
					__s32 *ustack, __u32 *uraw)
{
	__u32 zero = 0;
	__u64 *n;

	*ustack = -1;
	*uraw = 0;
	if (!stacks)
		return -1;
	if (stack_rate) {
		struct rec_path_key key = { .call_site = call_site, .kind = kind, .order = order };
		struct rec_path *path;
		__s32 id;

		key.syscall_nr = current_syscall(task);
		if (user_stacks)
			key.tgid = task->tgid;
		path = bpf_map_lookup_elem(&paths, &key);
		if (!path) {
			struct rec_path fresh = { .window_ns = now, .taken = 1 };

			id = walk_stack(ctx);
			*ustack = walk_user(ctx, task, flags, uraw, true);
			fresh.stack_ref = id >= 0 ? (__u32)id + 1 : 0;
			fresh.ustack_ref = *ustack >= 0 ? (__u32)*ustack + 1 : 0;
			fresh.uraw_ref = *uraw;
			bpf_map_update_elem(&paths, &key, &fresh, BPF_ANY);
			return id;
		}
		/* Another CPU inserted the path: this CPU's slot starts zeroed. */
		if (now - path->window_ns >= 1000000000ULL || !path->stack_ref) {
			path->window_ns = now;
			path->taken = 0;
		}
		if (path->taken >= stack_rate && path->stack_ref) {
			*flags |= REC_EF_PATH_STACK;
			if (user_stacks && (task->flags & 0x00200000 /* PF_KTHREAD */))
				*flags |= REC_EF_KTHREAD;
			*ustack = (__s32)path->ustack_ref - 1;
			*uraw = path->uraw_ref;
			return (__s32)(path->stack_ref - 1);
		}
		path->taken++;
		id = walk_stack(ctx);
		*ustack = walk_user(ctx, task, flags, uraw, !path->stack_ref);
		if (!path->stack_ref && id >= 0) {
			path->stack_ref = (__u32)id + 1; /* the first walk that worked */
			path->ustack_ref = *ustack >= 0 ? (__u32)*ustack + 1 : 0;
			path->uraw_ref = *uraw;
		}
		return id;
	}
	if (sample_every > 1) {
		n = bpf_map_lookup_elem(&sample_count, &zero);
		if (!n)
			return -1;
		*n += 1;
		if (*n % sample_every)
			return -1;
	}
	*ustack = walk_user(ctx, task, flags, uraw, false);
	return walk_stack(ctx);
}

/* Per-CPU submit counts (indexed by CPU; plain stores: each slot has one writer). */
__u32 submits[256];

static __always_inline void submit(void *rec)
{
	/* Wake the reader only once a batch has queued up: a wakeup per event
	 * would cost more than the event. Checking the fill level reads the
	 * consumer position, a cache line the reader's CPU keeps writing, so
	 * look only every 64th event. The reader also drains on a timer. */
	__u32 cpu = bpf_get_smp_processor_id() & 255;
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (wakeup_bytes && !(++submits[cpu] & 63) &&
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

/* Hand this CPU's staged records to the ring in one copy. A full ring loses
 * the batch: every record in it is counted. The caller holds st->busy. */
static __always_inline void stage_flush(struct rec_stage *st)
{
	__u32 used = st->used, n = st->count;
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (!used)
		return;
	if (used > REC_STAGE_BYTES)
		used = REC_STAGE_BYTES;
	/* A batch is 8 KiB at most: checking the fill level once per batch is
	 * cheap, unlike once per event (see submit). */
	if (wakeup_bytes && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, st->buf, used, flags))
		count_lost_n(LOST_RINGBUF, n);
	st->used = 0;
	st->count = 0;
}

/* A slot of size bytes in this CPU's staging buffer (flushed first when it
 * has no room), with st->busy taken; NULL when unbatched, or when this
 * program interrupted another one appending on this CPU: the caller then
 * reserves a ring slot of its own. Reading busy and setting it need no
 * atomics: an interrupting program runs to its end before this one goes on. */
static __always_inline void *stage_slot(struct rec_stage **out, __u32 size, __u64 ts)
{
	__u32 zero = 0, used;
	struct rec_stage *st;

	if (!batched)
		return NULL;
	st = bpf_map_lookup_elem(&stage, &zero);
	if (!st || *(volatile __u32 *)&st->busy)
		return NULL;
	*(volatile __u32 *)&st->busy = 1;
	barrier();
	used = *(volatile __u32 *)&st->used;
	/* The first bound is the verifier's (stage_limit is at most it). */
	if (used > REC_STAGE_BYTES - size || used + size > stage_limit) {
		stage_flush(st);
		used = 0;
	}
	/* ts was taken before this slot: one staged by an interrupt in
	 * between may carry a later one. */
	if (!used || ts < st->first_ts)
		st->first_ts = ts;
	*out = st;
	return st->buf + used;
}

static __always_inline void stage_commit(struct rec_stage *st, __u32 size)
{
	st->used += size;
	st->count++;
	barrier();
	*(volatile __u32 *)&st->busy = 0;
}

/* kfree() frees any slab object, kmem_cache_alloc'd ones too: slab and
 * kmalloc pointers are one key space. Pages (pfns), percpu and vmalloc
 * addresses each have their own. */
static __always_inline __u32 key_space(__u8 kind)
{
	return kind == RK_KMALLOC ? RK_SLAB : kind;
}

static __always_inline void track_alloc(void *ctx, struct task_struct *task, __u8 kind, __u64 ptr,
					__u64 call_site, __u64 cache, __u64 bytes, __u8 order,
					__u32 tgid)
{
	struct rec_obj_key key = { .ptr = ptr, .kind = key_space(kind) };
	struct rec_obj obj = { .ts = bpf_ktime_get_ns(), .bytes = bytes, .cache = cache,
			       .tgid = tgid, .order = order, .kind = kind };
	struct rec_origin_key okey = { .cache = cache, .tgid = tgid, .kind = kind, .order = order };
	struct rec_origin one = { .allocs = 1 }, *origin;
	__u8 flags = 0;
	__s32 ustack; /* aggregate mode takes no user stacks (refused by the options) */
	__u32 uraw;

	/* Under the budget an unwalked allocation counts on its path's stack:
	 * the origins' counts stay exact per path. */
	obj.stack_id = take_stack(ctx, task, kind, call_site, order, obj.ts, &flags, &ustack, &uraw);
	okey.stack_id = obj.stack_id;
	if (bpf_map_update_elem(&outstanding, &key, &obj, BPF_ANY))
		count_lost(LOST_MAP_FULL);
	origin = bpf_map_lookup_elem(&origins, &okey);
	if (origin) {
		__sync_fetch_and_add(&origin->allocs, 1);
		return;
	}
	if (bpf_map_update_elem(&origins, &okey, &one, BPF_NOEXIST) == 0)
		return;
	origin = bpf_map_lookup_elem(&origins, &okey); /* another CPU inserted it */
	if (origin)
		__sync_fetch_and_add(&origin->allocs, 1);
	else
		count_lost(LOST_MAP_FULL);
}

/* One hash operation per free: the per-origin free count is derived in user
 * space as allocs − outstanding (exact: an object leaves the outstanding
 * map only by its free, or by a new allocation at its address, which means
 * its free was missed, i.e. it was freed). */
static __always_inline void track_free(__u8 kind, __u64 ptr)
{
	struct rec_obj_key key = { .ptr = ptr, .kind = key_space(kind) };

	if (bpf_map_delete_elem(&outstanding, &key))
		count_lost(STAT_UNMATCHED_FREE);
}

static __always_inline void on_alloc(void *ctx, __u8 kind, __u64 ptr, __u64 call_site,
				     __u64 cache, __u64 req, __u64 bytes, __u32 gfp, __u8 order)
{
	/* The current task by BTF: its ids and name are plain loads, cheaper
	 * than the pid_tgid and comm helpers on every event. */
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	struct rec_stage *st = NULL;
	struct rec_alloc_event *e;
	__s32 stack_id, ustack_id;
	__u32 uraw;
	__u8 eflags = 0;
	__u64 ts;

	if (!started || !tag_allowed(kind, cache, order) || tgid == self_tgid)
		return;
	if (req < size_min || req > size_max)
		return;
	if (filter_pids && !bpf_map_lookup_elem(&pids, &tgid))
		return;
	if (filter_comm && !comm_matches(task->comm))
		return;
	if (aggregate) {
		track_alloc(ctx, task, kind, ptr, call_site, cache, bytes, order, tgid);
		return;
	}
	/* The stacks before the event's slot: a raw user stack
	 * (--user-stacks=dwarf) is reserved in the same ring and must come
	 * before the event that refers to it. */
	ts = bpf_ktime_get_ns();
	stack_id = take_stack(ctx, task, kind, call_site, order, ts, &eflags, &ustack_id, &uraw);
	e = stage_slot(&st, sizeof(*e), ts);
	if (!e)
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(LOST_RINGBUF);
		return;
	}
	if (live_set) {
		struct rec_obj_key key = { .ptr = ptr, .kind = key_space(kind) };
		__u8 one = 1;

		if (bpf_map_update_elem(&live_objs, &key, &one, BPF_ANY))
			count_lost(LOST_MAP_FULL);
	}
	e->ev.ts = ts;
	e->ev.ptr = ptr;
	e->ev.call_site = call_site;
	e->ev.cache = cache;
	e->ev.tgid = tgid;
	e->ev.tid = task->pid;
	e->ev.cpu = (__u16)bpf_get_smp_processor_id();
	e->ev.type = RT_ALLOC;
	e->ev.kind = kind;
	e->ev.order = order;
	e->ev.flags = eflags;
	e->bytes_req = req;
	e->bytes_alloc = bytes;
	e->gfp_flags = gfp;
	e->stack_id = stack_id;
	e->ustack_id = ustack_id;
	e->uraw_seq = uraw;
	/* As the comm helper reads it (no lock: a rename may race either way),
	 * eight bytes at a time; the kernel keeps the last byte NUL, we make
	 * sure of it (x86-64 and arm64 are little-endian: the top byte). */
	((__u64 *)e->comm)[0] = *(const __u64 *)&task->comm[0];
	((__u64 *)e->comm)[1] = *(const __u64 *)&task->comm[8] & 0x00ffffffffffffffULL;
	if (st)
		stage_commit(st, sizeof(*e));
	else
		submit(e);
}

/* Whether the task passes the --pid and --comm filters (true without them). */
static __always_inline bool task_passes(struct task_struct *task)
{
	__u32 tgid = task->tgid;

	if (filter_pids && !bpf_map_lookup_elem(&pids, &tgid))
		return false;
	return !filter_comm || comm_matches(task->comm);
}

/* Frees are filtered by kind and tag, and with live_set by the object: an
 * object is often freed by another task (RCU callbacks, workers) than the
 * one that allocated it, so the task filters cannot apply to frees. */
static __always_inline void on_free(__u8 kind, __u64 ptr, __u64 call_site, __u64 cache,
				    __u8 order)
{
	struct task_struct *task;
	struct rec_stage *st = NULL;
	struct rec_event *e;
	__u64 ts;

	if (!started || !tag_allowed(kind, cache, order))
		return;
	if (aggregate) {
		track_free(kind, ptr);
		return;
	}
	task = bpf_get_current_task_btf();
	if (live_set) {
		struct rec_obj_key key = { .ptr = ptr, .kind = key_space(kind) };

		if (bpf_map_delete_elem(&live_objs, &key)) {
			/* Not an object the filter recorded. When the filtered tasks
			 * free it themselves, it is one of theirs from before the
			 * start: counted (the summary says how many), not recorded. */
			if ((filter_pids || filter_comm) && task_passes(task))
				count_lost(STAT_UNMATCHED_FREE);
			return;
		}
	}
	ts = bpf_ktime_get_ns();
	e = stage_slot(&st, sizeof(*e), ts);
	if (!e)
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(LOST_RINGBUF);
		return;
	}
	e->ts = ts;
	e->ptr = ptr;
	e->call_site = call_site;
	e->cache = cache;
	e->tgid = task->tgid;
	e->tid = task->pid;
	e->cpu = (__u16)bpf_get_smp_processor_id();
	e->type = RT_FREE;
	e->kind = kind;
	e->order = order;
	e->flags = 0;
	if (st)
		stage_commit(st, sizeof(*e));
	else
		submit(e);
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(rec_cache_alloc, unsigned long call_site, const void *ptr, struct kmem_cache *s,
	     gfp_t gfp)
{
	/* s is a trusted BTF pointer: direct loads, no probe-read helper calls. */
	if (ptr)
		on_alloc(ctx, RK_SLAB, (__u64)ptr, call_site, (__u64)s, s->object_size, s->size, gfp,
			 0);
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(rec_cache_free, unsigned long call_site, const void *ptr, struct kmem_cache *s)
{
	if (ptr)
		on_free(RK_SLAB, (__u64)ptr, call_site, (__u64)s, 0);
	return 0;
}

/* The slab cache of a kmalloc'd object (kmalloc-N, kmalloc-cg-N, ...); 0 for
 * a large kmalloc (pages) or when this kernel lacks bpf_get_kmem_cache. */
static __always_inline __u64 object_cache(const void *ptr)
{
	if (!have_get_kmem_cache)
		return 0;
	return (__u64)bpf_get_kmem_cache((__u64)ptr);
}

/* A large kmalloc through __kmalloc*() fires the kmalloc tracepoint twice:
 * inside __kmalloc_large_node (call site in the kernel's own kmalloc entry
 * point) and again with the real caller. Keep the second. */
static __always_inline bool inner_large_kmalloc(__u64 call_site)
{
	for (__u32 i = 0; i < 8; i++) {
		if (i >= large_n)
			break;
		if (call_site >= large_lo[i] && call_site < large_hi[i])
			return true;
	}
	return false;
}

SEC("tp_btf/kmalloc")
int BPF_PROG(rec_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req,
	     size_t bytes_alloc, gfp_t gfp)
{
	__u64 cache;

	if (!ptr)
		return 0;
	cache = object_cache(ptr);
	if (!cache && inner_large_kmalloc(call_site))
		return 0;
	on_alloc(ctx, RK_KMALLOC, (__u64)ptr, call_site, cache, bytes_req, bytes_alloc, gfp, 0);
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(rec_kfree, unsigned long call_site, const void *ptr)
{
	/* kfree(NULL) and kfree(ZERO_SIZE_PTR) fire but free nothing. */
	if ((unsigned long)ptr <= 16)
		return 0;
	on_free(RK_KMALLOC, (__u64)ptr, call_site, object_cache(ptr), 0);
	return 0;
}

/* The page argument as a plain number: the verifier forbids arithmetic on
 * a trusted struct page pointer, so read the raw argument from the context. */
static __always_inline __u64 page_addr(__u64 *ctx)
{
	__u64 p = 0;

	bpf_probe_read_kernel(&p, sizeof(p), &ctx[0]);
	return p;
}

static __always_inline __u64 page_key(__u64 p)
{
	__u64 base = vmemmap_start;

	if (base && p >= base && p - base < (1ULL << 46))
		return (p - base) / bpf_core_type_size(struct page);
	return p;
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(rec_page_alloc, struct page *page, unsigned int order, gfp_t gfp)
{
	__u64 bytes = 4096ULL << (order & 31);
	__u64 p = page_addr(ctx);

	if (calib_tid && (__u32)bpf_get_current_pid_tgid() == calib_tid) {
		__u32 i = calib_n;

		if (i < REC_CALIB_PAGES) {
			calib_pages[i] = p;
			calib_n = i + 1;
		}
	}
	if (p)
		on_alloc(ctx, RK_PAGE, page_key(p), 0, 0, bytes, bytes, gfp, (__u8)order);
	return 0;
}

SEC("tp_btf/mm_page_free")
int BPF_PROG(rec_page_free, struct page *page, unsigned int order)
{
	__u64 p = page_addr(ctx);

	if (p)
		on_free(RK_PAGE, page_key(p), 0, 0, (__u8)order);
	return 0;
}

SEC("tp_btf/mm_page_free_batched")
int BPF_PROG(rec_page_free_batched, struct page *page)
{
	__u64 p = page_addr(ctx);

	if (p)
		on_free(RK_PAGE, page_key(p), 0, 0, 0);
	return 0;
}

SEC("tp_btf/percpu_alloc_percpu")
int BPF_PROG(rec_percpu_alloc, unsigned long call_site, bool reserved, bool is_atomic,
	     size_t size, size_t align, void *base_addr, int off, void *ptr, size_t bytes_alloc,
	     gfp_t gfp)
{
	if (ptr)
		on_alloc(ctx, RK_PERCPU, (__u64)ptr, call_site, 0, size, bytes_alloc, gfp, 0);
	return 0;
}

SEC("tp_btf/percpu_free_percpu")
int BPF_PROG(rec_percpu_free, void *base_addr, int off, void *ptr)
{
	if (ptr)
		on_free(RK_PERCPU, (__u64)ptr, 0, 0, 0);
	return 0;
}

SEC("tp_btf/alloc_vmap_area")
int BPF_PROG(rec_vmap_alloc, unsigned long addr, unsigned long size, unsigned long align,
	     unsigned long vstart, unsigned long vend, int failed)
{
	if (!failed && addr)
		on_alloc(ctx, RK_VMALLOC, addr, 0, 0, size, size, 0, 0);
	return 0;
}

SEC("tp_btf/free_vmap_area_noflush")
int BPF_PROG(rec_vmap_free, unsigned long va_start)
{
	on_free(RK_VMALLOC, va_start, 0, 0, 0);
	return 0;
}

/* Run by user space on one CPU at a time (BPF_F_TEST_RUN_ON_CPU, from an
 * IPI): hands that CPU's staged records to the ring, so that a CPU that went
 * quiet does not hold them back, and at the stop. 1: a program on this CPU
 * was appending (this IPI interrupted it); try again. */
SEC("raw_tp")
int rec_stage_flush(void *ctx)
{
	__u32 zero = 0;
	struct rec_stage *st = bpf_map_lookup_elem(&stage, &zero);

	if (!st)
		return 0;
	if (*(volatile __u32 *)&st->busy)
		return 1;
	*(volatile __u32 *)&st->busy = 1;
	barrier();
	stage_flush(st);
	barrier();
	*(volatile __u32 *)&st->busy = 0;
	return 0;
}

/* Cache pointer → name, for every kmem_cache: user space runs this at start
 * (and when it meets a cache created since) to name the tags. */
SEC("iter/kmem_cache")
int rec_cache_names(struct bpf_iter__kmem_cache *ctx)
{
	struct rec_cache_name n = {};
	struct kmem_cache *s = ctx->s;

	if (!s)
		return 0;
	n.cache = (__u64)s;
	bpf_probe_read_kernel_str(n.name, sizeof(n.name), BPF_CORE_READ(s, name));
	bpf_seq_write(ctx->meta->seq, &n, sizeof(n));
	return 0;
}
