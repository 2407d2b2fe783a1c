#include "util/notes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct note *find(const struct notes *ns, const char *key)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i].key, key) == 0)
			return &ns->v[i];
	return NULL;
}

int notes_add(struct notes *ns, const char *key, const char *fmt, ...)
{
	struct note *n = find(ns, key);
	va_list ap;

	if (!n) {
		if (ns->n == ns->cap) {
			size_t cap = ns->cap ? ns->cap * 2 : 8;
			struct note *v = realloc(ns->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			ns->v = v;
			ns->cap = cap;
		}
		n = &ns->v[ns->n++];
		snprintf(n->key, sizeof(n->key), "%s", key);
	}
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof(n->text), fmt, ap);
	va_end(ap);
	return 0;
}

const struct note *notes_find(const struct notes *ns, const char *key)
{
	return find(ns, key);
}

void notes_clear(struct notes *ns)
{
	ns->n = 0;
}

void notes_add_all(struct notes *dst, const struct notes *src)
{
	for (size_t i = 0; i < src->n; i++)
		notes_add(dst, src->v[i].key, "%s", src->v[i].text);
}

void notes_release(struct notes *ns)
{
	free(ns->v);
	ns->v = NULL;
	ns->n = ns->cap = 0;
}
