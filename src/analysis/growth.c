#include "analysis/growth.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static const char *const verdict_names[GROWTH_VERDICT_COUNT] = {
	[GROWTH_TOO_SHORT] = "too_short",
	[GROWTH_FLAT] = "flat",
	[GROWTH_STEADY] = "steady_growth",
	[GROWTH_FALLING] = "falling",
	[GROWTH_STEP] = "step",
	[GROWTH_BURST_RETURNED] = "burst_returned",
	[GROWTH_SAWTOOTH] = "sawtooth",
	[GROWTH_NOISY] = "noisy",
};

const char *growth_verdict_name(enum growth_verdict v)
{
	return v < GROWTH_VERDICT_COUNT ? verdict_names[v] : "?";
}

void growth_params_init(struct growth_params *p)
{
	*p = (struct growth_params){
		.min_samples = 4,
		.min_r2 = 0.8,
		.min_gain = 3,
		.near_peak = 0.8,
		.min_rel_gain = 0,
		.flat_rel = 0.01,
		.step_r2 = 0.9,
		.returned_frac = 0.2,
		.burst_spread = 4,
		.sawtooth_drop = 0.5,
		.sawtooth_rising = 0.7,
		.envelope_window = 0,
	};
}

static double t_at(const double *t_s, size_t i)
{
	return t_s ? t_s[i] : (double)i;
}

/* Sums in this order keep report's suspects exactly as they were before the
 * verdict was shared (its golden output depends on the last digit). */
void growth_line_fit(const double *t_s, const double *y, size_t n, double *slope, double *r2,
		     double *rising)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0, dn = (double)n, vx, vy, cov;
	size_t i, up = 0;

	*slope = 0;
	*r2 = 0;
	*rising = 0;
	if (n < 2)
		return;
	for (i = 0; i < n; i++) {
		double x = t_at(t_s, i), v = y[i];

		sx += x;
		sy += v;
		sxx += x * x;
		sxy += x * v;
		syy += v * v;
		if (i && y[i] >= y[i - 1])
			up++;
	}
	vx = sxx - sx * sx / dn;
	vy = syy - sy * sy / dn;
	cov = sxy - sx * sy / dn;
	*slope = vx > 0 ? cov / vx : 0;
	*r2 = vx > 0 && vy > 0 ? cov * cov / (vx * vy) : 0;
	*rising = (double)up / (double)(n - 1);
}

static void swap_d(double *a, double *b)
{
	double t = *a;

	*a = *b;
	*b = t;
}

/* The k-th smallest of v[0..n), v reordered so that v[0..k) are not larger
 * (quickselect with a three-way partition: runs of equal slopes, common
 * in integer series, cost nothing). O(n) on average. */
static double select_kth(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		double pivot = v[lo + (hi - lo) / 2];
		size_t lt = lo, i = lo, gt = hi;

		while (i < gt) {
			if (v[i] < pivot)
				swap_d(&v[lt++], &v[i++]);
			else if (v[i] > pivot)
				swap_d(&v[i], &v[--gt]);
			else
				i++;
		}
		if (k < lt)
			hi = lt;
		else if (k >= gt)
			lo = gt;
		else
			return pivot;
	}
	return v[k];
}

static double median(double *v, size_t n)
{
	double hi = select_kth(v, n, n / 2), lo;
	size_t i;

	if (n % 2)
		return hi;
	/* After selection v[0..n/2) holds the smaller half: its maximum. */
	lo = v[0];
	for (i = 1; i < n / 2; i++)
		if (v[i] > lo)
			lo = v[i];
	return (lo + hi) / 2;
}

/* The pairwise slopes of m samples evenly spaced over y[0..n) into pairs
 * (room for m(m−1)/2); returns how many had distinct times. */
static size_t pairwise_slopes(const double *t_s, const double *y, size_t n, size_t m,
			      double *pairs)
{
	size_t i, j, k = 0;

	/* A longer series: m samples evenly spaced over all of it. */
	for (i = 0; i < m; i++) {
		size_t a = i * (n - 1) / (m - 1);

		for (j = i + 1; j < m; j++) {
			size_t b = j * (n - 1) / (m - 1);
			double dt = t_at(t_s, b) - t_at(t_s, a);

			if (dt > 0)
				pairs[k++] = (y[b] - y[a]) / dt;
		}
	}
	return k;
}

