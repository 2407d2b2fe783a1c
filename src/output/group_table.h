/* The tables of `report --group` and `report --diff`, filled from the
 * plain rows of analysis/group.h into the one table model. */
#ifndef POOLSCOPE_OUTPUT_GROUP_TABLE_H
#define POOLSCOPE_OUTPUT_GROUP_TABLE_H

#include <stddef.h>

#include "analysis/group.h"

struct table;

/* One column per dimension (by its JSON name: type, kind, tag, stack_id +
 * stack (frames), size, pid, comm, callsite, function, cpu, ufunc), then count,
 * bytes, allocs, frees, outstanding, oldest_age_s. Rows in grouping order;
 * *out owned by the caller. 0 or -ENOMEM. */
int group_table__build(const struct grouping *g, const struct group_opts *opts,
		       struct table **out);

/* The frames of a stack (innermost first, "func+0x1a" as
 * trace_names__frame writes them) as a list cell; NULL when the stack is
 * unknown. 0 or -ENOMEM. */
int group_table__set_frames(struct table *t, int row, int col, const struct trace_names *names,
			    uint32_t stack_id);

/* Sort a group table by a column key (count, bytes, …, or a dimension's key)
 * with an optional ":asc"/":desc"; numbers default to descending. 0 or
 * -EINVAL for an unknown key. */
int group_table__sort(struct table *t, const char *spec);

/* The --diff table of group__diff's rows: the dimensions (stacks as their
 * frames), then outstanding and bytes in A and B and the change, largest
 * growth first. 0 or -ENOMEM. */
int group_diff_table__build(const struct group_diff_row *rows, size_t n,
			    const struct group_opts *oa, const struct group_opts *ob,
			    struct table **out);

/* group__diff and group_diff_table__build in one. 0 or -ENOMEM. */
int group_diff_table__compare(const struct grouping *a, const struct group_opts *oa,
			      const struct grouping *b, const struct group_opts *ob,
			      struct table **out);

#endif
