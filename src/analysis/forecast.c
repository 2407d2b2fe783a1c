#include "analysis/forecast.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "analysis/growth.h"

static const char *const reason_names[FORECAST_REASON_COUNT] = {
	[FORECAST_OK] = "ok",
	[FORECAST_LIMIT_REACHED] = "limit_reached",
	[FORECAST_TOO_LITTLE_DATA] = "too_little_data",
	[FORECAST_NOT_GROWING] = "not_growing",
	[FORECAST_NOT_STEADY] = "not_steady",
	[FORECAST_NEEDS_MORE_DATA] = "needs_more_data",
	[FORECAST_WINDOWS_DISAGREE] = "windows_disagree",
	[FORECAST_WITHIN_PAST_RANGE] = "within_past_range",
	[FORECAST_NO_LIMIT] = "no_limit",
};

const char *forecast_reason_name(enum forecast_reason r)
{
	return r < FORECAST_REASON_COUNT ? reason_names[r] : "?";
}

void forecast_params_init(struct forecast_params *p)
{
	*p = (struct forecast_params){
		.windows_s = { 600, 3600, 6 * 3600, 24 * 3600 },
		.nwindows = 4,
		.buckets = 40,
		.min_samples = 6,
		.min_span_s = 300,
		.evidence_frac = 0.05,
		.lookback_frac = 3,
		.min_r2 = 0.8,
		.max_rel_ci = 0.5,
		.z = 2.58,
		.quantum = 1,
	};
}

/* What one call works with: the input in rising form (sign × v against
 * sign × limit) and the envelope scratch buffers. */
struct forecast_ctx {
	const double *t, *v;
	const double *peak; /* the buckets' other extremes of a folded history; NULL: v */
	size_t n;
	double sign, limit, now;
	const struct forecast_params *p;
	double *et, *ey; /* p->buckets each */
};

/* First index with t[i] ≥ start (n when none). */
static size_t first_at_or_after(const double *t, size_t n, double start)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Fit the lower envelope of the samples from index `from` to the end: the
 * minimum of each of p->buckets equal time buckets, times relative to now,
 * then Theil–Sen with its interval. *level: the envelope line at now.
 * 0 or -ENOMEM. */
static int fit_envelope(struct forecast_ctx *c, size_t from, struct forecast_window *w,
			double *level)
{
	size_t buckets = c->p->buckets, ne = 0, last = 0, i;
	double start = c->t[from], width, slope, rising;
	struct growth_ts_fit ts;
	int err;

	w->samples = c->n - from;
	w->span_s = c->now - start;
	width = w->span_s / (double)buckets;
	for (i = from; i < c->n; i++) {
		double y = c->sign * c->v[i];
		size_t b = width > 0 ? (size_t)((c->t[i] - start) / width) : 0;

		if (b >= buckets)
			b = buckets - 1;
		/* Samples come in time order: b is the bucket last opened or
		 * a later one. */
		if (ne == 0 || b != last) {
			c->et[ne] = c->t[i] - c->now;
			c->ey[ne++] = y;
			last = b;
		} else if (y < c->ey[ne - 1]) {
			c->et[ne - 1] = c->t[i] - c->now;
			c->ey[ne - 1] = y;
		}
	}
	err = growth_theil_sen_fit(c->et, c->ey, ne, c->p->z, &ts);
	if (err)
		return err;
	w->slope_per_s = ts.slope;
	w->slope_lo = ts.slope_lo;
	w->slope_hi = ts.slope_hi;
	growth_line_fit(c->et, c->ey, ne, &slope, &w->r2, &rising);
	*level = ts.intercept;
	w->seconds = growth_seconds_to_limit(*level, c->limit, ts.slope);
	return 0;
}

/* Slope intervals overlap, k's widened by two quanta over its span (a
 * count that rises by less than one in a short window looks flat there;
 * one quantum is exactly the slope of a count rising by one per span), or
 * the slopes are within 10 % of each other. */
static bool windows_agree(const struct forecast_params *p, const struct forecast_window *judge,
			  const struct forecast_window *k)
{
	double widen = k->span_s > 0 ? 2 * p->quantum / k->span_s : INFINITY;

	if (fabs(k->slope_per_s - judge->slope_per_s) <= 0.1 * fabs(judge->slope_per_s))
		return true;
	return k->slope_hi + widen >= judge->slope_lo && k->slope_lo - widen <= judge->slope_hi;
}

