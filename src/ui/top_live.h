/* The live screen of `top`: take a sample every interval, draw the header
 * and the tag table as the keys ask (sort, type, filter, pause, interval),
 * until 'q', a stop signal or the sample count. */
#ifndef POOLSCOPE_UI_TOP_LIVE_H
#define POOLSCOPE_UI_TOP_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/pool_sampler.h"
#include "util/globlist.h"

struct top_live_opts {
	/* The starting view (the command line's); keys change it from there. */
	const char *sort_key; /* a table sort key, "bytes" or "bytes_change" */
	bool reverse;
	enum pool_type_filter type;
	const struct globlist *filter; /* borrowed; may be empty */
	uint64_t delay_ns;	       /* clamped to TOP_DELAY_MIN_NS.. */
	long count;		       /* samples to take; <= 0: until quit */
	/* Take one sample of sampler (and log it, say its notes): the command's
	 * part. delay_ns is the interval now in force. 0 or -errno (said). */
	int (*sample)(void *ctx, uint64_t delay_ns);
	void *ctx;
};

/* Run the screen over sampler (borrowed: o->sample takes the samples).
 * 0, or -errno when the terminal, a sample or memory failed (said). */
int top_live_run(const struct pool_sampler *sampler, const struct top_live_opts *o);

#endif
