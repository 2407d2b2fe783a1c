#include "output/alert_render.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/alerts.h"
#include "analysis/findings.h"
#include "output/findings_render.h"
#include "output/json.h"
#include "util/timeutil.h"
#include "util/visible.h"

/* Names escaped for a terminal or a log reader (util/visible), appended at
 * off; returns the new end. */
static size_t put_safe(char *buf, size_t len, size_t off, const char *s)
{
	size_t n;

	if (off >= len)
		return len ? len - 1 : 0;
	n = visible_escape(s, strlen(s), buf + off, len - off);
	return off + n < len ? off + n : len - 1;
}

const char *alert_render_line(const struct alert_event *a, char *buf, size_t len)
{
	char x[32], lo[32], hi[32];
	size_t off;

	off = (size_t)snprintf(buf, len, "alert: ");
	off = put_safe(buf, len, off < len ? off : len - 1, a->resource);
	off += (size_t)snprintf(buf + off, len > off ? len - off : 0, " %s (was %s): %.0f",
				a->state, a->previous, a->used);
	if (a->limit > 0 && off < len)
		off += (size_t)snprintf(buf + off, len - off, " of %.0f (%.0f %%)", a->limit,
					100.0 * a->used / a->limit);
	if (off < len)
		off += (size_t)snprintf(buf + off, len - off, ", %+.3g/s", a->rate_per_s);
	if (a->forecast_valid && off < len)
		off += (size_t)snprintf(buf + off, len - off, ", runs out in %s (%s to %s)",
					format_span(a->exhaustion_s, x, sizeof(x)),
					format_span(a->exhaustion_lo_s, lo, sizeof(lo)),
					format_span(a->exhaustion_hi_s, hi, sizeof(hi)));
	if (a->top[0] && off + 8 < len) {
		off += (size_t)snprintf(buf + off, len - off, "; top: ");
		put_safe(buf, len, off, a->top);
	}
	return buf;
}

const char *alert_render_diagnosis_line(const struct alert_event *a, const struct diagnosis *d,
					char *buf, size_t len)
{
	const struct finding *f = NULL;
	size_t i, off;

	/* The leak of this alert's process first; for a memory cgroup, a leak
	 * held by a process (the diagnosis was aimed at the cgroup's: kernel-
	 * wide leaks found beside are not the cgroup's); for a kernel-wide
	 * resource, the most confident leak. */
	for (i = 0; d && a->pid && i < d->n && !f; i++)
		if (d->findings[i].kind == FINDING_LEAK && d->findings[i].holder.known &&
		    d->findings[i].holder.pid == a->pid)
			f = &d->findings[i];
	for (i = 0; d && !a->pid && !strncmp(a->series, "memcg/", 6) && i < d->n && !f; i++)
		if (d->findings[i].kind == FINDING_LEAK && d->findings[i].holder.known)
			f = &d->findings[i];
	for (i = 0; d && !a->pid && i < d->n && !f; i++)
		if (d->findings[i].kind == FINDING_LEAK)
			f = &d->findings[i];
	off = (size_t)snprintf(buf, len, "diagnosis of ");
	off = put_safe(buf, len, off < len ? off : len - 1, a->resource);
	if (!f && d && d->checked.samples < 2) {
		/* Cut short (watch was stopping): too little to judge, not "no leak". */
		snprintf(buf + off, len > off ? len - off : 0,
			 ": stopped after %u sample%s, before it could judge", d->checked.samples,
			 d->checked.samples == 1 ? "" : "s");
		return buf;
	}
	if (!f) {
		snprintf(buf + off, len > off ? len - off : 0,
			 ": no leak found in %.0f s (%u series of %u process%s checked)",
			 d ? d->checked.duration_s : 0, d ? d->checked.series : 0,
			 d ? d->checked.processes : 0, d && d->checked.processes == 1 ? "" : "es");
		return buf;
	}
	off += (size_t)snprintf(buf + off, len > off ? len - off : 0, ": LEAK ");
	off = put_safe(buf, len, off < len ? off : len - 1, f->resource);
	if (f->holder.known && off < len) {
		off += (size_t)snprintf(buf + off, len - off, "; holder pid %d ", f->holder.pid);
		off = put_safe(buf, len, off < len ? off : len - 1, f->holder.comm);
	}
	if (f->allocator.known && off < len)
		off += (size_t)snprintf(buf + off, len - off, "; allocator pid %d", f->allocator.pid);
	if (off < len) {
		off += (size_t)snprintf(buf + off, len - off, "; object ");
		off = put_safe(buf, len, off < len ? off : len - 1, f->object_type);
	}
	if (f->subsystem[0] && off < len) {
		off += (size_t)snprintf(buf + off, len - off, "; ");
		put_safe(buf, len, off < len ? off : len - 1, f->subsystem);
	}
	return buf;
}

static void kv_time(struct json_writer *w, const char *key, bool valid, double s)
{
	json_key(w, key);
	if (valid && isfinite(s))
		json_double(w, s);
	else
		json_null(w);
}

void alert_render_json(struct json_writer *w, const struct alert_event *a,
		       const struct diagnosis *d)
{
	json_begin_object(w);
	json_key(w, "alert");
	json_begin_object(w);
	json_kv_double(w, "time", a->time_s);
	json_kv_string(w, "resource", a->resource);
	json_kv_string(w, "series", a->series);
	json_kv_string(w, "state", a->state);
	json_kv_string(w, "previous", a->previous);
	json_kv_bool(w, "raised", a->raised);
	json_key(w, "holder");
	if (a->pid) {
		json_begin_object(w);
		json_kv_int(w, "pid", a->pid);
		json_kv_string(w, "comm", a->comm);
		json_end_object(w);
	} else {
		json_null(w);
	}
	json_kv_double(w, "used", a->used);
	kv_time(w, "limit", a->limit > 0, a->limit);
	json_kv_double(w, "rate_per_s", a->rate_per_s);
	kv_time(w, "exhaustion_s", a->forecast_valid, a->exhaustion_s);
	kv_time(w, "exhaustion_lo_s", a->forecast_valid, a->exhaustion_lo_s);
	kv_time(w, "exhaustion_hi_s", a->forecast_valid, a->exhaustion_hi_s);
	json_kv_string(w, "top", a->top);
	json_end_object(w);
	json_key(w, "diagnosis");
	if (d)
		findings_render_json(d, w);
	else
		json_null(w);
	json_end_object(w);
}
