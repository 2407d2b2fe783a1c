/* Folded stacks ("caller;…;callee count" per line): the input of
 * flamegraph.pl, speedscope and inferno. */
#ifndef POOLSCOPE_OUTPUT_FOLDED_H
#define POOLSCOPE_OUTPUT_FOLDED_H

#include <stdio.h>

struct stacktree;

/* One line per path that ends somewhere (self count > 0), sorted by the
 * tree's order; ';' and newlines inside names become '_'. 0 or -EIO. */
int folded_write(FILE *out, const struct stacktree *t);

#endif
