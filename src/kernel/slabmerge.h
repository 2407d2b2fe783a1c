/* The caches SLUB merged, as seen on this boot: what `report` needs to name
 * a trace's merged cache by all its names (a trace keeps the kernel's one
 * name per cache), and only when the trace was recorded on this very boot. */
#ifndef POOLSCOPE_KERNEL_SLABMERGE_H
#define POOLSCOPE_KERNEL_SLABMERGE_H

#include "kernel/slabsys.h"

/* Read /sys/kernel/slab into ss when boot_id (a trace's) is this machine's
 * boot (/proc/sys/kernel/random/boot_id). 0, -ESRCH (another boot, or an
 * unreadable boot id: the merges may differ), or slabsys_read's -errno.
 * ss is released by the caller (slabsys_release) in every case. */
int slabmerge_read(struct slabsys *ss, const char *boot_id);

/* Every name of the cache that name belongs to: how many (*names borrowed
 * from ss, name among them), or 0 when unknown. ss is a struct slabsys; the
 * signature is that of a merged-names callback. */
int slabmerge_names(void *ss, const char *name, const char *const **names);

#endif
