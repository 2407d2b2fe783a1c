// SPDX-License-Identifier: GPL-2.0
/* The floor of the counter benchmark: programs that do nothing on the same
 * four tracepoints, so the cost of merely being attached is measured in the
 * same run as the cost of counting. Built by bench/top_counters.sh only
 * (kept out of the bench directory itself, whose C files the Makefile
 * builds as host tools). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/kmem_cache_alloc")
int empty_cache_alloc(void *ctx)
{
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int empty_cache_free(void *ctx)
{
	return 0;
}

SEC("tp_btf/kmalloc")
int empty_kmalloc(void *ctx)
{
	return 0;
}

SEC("tp_btf/kfree")
int empty_kfree(void *ctx)
{
	return 0;
}
