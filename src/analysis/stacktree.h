/* Caller/callee tree of allocation stacks: each path down from the root is
 * one stack read caller first (below the grouping's other dimensions, the
 * tag by default), and every node holds the count and bytes of everything
 * below it.
 * Built from a grouping whose dimensions include `stack`. Frames are merged
 * by function name (offsets dropped), as flame graphs do. */
#ifndef POOLSCOPE_ANALYSIS_STACKTREE_H
#define POOLSCOPE_ANALYSIS_STACKTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/group.h"

/* The leaf pseudo-frame of a stack whose figures are estimates within an
 * exactly counted path (recorded on the stack budget). */
#define STACKTREE_ESTIMATE_FRAME "[estimate]"

struct stack_node {
	char *name;		       /* owned */
	uint64_t count, bytes;	       /* this node and everything below it */
	uint64_t self_count, self_bytes; /* stacks that end here */
	bool user;		       /* a user-space frame (record --user-stacks) */
	struct stack_node **children;  /* owned */
	size_t nchildren, cap;
};

struct stacktree {
	struct stack_node root; /* name "all" */
	size_t nodes;
};

/* Every dimension of opts other than the stack, in order, is a level above
 * the outermost frame (grouped by tag and stack: the tag; by comm, tag and
 * stack: the comm, then the tag). Counts are each row's count and bytes
 * (the classes selected when grouping). 0 or -ENOMEM. */
int stacktree__build(const struct grouping *g, const struct group_opts *opts,
		     struct stacktree **out);
void stacktree__free(struct stacktree *t);
/* Children ordered by count, largest first (rendering order). */
void stacktree__sort(struct stacktree *t);

#endif
