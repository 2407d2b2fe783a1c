/* A fleet verdict (analysis/fleet.h) drawn as text for a person, JSON for
 * programs (layout in poolscope-compare(8)) and a self-contained HTML page
 * (inline CSS, no script, nothing external). Names come from other hosts'
 * files: text shows bytes a terminal would act on as \xNN, JSON and HTML
 * escape them. */
#ifndef POOLSCOPE_OUTPUT_FLEET_RENDER_H
#define POOLSCOPE_OUTPUT_FLEET_RENDER_H

#include <stddef.h>
#include <stdio.h>

struct fleet;
struct fleet_opts;
struct fleet_verdict;

/* A snapshot file that was not read, and why (one line, "PATH: problem"). */
struct fleet_skipped {
	const char *path, *why; /* borrowed */
};

struct fleet_render {
	const struct fleet *fleet;	   /* borrowed */
	const struct fleet_verdict *verdict; /* borrowed */
	const struct fleet_opts *opts;	   /* borrowed: the threshold said */
	const struct fleet_skipped *skipped; /* borrowed */
	size_t nskipped;
	size_t top; /* deviations shown at most; 0: all */
};

/* Each returns 0 or -EIO (write error) / -ENOMEM. */
int fleet_render_text(const struct fleet_render *r, FILE *out);
int fleet_render_json(const struct fleet_render *r, FILE *out);
int fleet_render_html(const struct fleet_render *r, FILE *out);

#endif
