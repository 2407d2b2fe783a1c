#include "output/watch_metrics.h"

#include <errno.h>
#include <stdio.h>

#include "kernel/memcg.h"
#include "kernel/psi.h"
#include "model/handle_resources.h"
#include "model/handles.h"
#include "model/pool.h"
#include "output/prom.h"
#include "output/prom_families.h"

static int one(struct prom_exposition *e, const char *family, const char *k1, const char *v1,
	       const char *k2, const char *v2, double v)
{
	struct prom_label l[2] = {{k1, v1}, {k2, v2}};
	size_t n = k2 ? 2 : k1 ? 1 : 0;

	return prom_sample(e, family, n ? l : NULL, n, v);
}

static int fill_slab(struct prom_exposition *e, const struct pool_snapshot *pool)
{
	size_t i;
	int err = 0;

	for (i = 0; pool && i < pool->count && !err; i++) {
		const struct pool_tag *t = &pool->tags[i];

		if (!t->have_slab)
			continue;
		err = one(e, PROM_SLAB_BYTES, "cache", t->name, "type",
			  t->have_type && t->reclaimable ? "recl" : "unrecl", (double)t->bytes);
		if (!err)
			err = one(e, PROM_SLAB_OBJECTS, "cache", t->name, NULL, NULL, (double)t->objs);
	}
	return err;
}

static int fill_resources(struct prom_exposition *e, const struct handle_resources *res,
			  const struct meminfo *mem)
{
	char name[160];
	int i, err = 0;

	for (i = 0; res && i < res->count && !err; i++) {
		const struct handle_resource *r = &res->items[i];

		if (r->per_user)
			snprintf(name, sizeof(name), "%s uid %u", r->name, r->uid);
		else
			snprintf(name, sizeof(name), "%s", r->name);
		err = one(e, PROM_RESOURCE_USED, "resource", name, NULL, NULL, (double)r->used);
		if (!err && r->limit)
			err = one(e, PROM_RESOURCE_LIMIT, "resource", name, NULL, NULL,
				  (double)r->limit);
	}
	/* Memory as a resource: what is available of the total. */
	if (!err && mem && meminfo_has(mem, MI_MEM_AVAILABLE) && meminfo_has(mem, MI_MEM_TOTAL)) {
		err = one(e, PROM_RESOURCE_USED, "resource", "memory used (MemTotal - MemAvailable)",
			  NULL, NULL,
			  (double)(mem->bytes[MI_MEM_TOTAL] - mem->bytes[MI_MEM_AVAILABLE]));
		if (!err)
			err = one(e, PROM_RESOURCE_LIMIT, "resource",
				  "memory used (MemTotal - MemAvailable)", NULL, NULL,
				  (double)mem->bytes[MI_MEM_TOTAL]);
	}
	return err;
}

static int fill_psi(struct prom_exposition *e, const struct psi *psi)
{
	static const char *const window[] = { "10s", "60s", "300s" };
	const struct psi_line *lines[2] = { &psi->some, &psi->full };
	static const char *const kind[2] = { "some", "full" };
	int i, w, err = 0;

	for (i = 0; i < 2 && !err; i++) {
		const double avg[3] = { lines[i]->avg10, lines[i]->avg60, lines[i]->avg300 };

		if (!lines[i]->have)
			continue;
		err = one(e, PROM_MEMORY_PRESSURE_STALLED, "kind", kind[i], NULL, NULL,
			  (double)lines[i]->total_us / 1e6);
		for (w = 0; w < 3 && !err; w++)
			err = one(e, PROM_MEMORY_PRESSURE_RATIO, "kind", kind[i], "window", window[w],
				  avg[w] / 100);
	}
	return err;
}

static int fill_memcgs(struct prom_exposition *e, const struct memcg_list *list)
{
	int i, k, err = 0;

	for (i = 0; i < list->count && !err; i++) {
		const struct memcg *m = &list->items[i];
		const struct {
			const char *type;
			uint64_t v;
		} kinds[] = {
			{ "usage", m->usage },	    { "kernel", m->kernel },
			{ "slab", m->slab },	    { "sock", m->sock },
			{ "kernel_stack", m->kernel_stack },
			{ "pagetables", m->pagetables }, { "percpu", m->percpu },
		};

		for (k = 0; k < (int)(sizeof(kinds) / sizeof(kinds[0])) && !err; k++)
			if (kinds[k].v != MEMCG_UNKNOWN)
				err = one(e, PROM_MEMCG_BYTES, "cgroup", m->path, "type",
					  kinds[k].type, (double)kinds[k].v);
		if (!err && m->limit)
			err = one(e, PROM_MEMCG_LIMIT_BYTES, "cgroup", m->path, NULL, NULL,
				  (double)m->limit);
	}
	return err;
}

static int fill_processes(struct prom_exposition *e, const struct watch_metrics *m)
{
	size_t i;
	int k, err = 0;

	for (i = 0; m->procs && i < m->ntop && !err; i++) {
		const struct proc_handles *p = &m->procs->procs[m->top[i]];
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", p->pid);
		for (k = 0; k < FD_KIND_COUNT && !err; k++) {
			struct prom_label l[3] = {
			    {"pid", pid}, {"comm", p->comm}, {"type", fd_kind_name((enum fd_kind)k)}};

			if (p->kinds[k])
				err = prom_sample(e, PROM_PROCESS_FDS, l, 3, p->kinds[k]);
		}
	}
	return err;
}

static int fill_forecasts(struct prom_exposition *e, const struct watch_metrics *m)
{
	size_t i;
	int err = 0;

	for (i = 0; i < m->nforecasts && !err; i++) {
		const struct watch_forecast_metric *f = &m->forecasts[i];
		char pid[16];

		if (f->pid) {
			struct prom_label l[3] = {
			    {"resource", f->resource}, {"pid", pid}, {"comm", f->comm}};

			snprintf(pid, sizeof(pid), "%d", f->pid);
			err = prom_sample(e, PROM_EXHAUSTION_SECONDS, l, 3, f->seconds);
		} else {
			err = one(e, PROM_EXHAUSTION_SECONDS, "resource", f->resource, NULL, NULL,
				  f->seconds);
		}
	}
	return err;
}

int watch_metrics_fill(struct prom_exposition *e, const struct watch_metrics *m)
{
	int err;

	prom_exposition_reset(e);
	err = one(e, PROM_BUILD_INFO, "version", m->version ? m->version : "", "kernel",
		  m->kernel ? m->kernel : "", 1);
	if (!err)
		err = fill_slab(e, m->pool);
	if (!err)
		err = fill_resources(e, m->resources, m->mem);
	if (!err && m->psi)
		err = fill_psi(e, m->psi);
	if (!err && m->memcgs)
		err = fill_memcgs(e, m->memcgs);
	if (!err)
		err = fill_processes(e, m);
	if (!err)
		err = fill_forecasts(e, m);
	if (!err)
		err = one(e, PROM_SAMPLE_DURATION_SECONDS, NULL, NULL, NULL, NULL, m->sample_s);
	return err;
}
