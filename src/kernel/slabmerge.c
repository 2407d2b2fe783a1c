#include "kernel/slabmerge.h"

#include <errno.h>
#include <string.h>

#include "util/procfs.h"

int slabmerge_read(struct slabsys *ss, const char *boot_id)
{
	char boot[64] = "";

	if (procfs_read_line(-1, "/proc/sys/kernel/random/boot_id", boot, sizeof(boot)))
		return -ESRCH;
	boot[strcspn(boot, "\n")] = '\0';
	if (strcmp(boot, boot_id))
		return -ESRCH;
	return slabsys_read(ss, "/sys/kernel/slab");
}

int slabmerge_names(void *ss, const char *name, const char *const **names)
{
	const struct slab_group *g = slabsys_find(ss, name);

	if (!g)
		return 0;
	*names = (const char *const *)g->names;
	return g->nnames;
}
