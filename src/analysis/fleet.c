#include "analysis/fleet.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/snapshot_read.h"
#include "util/hashmap.h"
#include "util/notes.h"

/* 1.4826 × MAD estimates the standard deviation of normal data. */
#define MAD_TO_SIGMA 1.4826

struct fleet_value {
	uint32_t host;
	double value; /* NAN: the entry is there, its value unknown */
};

struct fleet_metric {
	enum fleet_kind kind;
	enum fleet_measure measure;
	char *name; /* owned */
	struct fleet_value *v; /* owned; at most one per host, in host order */
	size_t n, cap;
};

struct fleet {
	struct fleet_host *hosts; /* owned */
	size_t nhosts, hosts_cap;
	struct fleet_metric *metrics; /* owned */
	size_t nmetrics, metrics_cap;
	/* hash of (kind, measure, name), probed linearly → metric index */
	struct u64map *index;
};

/* Make room for one more element of size bytes at (*v)[*n] and count it:
 * 0 or -ENOMEM (then nothing changed). */
static int push(void **v, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		void *nv = realloc(*v, ncap * size);

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*n)++;
	return 0;
}

const char *fleet_kind_name(enum fleet_kind k)
{
	switch (k) {
	case FLEET_CACHE: return "cache";
	case FLEET_RESOURCE: return "resource";
	case FLEET_PROCESS: return "process";
	case FLEET_FD_TYPE: return "fd type";
	}
	return "?";
}

const char *fleet_measure_name(enum fleet_measure m)
{
	switch (m) {
	case FLEET_BYTES: return "bytes";
	case FLEET_BYTES_PER_S: return "bytes_per_s";
	case FLEET_USED: return "used";
	case FLEET_USED_PER_S: return "per_s";
	case FLEET_FDS: return "fds";
	case FLEET_FDS_PER_S: return "fds_per_s";
	}
	return "?";
}

enum fleet_unit fleet_measure_unit(enum fleet_measure m)
{
	switch (m) {
	case FLEET_BYTES: return FLEET_UNIT_BYTES;
	case FLEET_BYTES_PER_S: return FLEET_UNIT_BYTES_PER_S;
	case FLEET_USED:
	case FLEET_FDS: return FLEET_UNIT_COUNT;
	case FLEET_USED_PER_S:
	case FLEET_FDS_PER_S: return FLEET_UNIT_COUNT_PER_S;
	}
	return FLEET_UNIT_COUNT;
}

void fleet_opts_init(struct fleet_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold = 3.5;
	o->rel_floor = 0.05;
	o->min_abs[FLEET_UNIT_BYTES] = 256 * 1024;
	o->min_abs[FLEET_UNIT_COUNT] = 64;
	o->min_abs[FLEET_UNIT_BYTES_PER_S] = 1024;
	o->min_abs[FLEET_UNIT_COUNT_PER_S] = 0.5;
	o->min_hosts = 3;
}

int fleet_opts_validate(const struct fleet_opts *o, char *why, size_t whylen)
{
	int u;

	if (!(o->threshold > 0) || !isfinite(o->threshold)) {
		snprintf(why, whylen, "threshold must be a number > 0");
		return -EINVAL;
	}
	if (!(o->rel_floor >= 0) || !isfinite(o->rel_floor)) {
		snprintf(why, whylen, "rel_floor must be a number >= 0");
		return -EINVAL;
	}
	for (u = 0; u < FLEET_NUNITS; u++)
		if (!(o->min_abs[u] >= 0) || !isfinite(o->min_abs[u])) {
			snprintf(why, whylen, "min_abs must be numbers >= 0");
			return -EINVAL;
		}
	if (o->min_hosts < 2) {
		snprintf(why, whylen, "min_hosts must be at least 2");
		return -EINVAL;
	}
	return 0;
}

struct fleet *fleet_new(void)
{
	struct fleet *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->index = u64map_new(1024);
	if (!f->index) {
		free(f);
		return NULL;
	}
	return f;
}

