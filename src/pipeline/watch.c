/* The interval of watch.h, in order: sample, fold old points, forecast every
 * finite resource, update the alert states (an alert starts a diagnosis in
 * a thread of its own), store the interval, serve it, write the snapshot.
 * A failure after start-up (a full disk, a snapshot directory gone) is a
 * note of that interval; sampling and alerting go on. */
#include "pipeline/watch.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "analysis/forecast.h"
#include "analysis/growth.h"
#include "kernel/boot.h"
#include "kernel/meminfo.h"
#include "kernel/memcg.h"
#include "model/alert_read.h"
#include "model/machine_sampler.h"
#include "model/series.h"
#include "model/series_feed.h"
#include "model/series_name.h"
#include "output/alert_render.h"
#include "output/json.h"
#include "output/metrics_server.h"
#include "output/prom.h"
#include "output/prom_families.h"
#include "output/snapshot_write.h"
#include "output/watch_metrics.h"
#include "pipeline/diagnose.h"
#include "util/notes.h"
#include "util/outfile.h"
#include "util/strbuf.h"
#include "util/timeutil.h"

/* The forecasts in force go to the history this often (a post-mortem reads
 * what was forecast before a hang). */
#define FORECASTS_EVERY_S 600.0
/* The growth rate shown for a resource and put in snapshots: over this. */
#define RATE_WINDOW_S 3600.0
/* The most processes a diagnosis is aimed at (a memory cgroup's). */
#define DIAG_MAX_TARGETS 256

struct forecast_entry {
	const struct series *s; /* borrowed from the set, valid for one interval */
	struct series_name_parts name;
	struct forecast fc;
	char resource[ALERT_TEXT];
	int pid;
	char comm[64];
};

struct diag_job {
	pthread_t thread;
	bool running;
	atomic_bool done;
	struct alert_event alert;
	struct diagnosis result;
	struct notes notes;
	int err;
	/* Whom it is aimed at: the holder of a per-process resource, the
	 * processes of a memory cgroup; none: the whole machine. */
	int target_pids[DIAG_MAX_TARGETS];
	int ntargets;
	uint64_t duration_ns;
	atomic_bool *stopping;
};

struct watch {
	const struct watch_opts *opts;
	const struct watch_hooks *hooks;
	struct notes *notes;
	struct machine_sampler *ms;
	struct series_set *set;
	struct history *hist;
	struct metrics_server *srv;
	struct prom_exposition *expo;
	struct alerts *alerts;
	struct boot_ident boot;
	char host[256], kernel[128];
	uint64_t t0_ns;
	double last_forecasts_event;
	unsigned long samples;
	int *top;
	size_t ntop, top_cap;
	struct forecast_entry *fcs;
	size_t nfc, fc_cap;
	struct history_sample *hs;
	size_t nhs, hs_cap;
	struct diag_job diag;
	struct series_window window;
	atomic_bool stopping;
};

void watch_opts_init(struct watch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ns = 10000000000ull;
	history_opts_init(&o->history);
	o->alert_within_s = 48 * 3600.0;
	o->top_k = 10;
	o->diagnose_ns = 30000000000ull;
}

static double now_s(const struct watch *w)
{
	return (double)(monotonic_ns() - w->t0_ns) / 1e9;
}

static bool stop_requested_by_hook(struct watch *w)
{
	if (w->hooks && w->hooks->should_stop && w->hooks->should_stop(w->hooks->ctx))
		atomic_store(&w->stopping, true);
	return atomic_load(&w->stopping);
}

/* Bound the series (series_watch_window). A process scan that runs only
 * every Nth interval (machine_sampler's budget) leaves its series without a
 * point for N intervals: they are stale after a few such scans only. */
static int fold(struct watch *w, double now)
{
	struct machine_sampler_status st;
	double every;

	machine_sampler_status(w->ms, &st);
	every = (double)(st.process_every ? st.process_every : 1) * (double)w->opts->interval_ns / 1e9;
	w->window.stale_s = series_watch_window.stale_s > 3 * every ? series_watch_window.stale_s
								     : 3 * every;
	return series_set_fold(w->set, now, &w->window);
}

/* Whether the history holds samples of this boot already (a restart), and
 * since when. A new boot has nothing of its own to reload. */
