#include "output/snapshot_write.h"

#include <math.h>
#include <stdio.h>

#include "model/handle_resources.h"
#include "model/handles.h"
#include "model/pool.h"
#include "model/series_name.h"
#include "output/json.h"
#include "util/timeutil.h"

static double slope(const struct snapshot_view *v, const char *series)
{
	double s = v->slope ? v->slope(v->ctx, series) : NAN;

	return isfinite(s) ? s : NAN;
}

static void caches(struct json_writer *w, const struct snapshot_view *v)
{
	char name[256];
	size_t i;

	json_key(w, "caches");
	json_begin_object(w);
	for (i = 0; v->pool && i < v->pool->count; i++) {
		const struct pool_tag *t = &v->pool->tags[i];

		if (!t->have_slab)
			continue;
		json_key(w, t->name);
		json_begin_object(w);
		json_kv_uint(w, "bytes", t->bytes);
		json_kv_uint(w, "objects", t->objs);
		json_kv_bool(w, "reclaimable", t->have_type && t->reclaimable);
		json_kv_double(w, "bytes_per_s", slope(v, series_name_slab(name, sizeof(name), t->name, "bytes")));
		json_kv_double(w, "objects_per_s", slope(v, series_name_slab(name, sizeof(name), t->name, "objs")));
		json_end_object(w);
	}
	json_end_object(w);
}

static void resources(struct json_writer *w, const struct snapshot_view *v)
{
	char resource[160], name[192];
	int i;

	json_key(w, "resources");
	json_begin_object(w);
	for (i = 0; v->resources && i < v->resources->count; i++) {
		const struct handle_resource *r = &v->resources->items[i];
		double ex;

		if (r->per_user)
			snprintf(resource, sizeof(resource), "%s uid %u", r->name, r->uid);
		else
			snprintf(resource, sizeof(resource), "%s", r->name);
		series_name_sys(name, sizeof(name), resource);
		json_key(w, resource);
		json_begin_object(w);
		json_kv_uint(w, "used", r->used);
		json_key(w, "limit");
		if (r->limit)
			json_uint(w, r->limit);
		else
			json_null(w);
		json_kv_double(w, "per_s", slope(v, name));
		ex = v->exhaustion ? v->exhaustion(v->ctx, name) : -1;
		json_key(w, "exhaustion_s");
		if (ex >= 0)
			json_double(w, ex);
		else
			json_null(w);
		json_end_object(w);
	}
	json_end_object(w);
}

static void meminfo(struct json_writer *w, const struct meminfo *mem)
{
	int f;

	json_key(w, "meminfo");
	json_begin_object(w);
	for (f = 0; mem && f < MI_NR_FIELDS; f++)
		if (meminfo_has(mem, (enum meminfo_field)f))
			json_kv_uint(w, meminfo_json_key((enum meminfo_field)f), mem->bytes[f]);
	json_end_object(w);
}

static void processes(struct json_writer *w, const struct snapshot_view *v)
{
	char name[192];
	size_t i;
	int k;

	json_key(w, "processes");
	json_begin_array(w);
	for (i = 0; v->procs && i < v->ntop; i++) {
		const struct proc_handles *p = &v->procs->procs[v->top[i]];

		json_begin_object(w);
		json_kv_int(w, "pid", p->pid);
		json_kv_string(w, "comm", p->comm);
		json_kv_uint(w, "fds", p->fds);
		json_key(w, "types");
		json_begin_object(w);
		for (k = 0; k < FD_KIND_COUNT; k++)
			if (p->kinds[k])
				json_kv_uint(w, fd_kind_name((enum fd_kind)k), p->kinds[k]);
		json_end_object(w);
		json_kv_double(w, "fds_per_s",
			       slope(v, series_name_proc(name, sizeof(name), p->pid, p->starttime, "fds")));
		json_kv_uint(w, "threads", p->threads);
		if (p->maps != HANDLES_UNKNOWN)
			json_kv_uint(w, "maps", p->maps);
		json_end_object(w);
	}
	json_end_array(w);
}

void snapshot_write(struct json_writer *w, const struct snapshot_view *v)
{
	char t[40];

	json_begin_object(w);
	json_kv_int(w, "poolscope_snapshot", 1);
	json_kv_string(w, "host", v->host);
	json_kv_string(w, "kernel", v->kernel);
	json_kv_string(w, "boot_id", v->boot_id);
	json_kv_string(w, "time", format_iso8601(v->realtime_ns, t, sizeof(t)));
	json_kv_double(w, "uptime_s", v->uptime_s);
	json_kv_double(w, "window_s", v->window_s);
	caches(w, v);
	resources(w, v);
	meminfo(w, v->mem);
	processes(w, v);
	json_end_object(w);
}