void fleet_free(struct fleet *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nhosts; i++) {
		free(f->hosts[i].host);
		free(f->hosts[i].path);
		free(f->hosts[i].kernel);
	}
	for (i = 0; i < f->nmetrics; i++) {
		free(f->metrics[i].name);
		free(f->metrics[i].v);
	}
	free(f->hosts);
	free(f->metrics);
	u64map_free(f->index);
	free(f);
}

size_t fleet_nhosts(const struct fleet *f)
{
	return f->nhosts;
}

const struct fleet_host *fleet_host_at(const struct fleet *f, size_t i)
{
	return i < f->nhosts ? &f->hosts[i] : NULL;
}

static uint64_t metric_hash(enum fleet_kind kind, enum fleet_measure measure, const char *name)
{
	return hash_bytes(name, strlen(name)) ^ hash_u64(((uint64_t)kind << 8) | (uint64_t)measure);
}

/* The metric, created when new; NULL on ENOMEM. Keys are hashes: on a
 * collision the next key is tried, so two names never share a metric. */
static struct fleet_metric *metric_findnew(struct fleet *f, enum fleet_kind kind,
					   enum fleet_measure measure, const char *name)
{
	uint64_t key = metric_hash(kind, measure, name), *slot;
	struct fleet_metric *m;

	for (;; key++) {
		slot = u64map_find(f->index, key);
		if (!slot)
			break;
		m = &f->metrics[*slot];
		if (m->kind == kind && m->measure == measure && strcmp(m->name, name) == 0)
			return m;
	}
	if (push((void **)&f->metrics, &f->nmetrics, &f->metrics_cap, sizeof(*m)))
		return NULL;
	m = &f->metrics[f->nmetrics - 1];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->measure = measure;
	m->name = strdup(name);
	if (!m->name || u64map_set(f->index, key, f->nmetrics - 1)) {
		free(m->name);
		f->nmetrics--;
		return NULL;
	}
	return m;
}

/* This host's value of a metric; a second value for the same host adds
 * to the first (processes of one name, fds of one type). Unknown (NAN)
 * plus a number is that number. */
static int metric_add(struct fleet *f, enum fleet_kind kind, enum fleet_measure measure,
		      const char *name, uint32_t host, double value)
{
	struct fleet_metric *m = metric_findnew(f, kind, measure, name);
	struct fleet_value *last;

	if (!m)
		return -ENOMEM;
	last = m->n ? &m->v[m->n - 1] : NULL;
	if (last && last->host == host) {
		if (isnan(last->value))
			last->value = value;
		else if (!isnan(value))
			last->value += value;
		return 0;
	}
	if (push((void **)&m->v, &m->n, &m->cap, sizeof(*m->v)))
		return -ENOMEM;
	m->v[m->n - 1] = (struct fleet_value){.host = host, .value = value};
	return 0;
}

static int add_host(struct fleet *f, const struct host_snapshot *s, const char *path)
{
	struct fleet_host *h;

	if (push((void **)&f->hosts, &f->nhosts, &f->hosts_cap, sizeof(*h)))
		return -ENOMEM;
	/* counted already, even half-made: fleet_free frees it */
	h = &f->hosts[f->nhosts - 1];
	memset(h, 0, sizeof(*h));
	h->host = strdup(s->host ? s->host : "");
	h->path = strdup(path ? path : "");
	h->kernel = s->kernel ? strdup(s->kernel) : NULL;
	h->has_caches = s->has_caches;
	h->has_resources = s->has_resources;
	h->has_processes = s->has_processes;
	if (!h->host || !h->path || (s->kernel && !h->kernel))
		return -ENOMEM;
	return 0;
}

