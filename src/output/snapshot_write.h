/* One host's state and growth rates as JSON (docs/SNAPSHOT.md), for
 * `poolscope compare` across a fleet. The writer draws; slopes and forecasts
 * come from the caller through callbacks keyed by series name, so the
 * numbers are the ones watch itself judged. */
#ifndef POOLSCOPE_OUTPUT_SNAPSHOT_WRITE_H
#define POOLSCOPE_OUTPUT_SNAPSHOT_WRITE_H

#include <stddef.h>
#include <stdint.h>

struct handle_resources;
struct handles_snapshot;
struct json_writer;
struct meminfo;
struct pool_snapshot;

struct snapshot_view {
	const char *host, *kernel, *boot_id;
	uint64_t realtime_ns;
	double uptime_s, window_s;
	const struct pool_snapshot *pool;
	const struct handle_resources *resources;
	const struct meminfo *mem;
	const struct handles_snapshot *procs;
	const int *top; /* indices into procs->procs */
	size_t ntop;
	/* Per second over the window, of the named series (model/series_name.h);
	 * NaN when unknown. */
	double (*slope)(void *ctx, const char *series);
	/* Seconds until the named series runs out; < 0: no forecast. */
	double (*exhaustion)(void *ctx, const char *series);
	void *ctx;
};

void snapshot_write(struct json_writer *w, const struct snapshot_view *v);

#endif
