/* Exact per-cache allocation/free counters from eBPF (the Allocs/Frees/Owner
 * columns of `top`). The BPF side only counts, in per-CPU maps; nothing per
 * event reaches user space and no per-object state is kept.
 * CONTRACT between the counter loader and `top`: change only additively. */
#ifndef POOLSCOPE_BPF_SLABCOUNT_H
#define POOLSCOPE_BPF_SLABCOUNT_H

#include <stddef.h>
#include <stdint.h>

struct slab_count {
	char name[64];		  /* cache name as /proc/slabinfo spells it */
	uint64_t allocs, frees;	  /* since slab_counters__start */
	uint64_t owner_call_site; /* call site with the most allocs here; 0 if none */
	uint64_t owner_allocs;	  /* allocs from that call site */
};

struct slab_counters;
struct symtab;

/* Probe the kernel, load, attach. ks is the run's /proc/kallsyms (borrowed,
 * only during the call; NULL when unreadable: the note then says a large
 * kmalloc through __kmalloc may count twice). On failure returns -errno and
 * writes one sentence into why (which privilege or kernel feature is missing). */
int slab_counters__start(const struct symtab *ks, struct slab_counters **out, char *why,
			 size_t whylen);
/* Current totals for every cache seen so far; *counts is malloc'd (caller
 * frees), *n its length. 0 or -errno. */
int slab_counters__read(struct slab_counters *sc, struct slab_count **counts, size_t *n);
/* Frees that could not be attributed to a cache exactly (counted, not guessed),
 * as of the last slab_counters__read. */
uint64_t slab_counters__unattributed(const struct slab_counters *sc);
/* Events not in any cache's Allocs/Frees, as of the last read: the
 * unattributed frees, unattributed kmallocs, events lost to full maps, and
 * events the kernel skipped because they fired inside our own program on
 * that CPU (BPF recursion protection, e.g. an interrupt). 0 means exact. */
uint64_t slab_counters__missed(const struct slab_counters *sc);
/* One line on how attribution works on this kernel, for the header/man page. */
const char *slab_counters__note(const struct slab_counters *sc);
/* Detach and unload; accepts NULL. */
void slab_counters__stop(struct slab_counters *sc);

#endif