int fleet_add(struct fleet *f, const struct host_snapshot *s, const char *path)
{
	uint32_t host = (uint32_t)f->nhosts;
	size_t i, k;
	int err;

	if (f->nhosts >= UINT32_MAX)
		return -E2BIG;
	if ((err = add_host(f, s, path)))
		return err;
	/* The level is added even when unknown: it records that the host has
	 * the cache at all (what a host lacks). Rates only when known. */
	for (i = 0; i < s->ncaches; i++) {
		const struct snapshot_cache *c = &s->caches[i];

		if ((err = metric_add(f, FLEET_CACHE, FLEET_BYTES, c->name, host, c->bytes)) ||
		    (!isnan(c->bytes_per_s) &&
		     (err = metric_add(f, FLEET_CACHE, FLEET_BYTES_PER_S, c->name, host,
				       c->bytes_per_s))))
			return err;
	}
	for (i = 0; i < s->nresources; i++) {
		const struct snapshot_resource *r = &s->resources[i];

		if ((err = metric_add(f, FLEET_RESOURCE, FLEET_USED, r->name, host, r->used)) ||
		    (!isnan(r->per_s) &&
		     (err = metric_add(f, FLEET_RESOURCE, FLEET_USED_PER_S, r->name, host, r->per_s))))
			return err;
	}
	for (i = 0; i < s->nprocesses; i++) {
		const struct snapshot_process *p = &s->processes[i];

		if ((err = metric_add(f, FLEET_PROCESS, FLEET_FDS, p->comm, host, p->fds)) ||
		    (!isnan(p->fds_per_s) &&
		     (err = metric_add(f, FLEET_PROCESS, FLEET_FDS_PER_S, p->comm, host,
				       p->fds_per_s))))
			return err;
		for (k = 0; k < p->ntypes; k++)
			if ((err = metric_add(f, FLEET_FD_TYPE, FLEET_FDS, p->types[k].name, host,
					      p->types[k].count)))
				return err;
	}
	return 0;
}

/* ---- analysis ---- */

static int double_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n sorted values. */
static double median_sorted(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int host_cmp(const struct fleet *f, uint32_t a, uint32_t b)
{
	int c = strcmp(f->hosts[a].host, f->hosts[b].host);

	if (!c)
		c = strcmp(f->hosts[a].path, f->hosts[b].path);
	/* Same host and path (the same file given twice): input order would
	 * decide, so decide by nothing: equal. */
	return c;
}

static int deviation_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct fleet_deviation *a = pa, *b = pb;
	double x = fabs(a->score), y = fabs(b->score);
	int c;

	if (x != y)
		return x > y ? -1 : 1;
	if ((c = host_cmp(ctx, a->host, b->host)))
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if ((c = strcmp(a->name, b->name)))
		return c;
	return (a->measure > b->measure) - (a->measure < b->measure);
}

static int odd_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct fleet_odd_host *a = pa, *b = pb;

	if (a->max_score != b->max_score)
		return a->max_score > b->max_score ? -1 : 1;
	if (a->ndeviations != b->ndeviations)
		return a->ndeviations > b->ndeviations ? -1 : 1;
	return host_cmp(ctx, a->host, b->host);
}

static int lack_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct fleet_lack *a = pa, *b = pb;
	int c = host_cmp(ctx, a->host, b->host);

	if (c)
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (!a->name || !b->name)
		return !a->name ? (b->name ? -1 : 0) : 1;
	return strcmp(a->name, b->name);
}

/* Every host's deviations on one metric. vals/devs: scratch of nhosts. */
static int judge_metric(const struct fleet *f, const struct fleet_metric *m,
			const struct fleet_opts *o, double *vals, double *devs,
			struct fleet_verdict *v, size_t *cap)
{
	double med, mad, denom, floor_abs = o->min_abs[fleet_measure_unit(m->measure)];
	size_t i, n = 0;