int growth_theil_sen(const double *t_s, const double *y, size_t n, double *slope)
{
	size_t m = n < GROWTH_TS_MAX ? n : GROWTH_TS_MAX, k;
	double *pairs;

	*slope = 0;
	if (n < 2)
		return 0;
	pairs = malloc(m * (m - 1) / 2 * sizeof(*pairs));
	if (!pairs)
		return -ENOMEM;
	k = pairwise_slopes(t_s, y, n, m, pairs);
	if (k)
		*slope = median(pairs, k);
	free(pairs);
	return 0;
}

int growth_theil_sen_fit(const double *t_s, const double *y, size_t n, double z,
			 struct growth_ts_fit *out)
{
	size_t m = n < GROWTH_TS_MAX ? n : GROWTH_TS_MAX, k, i, r_lo, r_hi;
	double *pairs, c, dm = (double)m;

	*out = (struct growth_ts_fit){ 0 };
	if (n < 2)
		return 0;
	/* The pairs' array is reused for the residuals: m(m−1)/2 ≥ n only
	 * when m is large enough, so size it for both. */
	k = m * (m - 1) / 2;
	pairs = malloc((k > n ? k : n) * sizeof(*pairs));
	if (!pairs)
		return -ENOMEM;
	k = pairwise_slopes(t_s, y, n, m, pairs);
	out->pairs = k;
	if (k) {
		out->slope = median(pairs, k);
		/* Kendall's S has variance m(m−1)(2m+5)/18; the interval's
		 * ends are the pairwise slopes c/2 ranks either side of the
		 * middle (clamped to the extremes for short series). */
		c = z * sqrt(dm * (dm - 1) * (2 * dm + 5) / 18);
		r_lo = c >= (double)k ? 0 : (size_t)(((double)k - c) / 2);
		r_hi = c >= (double)k ? k - 1 : (size_t)(((double)k + c) / 2);
		if (r_hi >= k)
			r_hi = k - 1;
		out->slope_lo = select_kth(pairs, k, r_lo);
		out->slope_hi = select_kth(pairs, k, r_hi);
	}
	for (i = 0; i < n; i++)
		pairs[i] = y[i] - out->slope * t_at(t_s, i);
	out->intercept = median(pairs, n);
	free(pairs);
	return 0;
}

/* The Theil–Sen slope of the minima of consecutive windows of w samples. */
static int envelope_slope(const double *t_s, const double *y, size_t n, size_t w, double *slope)
{
	size_t nw = n / w, i, j;
	double *et = NULL, *ey = NULL;
	int err = -ENOMEM;

	*slope = 0;
	if (nw < 2)
		return 0;
	et = malloc(nw * sizeof(*et));
	ey = malloc(nw * sizeof(*ey));
	if (!et || !ey)
		goto out;
	for (i = 0; i < nw; i++) {
		size_t at = i * w;

		for (j = i * w + 1; j < (i + 1) * w; j++)
			if (y[j] < y[at])
				at = j;
		et[i] = t_at(t_s, at);
		ey[i] = y[at];
	}
	err = growth_theil_sen(et, ey, nw, slope);
out:
	free(et);
	free(ey);
	return err;
}

/* Share of the variance explained by the best split into two constant
 * levels, and the jump between them. O(n) with running sums. */
static double best_step(const double *y, size_t n, double *jump)
{
	double s = 0, s2 = 0, sl = 0, s2l = 0, sst, best = 0;
	size_t i, k;

	*jump = 0;
	for (i = 0; i < n; i++) {
		s += y[i];
		s2 += y[i] * y[i];
	}
	sst = s2 - s * s / (double)n;
	if (sst <= 0)
		return 0;
	for (k = 1; k < n; k++) {
		double nl = (double)k, nr = (double)(n - k), sr, s2r, sse, explained;

		sl += y[k - 1];
		s2l += y[k - 1] * y[k - 1];
		sr = s - sl;
		s2r = s2 - s2l;
		sse = (s2l - sl * sl / nl) + (s2r - sr * sr / nr);
		explained = 1 - sse / sst;
		if (explained > best) {
			best = explained;
			*jump = sr / nr - sl / nl;
		}
	}
	return best;
}

/* Ramps that end in a big drop: a drop counts when the series rose by at
 * least `drop` since the low after the previous counted drop. */
