// SPDX-License-Identifier: GPL-2.0
/* Exact slab alloc/free counters on the kmem tracepoints (BTF-typed raw
 * tracepoints: no perf buffer copy). Only counts, in per-CPU maps; nothing
 * per event goes to user space and no per-object state is kept.
 *
 * kmem_cache_alloc/kmem_cache_free carry their cache. kmalloc/kfree carry
 * only the object: its cache is read from the slab the object lives in, with
 * the kernel's own bpf_get_kmem_cache() (6.13+), the same derivation for
 * allocs and frees so both land on one key. A kmalloc that is not in a slab
 * is a large kmalloc (pages): counted under SLABCOUNT_KEY_LARGE. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf/slabcount_abi.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader from vmlinux BTF: whether bpf_get_kmem_cache exists.
 * Without it kmalloc/kfree are counted as unattributed, never guessed. */
const volatile bool have_get_kmem_cache = false;
/* Cleared only by tests, to prove the hash-map path exact on its own. */
const volatile bool use_fast_tables = true;
/* Tests only: count just this process's events, so a truth test holds on a
 * machine where others churn the same caches. 0 (always, for top) makes the
 * verifier drop the check entirely. */
const volatile __u32 only_tgid = 0;

static __always_inline bool skip_task(void)
{
	return only_tgid && (bpf_get_current_pid_tgid() >> 32) != only_tgid;
}

extern struct kmem_cache *bpf_get_kmem_cache(__u64 addr) __ksym __weak;

/* The kernel's own kmalloc entry points (__kmalloc_noprof & co.), from
 * kallsyms. A large kmalloc through them fires the kmalloc tracepoint twice
 * (6.18: once in __kmalloc_large_node_noprof with a call site inside the
 * entry point, once in the entry point with the real caller); the inner
 * event is dropped so each large kmalloc counts once. */
const volatile __u64 entry_lo[SLABCOUNT_MAX_ENTRY_RANGES] = {};
const volatile __u64 entry_hi[SLABCOUNT_MAX_ENTRY_RANGES] = {};
const volatile __u32 entry_n = 0;

/* Sizes are set by the loader (bpf_map__set_max_entries). All maps are
 * preallocated: an update never allocates, so counting a slab event never
 * makes another one. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct slabcount_owner_key);
	__type(value, __u64);
} owners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct slabcount_cache_val);
} caches SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct slabcount_name);
} names SEC(".maps");

#define OWNER_TABLE(name)                                                                   \
	struct {                                                                            \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                    \
		__uint(max_entries, SLABCOUNT_OWNER_BUCKETS);                               \
		__type(key, __u32);                                                         \
		__type(value, struct slabcount_owner_bucket);                               \
	} name SEC(".maps")

#define FREE_TABLE(name)                                                                    \
	struct {                                                                            \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                    \
		__uint(max_entries, SLABCOUNT_FREE_BUCKETS);                                \
		__type(key, __u32);                                                         \
		__type(value, struct slabcount_free_bucket);                                \
	} name SEC(".maps")

/* One fast table per program (see slabcount_abi.h). */
OWNER_TABLE(fast_kmalloc);
OWNER_TABLE(fast_cache_alloc);
FREE_TABLE(fast_kfree);
FREE_TABLE(fast_cache_free);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

enum sc_writer { W_KMALLOC, W_CACHE_ALLOC, W_KFREE, W_CACHE_FREE };

static __always_inline void stat_inc(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		*v += 1;
}

/* First sight of a cache: remember its name once (rare path). */
static __always_inline void note_name(__u64 cache)
{
	struct slabcount_name n = {};
	const char *name;

	if (cache == SLABCOUNT_KEY_LARGE || bpf_map_lookup_elem(&names, &cache))
		return;
	name = BPF_CORE_READ((struct kmem_cache *)cache, name);
	if (!name || bpf_probe_read_kernel_str(n.name, sizeof(n.name), name) < 0)
		return;
	bpf_map_update_elem(&names, &cache, &n, BPF_NOEXIST);
}

static __always_inline struct slabcount_cache_val *cache_val(__u64 cache)
{
	struct slabcount_cache_val zero = {}, *v;

	v = bpf_map_lookup_elem(&caches, &cache);
	if (v)
		return v;
	note_name(cache);
	/* -EEXIST: another CPU inserted it meanwhile; look it up again. */
	bpf_map_update_elem(&caches, &cache, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&caches, &cache);
}

#define GOLDEN 0x9E3779B97F4A7C15ULL

static __always_inline void count_alloc_slow(__u64 cache, __u64 call_site, enum sc_writer w);
static __always_inline void count_free_slow(__u64 cache, enum sc_writer w);

static __always_inline void count_alloc(void *table, __u64 cache, __u64 call_site,
					enum sc_writer w)
{
	/* The bucket comes from the call site alone: the verifier forbids
	 * arithmetic on the cache pointer, and a call site nearly always
	 * allocates from one cache. */
	__u32 idx = (call_site * GOLDEN) >> (64 - 9);
	struct slabcount_owner_bucket *b;
	int i;

	_Static_assert(SLABCOUNT_OWNER_BUCKETS == 1 << 9, "bucket bits");
	b = use_fast_tables ? bpf_map_lookup_elem(table, &idx) : NULL;
	if (b) {
		for (i = 0; i < SLABCOUNT_BUCKET_SLOTS; i++) {
			struct slabcount_owner_slot *s = &b->slot[i];

			if (s->cache == cache && s->call_site == call_site) {
				s->count += 1;
				return;
			}
			if (s->cache == 0) {
				note_name(cache);
				s->call_site = call_site;
				s->count = 1;
				s->cache = cache; /* last: marks the slot taken */
				return;
			}
		}
	}
	count_alloc_slow(cache, call_site, w);
}

