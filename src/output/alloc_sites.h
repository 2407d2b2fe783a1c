/* The --sites view of `top`: allocation sites as one table (text, CSV, or
 * one JSON object {"time", "sites"} per refresh), largest bytes first. */
#ifndef POOLSCOPE_OUTPUT_ALLOC_SITES_H
#define POOLSCOPE_OUTPUT_ALLOC_SITES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/alloc_sites.h"
#include "output/table.h"
#include "util/globlist.h"

/* Render the sites of ai whose function filter matches (filter may be NULL
 * or empty: all), sorted by bytes (reverse: smallest first), stamped with
 * realtime_ns; CSV prints its column line only when csv_header.
 * 0, -ENOMEM, or -EIO on a write error of out. */
int alloc_sites_render(const struct allocinfo *ai, const struct globlist *filter, bool reverse,
		       uint64_t realtime_ns, enum output_format fmt, bool csv_header, FILE *out);

#endif
