/* What `watch` serves on /metrics each interval: the latest sample and the
 * forecasts in force, filled into an exposition (output/prom.h) under the
 * families of output/prom_families.h. The series count is bounded whatever
 * the process count: processes come only from the top list given. */
#ifndef POOLSCOPE_OUTPUT_WATCH_METRICS_H
#define POOLSCOPE_OUTPUT_WATCH_METRICS_H

#include <stddef.h>

struct handle_resources;
struct handles_snapshot;
struct meminfo;
struct memcg_list;
struct psi;
struct pool_snapshot;
struct prom_exposition;

/* One forecast in force. */
struct watch_forecast_metric {
	const char *resource; /* borrowed: "fds", "file handles (fs.file-nr)", "MemAvailable" */
	int pid;	      /* 0: kernel-wide (no pid/comm labels) */
	const char *comm;     /* borrowed */
	double seconds;
};

struct watch_metrics {
	const struct pool_snapshot *pool;	/* may be NULL */
	const struct handle_resources *resources; /* may be NULL */
	const struct meminfo *mem;		/* may be NULL */
	const struct psi *psi;			/* may be NULL */
	const struct memcg_list *memcgs;	/* may be NULL */
	const struct handles_snapshot *procs;	/* may be NULL */
	const int *top;				/* indices into procs->procs */
	size_t ntop;
	const struct watch_forecast_metric *forecasts;
	size_t nforecasts;
	double sample_s; /* how long the last sample took */
	const char *version, *kernel;
};

/* Reset e (its families declared once before) and fill it. 0 or -ENOMEM. */
int watch_metrics_fill(struct prom_exposition *e, const struct watch_metrics *m);

#endif
