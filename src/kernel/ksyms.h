/* /proc/kallsyms, loaded into the one symbol table type (util/symtab.h).
 * A run loads it once and passes the table to whoever resolves addresses:
 * the pool sampler, the eBPF loaders (kmalloc entry points), the recorder. */
#ifndef POOLSCOPE_KERNEL_KSYMS_H
#define POOLSCOPE_KERNEL_KSYMS_H

#include "util/symtab.h"

struct notes;

/* Load /proc/kallsyms. -errno on failure, with a note saying why (notes may
 * be NULL); -EPERM when the addresses read as 0 (not root, kptr_restrict):
 * the caller says "kernel symbols need root". */
int ksyms__load(struct symtab **out, struct notes *notes);

#endif