	(void)f;
	for (i = 0; i < m->n; i++)
		if (!isnan(m->v[i].value))
			vals[n++] = m->v[i].value;
	if (n < o->min_hosts)
		return 0;
	v->njudged++;
	qsort(vals, n, sizeof(*vals), double_cmp);
	med = median_sorted(vals, n);
	for (i = 0; i < n; i++)
		devs[i] = fabs(vals[i] - med);
	qsort(devs, n, sizeof(*devs), double_cmp);
	mad = median_sorted(devs, n);
	denom = fmax(MAD_TO_SIGMA * mad, fmax(o->rel_floor * fabs(med), floor_abs / o->threshold));
	if (!(denom > 0))
		denom = 1e-12; /* every floor zero and every host equal */
	for (i = 0; i < m->n; i++) {
		double x = m->v[i].value, score;
		struct fleet_deviation *d;

		if (isnan(x))
			continue;
		score = (x - med) / denom;
		if (fabs(score) < o->threshold)
			continue;
		if (push((void **)&v->deviations, &v->ndeviations, cap, sizeof(*d)))
			return -ENOMEM;
		d = &v->deviations[v->ndeviations - 1];
		*d = (struct fleet_deviation){
		    .host = m->v[i].host,
		    .kind = m->kind,
		    .measure = m->measure,
		    .name = m->name,
		    .value = x,
		    .median = med,
		    .mad = mad,
		    .score = score,
		    .nhosts = n,
		};
	}
	return 0;
}

static bool section_present(const struct fleet_host *h, enum fleet_kind kind)
{
	switch (kind) {
	case FLEET_CACHE: return h->has_caches;
	case FLEET_RESOURCE: return h->has_resources;
	case FLEET_PROCESS:
	case FLEET_FD_TYPE: return h->has_processes;
	}
	return false;
}

/* The metric that says whether a host has an entity at all. fd types are
 * left out: a type no process of a host holds is 0, not missing. */
static bool presence_metric(const struct fleet_metric *m)
{
	return (m->kind == FLEET_CACHE && m->measure == FLEET_BYTES) ||
	       (m->kind == FLEET_RESOURCE && m->measure == FLEET_USED) ||
	       (m->kind == FLEET_PROCESS && m->measure == FLEET_FDS);
}

/* What each host lacks that more than half of the hosts have. */
static int find_lacks(const struct fleet *f, struct fleet_verdict *v, uint8_t *seen)
{
	static const enum fleet_kind sections[] = {FLEET_CACHE, FLEET_RESOURCE, FLEET_PROCESS};
	size_t i, k, cap = 0, have_section;

	for (k = 0; k < sizeof(sections) / sizeof(sections[0]); k++) {
		have_section = 0;
		for (i = 0; i < f->nhosts; i++)
			have_section += section_present(&f->hosts[i], sections[k]);
		if (have_section * 2 <= f->nhosts)
			continue;
		for (i = 0; i < f->nhosts; i++) {
			if (section_present(&f->hosts[i], sections[k]))
				continue;
			if (push((void **)&v->lacks, &v->nlacks, &cap, sizeof(*v->lacks)))
				return -ENOMEM;
			v->lacks[v->nlacks - 1] = (struct fleet_lack){
			    .host = (uint32_t)i, .kind = sections[k], .name = NULL, .have = have_section};
		}
	}
	for (k = 0; k < f->nmetrics; k++) {
		const struct fleet_metric *m = &f->metrics[k];

		if (!presence_metric(m) || m->n * 2 <= f->nhosts || m->n == f->nhosts)
			continue;
		memset(seen, 0, f->nhosts);
		for (i = 0; i < m->n; i++)
			seen[m->v[i].host] = 1;
		for (i = 0; i < f->nhosts; i++) {
			/* A host without the whole section is said once, above. */
			if (seen[i] || !section_present(&f->hosts[i], m->kind))
				continue;
			if (push((void **)&v->lacks, &v->nlacks, &cap, sizeof(*v->lacks)))
				return -ENOMEM;
			v->lacks[v->nlacks - 1] = (struct fleet_lack){
			    .host = (uint32_t)i, .kind = m->kind, .name = m->name, .have = m->n};
		}
	}
	return 0;
}

static int index_by_name(const void *pa, const void *pb, void *ctx)
{
	return host_cmp(ctx, *(const uint32_t *)pa, *(const uint32_t *)pb);
}

