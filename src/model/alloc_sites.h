/* Allocation sites (`top --sites`): /proc/allocinfo read into plain sites,
 * with what was skipped as a note instead of a printed warning. */
#ifndef POOLSCOPE_MODEL_ALLOC_SITES_H
#define POOLSCOPE_MODEL_ALLOC_SITES_H

#include "kernel/allocinfo.h"
#include "util/notes.h"
#include "util/strbuf.h"

/* allocinfo_read (the same errors: -ENOENT without CONFIG_MEM_ALLOC_PROFILING,
 * -EACCES/-EPERM not root), with the sentence for an error as the note
 * "allocinfo-unreadable"; malformed lines become the note
 * "allocinfo-malformed". ai borrows sb. */
int alloc_sites_read(struct allocinfo *ai, struct strbuf *sb, struct notes *ns);

#endif