static size_t count_teeth(const double *y, size_t n, double drop)
{
	double low = y[0], high = y[0];
	size_t i, teeth = 0;

	for (i = 1; i < n; i++) {
		if (y[i] >= y[i - 1]) {
			if (y[i] > high)
				high = y[i];
			continue;
		}
		if (y[i - 1] - y[i] >= drop && high - low >= drop) {
			teeth++;
			low = high = y[i];
			continue;
		}
		if (y[i] < low)
			low = high = y[i];
	}
	return teeth;
}

/* max − median against the median absolute deviation; -ENOMEM. */
static int peak_spread(const double *y, size_t n, double max, double *peak, double *mad)
{
	double *v = malloc(n * sizeof(*v)), mid;
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = y[i];
	mid = median(v, n);
	for (i = 0; i < n; i++)
		v[i] = fabs(y[i] - mid);
	*mad = median(v, n);
	*peak = max - mid;
	free(v);
	return 0;
}

/* The shapes in order: the first that fits is the verdict. */
static enum growth_verdict classify_shape(const double *y, size_t n,
					  const struct growth_params *p,
					  const struct growth_fit *f)
{
	double range = f->max - f->min, level = fmax(fabs(f->min), fabs(f->max)), jump;

	if (n < p->min_samples)
		return GROWTH_TOO_SHORT;
	/* Report's leak-suspect rules, unchanged; checked first so they
	 * alone decide whether a series is "growing". */
	if (f->slope_per_s > 0 && f->r2 >= p->min_r2 && f->last - f->first >= p->min_gain &&
	    f->last >= p->near_peak * f->max &&
	    (p->min_rel_gain <= 0 || f->last - f->first >= p->min_rel_gain * fabs(f->first)))
		return GROWTH_STEADY;
	if (range < p->min_gain || range <= p->flat_rel * level)
		return GROWTH_FLAT;
	if (f->slope_per_s < 0 && f->r2 >= p->min_r2 && f->first - f->last >= p->min_gain)
		return GROWTH_FALLING;
	if (best_step(y, n, &jump) >= p->step_r2 && fabs(jump) >= p->min_gain)
		return GROWTH_STEP;
	if (count_teeth(y, n, p->sawtooth_drop * range) >= 2 && f->rising >= p->sawtooth_rising)
		return GROWTH_SAWTOOTH;
	if (f->max - f->first >= p->min_gain &&
	    fabs(f->last - f->first) <= p->returned_frac * (f->max - f->first))
		return GROWTH_BURST_RETURNED;
	return GROWTH_NOISY;
}

/* 0 or -ENOMEM. */
static int classify(const double *y, size_t n, const struct growth_params *p,
		    struct growth_fit *f)
{
	double peak, mad;

	f->verdict = classify_shape(y, n, p, f);
	if (f->verdict != GROWTH_BURST_RETURNED)
		return 0;
	if (peak_spread(y, n, f->max, &peak, &mad))
		return -ENOMEM;
	if (peak < p->burst_spread * mad)
		f->verdict = GROWTH_NOISY;
	return 0;
}

int growth_assess(const double *t_s, const double *y, size_t n, const struct growth_params *p,
		  struct growth_fit *out)
{
	struct growth_params defaults;
	size_t i;
	int err;

	*out = (struct growth_fit){ .verdict = GROWTH_TOO_SHORT, .n = n };
	if (!p) {
		growth_params_init(&defaults);
		p = &defaults;
	}
	if (n == 0)
		return 0;
	if (!y)
		return -EINVAL;
	out->first = out->min = out->max = y[0];
	out->last = y[n - 1];
	for (i = 1; i < n; i++) {
		out->min = fmin(out->min, y[i]);
		out->max = fmax(out->max, y[i]);
	}
	growth_line_fit(t_s, y, n, &out->slope_per_s, &out->r2, &out->rising);
	err = growth_theil_sen(t_s, y, n, &out->robust_per_s);
	if (!err && p->envelope_window > 1)
		err = envelope_slope(t_s, y, n, p->envelope_window, &out->envelope_per_s);
	if (!err)
		err = classify(y, n, p, out);
	return err;
}

double growth_seconds_to_limit(double y_now, double limit, double slope_per_s)
{
	if (y_now >= limit)
		return 0;
	if (!(slope_per_s > 0))
		return INFINITY;
	return (limit - y_now) / slope_per_s;
}
