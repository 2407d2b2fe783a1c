// SPDX-License-Identifier: GPL-2.0
/* A floor of the record benchmark: on the four slab tracepoints, programs
 * that only read the clock each event carries (bpf_ktime_get_ns), into a
 * per-CPU slot so that the call is not dropped. Against empty_tp.bpf.c in
 * the same run, the cost of the timestamp alone. Built by
 * bench/record_overhead.sh only. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last SEC(".maps");

static __always_inline int stamp(void)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&last, &zero);

	if (v)
		*v = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int clock_cache_alloc(void *ctx)
{
	return stamp();
}

SEC("tp_btf/kmem_cache_free")
int clock_cache_free(void *ctx)
{
	return stamp();
}

SEC("tp_btf/kmalloc")
int clock_kmalloc(void *ctx)
{
	return stamp();
}

SEC("tp_btf/kfree")
int clock_kfree(void *ctx)
{
	return stamp();
}
