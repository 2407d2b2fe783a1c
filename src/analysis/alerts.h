/* The alert state of `watch`: per resource, whether its forecast falls under
 * the alert horizon, and whether it is past 80 % / 95 % of its limit; an
 * alert is said once per change of that state, never per sample. Hysteresis
 * keeps a value that hovers at a threshold from flapping: a level clears 5
 * points under where it was raised, a forecast clears when it moves past 1.5
 * times the horizon or has been invalid for a few intervals in a row.
 * Pure state: the caller words the alert, logs it and runs its hooks. */
#ifndef POOLSCOPE_ANALYSIS_ALERTS_H
#define POOLSCOPE_ANALYSIS_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum alert_flag {
	ALERT_FORECAST = 1u << 0, /* runs out within the horizon */
	ALERT_PCT80 = 1u << 1,
	ALERT_PCT95 = 1u << 2,
};

/* "forecast", "80%", "95%" joined by '+', or "ok" for 0, into buf. */
const char *alert_flags_text(unsigned int flags, char *buf, size_t len);

/* The flags alert_flags_text wrote ("95%" says 80 % too: both are
 * passed); 0 for "ok" or anything else. */
unsigned int alert_flags_parse(const char *text);

/* What one resource looks like now, as the caller measured and forecast it. */
struct alert_input {
	const char *key; /* the series name: stable across samples */
	double used, limit; /* limit ≤ 0: none (no level alerts) */
	bool forecast_valid;
	double exhaustion_s; /* when valid */
};

struct alert_change {
	unsigned int before, after; /* flags */
	double since_s;		    /* when the previous state began */
};

struct alerts;

struct alerts *alerts_new(double horizon_s);
void alerts_free(struct alerts *a); /* accepts NULL */
/* Feed one resource at time now_s; true (and *change filled) when its state
 * changed. Resources not fed for a while keep their state until
 * alerts_forget. -ENOMEM is reported as false with *err set. */
bool alerts_update(struct alerts *a, const struct alert_input *in, double now_s,
		   struct alert_change *change, int *err);
/* A state already in force, as the history says a previous run of watch
 * left it (a restart): the resource starts in it, so an alert in force is
 * not said again; if the resource is not fed soon, alerts_forget drops it.
 * 0 or -ENOMEM. */
int alerts_restore(struct alerts *a, const char *key, unsigned int flags, double now_s);
/* Drop resources not fed since before_s (a process that exited): their
 * state is forgotten, without an alert. */
void alerts_forget(struct alerts *a, double before_s);
/* Resources whose state is not ok now. */
size_t alerts_active(const struct alerts *a);

/* One alert as watch reports it: a change of a resource's state. */
#define ALERT_TEXT 160
struct alert_event {
	char resource[ALERT_TEXT]; /* "fds of nginx (pid 12)", "file handles (fs.file-nr)" */
	char series[ALERT_TEXT];   /* its series name */
	char state[32], previous[32]; /* alert_flags_text: "forecast+80%", "ok" */
	bool raised;		      /* worse than before (false: cleared or eased) */
	int pid;		      /* the holder of a per-process resource; 0 */
	char comm[64];
	double used, limit;	      /* limit < 0: none */
	double rate_per_s;
	bool forecast_valid;
	double exhaustion_s, exhaustion_lo_s, exhaustion_hi_s; /* hi may be INFINITY */
	char top[3 * ALERT_TEXT]; /* the top consumers, "nginx 812, php-fpm 300" */
	double time_s;		  /* seconds since the Unix epoch */
};

#endif
