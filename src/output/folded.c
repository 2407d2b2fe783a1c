#include "output/folded.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/stacktree.h"
#include "util/strbuf.h"

static void put_name(struct strbuf *path, const char *name)
{
	size_t start = path->len, i;

	strbuf_puts(path, name);
	/* The format's separators may not appear inside a frame. */
	for (i = start; i < path->len; i++)
		if (path->buf[i] == ';' || path->buf[i] == '\n' || path->buf[i] == '\r')
			path->buf[i] = '_';
}

static void walk(FILE *out, const struct stack_node *n, struct strbuf *path)
{
	size_t len = path->len, i;

	if (len)
		strbuf_puts(path, ";");
	put_name(path, n->name);
	if (n->self_count)
		fprintf(out, "%s %" PRIu64 "\n", path->buf, n->self_count);
	for (i = 0; i < n->nchildren; i++)
		walk(out, n->children[i], path);
	path->len = len;
	if (path->buf)
		path->buf[len] = '\0';
}

int folded_write(FILE *out, const struct stacktree *t)
{
	struct strbuf path = STRBUF_INIT;
	size_t i;

	/* The root ("all") is implicit in folded stacks. */
	for (i = 0; i < t->root.nchildren; i++)
		walk(out, t->root.children[i], &path);
	strbuf_release(&path);
	return ferror(out) ? -EIO : 0;
}
