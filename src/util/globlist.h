/* A list of shell globs with PoolMon-style include/exclude: a pattern that
 * starts with '!' excludes. A name matches when it matches no exclude and,
 * if there is at least one include, at least one include. */
#ifndef POOLSCOPE_UTIL_GLOBLIST_H
#define POOLSCOPE_UTIL_GLOBLIST_H

#include <stdbool.h>

struct globlist {
	char **patterns; /* owned */
	int count;
	int includes; /* how many do not start with '!' */
};

/* Add one pattern, or several separated by commas. 0 or -ENOMEM/-EINVAL. */
int globlist_add(struct globlist *gl, const char *spec);
bool globlist_match(const struct globlist *gl, const char *name);
bool globlist_empty(const struct globlist *gl);
void globlist_clear(struct globlist *gl);

#endif
