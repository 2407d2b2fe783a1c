/* The address ranges of the kernel's own kmalloc entry points
 * (__kmalloc_noprof, __kvmalloc_node_noprof, ...), which both BPF loaders
 * need: on 6.18 a large kmalloc through one of them fires the kmalloc
 * tracepoint twice, first with a call site inside the entry point, and the
 * programs drop that inner event by its call site (see inner_large_kmalloc
 * in record.bpf.c and entry_lo in slabcount.bpf.c). */
#ifndef POOLSCOPE_BPF_KMALLOC_SITES_H
#define POOLSCOPE_BPF_KMALLOC_SITES_H

#include <stddef.h>
#include <stdint.h>

struct symtab;

/* Fill lo[i]..hi[i] (half-open: a function ends where the next symbol's
 * address starts) for up to max core-kernel functions named __kmalloc* or
 * __kvmalloc*, from ks (borrowed; the caller loaded /proc/kallsyms once for
 * the run). Returns how many were found (0 when none), or -ENOENT when ks
 * is NULL (kallsyms unreadable): the caller says what that costs. */
int kmalloc_entry_ranges(const struct symtab *ks, uint64_t *lo, uint64_t *hi, size_t max);

#endif
