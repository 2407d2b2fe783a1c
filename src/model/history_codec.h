/* The chunk encoding of the history database: a run of points of one series
 * (raw samples, or buckets of a downsampled tier) packed into a small blob.
 *
 * Times are a start time, the chunk's nominal step (the median gap) and, per
 * point, the deviation from that step; values are deltas from the previous
 * value. Both are zigzag varints in which a run of zeros is one token, so a
 * regular series costs nothing for its times and a flat one nothing for its
 * values: a gap, a jitter or a change is the exception that takes bytes.
 * A column with a value that is not an integer below 2^53 is stored as plain
 * doubles instead (exact, 8 bytes each). Blob layout (all varints unsigned
 * LEB128, "z" = zigzag):
 *   u8 kind (1 raw, 2 buckets) · n · z t0 · step · time tokens · columns
 * where raw has one column (the value) and buckets have five (last, min,
 * max, sum, count; the mean is sum / count), each a u8 mode and then, for
 * integers (mode 0), the greatest common divisor g of the deltas after the
 * first and the tokens of the first value and of each later delta / g (so
 * bytes that move by whole slabs cost what the slab count would), or, for
 * doubles (mode 1), 8 bytes each, little-endian. The format is part of the database
 * schema: change it only with the schema version (model/history.c). */
#ifndef POOLSCOPE_MODEL_HISTORY_CODEC_H
#define POOLSCOPE_MODEL_HISTORY_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

/* A chunk holds at most this many points (a decoder refuses more: a blob's
 * size does not bound its count, a run of zeros is one token). */
#define HISTORY_CHUNK_MAX_POINTS (1u << 20)

enum point_col { COL_LAST, COL_MIN, COL_MAX, COL_SUM, COL_COUNT, COL_N };

/* Points of one series in time order: a raw sample is a point whose last,
 * min, max and sum are its value and whose count is 1, so raw samples and
 * buckets go through the same downsampling. */
struct history_points {
	int64_t *t;	    /* ms since the Unix epoch (a bucket: its start); owned */
	double *col[COL_N]; /* owned */
	size_t n, cap;
};

#define HISTORY_POINTS_INIT                                                                        \
	{                                                                                          \
		0                                                                                  \
	}

/* Append one raw sample. 0 or -ENOMEM. */
int history_points_push_sample(struct history_points *p, int64_t t, double value);
/* Append one bucket. 0 or -ENOMEM. */
int history_points_push_bucket(struct history_points *p, int64_t t, double last, double min,
			       double max, double sum, double count);
void history_points_reset(struct history_points *p);
void history_points_release(struct history_points *p);

/* Fold `in` into buckets of bucket_ms aligned on the epoch (a bucket's time
 * is its start), appended to out: min of mins, max of maxes, sums and counts
 * added, last of the last point. `in` must be in time order. 0 or -ENOMEM. */
int history_points_downsample(const struct history_points *in, int64_t bucket_ms,
			      struct history_points *out);

/* Encode all points of p into out (replacing its contents): as raw samples
 * (only t and last are kept) or as buckets. 0, -EINVAL (empty) or -ENOMEM. */
int history_chunk_encode(const struct history_points *p, bool buckets, struct strbuf *out);
/* Decode a blob, appending its points to out. 0, -EINVAL (malformed: out
 * keeps what it had before the call) or -ENOMEM. */
int history_chunk_decode(const void *blob, size_t len, struct history_points *out);

#endif
