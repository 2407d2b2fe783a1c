/* User-space stacks in a trace (record --user-stacks): every allocation's
 * kernel stack and user stack of its process joined into one stack id, so
 * that grouping, suspects and renderers keep treating "the stack" as one
 * thing; and the user frames named from the ELF symbol tables of the files
 * the process had mapped (the trace stores the mappings: the process may be
 * long gone, its files must still be there). Prints nothing. */
#ifndef POOLSCOPE_ANALYSIS_USERSTACKS_H
#define POOLSCOPE_ANALYSIS_USERSTACKS_H

#include <stdint.h>

#include "trace/trace.h"

struct user_frame;
struct userstacks;

/* r is borrowed for the object's life. NULL on ENOMEM. */
struct userstacks *userstacks__new(const struct trace_reader *r);
void userstacks__free(struct userstacks *us);
/* The joined stack id of an allocation (its kernel stack, user stack and
 * process): TRACE_NO_STACK when it has neither stack. 0 or -ENOMEM. */
int userstacks__join(struct userstacks *us, const struct trace_alloc *a, uint32_t *joined);
/* A directory of separate debug files, searched by build-id
 * (DIR/.build-id/ab/cdef….debug) before /usr/lib/debug, for files stripped
 * of their symbols or gone since: borrowed; NULL for the system's only. */
void userstacks__set_debug_dir(struct userstacks *us, const char *dir);
/* Name the user frames of every joined stack: once the trace is read (its
 * mappings are known). 0 or -ENOMEM; files that cannot be read leave their
 * frames as addresses. */
int userstacks__name(struct userstacks *us);
/* The kernel stack of a joined id (TRACE_NO_STACK when none). */
uint32_t userstacks__kernel(const struct userstacks *us, uint32_t joined);
/* The user frames of a joined id, innermost first (named once
 * userstacks__name ran), and what the user stack is: "frame pointers",
 * "frame pointers, truncated", "kernel thread (no user stack)", "not
 * recorded" (*what static). Returns the number of frames. */
int userstacks__frames(const struct userstacks *us, uint32_t joined,
		       const struct user_frame **frames, const char **what);

#endif
