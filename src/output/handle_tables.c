#include "output/handle_tables.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "output/json.h"
#include "util/strbuf.h"
#include "util/user_names.h"

#define TOP_KINDS_SHOWN 3

/* "{"tcp":5,"pipe":2}" and "tcp:5 pipe:2 file:1" (top kinds) for one process. */
static void kinds_cell(const struct handle_kind_filter *f, const struct proc_handles *p,
		       struct strbuf *json, struct strbuf *text)
{
	enum fd_kind top[FD_KIND_COUNT];
	int n = proc_handles_top_kinds(p, top, FD_KIND_COUNT), i, shown = 0;

	strbuf_reset(json);
	strbuf_reset(text);
	strbuf_puts(json, "{");
	for (i = 0; i < n; i++) {
		if (!handle_kind_filter_matches(f, top[i]))
			continue;
		strbuf_printf(json, "%s\"%s\":%u", shown ? "," : "", fd_kind_name(top[i]),
			      p->kinds[top[i]]);
		if (shown < TOP_KINDS_SHOWN)
			strbuf_printf(text, "%s%s:%u", shown ? " " : "", fd_kind_name(top[i]),
				      p->kinds[top[i]]);
		shown++;
	}
	strbuf_puts(json, "}");
	if (!shown)
		strbuf_puts(text, "-");
}

int handle_process_table(const struct handles_snapshot *snap, const struct handle_kind_filter *f,
			 struct user_names *users, uint64_t max_map_count, struct table **out)
{
	struct strbuf json = STRBUF_INIT, text = STRBUF_INIT;
	struct table *t = table_new();
	int i, err = -ENOMEM;