/* One note for host names found in several snapshots: the first such name
 * (in name order) and how many more. Each snapshot still counts as a host. */
static void note_duplicates(const struct fleet *f, uint32_t *order, struct notes *ns)
{
	size_t i, j, dups = 0, first = 0, first_n = 0;

	for (i = 0; i < f->nhosts; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, f->nhosts, sizeof(*order), index_by_name, (void *)f);
	for (i = 0; i < f->nhosts; i = j) {
		for (j = i + 1; j < f->nhosts &&
				strcmp(f->hosts[order[i]].host, f->hosts[order[j]].host) == 0;
		     j++)
			;
		if (j - i > 1 && dups++ == 0) {
			first = i;
			first_n = j - i;
		}
	}
	if (dups && ns)
		notes_add(ns, "fleet-duplicate-host",
			  "host %s is in %zu snapshots (%s, %s%s)%s: each counts as a host",
			  f->hosts[order[first]].host, first_n, f->hosts[order[first]].path,
			  f->hosts[order[first + 1]].path, first_n > 2 ? ", …" : "",
			  dups > 1 ? ", and other host names are in several snapshots too" : "");
}

int fleet_analyze(const struct fleet *f, const struct fleet_opts *o, struct fleet_verdict *v,
		  struct notes *ns)
{
	double *vals = NULL, *devs = NULL, *max_score = NULL;
	size_t i, cap = 0, *count = NULL;
	uint8_t *seen = NULL;
	uint32_t *order = NULL;
	size_t n = f->nhosts ? f->nhosts : 1;
	int err = -ENOMEM;

	memset(v, 0, sizeof(*v));
	v->nhosts = f->nhosts;
	v->nmetrics = f->nmetrics;
	vals = malloc(n * sizeof(*vals));
	devs = malloc(n * sizeof(*devs));
	max_score = calloc(n, sizeof(*max_score));
	count = calloc(n, sizeof(*count));
	seen = malloc(n);
	order = malloc(n * sizeof(*order));
	if (!vals || !devs || !max_score || !count || !seen || !order)
		goto out;
	note_duplicates(f, order, ns);
	if ((err = find_lacks(f, v, seen)))
		goto out;
	if (v->nlacks) /* qsort_r wants a base even for no elements */
		qsort_r(v->lacks, v->nlacks, sizeof(*v->lacks), lack_cmp, (void *)f);
	if (f->nhosts < o->min_hosts) {
		v->too_few = true;
		err = 0;
		goto out;
	}
	for (i = 0; i < f->nmetrics; i++)
		if ((err = judge_metric(f, &f->metrics[i], o, vals, devs, v, &cap)))
			goto out;
	if (v->ndeviations)
		qsort_r(v->deviations, v->ndeviations, sizeof(*v->deviations), deviation_cmp,
			(void *)f);
	for (i = 0; i < v->ndeviations; i++) {
		const struct fleet_deviation *d = &v->deviations[i];

		if (!count[d->host]++)
			v->nodd++;
		if (fabs(d->score) > max_score[d->host])
			max_score[d->host] = fabs(d->score);
	}
	err = -ENOMEM;
	v->odd = calloc(v->nodd + 1, sizeof(*v->odd));
	if (!v->odd)
		goto out;
	v->nodd = 0;
	for (i = 0; i < f->nhosts; i++)
		if (count[i])
			v->odd[v->nodd++] = (struct fleet_odd_host){
			    .host = (uint32_t)i, .ndeviations = count[i], .max_score = max_score[i]};
	qsort_r(v->odd, v->nodd, sizeof(*v->odd), odd_cmp, (void *)f);
	err = 0;
out:
	if (err)
		fleet_verdict_release(v);
	free(vals);
	free(devs);
	free(max_score);
	free(count);
	free(seen);
	free(order);
	return err;
}

void fleet_verdict_release(struct fleet_verdict *v)
{
	if (!v)
		return;
	free(v->deviations);
	free(v->odd);
	free(v->lacks);
	memset(v, 0, sizeof(*v));
}