/* Has the value (rising form) been at or above level before index from?
 * (A value within noise of an earlier peak is not new ground: callers pass
 * a level below the present one.) */
static bool been_this_high(const struct forecast_ctx *c, size_t from, double level)
{
	size_t i;

	for (i = 0; i < from; i++)
		if (c->sign * (c->peak ? c->peak[i] : c->v[i]) >= level)
			return true;
	return false;
}

/* Judge candidate j among the fitted windows: FORECAST_OK or why not. */
static int judge_window(struct forecast_ctx *c, struct forecast_window *wins, const size_t *from,
			size_t nw, size_t j, double level, enum forecast_reason *why)
{
	const struct forecast_params *p = c->p;
	struct forecast_window *w = &wins[j], half = { 0 };
	double half_level;
	size_t k, half_from;
	int err;

	if (!(w->slope_lo > 0)) {
		*why = FORECAST_NOT_GROWING;
		return 0;
	}
	if (w->r2 < p->min_r2 || w->slope_per_s - w->slope_lo > p->max_rel_ci * w->slope_per_s) {
		*why = FORECAST_NOT_STEADY;
		return 0;
	}
	if (w->span_s < p->evidence_frac * w->seconds) {
		*why = FORECAST_NEEDS_MORE_DATA;
		return 0;
	}
	*why = FORECAST_WINDOWS_DISAGREE;
	for (k = 0; k < nw; k++) {
		bool relevant = k < j || wins[k].window_s <= p->lookback_frac * w->seconds;

		wins[k].agreed = k == j || (relevant && windows_agree(p, w, &wins[k]));
		if (relevant && !wins[k].agreed)
			return 0;
	}
	/* The recent half of its own span: a growth that just stopped. */
	half_from = first_at_or_after(c->t, c->n, c->now - w->span_s / 2);
	if (c->n - half_from >= p->min_samples / 2 && c->n - half_from >= 3) {
		err = fit_envelope(c, half_from, &half, &half_level);
		if (err)
			return err;
		if (!windows_agree(p, w, &half))
			return 0;
	}
	/* New ground: nothing before the window reached its midpoint. */
	if (been_this_high(c, from[j], level - 0.5 * w->slope_per_s * w->span_s)) {
		*why = FORECAST_WITHIN_PAST_RANGE;
		return 0;
	}
	*why = FORECAST_OK;
	return 0;
}

/* Every value from `from` on the same: the common case of an always-on
 * watch (most processes' fds, most limits' use stay put for hours), told
 * in one pass instead of four fits. */
static bool flat_from(const struct forecast_ctx *c, size_t from)
{
	size_t i;

	for (i = from + 1; i < c->n; i++)
		if (c->v[i] != c->v[from])
			return false;
	return true;
}

