/* The watch pipeline: the service that is already running when trouble
 * starts. Every interval it samples every source (model/machine_sampler,
 * no per-event BPF), keeps a bounded in-memory window of every series,
 * forecasts when each finite resource runs out (analysis/forecast), raises
 * an alert once per change of state (analysis/alerts) and then runs the
 * diagnose pipeline targeted at that resource in a thread of its own,
 * stores the interval in the history database (model/history), serves the
 * latest figures to Prometheus (output/metrics_server) and may write a host
 * snapshot for `compare`. Prints nothing: what happens reaches the caller
 * through hooks and notes. */
#ifndef POOLSCOPE_PIPELINE_WATCH_H
#define POOLSCOPE_PIPELINE_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/alerts.h"
#include "analysis/findings.h"
#include "analysis/forecast.h"
#include "model/history.h"

struct notes;

struct watch_opts {
	uint64_t interval_ns;	 /* default 10 s */
	const char *db_path;	 /* NULL: no history */
	struct history_opts history;
	const char *listen;	 /* "ADDR:PORT" for /metrics; NULL: off */
	double alert_within_s;	 /* forecast horizon that alerts; default 48 h */
	int top_k;		 /* processes stored and exported per resource; 10 */
	bool no_diagnose;	 /* alerts without the attached diagnosis */
	uint64_t diagnose_ns;	 /* the attached diagnosis' duration; 30 s */
	const char *snapshot_path; /* rewritten every interval; NULL: none */
	unsigned long count;	 /* stop after this many samples; 0: until stopped */
};

void watch_opts_init(struct watch_opts *o);

struct watch_hooks {
	bool (*should_stop)(void *ctx);
	/* After the first sample is stored and served (sd_notify READY). */
	void (*ready)(void *ctx);
	void (*alert)(void *ctx, const struct alert_event *a);
	/* The diagnosis attached to an alert, when its run ends. */
	void (*diagnosed)(void *ctx, const struct alert_event *a, const struct diagnosis *d);
	/* Each interval's notes (keys repeat while a condition lasts: say a
	 * key when it appears, again when it comes back after clearing). */
	void (*notes)(void *ctx, const struct notes *ns);
	/* Each interval's end (sd_notify STATUS/WATCHDOG). */
	void (*tick)(void *ctx, unsigned long samples, size_t alerts_active);
	/* While waiting for the next interval, at least every 200 ms: a
	 * service manager's watchdog shorter than the interval is pinged from
	 * here. NULL: none. */
	void (*waiting)(void *ctx);
	void *ctx;
};

/* Run until hooks->should_stop or opts->count samples. 0, or -errno with a
 * sentence in why: the sources, the database or the listening socket could
 * not be opened at the start. Failures later (a full disk, an unwritable
 * snapshot) are notes, and watch keeps sampling and alerting. */
int watch_run(const struct watch_opts *opts, const struct watch_hooks *hooks, struct notes *notes,
	      char *why, size_t whylen);

#endif
