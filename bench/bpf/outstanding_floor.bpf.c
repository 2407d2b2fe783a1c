// SPDX-License-Identifier: GPL-2.0
/* The floor of an exact outstanding-object tracker with a stack per
 * allocation (memleak's design reduced to its bones): stack_floor.bpf.c's
 * walk, then the object into a preallocated hash (pointer → stack id) on
 * each allocation, and out of it on each free — the free tracepoints must be
 * hooked to know what is outstanding at all. No counts, no timestamps, no
 * filters. Against stack_floor in the same run: what tracking the objects
 * costs over the walk. Built by bench/record_overhead.sh only. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#include "floor_stacks.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144); /* as record's outstanding map */
	__type(key, __u64);
	__type(value, __s64);
} live SEC(".maps");

/* tp_btf arguments: kmem_cache_alloc (call_site, ptr, ...), kmalloc
 * (call_site, ptr, ...), kmem_cache_free (call_site, ptr, s), kfree
 * (call_site, ptr). */
static __always_inline int on_alloc(__u64 *ctx)
{
	__u64 ptr = ctx[1];
	__s64 id = bpf_get_stackid(ctx, &floor_stacks, FLOOR_STACK_FLAGS);

	if (ptr)
		bpf_map_update_elem(&live, &ptr, &id, BPF_ANY);
	return 0;
}

static __always_inline int on_free(__u64 *ctx)
{
	__u64 ptr = ctx[1];

	if (ptr)
		bpf_map_delete_elem(&live, &ptr);
	return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int of_cache_alloc(__u64 *ctx)
{
	return on_alloc(ctx);
}

SEC("tp_btf/kmalloc")
int of_kmalloc(__u64 *ctx)
{
	return on_alloc(ctx);
}

SEC("tp_btf/kmem_cache_free")
int of_cache_free(__u64 *ctx)
{
	return on_free(ctx);
}

SEC("tp_btf/kfree")
int of_kfree(__u64 *ctx)
{
	return on_free(ctx);
}