/* Bucket by call site too (see count_alloc): one cache freed from several
 * places may hold a slot in several buckets; user space sums them. */
static __always_inline void count_free(void *table, __u64 cache, __u64 call_site,
				       enum sc_writer w)
{
	__u32 idx = (call_site * GOLDEN) >> (64 - 8);
	struct slabcount_free_bucket *b;
	int i;

	_Static_assert(SLABCOUNT_FREE_BUCKETS == 1 << 8, "bucket bits");
	b = use_fast_tables ? bpf_map_lookup_elem(table, &idx) : NULL;
	if (b) {
		for (i = 0; i < SLABCOUNT_BUCKET_SLOTS; i++) {
			struct slabcount_free_slot *s = &b->slot[i];

			if (s->cache == cache) {
				s->count += 1;
				return;
			}
			if (s->cache == 0) {
				note_name(cache);
				s->count = 1;
				s->cache = cache;
				return;
			}
		}
	}
	count_free_slow(cache, w);
}

/* The hash maps: when a fast bucket is full. */
static __always_inline void count_alloc_slow(__u64 cache, __u64 call_site, enum sc_writer w)
{
	struct slabcount_owner_key key = { .cache = cache, .call_site = call_site };
	struct slabcount_cache_val *cv;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&owners, &key);
	if (v) {
		*v += 1;
		return;
	}
	note_name(cache);
	if (bpf_map_update_elem(&owners, &key, &one, BPF_NOEXIST) == 0)
		return;
	v = bpf_map_lookup_elem(&owners, &key);
	if (v) {
		*v += 1;
		return;
	}
	/* Owner map full: the alloc still counts for its cache. */
	stat_inc(w == W_KMALLOC ? STAT_OWNER_FULL_KMALLOC : STAT_OWNER_FULL_CACHE);
	cv = cache_val(cache);
	if (!cv) {
		stat_inc(w == W_KMALLOC ? STAT_LOST_KMALLOC : STAT_LOST_CACHE_ALLOC);
		return;
	}
	if (w == W_KMALLOC)
		cv->allocs_unowned_kmalloc += 1;
	else
		cv->allocs_unowned_cache += 1;
}

static __always_inline void count_free_slow(__u64 cache, enum sc_writer w)
{
	struct slabcount_cache_val *cv = cache_val(cache);

	if (!cv) {
		stat_inc(w == W_KFREE ? STAT_LOST_KFREE : STAT_LOST_CACHE_FREE);
		return;
	}
	if (w == W_KFREE)
		cv->frees_kfree += 1;
	else
		cv->frees_cache_free += 1;
}

/* The cache of a kmalloc'd object, SLABCOUNT_KEY_LARGE when it is not in a
 * slab (a large kmalloc: kfree hands exactly those to free_large_kmalloc),
 * or 0 when this kernel cannot tell. */
static __always_inline __u64 object_cache(const void *ptr)
{
	struct kmem_cache *s;

	if (!have_get_kmem_cache)
		return 0;
	s = bpf_get_kmem_cache((__u64)ptr);
	return s ? (__u64)s : SLABCOUNT_KEY_LARGE;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(psc_cache_alloc, unsigned long call_site, const void *ptr, struct kmem_cache *s)
{
	if (skip_task())
		return 0;
	if (ptr)
		count_alloc(&fast_cache_alloc, (__u64)s, call_site, W_CACHE_ALLOC);
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(psc_cache_free, unsigned long call_site, const void *ptr, struct kmem_cache *s)
{
	if (skip_task())
		return 0;
	if (ptr)
		count_free(&fast_cache_free, (__u64)s, call_site, W_CACHE_FREE);
	return 0;
}

static __always_inline bool inside_kmalloc_entry(__u64 call_site)
{
	__u32 i;

	for (i = 0; i < SLABCOUNT_MAX_ENTRY_RANGES; i++) {
		if (i >= entry_n)
			break;
		if (call_site >= entry_lo[i] && call_site < entry_hi[i])
			return true;
	}
	return false;
}

SEC("tp_btf/kmalloc")
int BPF_PROG(psc_kmalloc, unsigned long call_site, const void *ptr)
{
	__u64 cache;

	if (skip_task())
		return 0;
	if (!ptr)
		return 0;
	cache = object_cache(ptr);
	if (cache == SLABCOUNT_KEY_LARGE && inside_kmalloc_entry(call_site))
		return 0;
	if (cache)
		count_alloc(&fast_kmalloc, cache, call_site, W_KMALLOC);
	else
		stat_inc(STAT_KMALLOC_UNATTRIBUTED);
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(psc_kfree, unsigned long call_site, const void *ptr)
{
	__u64 cache;

	if (skip_task())
		return 0;
	/* kfree(NULL) and kfree(ZERO_SIZE_PTR) fire the tracepoint but free
	 * nothing. */
	if ((unsigned long)ptr <= 16)
		return 0;
	cache = object_cache(ptr);
	if (cache)
		count_free(&fast_kfree, cache, call_site, W_KFREE);
	else
		stat_inc(STAT_KFREE_UNATTRIBUTED);
	return 0;
}