static bool stored_this_boot(struct watch *w, int64_t *first_ms)
{
	struct history_boot *boots = NULL;
	size_t nboots = 0;
	bool same = false;

	if (w->hist && !history_boots(w->hist, &boots, &nboots) && nboots) {
		*first_ms = boots[nboots - 1].first_ms;
		same = strcmp(boots[nboots - 1].boot_id, w->boot.boot_id) == 0 &&
		       *first_ms != INT64_MIN;
	}
	free(boots);
	return same;
}

/* After a restart on the same boot (an upgrade, a crash, SIGKILL): the
 * window rebuilt from the history, so a forecast that needs hours of data
 * goes on at once rather than hours later. Read an hour at a time (ten
 * minutes at intervals under 10 s), each point as its stored minimum and
 * maximum (one sample for a raw point), folded as it goes: the transient
 * copy stays small and no series grows past its reserved window. A new
 * boot finds no series of its own and reloads nothing. */
static void reload_window(struct watch *w)
{
	double interval_s = (double)w->opts->interval_ns / 1e9;
	double now = now_s(w), real = (double)realtime_ns() / 1e9, off = real - now;
	double a, from = real, slice_s;
	/* Raw samples: about 360 points a series per slice; 1-minute buckets
	 * (past the raw retention): an hour. */
	double raw_slice_s = fmin(3600, fmax(600, 360 * interval_s));
	double raw_from = real - (double)w->opts->history.raw_keep_s;
	size_t nseries = 0, npoints = 0, i, j;
	int64_t first_ms;
	int err = 0;

	if (!stored_this_boot(w, &first_ms))
		goto out;
	a = from = fmax(real - w->window.keep_s, (double)first_ms / 1000);
	for (; a < real && !err; a += slice_s) {
		struct series_set *lo = NULL, *hi = NULL;
		struct history_query q;

		slice_s = a < raw_from ? 3600 : raw_slice_s;

		history_query_init(&q);
		q.since_ms = (int64_t)(a * 1000);
		q.until_ms = (int64_t)((a + slice_s) * 1000) - 1;
		q.stat = HISTORY_MIN;
		err = history_query(w->hist, &q, &lo, w->notes);
		q.stat = HISTORY_MAX;
		if (!err)
			err = history_query(w->hist, &q, &hi, w->notes);
		for (i = 0; !err && i < series_set_count(lo); i++) {
			const struct series *s = series_set_at(lo, i);
			const struct series *h = series_set_find(hi, s->name);
			bool upper = series_feed_upper_envelope(s->name);
			bool fresh = !series_set_find(w->set, s->name);

			for (j = 0; j < s->n && !err; j++) {
				double min = s->v[j], max = h && j < h->n && h->t[j] == s->t[j] ? h->v[j] : min;

				if (s->t[j] > real)
					break; /* the clock was stepped back since */
				err = series_set_add_folded(w->set, s->name, s->t[j] - off, upper ? max : min,
							    upper ? min : max, now, &w->window);
				if (err == -EINVAL)
					err = 0; /* out of order with what is there: left out */
				else if (!err)
					npoints++;
			}
			if (fresh && series_set_find(w->set, s->name)) {
				nseries++;
				if (upper)
					series_set_upper_envelope(w->set, s->name);
			}
		}
		series_set_free(lo);
		series_set_free(hi);
	}
out:
	if (err)
		notes_add(w->notes, "watch-reload",
			  "the window could not be rebuilt from the history (%s): forecasts start "
			  "from new samples", strerror(-err));
	else if (nseries)
		notes_add(w->notes, "watch-reload",
			  "the window rebuilt from this boot's history (its last %.0f min): %zu series, "
			  "%zu points",
			  (real - from) / 60, nseries, npoints);
}

/* After a restart on the same boot: each resource starts in the alert
 * state the previous run last stored for it, so an alert already said
 * (and diagnosed) is not said again, and its clearing still is. A state
 * whose resource is gone (a process that exited) is forgotten. */
static void reload_alerts(struct watch *w)
{
	struct history_event *ev = NULL;
	size_t nev = 0, i, nrestored = 0;
	int64_t first_ms;
	int err;

	if (!stored_this_boot(w, &first_ms))
		return;
	err = history_events(w->hist, 0, INT64_MIN, INT64_MAX, &ev, &nev);
	/* In time order: the last event of a series is its state. */
	for (i = 0; !err && i < nev; i++) {
		char series[sizeof(((struct alert_event *)0)->series)];
		char state[sizeof(((struct alert_event *)0)->state)];

		if (strcmp(ev[i].kind, "alert") ||
		    alert_read_state(ev[i].json, series, sizeof(series), state, sizeof(state)))
			continue;
		err = alerts_restore(w->alerts, series, alert_flags_parse(state), now_s(w));
		nrestored++;
	}
	history_events_free(ev, nev);
	if (err)
		notes_add(w->notes, "watch-reload-alerts",
			  "the alerts in force could not be read back (%s): they are said again",
			  strerror(-err));
	else if (nrestored)
		notes_add(w->notes, "watch-reload-alerts",
			  "%zu alert event(s) of this boot read back: alerts in force are not said again",
			  nrestored);
}