	*out = NULL;
	if (!t)
		goto out;
	if (table_add_col(t, "PID", "pid", COL_INT, 0) < 0 ||
	    table_add_col(t, "User", "user", COL_STR, 0) < 0 ||
	    table_add_col(t, "Command", "comm", COL_STR, COL_SQUEEZE) < 0 ||
	    table_add_col(t, "FDs", "fds", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Top types", "types", COL_JSON, 0) < 0 ||
	    table_add_col(t, "Threads", "threads", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Maps", "maps", COL_UINT, 0) < 0 ||
	    table_add_col(t, "FD limit", "fd_limit", COL_UINT, 0) < 0 ||
	    table_add_col(t, "FD%", "fd_pct", COL_DOUBLE, COL_JSON_ROUNDED) < 0 ||
	    table_add_col(t, "Maps%", "maps_pct", COL_DOUBLE, COL_JSON_ROUNDED) < 0)
		goto out;
	for (i = 0; i < snap->count; i++) {
		const struct proc_handles *p = &snap->procs[i];
		double pct = proc_handles_fd_pct(p);
		int r = table_add_row(t);

		if (r < 0)
			goto out;
		kinds_cell(f, p, &json, &text);
		table_set_int(t, r, 0, p->pid);
		if (table_set_str(t, r, 1, user_names_get(users, p->uid)) ||
		    table_set_str(t, r, 2, p->comm) ||
		    table_set_json(t, r, 4, strbuf_str(&json), strbuf_str(&text)))
			goto out;
		table_set_uint(t, r, 3, p->fds);
		table_set_uint(t, r, 5, p->threads);
		if (p->maps != HANDLES_UNKNOWN) {
			table_set_uint(t, r, 6, p->maps);
			if (max_map_count)
				table_set_double(t, r, 9, 100.0 * (double)p->maps /
								 (double)max_map_count);
		}
		if (p->fd_soft_limit != HANDLES_UNKNOWN) /* also "unlimited" */
			table_set_uint(t, r, 7, p->fd_soft_limit);
		if (pct >= 0)
			table_set_double(t, r, 8, pct);
	}
	*out = t;
	t = NULL;
	err = 0;
out:
	table_free(t);
	strbuf_release(&json);
	strbuf_release(&text);
	return err;
}

struct table *handle_listing_table_new(void)
{
	struct table *t = table_new();

	if (!t)
		return NULL;
	if (table_add_col(t, "PID", "pid", COL_INT, 0) < 0 ||
	    table_add_col(t, "Command", "comm", COL_STR, 0) < 0 ||
	    table_add_col(t, "FD", "fd", COL_INT, 0) < 0 ||
	    table_add_col(t, "Type", "type", COL_STR, 0) < 0 ||
	    table_add_col(t, "Flags", "flags", COL_STR, 0) < 0 ||
	    table_add_col(t, "Name", "name", COL_STR, 0) < 0) {
		table_free(t);
		return NULL;
	}
	return t;
}

int handle_listing_visit(void *ctx, int pid, const char *comm, const struct handle_detail *rows,
			 int n)
{
	const struct handle_listing *l = ctx;
	const struct handle_kind_filter *f = l->kinds;
	struct table *t = l->t;
	int j;

	for (j = 0; j < n; j++) {
		int r;

		if (!handle_kind_filter_matches(f, rows[j].kind))
			continue;
		r = table_add_row(t);
		if (r < 0)
			return r;
		table_set_int(t, r, 0, pid);
		table_set_int(t, r, 2, rows[j].fd);
		if (table_set_str(t, r, 1, comm) ||
		    table_set_str(t, r, 3, fd_kind_name(rows[j].kind)) ||
		    table_set_str(t, r, 4, rows[j].flags[0] ? rows[j].flags : NULL) ||
		    table_set_str(t, r, 5, rows[j].name))
			return -ENOMEM;
	}
	return 0;
}

/* fds by type: one row per kind f matches that any process holds, most
 * first; *total is their sum. */
static int fill_types(struct table *t, const struct handles_snapshot *snap,
		      const struct handle_kind_filter *f, uint64_t *total)
{
	int k;

	*total = 0;
	if (table_add_col(t, "Type", "type", COL_STR, 0) < 0 ||
	    table_add_col(t, "Count", "count", COL_UINT, 0) < 0 ||
	    table_add_col(t, "%", "pct", COL_DOUBLE, COL_JSON_ROUNDED) < 0)
		return -ENOMEM;
	for (k = 0; k < FD_KIND_COUNT; k++)
		if (handle_kind_filter_matches(f, (enum fd_kind)k))
			*total += snap->kinds_total[k];
	for (k = 0; k < FD_KIND_COUNT; k++) {
		int r;

		if (!snap->kinds_total[k] || !handle_kind_filter_matches(f, (enum fd_kind)k))
			continue;
		r = table_add_row(t);
		if (r < 0)
			return r;
		if (table_set_str(t, r, 0, fd_kind_name((enum fd_kind)k)))
			return -ENOMEM;
		table_set_uint(t, r, 1, snap->kinds_total[k]);
		table_set_double(t, r, 2, *total ? 100.0 * snap->kinds_total[k] / *total : 0);
	}
	table_sort(t, 1, true);
	return 0;
}

/* The resources table: a per-user resource is named with its user. */
static int fill_resources(struct table *t, const struct handle_resources *res,
			  struct user_names *users)
{
	int i;

	if (table_add_col(t, "Resource", "name", COL_STR, 0) < 0 ||
	    table_add_col(t, "Used", "used", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Limit", "limit", COL_UINT, 0) < 0 ||
	    table_add_col(t, "%", "pct", COL_DOUBLE, COL_JSON_ROUNDED) < 0)
		return -ENOMEM;
	for (i = 0; i < res->count; i++) {
		const struct handle_resource *r = &res->items[i];
		char name[128];
		int row = table_add_row(t);

		if (row < 0)
			return row;
		if (r->per_user)
			snprintf(name, sizeof(name), "%s (%s)", r->name,
				 user_names_get(users, r->uid));
		else
			snprintf(name, sizeof(name), "%s", r->name);
		if (table_set_str(t, row, 0, name))
			return -ENOMEM;
		table_set_uint(t, row, 1, r->used);
		if (r->limit) {
			table_set_uint(t, row, 2, r->limit);
			table_set_double(t, row, 3, 100.0 * (double)r->used / (double)r->limit);
		}
	}
	return 0;
}

static int fill_ipc(struct table *t, const struct ipc_list *ipc, struct user_names *users)
{
	int i;

	if (table_add_col(t, "IPC", "kind", COL_STR, 0) < 0 ||
	    table_add_col(t, "Key/name", "key", COL_STR, 0) < 0 ||
	    table_add_col(t, "ID", "id", COL_INT, 0) < 0 ||
	    table_add_col(t, "Owner", "owner", COL_STR, 0) < 0 ||
	    table_add_col(t, "Creator", "creator", COL_STR, 0) < 0 ||
	    table_add_col(t, "CPID", "cpid", COL_INT, 0) < 0 ||
	    table_add_col(t, "Bytes", "bytes", COL_UINT, COL_HUMAN_BYTES) < 0 ||
	    table_add_col(t, "Count", "count", COL_UINT, 0) < 0)
		return -ENOMEM;
	for (i = 0; i < ipc->count; i++) {
		const struct ipc_object *obj = &ipc->objects[i];
		char key[24];
		int r = table_add_row(t);

		if (r < 0)
			return r;
		if (table_set_str(t, r, 0, ipc_kind_name(obj->kind)))
			return -ENOMEM;
		if (obj->kind == IPC_KIND_MQUEUE) {
			if (table_set_str(t, r, 1, obj->name))
				return -ENOMEM;
		} else {
			snprintf(key, sizeof(key), "0x%08llx", (unsigned long long)obj->key);
			table_set_int(t, r, 2, obj->id);
			if (table_set_str(t, r, 1, key))
				return -ENOMEM;
		}
		if (table_set_str(t, r, 3, user_names_get(users, obj->uid)) ||
		    table_set_str(t, r, 4, user_names_get(users, obj->cuid)))
			return -ENOMEM;
		if (obj->kind == IPC_KIND_SHM)
			table_set_int(t, r, 5, obj->cpid);
		table_set_uint(t, r, 6, obj->bytes);
		table_set_uint(t, r, 7, obj->count);
	}
	return 0;
}

static int render_summary_tables(FILE *out, enum output_format fmt, uint64_t total,
				 struct table *types, const struct table *res,
				 const struct table *objs)
{
	int r, err;

	r = table_add_row(types);
	if (r < 0)
		return r;
	if (table_set_str(types, r, 0, "total"))
		return -ENOMEM;
	table_set_uint(types, r, 1, total);
	table_set_double(types, r, 2, total ? 100.0 : 0);
	err = table_render(types, fmt, out, NULL);
	if (!err) {
		fputc('\n', out);
		err = table_render(res, fmt, out, NULL);
	}
	if (!err && table_rows(objs)) {
		fputc('\n', out);
		err = table_render(objs, fmt, out, NULL);
	}
	return err;
}

static int render_summary_json(FILE *out, const struct handles_snapshot *snap, uint64_t total,
			       const struct table *types, const struct table *res,
			       const struct table *objs)
{
	struct json_writer *w = json_writer_new(out);
	int r;

	if (!w)
		return -ENOMEM;
	json_begin_object(w);
	json_key(w, "types");
	json_begin_object(w);
	for (r = 0; r < table_rows(types); r++)
		json_kv_uint(w, table_get_str(types, r, 0), table_get_uint(types, r, 1));
	json_end_object(w);
	json_kv_uint(w, "total", total);
	json_kv_int(w, "processes", snap->count);
	json_kv_int(w, "skipped_processes", snap->skipped_denied);
	json_kv_string(w, "method", snap->used_bpf ? "bpf-iter" : "proc");
	json_key(w, "resources");
	table_render_json_rows(res, w);
	json_key(w, "ipc");
	table_render_json_rows(objs, w);
	json_end_object(w);
	json_writer_free(w);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}

int handle_summary_render(FILE *out, enum output_format fmt, const struct handles_snapshot *snap,
			  const struct handle_kind_filter *f, const struct handle_resources *res,
			  const struct ipc_list *ipc, struct user_names *users)
{
	struct table *types = table_new(), *rt = table_new(), *objs = table_new();
	uint64_t total;
	int err = -ENOMEM;

	if (!types || !rt || !objs)
		goto out;
	err = fill_types(types, snap, f, &total);
	if (!err)
		err = fill_resources(rt, res, users);
	if (!err)
		err = fill_ipc(objs, ipc, users);
	if (err)
		goto out;
	if (fmt == FMT_JSON)
		err = render_summary_json(out, snap, total, types, rt, objs);
	else
		err = render_summary_tables(out, fmt, total, types, rt, objs);
out:
	table_free(types);
	table_free(rt);
	table_free(objs);
	return err;
}

int handle_growth_render(FILE *out, enum output_format fmt, const struct handles_growth *g, int n,
			 double elapsed_s, const struct handle_kind_filter *f, int top)
{
	struct table *t = table_new();
	int i, rows = 0, err = -ENOMEM;

	if (!t)
		goto out;
	if (table_add_col(t, "PID", "pid", COL_INT, 0) < 0 ||
	    table_add_col(t, "Command", "comm", COL_STR, 0) < 0 ||
	    table_add_col(t, "Type", "type", COL_STR, 0) < 0 ||
	    table_add_col(t, "Before", "before", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Now", "now", COL_UINT, 0) < 0 ||
	    table_add_col(t, "Growth", "growth", COL_INT, COL_SIGNED) < 0 ||
	    table_add_col(t, "Per min", "per_minute", COL_DOUBLE, 0) < 0)
		goto out;
	for (i = 0; i < n && (!top || rows < top); i++) {
		int r;

		if (g[i].kind != FD_KIND_COUNT && !handle_kind_filter_matches(f, g[i].kind))
			continue;
		if (g[i].kind == FD_KIND_COUNT && f && f->on)
			continue;
		r = table_add_row(t);
		if (r < 0)
			goto out;
		rows++;
		table_set_int(t, r, 0, g[i].pid);
		if (table_set_str(t, r, 1, g[i].comm) ||
		    table_set_str(t, r, 2, g[i].kind == FD_KIND_COUNT ? "total"
								      : fd_kind_name(g[i].kind)))
			goto out;
		table_set_uint(t, r, 3, g[i].before);
		table_set_uint(t, r, 4, g[i].after);
		table_set_int(t, r, 5, (int64_t)g[i].after - g[i].before);
		table_set_double(t, r, 6, g[i].per_minute);
	}
	if (fmt == FMT_JSON) {
		struct json_writer *w = json_writer_new(out);

		if (!w)
			goto out;
		/* One object per interval and line, so a consumer can stream. */
		json_begin_object(w);
		json_kv_double(w, "elapsed_s", elapsed_s);
		json_key(w, "growth");
		table_render_json_rows(t, w);
		json_end_object(w);
		json_writer_free(w);
		fputc('\n', out);
		err = 0;
	} else {
		if (fmt == FMT_TEXT)
			fprintf(out, "after %.1fs: %d growing (process, type) row%s\n", elapsed_s,
				rows, rows == 1 ? "" : "s");
		err = table_render(t, fmt, out, NULL);
	}
	/* Each interval is flushed, so a full disk or a closed pipe ends the
	 * loop now instead of at Ctrl-C. */
	if ((fflush(out) != 0 || ferror(out)) && !err)
		err = -EIO;
out:
	table_free(t);
	return err;
}
