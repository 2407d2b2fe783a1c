// SPDX-License-Identifier: GPL-2.0
/* The floor of any recorder that takes an exact kernel stack per allocation:
 * on the same allocation tracepoints as `record`, take the stack id exactly as
 * record does (same map shape, same skip) and nothing else — no map of
 * outstanding objects, no event. bench/record_overhead.sh runs it as the
 * "stack_floor" arm: no tool with a stack on every allocation can be faster
 * than this on this kernel. Built by that script only. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#include "floor_stacks.h"

SEC("tp_btf/kmem_cache_alloc")
int floor_cache_alloc(void *ctx)
{
	bpf_get_stackid(ctx, &floor_stacks, FLOOR_STACK_FLAGS);
	return 0;
}

SEC("tp_btf/kmalloc")
int floor_kmalloc(void *ctx)
{
	bpf_get_stackid(ctx, &floor_stacks, FLOOR_STACK_FLAGS);
	return 0;
}