/* ---- which processes count: the top of each resource ---- */

static int cmp_desc(const void *a, const void *b, void *ctx)
{
	const struct handles_snapshot *snap = ctx;
	const struct proc_handles *x = &snap->procs[*(const int *)a];
	const struct proc_handles *y = &snap->procs[*(const int *)b];

	return x->fds < y->fds ? 1 : x->fds > y->fds ? -1 : x->pid - y->pid;
}

static int add_top(struct watch *w, int idx)
{
	size_t i;

	for (i = 0; i < w->ntop; i++)
		if (w->top[i] == idx)
			return 0;
	if (w->ntop == w->top_cap) {
		size_t cap = w->top_cap ? w->top_cap * 2 : 64;
		int *v = realloc(w->top, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->top = v;
		w->top_cap = cap;
	}
	w->top[w->ntop++] = idx;
	return 0;
}

/* The top K by fds, by threads, by mappings, by inotify watches, and every
 * process with a forecast in force: what is stored and served. */
static int select_top(struct watch *w)
{
	const struct handles_snapshot *snap = machine_sampler_processes(w->ms);
	int *order = NULL, i, k, key, err = 0;
	size_t f;

	w->ntop = 0;
	if (!snap || !snap->count)
		return 0;
	order = malloc((size_t)snap->count * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (key = 0; key < 4 && !err; key++) {
		for (i = 0; i < snap->count; i++)
			order[i] = i;
		if (key == 0) {
			qsort_r(order, (size_t)snap->count, sizeof(*order), cmp_desc, (void *)snap);
		} else {
			/* A small selection: K passes of a max scan. */
			for (k = 0; k < w->opts->top_k && k < snap->count; k++) {
				int best = k, j;

				for (j = k + 1; j < snap->count; j++) {
					const struct proc_handles *a = &snap->procs[order[j]],
								  *b = &snap->procs[order[best]];
					uint64_t va = key == 1 ? a->threads : key == 2 ? (a->maps == HANDLES_UNKNOWN ? 0 : a->maps) : (a->inotify_watches == HANDLES_UNKNOWN ? 0 : a->inotify_watches);
					uint64_t vb = key == 1 ? b->threads : key == 2 ? (b->maps == HANDLES_UNKNOWN ? 0 : b->maps) : (b->inotify_watches == HANDLES_UNKNOWN ? 0 : b->inotify_watches);

					if (va > vb)
						best = j;
				}
				j = order[k];
				order[k] = order[best];
				order[best] = j;
			}
		}
		for (k = 0; k < w->opts->top_k && k < snap->count && !err; k++)
			err = add_top(w, order[k]);
	}
	for (f = 0; f < w->nfc && !err; f++) {
		if (!w->fcs[f].pid || !w->fcs[f].fc.valid)
			continue;
		for (i = 0; i < snap->count; i++)
			if (snap->procs[i].pid == w->fcs[f].pid)
				err = add_top(w, i);
	}
	free(order);
	return err;
}

static bool in_top(const struct watch *w, int pid, uint64_t start)
{
	const struct handles_snapshot *snap = machine_sampler_processes(w->ms);
	size_t i;

	for (i = 0; snap && i < w->ntop; i++)
		if (snap->procs[w->top[i]].pid == pid && snap->procs[w->top[i]].starttime == start)
			return true;
	return false;
}

static const struct proc_handles *find_proc(const struct watch *w, int pid, uint64_t start)
{
	const struct handles_snapshot *snap = machine_sampler_processes(w->ms);
	int i;

	for (i = 0; snap && i < snap->count; i++)
		if (snap->procs[i].pid == pid && (!start || snap->procs[i].starttime == start))
			return &snap->procs[i];
	return NULL;
}

/* ---- forecasts ---- */

static struct forecast_entry *fc_add(struct watch *w)
{
	if (w->nfc == w->fc_cap) {
		size_t cap = w->fc_cap ? w->fc_cap * 2 : 256;
		struct forecast_entry *v = realloc(w->fcs, cap * sizeof(*v));

		if (!v)
			return NULL;
		w->fcs = v;
		w->fc_cap = cap;
	}
	memset(&w->fcs[w->nfc], 0, sizeof(w->fcs[0]));
	return &w->fcs[w->nfc++];
}

/* What runs out, for a series: its limit, direction and the words for it.
 * false: not a finite resource (or poolscope itself). */
static bool resource_of(const struct watch *w, const struct series *s,
			struct forecast_entry *e, double *limit, enum forecast_direction *dir)
{
	const struct proc_handles *p;

	if (series_name_parse(s->name, &e->name))
		return false;
	*dir = FORECAST_RISING;
	*limit = s->limit;
	switch (e->name.subject) {
	case SERIES_PROC:
		if (e->name.pid == getpid() || strchr(e->name.what, '/'))
			return false; /* per-kind fds count toward the fds limit */
		p = find_proc(w, e->name.pid, e->name.start);
		e->pid = e->name.pid;
		snprintf(e->comm, sizeof(e->comm), "%s", p ? p->comm : "?");
		snprintf(e->resource, sizeof(e->resource), "%s of %.63s (pid %d)", e->name.what,
			 e->comm, e->pid);
		return *limit > 0;
	case SERIES_SYS:
		snprintf(e->resource, sizeof(e->resource), "%.150s", e->name.id);
		return *limit > 0;
	case SERIES_KEYS:
		snprintf(e->resource, sizeof(e->resource), "key %s of uid %u", e->name.what,
			 e->name.uid);
		return *limit > 0;
	case SERIES_MEM:
		snprintf(e->resource, sizeof(e->resource), "%.150s", e->name.id);
		if (strcmp(e->name.id, "MemAvailable") == 0) {
			*dir = FORECAST_FALLING;
			*limit = 0;
			return true;
		}
		return *limit > 0;
	case SERIES_MEMCG:
		/* A cgroup's usage against its limit: what its OOM killer acts on. */
		if (strcmp(e->name.what, "usage"))
			return false;
		snprintf(e->resource, sizeof(e->resource), "memory of cgroup %.120s", e->name.id);
		return *limit > 0;
	default:
		return false;
	}
}

static int forecast_all(struct watch *w, double now)
{
	struct forecast_params fp;
	size_t i, n = series_set_count(w->set);
	int err = 0;

	w->nfc = 0;
	for (i = 0; i < n && !err; i++) {
		const struct series *s = series_set_at(w->set, i);
		struct forecast_entry tmp = {0}, *e;
		enum forecast_direction dir;
		double limit;

		if (!resource_of(w, s, &tmp, &limit, &dir))
			continue;
		e = fc_add(w);
		if (!e)
			return -ENOMEM;
		*e = tmp;
		e->s = s;
		forecast_params_init(&fp);
		/* meminfo is in kB: its values move by 1024 bytes at least. */
		if (e->name.subject == SERIES_MEM)
			fp.quantum = 1024;
		err = forecast_exhaustion_folded(s->t, s->v, s->peak, s->n, limit, now, dir, &fp,
						 &e->fc);
	}
	return err;
}

static double rate_of(const struct series *s, double now)
{
	size_t from = s->n;
	double slope = 0;

	while (from > 0 && s->t[from - 1] >= now - RATE_WINDOW_S)
		from--;
	if (s->n - from >= 2 && growth_theil_sen(s->t + from, s->v + from, s->n - from, &slope))
		slope = 0;
	return slope;
}

/* ---- alerts and the attached diagnosis ---- */

static void top_consumers(struct watch *w, const struct forecast_entry *e, char *buf, size_t len)
{
	const struct handles_snapshot *snap = machine_sampler_processes(w->ms);
	size_t i, off = 0;

	buf[0] = '\0';
	if (!snap || e->name.subject == SERIES_PROC || e->name.subject == SERIES_MEM ||
	    e->name.subject == SERIES_MEMCG)
		return;
	/* Kernel-wide handles: the processes holding the most fds. */
	for (i = 0; i < w->ntop && i < 5 && off + 1 < len; i++) {
		const struct proc_handles *p = &snap->procs[w->top[i]];

		off += (size_t)snprintf(buf + off, len - off, "%s%s (pid %d) %u fds", i ? ", " : "",
					p->comm, p->pid, p->fds);
	}
}

static bool diag_should_stop(void *ctx)
{
	return atomic_load((atomic_bool *)ctx);
}

static void *diag_main(void *arg)
{
	struct diag_job *job = arg;
	struct diagnose_opts o;
	struct diagnose_hooks h = {.should_stop = diag_should_stop, .ctx = job->stopping};
	char why[256];

	diagnose_opts_init(&o);
	o.duration_ns = job->duration_ns;
	o.no_counters = false;
	if (job->ntargets) {
		o.pids = job->target_pids;
		o.npids = job->ntargets;
	}
	job->err = diagnose_run(&o, &h, &job->result, NULL, &job->notes, why, sizeof(why));
	atomic_store(&job->done, true);
	return NULL;
}

/* A memory cgroup's alert: its processes (and its children's) are where
 * its kernel memory is charged from. An empty or vanished cgroup leaves the
 * diagnosis machine-wide, which its note says. */
static void aim_at_memcg(struct watch *w, const struct alert_event *a, struct diag_job *job)
{
	struct series_name_parts p;
	int err;

	if (series_name_parse(a->series, &p) || p.subject != SERIES_MEMCG)
		return;
	err = memcg_procs(p.id, job->target_pids, DIAG_MAX_TARGETS, &job->ntargets);
	if (err || !job->ntargets) {
		job->ntargets = 0;
		notes_add(w->notes, "watch-diagnose-memcg",
			  "the diagnosis of cgroup %s looks at the whole machine: %s", p.id,
			  err ? strerror(-err) : "no process is in it");
	}
}

static void diag_start(struct watch *w, const struct alert_event *a)
{
	struct diag_job *job = &w->diag;

	if (w->opts->no_diagnose || job->running || !a->raised)
		return;
	memset(&job->result, 0, sizeof(job->result));
	job->notes = (struct notes)NOTES_INIT;
	job->alert = *a;
	job->ntargets = 0;
	if (a->pid)
		job->target_pids[job->ntargets++] = a->pid;
	else
		aim_at_memcg(w, a, job);
	job->duration_ns = w->opts->diagnose_ns;
	job->stopping = &w->stopping;
	atomic_store(&job->done, false);
	if (pthread_create(&job->thread, NULL, diag_main, job)) {
		notes_add(w->notes, "watch-diagnose", "cannot start the diagnosis of an alert: %s",
			  strerror(errno));
		return;
	}
	job->running = true;
}

static void history_event_json(struct watch *w, const char *kind, const struct alert_event *a,
			       const struct diagnosis *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	struct json_writer *jw;

	if (!w->hist)
		return;
	mem = open_memstream(&text, &len);
	if (!mem)
		return;
	jw = json_writer_new(mem);
	if (jw) {
		alert_render_json(jw, a, d);
		json_writer_free(jw);
	}
	fclose(mem);
	if (text)
		history_add_event(w->hist, (int64_t)(a->time_s * 1000), kind, text, w->notes);
	free(text);
}

/* A finished diagnosis: hand it to the caller with its alert. */
static void diag_collect(struct watch *w, bool wait)
{
	struct diag_job *job = &w->diag;

	if (!job->running || (!wait && !atomic_load(&job->done)))
		return;
	pthread_join(job->thread, NULL);
	job->running = false;
	if (job->err == 0) {
		history_event_json(w, "diagnosis", &job->alert, &job->result);
		if (w->hooks && w->hooks->diagnosed)
			w->hooks->diagnosed(w->hooks->ctx, &job->alert, &job->result);
	} else {
		notes_add(w->notes, "watch-diagnose", "the diagnosis of an alert failed: %s",
			  strerror(-job->err));
	}
	/* Its notes are said with this interval's. */
	notes_add_all(w->notes, &job->notes);
	notes_release(&job->notes);
	diagnosis_release(&job->result);
}

static int update_alerts(struct watch *w, double now)
{
	size_t i;
	int err = 0;

	for (i = 0; i < w->nfc; i++) {
		struct forecast_entry *e = &w->fcs[i];
		struct alert_input in = {.key = e->s->name, .used = series_last(e->s),
					 .limit = e->s->limit, .forecast_valid = e->fc.valid,
					 .exhaustion_s = e->fc.seconds};
		struct alert_change ch;
		struct alert_event a = {0};

		if (e->name.subject == SERIES_MEM && strcmp(e->name.id, "MemAvailable") == 0) {
			/* Levels of memory are its use, not what is left. */
			const struct series *total = series_set_find(w->set, "mem/MemTotal");

			in.limit = total ? series_last(total) : -1;
			in.used = in.limit > 0 ? in.limit - series_last(e->s) : 0;
		}
		if (!alerts_update(w->alerts, &in, now, &ch, &err)) {
			if (err)
				return err;
			continue;
		}
		snprintf(a.resource, sizeof(a.resource), "%s", e->resource);
		snprintf(a.series, sizeof(a.series), "%s", e->s->name);
		alert_flags_text(ch.after, a.state, sizeof(a.state));
		alert_flags_text(ch.before, a.previous, sizeof(a.previous));
		a.raised = (ch.after & ~ch.before) != 0;
		a.pid = e->pid;
		snprintf(a.comm, sizeof(a.comm), "%s", e->comm);
		a.used = in.used;
		a.limit = in.limit;
		a.rate_per_s = rate_of(e->s, now);
		a.forecast_valid = e->fc.valid;
		a.exhaustion_s = e->fc.seconds;
		a.exhaustion_lo_s = e->fc.seconds_lo;
		a.exhaustion_hi_s = e->fc.seconds_hi;
		top_consumers(w, e, a.top, sizeof(a.top));
		a.time_s = (double)realtime_ns() / 1e9;
		history_event_json(w, "alert", &a, NULL);
		if (w->hooks && w->hooks->alert)
			w->hooks->alert(w->hooks->ctx, &a);
		diag_start(w, &a);
	}
	/* Processes that exited: forget their states, without an alert. */
	alerts_forget(w->alerts, now - 3.0 * (double)w->opts->interval_ns / 1e9);
	return 0;
}

/* ---- storing and serving ---- */

static bool stored(const struct watch *w, const struct series *s)
{
	struct series_name_parts p;

	if (series_name_parse(s->name, &p))
		return false;
	switch (p.subject) {
	case SERIES_PROC: return in_top(w, p.pid, p.start);
	case SERIES_SYSV_MSG: return false; /* the totals are sys/ series */
	default: return true;
	}
}

static int store(struct watch *w, double now)
{
	size_t i, n = series_set_count(w->set);
	int64_t ts = (int64_t)(realtime_ns() / 1000000);

	if (!w->hist)
		return 0;
	w->nhs = 0;
	for (i = 0; i < n; i++) {
		const struct series *s = series_set_at(w->set, i);

		/* Only what this interval sampled (a thinned-out process scan
		 * leaves some series without a point now). */
		if (!s->n || s->t[s->n - 1] < now - 0.5 || !stored(w, s))
			continue;
		if (w->nhs == w->hs_cap) {
			size_t cap = w->hs_cap ? w->hs_cap * 2 : 512;
			struct history_sample *v = realloc(w->hs, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			w->hs = v;
			w->hs_cap = cap;
		}
		w->hs[w->nhs].name = s->name;
		w->hs[w->nhs++].value = s->v[s->n - 1];
	}
	/* A full disk is a note and the queue: sampling goes on. */
	history_append(w->hist, ts, w->hs, w->nhs, w->notes);
	if (now - w->last_forecasts_event >= FORECASTS_EVERY_S) {
		struct strbuf sb = STRBUF_INIT;
		size_t k, shown = 0;

		strbuf_puts(&sb, "{\"forecasts\":[");
		for (k = 0; k < w->nfc; k++) {
			if (!w->fcs[k].fc.valid)
				continue;
			strbuf_printf(&sb, "%s{\"series\":\"%s\",\"exhaustion_s\":%.0f}",
				      shown++ ? "," : "", w->fcs[k].s->name, w->fcs[k].fc.seconds);
		}
		strbuf_puts(&sb, "]}");
		history_add_event(w->hist, ts, "forecasts", strbuf_str(&sb), w->notes);
		strbuf_release(&sb);
		w->last_forecasts_event = now;
	}
	return 0;
}

static int serve(struct watch *w, double sample_s)
{
	struct watch_forecast_metric *fm = NULL;
	struct watch_metrics m = {0};
	struct strbuf text = STRBUF_INIT;
	size_t i, n = 0;
	int err;

	if (!w->srv)
		return 0;
	fm = calloc(w->nfc ? w->nfc : 1, sizeof(*fm));
	if (!fm)
		return -ENOMEM;
	for (i = 0; i < w->nfc; i++) {
		const struct forecast_entry *e = &w->fcs[i];

		if (!e->fc.valid)
			continue;
		fm[n].resource = e->pid ? e->name.what : e->resource;
		fm[n].pid = e->pid;
		fm[n].comm = e->comm;
		fm[n++].seconds = e->fc.seconds;
	}
	m.pool = machine_sampler_pool(w->ms);
	m.resources = machine_sampler_resources(w->ms);
	m.mem = m.pool ? &m.pool->mem : NULL;
	m.procs = machine_sampler_processes(w->ms);
	m.psi = machine_sampler_psi(w->ms);
	m.memcgs = machine_sampler_memcgs(w->ms);
	m.top = w->top;
	m.ntop = w->ntop;
	m.forecasts = fm;
	m.nforecasts = n;
	m.sample_s = sample_s;
	m.version = POOLSCOPE_VERSION;
	m.kernel = w->kernel;
	err = watch_metrics_fill(w->expo, &m);
	if (!err)
		err = prom_render(w->expo, &text);
	if (!err)
		err = metrics_server_publish(w->srv, strbuf_str(&text), text.len);
	strbuf_release(&text);
	free(fm);
	return err;
}

static double snap_slope(void *ctx, const char *name)
{
	struct watch *w = ctx;
	const struct series *s = series_set_find(w->set, name);

	return s ? rate_of(s, now_s(w)) : NAN;
}

static double snap_exhaustion(void *ctx, const char *name)
{
	struct watch *w = ctx;
	size_t i;

	for (i = 0; i < w->nfc; i++)
		if (w->fcs[i].fc.valid && strcmp(w->fcs[i].s->name, name) == 0)
			return w->fcs[i].fc.seconds;
	return -1;
}

static void write_snapshot(struct watch *w, double now)
{
	struct snapshot_view v = {0};
	struct outfile of = {0};
	struct json_writer *jw;
	const struct pool_snapshot *pool = machine_sampler_pool(w->ms);
	int err;

	if (!w->opts->snapshot_path)
		return;
	err = outfile_open(&of, w->opts->snapshot_path);
	if (err) {
		notes_add(w->notes, "watch-snapshot", "cannot write the snapshot %s: %s",
			  w->opts->snapshot_path, strerror(-err));
		return;
	}
	v.host = w->host;
	v.kernel = w->kernel;
	v.boot_id = w->boot.boot_id;
	v.realtime_ns = realtime_ns();
	v.uptime_s = pool && pool->mem.have_uptime ? pool->mem.uptime_s : 0;
	v.window_s = now < RATE_WINDOW_S ? now : RATE_WINDOW_S;
	v.pool = pool;
	v.resources = machine_sampler_resources(w->ms);
	v.mem = pool ? &pool->mem : NULL;
	v.procs = machine_sampler_processes(w->ms);
	v.top = w->top;
	v.ntop = w->ntop;
	v.slope = snap_slope;
	v.exhaustion = snap_exhaustion;
	v.ctx = w;
	jw = json_writer_new(of.stream);
	if (jw) {
		snapshot_write(jw, &v);
		json_writer_free(jw);
		fputc('\n', of.stream);
	}
	err = jw ? outfile_commit(&of) : -ENOMEM;
	outfile_discard(&of); /* after a commit: frees the names only */
	if (err) {
		notes_add(w->notes, "watch-snapshot", "writing the snapshot %s failed: %s",
			  w->opts->snapshot_path, strerror(-err));
	}
}

/* ---- set-up ---- */

static int open_outputs(struct watch *w, char *why, size_t whylen)
{
	struct utsname u;
	int err;

	if (uname(&u) == 0)
		snprintf(w->kernel, sizeof(w->kernel), "%s", u.release);
	if (gethostname(w->host, sizeof(w->host)))
		snprintf(w->host, sizeof(w->host), "?");
	w->host[sizeof(w->host) - 1] = '\0';
	err = boot_ident_read(&w->boot);
	if (err)
		notes_add(w->notes, "watch-boot", "cannot read the boot id: %s", strerror(-err));
	if (w->opts->db_path) {
		err = history_open(w->opts->db_path, &w->opts->history, &w->hist, w->notes);
		if (err) {
			const struct note *n = notes_find(w->notes, "history-open");

			snprintf(why, whylen, "%s", n ? n->text : strerror(-err));
			return err;
		}
		err = history_set_boot(w->hist, w->boot.boot_id[0] ? w->boot.boot_id : "unknown",
				       w->boot.start_ms);
		if (err) {
			snprintf(why, whylen, "%s: cannot set the boot: %s", w->opts->db_path,
				 strerror(-err));
			return err;
		}
	}
	if (w->opts->listen) {
		w->expo = prom_exposition_new();
		if (!w->expo || prom_families_declare(w->expo))
			return -ENOMEM;
		err = metrics_server_start(&w->srv, w->opts->listen, NULL, w->notes);
		if (err) {
			const struct note *n = notes_find(w->notes, "metrics-listen");

			snprintf(why, whylen, "%s", n ? n->text : strerror(-err));
			return err;
		}
	}
	return 0;
}

static void release(struct watch *w)
{
	atomic_store(&w->stopping, true);
	diag_collect(w, true);
	metrics_server_stop(w->srv);
	prom_exposition_free(w->expo);
	history_close(w->hist);
	machine_sampler_stop(w->ms);
	series_set_free(w->set);
	alerts_free(w->alerts);
	free(w->top);
	free(w->fcs);
	free(w->hs);
}

static void say_notes(struct watch *w)
{
	if (w->hooks && w->hooks->notes)
		w->hooks->notes(w->hooks->ctx, w->notes);
	notes_clear(w->notes);
}

int watch_run(const struct watch_opts *opts, const struct watch_hooks *hooks, struct notes *notes,
	      char *why, size_t whylen)
{
	struct watch w = {.opts = opts, .hooks = hooks, .notes = notes};
	struct machine_sampler_opts mo;
	uint64_t next;
	int err;

	why[0] = '\0';
	atomic_init(&w.stopping, false);
	atomic_init(&w.diag.done, false);
	w.set = series_set_new();
	w.alerts = alerts_new(opts->alert_within_s);
	if (!w.set || !w.alerts) {
		err = -ENOMEM;
		goto out;
	}
	machine_sampler_opts_init(&mo);
	mo.no_counters = true; /* always on: no per-event BPF */
	mo.interval_ns = opts->interval_ns;
	mo.cpu_budget = 0.05;
	err = machine_sampler_start(&w.ms, &mo, notes);
	if (err) {
		snprintf(why, whylen, "cannot start sampling: %s", strerror(-err));
		goto out;
	}
	err = open_outputs(&w, why, whylen);
	if (err)
		goto out;
	/* The in-memory window (series_watch_window): what the forecaster
	 * reads, each series at its full size from the start. A process
	 * scanned only every Nth interval is not stale between its scans. */
	w.window = series_watch_window;
	series_set_reserve(w.set, series_window_points(&w.window, (double)opts->interval_ns / 1e9));
	w.t0_ns = next = monotonic_ns();
	reload_window(&w);
	reload_alerts(&w);
	w.last_forecasts_event = -FORECASTS_EVERY_S;
	while (!stop_requested_by_hook(&w)) {
		uint64_t cpu0 = process_cpu_ns();
		double now = now_s(&w);

		err = machine_sampler_sample(w.ms, now, w.set, notes);
		if (!err)
			err = fold(&w, now);
		if (!err)
			err = forecast_all(&w, now);
		if (!err)
			err = select_top(&w);
		if (!err)
			err = update_alerts(&w, now);
		if (!err)
			err = store(&w, now);
		if (!err)
			err = serve(&w, (double)(process_cpu_ns() - cpu0) / 1e9);
		if (err) {
			snprintf(why, whylen, "watch: %s", strerror(-err));
			goto out;
		}
		write_snapshot(&w, now);
		diag_collect(&w, false);
		say_notes(&w);
		w.samples++;
		if (w.samples == 1 && hooks && hooks->ready)
			hooks->ready(hooks->ctx);
		if (hooks && hooks->tick)
			hooks->tick(hooks->ctx, w.samples, alerts_active(w.alerts));
		if (opts->count && w.samples >= opts->count)
			break;
		next += opts->interval_ns;
		while (!stop_requested_by_hook(&w)) {
			uint64_t t = monotonic_ns();

			if (t >= next)
				break;
			if (hooks && hooks->waiting)
				hooks->waiting(hooks->ctx);
			sleep_ns_interruptible(next - t < 200000000ull ? next - t : 200000000ull);
		}
		/* A machine that slept or a sample that overran: no catch-up burst. */
		if (monotonic_ns() > next + opts->interval_ns)
			next = monotonic_ns();
	}
	err = 0;
out:
	release(&w);
	say_notes(&w);
	return err;
}
