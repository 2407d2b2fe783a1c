#include "analysis/stacktree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct stack_node *child_findnew(struct stacktree *t, struct stack_node *parent,
					const char *name)
{
	struct stack_node *n;
	size_t i;

	/* Fan-out is small (callers of one function): a scan beats a map. */
	for (i = 0; i < parent->nchildren; i++)
		if (strcmp(parent->children[i]->name, name) == 0)
			return parent->children[i];
	if (parent->nchildren == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct stack_node **grown = realloc(parent->children, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		parent->children = grown;
		parent->cap = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = strdup(name);
	if (!n->name) {
		free(n);
		return NULL;
	}
	parent->children[parent->nchildren++] = n;
	t->nodes++;
	return n;
}

int stacktree__build(const struct grouping *g, const struct group_opts *opts,
		     struct stacktree **out)
{
	struct stacktree *t = calloc(1, sizeof(*t));
	size_t i;
	char buf[256];
	int err = -ENOMEM;

	if (!t)
		return -ENOMEM;
	t->root.name = strdup("all");
	if (!t->root.name)
		goto out;
	for (i = 0; i < grouping__nrows(g); i++) {
		const struct group_row *r = grouping__row(g, i);
		struct stack_node *n = &t->root;
		const uint64_t *ips;
		int depth = trace_names__stack(opts->names, r->site->stack_id, &ips), f, d;

		n->count += r->count;
		n->bytes += r->bytes;
		for (d = 0; d < opts->ndims; d++) {
			if (opts->dims[d] == GD_STACK)
				continue;
			n = child_findnew(t, n, group_row__dim_text(r, opts, opts->dims[d], buf,
								   sizeof(buf)));
			if (!n)
				goto out;
			n->count += r->count;
			n->bytes += r->bytes;
		}
		const struct user_frame *uf;
		const char *what;
		int udepth = trace_names__user_stack(opts->names, r->site->stack_id, &uf, &what);

		/* --user-stacks: one merged stack, the user frames (outermost first
		 * from the root) above the kernel ones, each marked [u:FILE]. */
		for (f = udepth - 1; f >= 0; f--) {
			n = child_findnew(t, n, uf[f].function);
			if (!n)
				goto out;
			n->user = true;
			n->count += r->count;
			n->bytes += r->bytes;
		}
		if (depth <= 0 && udepth <= 0) {
			n = child_findnew(t, n, "[no stack]");
			if (!n)
				goto out;
			n->count += r->count;
			n->bytes += r->bytes;
		}
		for (f = depth - 1; f >= 0; f--) {
			n = child_findnew(t, n, trace_names__function(opts->names, ips[f], buf,
								      sizeof(buf)));
			if (!n)
				goto out;
			n->count += r->count;
			n->bytes += r->bytes;
		}
		/* Recorded on the stack budget, this stack also stands for its
		 * path's unwalked allocations: a pseudo-frame below the innermost
		 * one says so in every tree view (folded, HTML flame graph), as
		 * an ordinary frame flame graph tools parse (issue 12). */
		if (depth > 0 && trace_names__stack_estimated(opts->names, r->site->stack_id)) {
			n = child_findnew(t, n, STACKTREE_ESTIMATE_FRAME);
			if (!n)
				goto out;
			n->count += r->count;
			n->bytes += r->bytes;
		}
		n->self_count += r->count;
		n->self_bytes += r->bytes;
	}
	*out = t;
	t = NULL;
	err = 0;
out:
	stacktree__free(t);
	return err;
}

static void node_free(struct stack_node *n)
{
	size_t i;

	for (i = 0; i < n->nchildren; i++) {
		node_free(n->children[i]);
		free(n->children[i]);
	}
	free(n->children);
	free(n->name);
}

void stacktree__free(struct stacktree *t)
{
	if (!t)
		return;
	node_free(&t->root);
	free(t);
}

static int by_count(const void *pa, const void *pb)
{
	const struct stack_node *a = *(struct stack_node *const *)pa;
	const struct stack_node *b = *(struct stack_node *const *)pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->name, b->name);
}

static void node_sort(struct stack_node *n)
{
	size_t i;

	if (!n->nchildren)
		return; /* leaves have no array to sort (qsort wants non-NULL) */
	qsort(n->children, n->nchildren, sizeof(*n->children), by_count);
	for (i = 0; i < n->nchildren; i++)
		node_sort(n->children[i]);
}

void stacktree__sort(struct stacktree *t)
{
	node_sort(&t->root);
}
