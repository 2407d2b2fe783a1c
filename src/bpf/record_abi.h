/* Fixed-width layouts shared by record.bpf.c and its loader record.c. Include
 * vmlinux.h (BPF side) or <linux/types.h> (user side) first. */
#ifndef POOLSCOPE_BPF_RECORD_ABI_H
#define POOLSCOPE_BPF_RECORD_ABI_H

#define REC_COMM_LEN 16
#define REC_NAME_LEN 64
#define REC_MAX_DEPTH 64 /* frames per stack: the stack map's value size */
#define REC_MAX_PIDS 64
#define REC_CALIB_PAGES 64

/* Same values as enum trace_kind (src/trace/trace.h). */
enum rec_kind {
	RK_SLAB = 1,
	RK_KMALLOC = 2,
	RK_PAGE = 3,
	RK_PERCPU = 4,
	RK_VMALLOC = 5,
};

#define RK_MASK(k) (1u << (k))

enum rec_type {
	RT_ALLOC = 1,
	RT_FREE = 2,
	RT_USTACK_RAW = 3, /* --user-stacks=dwarf: struct rec_ustack_raw */
};

/* Ring buffer record. Frees stop after `ev`; allocs carry the rest. */
struct rec_event {
	__u64 ts;
	__u64 ptr;	 /* object address; pfn for pages */
	__u64 call_site;
	__u64 cache;	 /* struct kmem_cache * for slab/kmalloc; 0 otherwise */
	__u32 tgid, tid;
	__u16 cpu;
	__u8 type;	 /* enum rec_type */
	__u8 kind;	 /* enum rec_kind */
	__u8 order;	 /* page order */
	__u8 flags;	 /* allocs: REC_EF_* */
	__u8 pad[2];
};

/* rec_event.flags of an allocation. */
#define REC_EF_PATH_STACK 1 /* stack_id is its path's stack, not its own walk (budget) */
#define REC_EF_KTHREAD 2    /* --user-stacks: a kernel thread, no user stack to take */

/* Stack budget (the default): an allocating path is what is nearly free to
 * read at the tracepoint: the call site the tracepoint gives, the current
 * task's syscall number (saved user registers; -1 for kernel threads), the
 * kind and page order (pages carry no call site). Counted per CPU. */
struct rec_path_key {
	__u64 call_site;
	__s32 syscall_nr;
	__u8 kind;
	__u8 order;
	__u8 pad[2];
	/* --user-stacks: the process too (its user stack is its own); 0 otherwise. */
	__u32 tgid;
	__u32 pad2;
};

struct rec_path {
	__u64 window_ns; /* start of the current one-second window */
	__u32 taken;	 /* stacks walked in that window */
	/* The path's first stack on this CPU + 1, for its other allocations;
	 * 0 = none yet (a CPU's slot starts zeroed when another CPU inserted
	 * the path, and stack id 0 is a valid id). */
	__u32 stack_ref;
	__u32 ustack_ref; /* --user-stacks: the user stack of that walk + 1; 0 = none */
	__u32 uraw_ref;	  /* --user-stacks=dwarf: that walk's raw stack (its seq); 0 none */
};

struct rec_alloc_event {
	struct rec_event ev;
	__u64 bytes_req, bytes_alloc;
	__u32 gfp_flags;
	__s32 stack_id; /* < 0: none (off, not sampled, or lost: counted) */
	char comm[REC_COMM_LEN];
	__s32 ustack_id; /* --user-stacks: < 0 none (REC_EF_KTHREAD, or lost: counted) */
	/* --user-stacks=dwarf: the seq of the rec_ustack_raw (this CPU's) that
	 * goes with this allocation's user stack; 0 none. */
	__u32 uraw_seq;
};

/* Events mode's batched path: each CPU appends its records (rec_event or
 * rec_alloc_event, told apart by type) to its own staging buffer and hands
 * the buffer to the ring buffer in one copy when it is full, or when user
 * space asks (rec_stage_flush run on that CPU): one ring reservation per
 * batch instead of per event, and the event's stores stay in this CPU's
 * cache. A program that interrupts another one appending on the same CPU
 * (busy) reserves its own ring slot instead. Records then reach user space
 * out of order across CPUs: it merges them by ts (bpf/record_order.h). */
#define REC_STAGE_BYTES 8192 /* a power of two */
struct rec_stage {
	__u32 used;	/* bytes of records in buf */
	__u32 busy;	/* a program on this CPU is appending or flushing */
	__u32 count;	/* records in buf (counted as lost if the ring is full) */
	__u32 pad;
	__u64 first_ts; /* the smallest ts in buf: user space's merge waits for it */
	__u8 buf[REC_STAGE_BYTES];
};

/* --user-stacks=dwarf: what unwinding a user stack without frame pointers
 * needs, taken with a walked stack and submitted before its event on the
 * same CPU (so it arrives first): the task's saved user registers in DWARF
 * order (x86_64: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip) and the top
 * of its user stack from sp. */
#define REC_UREGS 17
#define REC_USTACK_CHUNK 512
#define REC_USTACK_BYTES (16 * REC_USTACK_CHUNK)
/* rec_ustack_raw.ev.flags: the raw stack becomes its path's (the budget's
 * REC_EF_PATH_STACK events refer to it later); otherwise only the event
 * right after it on its CPU does. */
#define REC_UF_PATH 1
struct rec_ustack_raw {
	struct rec_event ev; /* type RT_USTACK_RAW; ptr, call_site, cache 0 */
	__u32 seq;	     /* per CPU, from 1 */
	__u32 len;	     /* bytes of data read from sp */
	__u64 regs[REC_UREGS];
	__u8 data[REC_USTACK_BYTES];
};

/* Aggregate mode: one outstanding allocation, keyed by key space and
 * pointer so that pfns and addresses never collide (slab and kmalloc share
 * a space: kfree frees kmem_cache objects too). */
struct rec_obj_key {
	__u64 ptr;
	__u32 kind; /* key space: RK_SLAB for slab and kmalloc */
	__u32 pad;
};

struct rec_obj {
	__u64 ts;
	__u64 bytes;
	__u64 cache;
	__u32 tgid;
	__s32 stack_id;
	__u8 order;
	__u8 kind; /* enum rec_kind of the allocation */
	__u8 pad[6];
};

/* Aggregate mode: alloc/free counters per allocation origin. */
struct rec_origin_key {
	__u64 cache;
	__u32 tgid;
	__s32 stack_id;
	__u32 kind;
	__u32 order;
};

struct rec_origin {
	__u64 allocs;
	__u64 frees; /* unused by the kernel: user space derives allocs − outstanding */
};

/* Slots of the per-CPU loss counters. */
enum rec_lost_slot {
	LOST_RINGBUF,	    /* bpf_ringbuf_reserve failed: ring buffer full */
	LOST_MAP_FULL,	    /* outstanding, origin or live-object map full */
	LOST_STACK,	    /* bpf_get_stackid failed: stack map full or hash collision */
	/* Aggregate: a free of an object allocated before the start. Events mode
	 * with a --pid/--comm filter: the filtered tasks' own frees of objects
	 * allocated before the start (not recorded). */
	STAT_UNMATCHED_FREE,
	LOST_NR,
};

/* What the kmem_cache iterator writes per cache. */
struct rec_cache_name {
	__u64 cache;
	char name[REC_NAME_LEN];
};

#endif
