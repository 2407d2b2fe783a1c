/* The tables of `handles`: one row per process, every handle of a process,
 * the system summary (fds by type, kernel-wide resources, IPC objects) and
 * the (process, type) rows that grew. Fills the one table model and renders
 * it; nothing here reads /proc. */
#ifndef POOLSCOPE_OUTPUT_HANDLE_TABLES_H
#define POOLSCOPE_OUTPUT_HANDLE_TABLES_H

#include <stdint.h>
#include <stdio.h>

#include "analysis/handle_growth.h"
#include "model/handle_detail.h"
#include "model/handle_resources.h"
#include "model/handle_scan.h"
#include "output/table.h"

struct user_names;

/* One row per process of snap, in its order: pid, user, comm, fds, the top
 * types (JSON: every type f matches), threads, maps, fd limit and both
 * percentages (max_map_count 0: no Maps%). *out is owned by the caller.
 * 0 or -ENOMEM. */
int handle_process_table(const struct handles_snapshot *snap, const struct handle_kind_filter *f,
			 struct user_names *users, uint64_t max_map_count, struct table **out);

/* The listing of every handle: pid, comm, fd, type, flags, name. */
struct table *handle_listing_table_new(void);
/* Where handle_listing_visit appends; both borrowed. */
struct handle_listing {
	struct table *t; /* made by handle_listing_table_new */
	const struct handle_kind_filter *kinds; /* NULL: every kind */
};

/* A handles_detail_visit_fn (ctx: a struct handle_listing): append the
 * handles of process pid (rows, n of them) of the kinds it matches. 0 or
 * -ENOMEM. */
int handle_listing_visit(void *ctx, int pid, const char *comm, const struct handle_detail *rows,
			 int n);

/* The summary of snap (fds by type f matches, with a total), res and ipc:
 * JSON as one object, text and CSV as up to three tables. 0, -ENOMEM or
 * -EIO (write error). */
int handle_summary_render(FILE *out, enum output_format fmt, const struct handles_snapshot *snap,
			  const struct handle_kind_filter *f, const struct handle_resources *res,
			  const struct ipc_list *ipc, struct user_names *users);

/* One interval's growth rows (g, n of them, sorted) of the kinds f matches
 * (total rows only without a filter), the first top (0: all): JSON as one
 * object per line, text with a "after Ns: N growing rows" line. Flushed.
 * 0, -ENOMEM or -EIO. */
int handle_growth_render(FILE *out, enum output_format fmt, const struct handles_growth *g, int n,
			 double elapsed_s, const struct handle_kind_filter *f, int top);

#endif
