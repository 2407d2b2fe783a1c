/* Caller/callee tree of allocation stacks: the root's children are tags
 * (or the outermost frames), each path down is one stack read caller
 * first, and every node holds the count and bytes of everything below it.
 * Built from a grouping whose dimensions include `stack`. Frames are merged
 * by function name (offsets dropped), as flame graphs do. */
#ifndef POOLSCOPE_ANALYSIS_STACKTREE_H
#define POOLSCOPE_ANALYSIS_STACKTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/group.h"

struct stack_node {
	char *name;		       /* owned */
	uint64_t count, bytes;	       /* this node and everything below it */
	uint64_t self_count, self_bytes; /* stacks that end here */
	struct stack_node **children;  /* owned */
	size_t nchildren, cap;
};

struct stacktree {
	struct stack_node root; /* name "all" */
	size_t nodes;
};

/* tag_root: put the tag above the outermost frame. Counts are each row's
 * count and bytes (the classes selected when grouping). */
int stacktree__build(const struct grouping *g, const struct group_opts *opts, bool tag_root,
		     struct stacktree **out);
void stacktree__free(struct stacktree *t);
/* Children ordered by count, largest first (rendering order). */
void stacktree__sort(struct stacktree *t);

#endif
