/* Chunk encoding: see history_codec.h for the layout. */
#include "model/history_codec.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_RAW = 1, KIND_BUCKETS = 2 };
enum { MODE_INT = 0, MODE_DOUBLE = 1 };

/* Integers up to 2^53 are exact in a double; their deltas and zigzag forms,
 * shifted left once for the run flag, stay below 2^63. */
#define INT_LIMIT 9007199254740992.0

static int grow(struct history_points *p)
{
	size_t cap = p->cap ? p->cap * 2 : 64;
	int64_t *t = realloc(p->t, cap * sizeof(*t));
	int c;

	if (!t)
		return -ENOMEM;
	p->t = t;
	for (c = 0; c < COL_N; c++) {
		double *v = realloc(p->col[c], cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->col[c] = v;
	}
	p->cap = cap;
	return 0;
}

int history_points_push_bucket(struct history_points *p, int64_t t, double last, double min,
			       double max, double sum, double count)
{
	if (p->n == p->cap && grow(p))
		return -ENOMEM;
	p->t[p->n] = t;
	p->col[COL_LAST][p->n] = last;
	p->col[COL_MIN][p->n] = min;
	p->col[COL_MAX][p->n] = max;
	p->col[COL_SUM][p->n] = sum;
	p->col[COL_COUNT][p->n] = count;
	p->n++;
	return 0;
}

int history_points_push_sample(struct history_points *p, int64_t t, double value)
{
	return history_points_push_bucket(p, t, value, value, value, value, 1);
}

void history_points_reset(struct history_points *p)
{
	p->n = 0;
}

void history_points_release(struct history_points *p)
{
	int c;

	if (!p)
		return;
	free(p->t);
	for (c = 0; c < COL_N; c++)
		free(p->col[c]);
	memset(p, 0, sizeof(*p));
}

/* Floor division: bucket starts stay aligned for times before the epoch. */
static int64_t bucket_start(int64_t t, int64_t bucket_ms)
{
	int64_t q = t / bucket_ms;

	if (t % bucket_ms < 0)
		q--;
	return q * bucket_ms;
}

int history_points_downsample(const struct history_points *in, int64_t bucket_ms,
			      struct history_points *out)
{
	size_t i, first = out->n;
	int64_t b;

	for (i = 0; i < in->n; i++) {
		size_t k;

		b = bucket_start(in->t[i], bucket_ms);
		if (out->n == first || out->t[out->n - 1] != b) {
			if (history_points_push_bucket(out, b, in->col[COL_LAST][i],
						       in->col[COL_MIN][i], in->col[COL_MAX][i],
						       in->col[COL_SUM][i], in->col[COL_COUNT][i]))
				return -ENOMEM;
			continue;
		}
		k = out->n - 1;
		out->col[COL_LAST][k] = in->col[COL_LAST][i];
		out->col[COL_MIN][k] = fmin(out->col[COL_MIN][k], in->col[COL_MIN][i]);
		out->col[COL_MAX][k] = fmax(out->col[COL_MAX][k], in->col[COL_MAX][i]);
		out->col[COL_SUM][k] += in->col[COL_SUM][i];
		out->col[COL_COUNT][k] += in->col[COL_COUNT][i];
	}
	return 0;
}

static int put_uvarint(struct strbuf *sb, uint64_t v)
{
	unsigned char buf[10];
	size_t n = 0;

	do {
		buf[n] = v & 0x7f;
		v >>= 7;
		if (v)
			buf[n] |= 0x80;
		n++;
	} while (v);
	return strbuf_append(sb, buf, n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A stream of small signed integers: a nonzero x is the token zigzag(x) << 1,
 * a run of r zeros the token r << 1 | 1. */
static int put_stream(struct strbuf *sb, const int64_t *x, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t r = 0;

		while (i + r < n && x[i + r] == 0)
			r++;
		if (r) {
			if (put_uvarint(sb, (uint64_t)r << 1 | 1))
				return -ENOMEM;
			i += r;
			continue;
		}
		if (put_uvarint(sb, zigzag(x[i]) << 1))
			return -ENOMEM;
		i++;
	}
	return 0;
}

struct cursor {
	const unsigned char *p, *end;
};

static int get_uvarint(struct cursor *c, uint64_t *v)
{
	unsigned int shift = 0;

	*v = 0;
	while (c->p < c->end && shift < 64) {
		unsigned char b = *c->p++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
		shift += 7;
	}
	return -EINVAL;
}

static int get_stream(struct cursor *c, int64_t *x, size_t n)
{
	size_t i = 0;
	uint64_t tok;

	while (i < n) {
		if (get_uvarint(c, &tok))
			return -EINVAL;
		if (tok & 1) {
			uint64_t r = tok >> 1;

			if (r == 0 || r > n - i)
				return -EINVAL;
			memset(&x[i], 0, r * sizeof(*x));
			i += r;
			continue;
		}
		x[i++] = unzigzag(tok >> 1);
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The nominal step: the median gap, so one gap or a late sample does not make
 * every other point an exception. */
static int64_t median_step(const int64_t *t, size_t n, int64_t *scratch)
{
	size_t i;

	if (n < 2)
		return 0;
	for (i = 1; i < n; i++)
		scratch[i - 1] = t[i] - t[i - 1];
	qsort(scratch, n - 1, sizeof(*scratch), cmp_i64);
	return scratch[(n - 1) / 2] > 0 ? scratch[(n - 1) / 2] : 0;
}

static bool all_integers(const double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(fabs(v[i]) < INT_LIMIT) || v[i] != trunc(v[i]))
			return false;
	return true;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

static int put_column(struct strbuf *sb, const double *v, size_t n, int64_t *scratch)
{
	unsigned char mode = all_integers(v, n) ? MODE_INT : MODE_DOUBLE;
	int64_t prev = 0;
	uint64_t g = 0;
	size_t i;

	if (strbuf_append(sb, &mode, 1))
		return -ENOMEM;
	if (mode == MODE_DOUBLE) {
		for (i = 0; i < n; i++) {
			uint64_t bits;
			unsigned char le[8];
			int b;

			memcpy(&bits, &v[i], sizeof(bits));
			for (b = 0; b < 8; b++)
				le[b] = (unsigned char)(bits >> (8 * b));
			if (strbuf_append(sb, le, sizeof(le)))
				return -ENOMEM;
		}
		return 0;
	}
	for (i = 0; i < n; i++) {
		int64_t x = (int64_t)v[i];

		scratch[i] = x - prev;
		prev = x;
	}
	/* Deltas after the first share a factor when the values are counts of
	 * something (bytes of 4096-byte slabs): store them divided by it. */
	for (i = 1; i < n; i++)
		g = gcd_u64(g, scratch[i] < 0 ? -(uint64_t)scratch[i] : (uint64_t)scratch[i]);
	if (g == 0)
		g = 1;
	for (i = 1; i < n; i++)
		scratch[i] /= (int64_t)g;
	if (put_uvarint(sb, g))
		return -ENOMEM;
	return put_stream(sb, scratch, n);
}

static int get_column(struct cursor *c, double *v, size_t n, int64_t *scratch)
{
	int64_t prev = 0;
	uint64_t g;
	size_t i;

	if (c->p >= c->end)
		return -EINVAL;
	switch (*c->p++) {
	case MODE_DOUBLE:
		if ((size_t)(c->end - c->p) / 8 < n)
			return -EINVAL;
		for (i = 0; i < n; i++) {
			uint64_t bits = 0;
			int b;

			for (b = 0; b < 8; b++)
				bits |= (uint64_t)c->p[b] << (8 * b);
			memcpy(&v[i], &bits, sizeof(bits));
			c->p += 8;
		}
		return 0;
	case MODE_INT:
		if (get_uvarint(c, &g) || g == 0 || g > (uint64_t)INT_LIMIT * 2 ||
		    get_stream(c, scratch, n))
			return -EINVAL;
		for (i = 0; i < n; i++) {
			/* Unsigned: a malformed blob may overflow, not trap. */
			prev = (int64_t)((uint64_t)prev + (uint64_t)scratch[i] * (i ? g : 1));
			v[i] = (double)prev;
		}
		return 0;
	default: return -EINVAL;
	}
}

int history_chunk_encode(const struct history_points *p, bool buckets, struct strbuf *out)
{
	unsigned char kind = buckets ? KIND_BUCKETS : KIND_RAW;
	int64_t *scratch = NULL, step;
	int c, ncols = buckets ? COL_N : 1;
	size_t i;
	int err = -ENOMEM;

	strbuf_reset(out);
	if (!p->n)
		return -EINVAL;
	scratch = malloc(p->n * sizeof(*scratch));
	if (!scratch)
		goto out;
	step = median_step(p->t, p->n, scratch);
	if (strbuf_append(out, &kind, 1) || put_uvarint(out, p->n) ||
	    put_uvarint(out, zigzag(p->t[0])) || put_uvarint(out, (uint64_t)step))
		goto out;
	scratch[0] = 0;
	for (i = 1; i < p->n; i++)
		scratch[i] = p->t[i] - p->t[i - 1] - step;
	if (put_stream(out, scratch + 1, p->n - 1))
		goto out;
	for (c = 0; c < ncols; c++)
		if (put_column(out, p->col[c], p->n, scratch))
			goto out;
	err = 0;
out:
	free(scratch);
	return err;
}

int history_chunk_decode(const void *blob, size_t len, struct history_points *out)
{
	struct cursor c = {blob, (const unsigned char *)blob + len};
	size_t first = out->n, i, n;
	uint64_t count, t0, step;
	int64_t *scratch = NULL;
	int kind, col, err = -EINVAL;

	if (len < 1)
		return -EINVAL;
	kind = *c.p++;
	if ((kind != KIND_RAW && kind != KIND_BUCKETS) || get_uvarint(&c, &count) ||
	    get_uvarint(&c, &t0) || get_uvarint(&c, &step))
		return -EINVAL;
	if (count == 0 || count > HISTORY_CHUNK_MAX_POINTS)
		return -EINVAL;
	n = (size_t)count;
	while (out->cap < first + n)
		if (grow(out))
			return -ENOMEM;
	scratch = malloc(n * sizeof(*scratch));
	if (!scratch) {
		err = -ENOMEM;
		goto out;
	}
	if (get_stream(&c, scratch + 1, n - 1))
		goto out;
	out->t[first] = unzigzag(t0);
	for (i = 1; i < n; i++)
		out->t[first + i] = out->t[first + i - 1] + (int64_t)step + scratch[i];
	if (get_column(&c, out->col[COL_LAST] + first, n, scratch))
		goto out;
	if (kind == KIND_RAW) {
		for (i = first; i < first + n; i++) {
			out->col[COL_MIN][i] = out->col[COL_MAX][i] = out->col[COL_SUM][i] =
			    out->col[COL_LAST][i];
			out->col[COL_COUNT][i] = 1;
		}
	} else {
		for (col = COL_MIN; col < COL_N; col++)
			if (get_column(&c, out->col[col] + first, n, scratch))
				goto out;
	}
	if (c.p != c.end)
		goto out;
	out->n = first + n;
	err = 0;
out:
	free(scratch);
	return err;
}
