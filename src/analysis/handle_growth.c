#include "analysis/handle_growth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"

static int growth_cmp(const void *a, const void *b)
{
	const struct handles_growth *x = a, *y = b;
	int64_t dx = (int64_t)x->after - x->before, dy = (int64_t)y->after - y->before;

	if (dx != dy)
		return dx > dy ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid - y->pid;
	return (int)x->kind - (int)y->kind;
}

static struct handles_growth *rows_add(struct handles_growth **rows, int *n, int *cap)
{
	if (*n == *cap) {
		int grown_cap = *cap ? *cap * 2 : 32;
		struct handles_growth *grown = realloc(*rows, (size_t)grown_cap * sizeof(*grown));

		if (!grown)
			return NULL;
		*rows = grown;
		*cap = grown_cap;
	}
	return &(*rows)[(*n)++];
}

int handles_diff(const struct handles_snapshot *before, const struct handles_snapshot *after,
		 struct handles_growth **out, int *count)
{
	double minutes = (double)(after->taken_ns - before->taken_ns) / 60e9;
	struct u64map *index = u64map_new((size_t)before->count);
	struct handles_growth *rows = NULL;
	int n = 0, cap = 0, i, k, err = 0;

	*out = NULL;
	*count = 0;
	if (!index)
		return -ENOMEM;
	for (i = 0; i < before->count; i++)
		if (u64map_set(index, (uint64_t)before->procs[i].pid, (uint64_t)i)) {
			err = -ENOMEM;
			goto out;
		}
	for (i = 0; i < after->count; i++) {
		const struct proc_handles *a = &after->procs[i], *b;
		uint64_t *bi = u64map_find(index, (uint64_t)a->pid);

		if (!bi)
			continue;
		b = &before->procs[*bi];
		if (b->starttime != a->starttime)
			continue;
		/* Every kind on its own: a total that stayed flat can hide
		 * eventfds opened while as many pipes were closed. */
		for (k = 0; k <= FD_KIND_COUNT; k++) {
			uint32_t was = k == FD_KIND_COUNT ? b->fds : b->kinds[k];
			uint32_t now = k == FD_KIND_COUNT ? a->fds : a->kinds[k];
			struct handles_growth *g;

			if (now <= was)
				continue;
			g = rows_add(&rows, &n, &cap);
			if (!g) {
				err = -ENOMEM;
				goto out;
			}
			g->pid = a->pid;
			memcpy(g->comm, a->comm, sizeof(g->comm));
			g->kind = (enum fd_kind)k;
			g->before = was;
			g->after = now;
			g->per_minute = minutes > 0 ? (double)(now - was) / minutes : 0;
		}
	}
	if (n)
		qsort(rows, (size_t)n, sizeof(*rows), growth_cmp);
	*out = rows;
	*count = n;
	rows = NULL;
out:
	free(rows);
	u64map_free(index);
	return err;
}

int handle_growth_start(struct handle_growth *g, const struct handle_query *q, struct notes *ns)
{
	int err;

	memset(g, 0, sizeof(*g));
	handle_query_scan_opts(q, &g->scan);
	/* Growth compares fds by kind: no mappings or limits needed. */
	g->scan.classify = true;
	g->scan.threads_maps = false;
	g->scan.limits = false;
	err = handles_scan(&g->scan, &g->baseline);
	if (!err)
		handle_scan_notes(&g->baseline, ns);
	return err;
}

int handle_growth_sample(struct handle_growth *g, struct handle_growth_result *out,
			 struct notes *ns)
{
	struct handles_snapshot now;
	int err;

	memset(out, 0, sizeof(*out));
	err = handles_scan(&g->scan, &now);
	if (err)
		goto out;
	handle_scan_notes(&now, ns);
	err = handles_diff(&g->baseline, &now, &out->rows, &out->count);
	out->elapsed_s = (double)(now.taken_ns - g->baseline.taken_ns) / 1e9;
out:
	handles_snapshot_free(&now);
	return err;
}

void handle_growth_result_release(struct handle_growth_result *r)
{
	if (!r)
		return;
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

void handle_growth_release(struct handle_growth *g)
{
	if (!g)
		return;
	handles_snapshot_free(&g->baseline);
}