static int forecast_run(struct forecast_ctx *c, struct forecast *out)
{
	const struct forecast_params *p = c->p;
	size_t from[FORECAST_MAX_WINDOWS], k, nw = 0;
	double levels[FORECAST_MAX_WINDOWS];
	enum forecast_reason best = FORECAST_TOO_LITTLE_DATA;
	double best_width = INFINITY;
	unsigned mask = 0;
	int chosen = -1, err;
	bool flat = p->nwindows &&
		    flat_from(c, first_at_or_after(c->t, c->n, c->now - p->windows_s[p->nwindows - 1]));

	for (k = 0; k < p->nwindows; k++) {
		size_t i = first_at_or_after(c->t, c->n, c->now - p->windows_s[k]);
		struct forecast_window *w = &out->windows[nw];
		bool all = i == 0;

		if (c->n - i < p->min_samples || c->now - c->t[i] < p->min_span_s)
			continue;
		*w = (struct forecast_window){ .window_s = p->windows_s[k] };
		if (flat) {
			/* What the fit of a constant gives, without the fit. */
			w->samples = c->n - i;
			w->span_s = c->now - c->t[i];
			w->seconds = INFINITY;
			levels[nw] = c->sign * c->v[c->n - 1];
		} else {
			err = fit_envelope(c, i, w, &levels[nw]);
			if (err)
				return err;
		}
		from[nw++] = i;
		/* Longer windows would hold the same samples. */
		if (all)
			break;
	}
	out->nwindows = nw;
	if (flat) {
		out->reason = nw ? FORECAST_NOT_GROWING : FORECAST_TOO_LITTLE_DATA;
		return 0;
	}
	/* Of the windows that pass, the one whose slope is surest (narrowest
	 * interval against its slope) carries the forecast: on a steady leak
	 * the longest, on a leak that began within a window the windows that
	 * hold only the leak (the mixed one still agrees within its wider
	 * interval, but its slope is biased low). */
	for (k = 0; k < nw; k++) {
		const struct forecast_window *w = &out->windows[k];
		enum forecast_reason why;
		double width;
		size_t i;

		err = judge_window(c, out->windows, from, nw, k, levels[k], &why);
		if (err)
			return err;
		if (why > best)
			best = why;
		if (why != FORECAST_OK)
			continue;
		width = (w->slope_hi - w->slope_lo) / w->slope_per_s;
		if (chosen >= 0 && width >= best_width)
			continue;
		chosen = (int)k;
		best_width = width;
		mask = 0;
		for (i = 0; i < nw; i++)
			if (out->windows[i].agreed)
				mask |= 1u << i;
	}
	for (k = 0; k < nw; k++)
		out->windows[k].agreed = chosen >= 0 && (mask & (1u << k));
	if (chosen < 0) {
		out->reason = best;
		return 0;
	}
	k = (size_t)chosen;
	out->valid = true;
	out->reason = FORECAST_OK;
	out->judge = chosen;
	out->agreed_mask = mask;
	out->seconds = out->windows[k].seconds;
	out->seconds_lo = growth_seconds_to_limit(levels[k], c->limit, out->windows[k].slope_hi);
	out->seconds_hi = growth_seconds_to_limit(levels[k], c->limit, out->windows[k].slope_lo);
	out->slope_per_s = c->sign * out->windows[k].slope_per_s;
	out->level = c->sign * levels[k];
	return 0;
}

static bool params_ok(const struct forecast_params *p)
{
	size_t k;

	if (p->nwindows > FORECAST_MAX_WINDOWS || p->buckets < 2 || p->buckets > GROWTH_TS_MAX)
		return false;
	for (k = 0; k < p->nwindows; k++)
		if (!(p->windows_s[k] > 0) || (k && p->windows_s[k] <= p->windows_s[k - 1]))
			return false;
	return true;
}

int forecast_exhaustion(const double *t_s, const double *v, size_t n, double limit, double now,
			enum forecast_direction dir, const struct forecast_params *p,
			struct forecast *out)
{
	return forecast_exhaustion_folded(t_s, v, NULL, n, limit, now, dir, p, out);
}

int forecast_exhaustion_folded(const double *t_s, const double *v, const double *peak, size_t n,
			       double limit, double now, enum forecast_direction dir,
			       const struct forecast_params *p, struct forecast *out)
{
	struct forecast_params defaults;
	struct forecast_ctx c = { .t = t_s, .v = v, .peak = peak, .n = n, .now = now };
	int err;

	*out = (struct forecast){ .reason = FORECAST_TOO_LITTLE_DATA, .judge = -1,
				  .seconds = INFINITY, .seconds_lo = INFINITY,
				  .seconds_hi = INFINITY };
	if (!p) {
		forecast_params_init(&defaults);
		p = &defaults;
	}
	if ((n && (!t_s || !v)) || !params_ok(p) || (n && !(now >= t_s[n - 1])))
		return -EINVAL;
	if (!isfinite(limit)) {
		out->reason = FORECAST_NO_LIMIT;
		return 0;
	}
	if (n == 0)
		return 0;
	c.sign = dir == FORECAST_FALLING ? -1 : 1;
	c.limit = c.sign * limit;
	c.p = p;
	if (c.sign * v[n - 1] >= c.limit) {
		out->valid = true;
		out->reason = FORECAST_LIMIT_REACHED;
		out->seconds = out->seconds_lo = out->seconds_hi = 0;
		out->level = v[n - 1];
		return 0;
	}
	c.et = malloc(2 * p->buckets * sizeof(*c.et));
	if (!c.et)
		return -ENOMEM;
	c.ey = c.et + p->buckets;
	err = forecast_run(&c, out);
	free(c.et);
	return err;
}
