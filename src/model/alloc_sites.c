#include "model/alloc_sites.h"

#include <errno.h>
#include <string.h>

int alloc_sites_read(struct allocinfo *ai, struct strbuf *sb, struct notes *ns)
{
	int err = allocinfo_read(ai, sb);

	if (err == -ENOENT)
		notes_add(ns, "allocinfo-unreadable",
			  "this kernel has no /proc/allocinfo: it was built without "
			  "CONFIG_MEM_ALLOC_PROFILING");
	else if (err == -EACCES || err == -EPERM)
		notes_add(ns, "allocinfo-unreadable", "/proc/allocinfo is readable only by root");
	else if (err)
		notes_add(ns, "allocinfo-unreadable", "cannot read /proc/allocinfo: %s",
			  strerror(-err));
	if (!err && ai->skipped)
		notes_add(ns, "allocinfo-malformed",
			  "/proc/allocinfo line %u is malformed; skipping such lines",
			  ai->first_skipped_line);
	return err;
}
