/* Map layout shared by slabcount.bpf.c and its loader slabcount.c. Include
 * vmlinux.h (BPF side) or <linux/types.h> (user side) first. */
#ifndef POOLSCOPE_BPF_SLABCOUNT_ABI_H
#define POOLSCOPE_BPF_SLABCOUNT_ABI_H

#define SLABCOUNT_NAME_LEN 64

/* Key standing for "kmalloc larger than the biggest kmalloc cache": those
 * are page allocations with no kmem_cache; no kernel pointer is this small. */
#define SLABCOUNT_KEY_LARGE 1ULL

/* Address ranges of the kernel's kmalloc entry points passed to BPF. */
#define SLABCOUNT_MAX_ENTRY_RANGES 16

/* Allocations are counted per (cache, call site): the per-cache alloc total
 * is their sum, so an alloc costs one hash update, not two. */
struct slabcount_owner_key {
	__u64 cache;
	__u64 call_site;
};

/* Per cache, per CPU. Each field has exactly one writer program, so a
 * program interrupted on its CPU by another never loses an increment. */
struct slabcount_cache_val {
	__u64 frees_kfree;      /* kfree() of an object of this cache */
	__u64 frees_cache_free; /* kmem_cache_free() */
	__u64 allocs_unowned_kmalloc;	/* kmalloc allocs not in the owner map (full) */
	__u64 allocs_unowned_cache;	/* kmem_cache_alloc allocs not in the owner map */
};

/* The fast path: per program, per CPU, a table of buckets in a per-CPU
 * array (one inlined lookup per event instead of a hash map's) probed
 * linearly within the bucket. Only that program writes its table, and a
 * program never nests in itself, so a slot is never written twice at once.
 * A bucket that is full sends the event to the hash maps above (exact,
 * slower). A slot is free while its cache is 0. */
#define SLABCOUNT_BUCKET_SLOTS 16
#define SLABCOUNT_OWNER_BUCKETS 512 /* power of two */
#define SLABCOUNT_FREE_BUCKETS 256   /* power of two */

struct slabcount_owner_slot {
	__u64 cache;
	__u64 call_site;
	__u64 count;
};

struct slabcount_owner_bucket {
	struct slabcount_owner_slot slot[SLABCOUNT_BUCKET_SLOTS];
};

struct slabcount_free_slot {
	__u64 cache;
	__u64 count;
};

struct slabcount_free_bucket {
	struct slabcount_free_slot slot[SLABCOUNT_BUCKET_SLOTS];
};

struct slabcount_name {
	char name[SLABCOUNT_NAME_LEN];
};

/* Slots of the per-CPU stats array; each written by one program only. */
enum slabcount_stat {
	STAT_KFREE_UNATTRIBUTED,	/* kfree with no way to find its cache */
	STAT_KMALLOC_UNATTRIBUTED,	/* kmalloc with no way to find its cache */
	STAT_OWNER_FULL_KMALLOC,	/* owner map full: counted without owner */
	STAT_OWNER_FULL_CACHE,
	STAT_LOST_KMALLOC,		/* both maps full: event not counted */
	STAT_LOST_CACHE_ALLOC,
	STAT_LOST_KFREE,
	STAT_LOST_CACHE_FREE,
	STAT_NR,
};

#endif
