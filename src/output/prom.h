/* Prometheus text exposition format 0.0.4: an exposition is a list of metric
 * families (name, type, help) and their samples (label set → value), built in
 * memory and rendered at once, so that every family appears once with its
 * # HELP and # TYPE lines whatever order the samples were added in.
 *
 * Duplicate series never reach the output. Two samples of one family whose
 * label sets are equal (same names and values, in any order, compared after
 * escaping — see below) are one series, and its value is the merge of theirs
 * by the family's rule: PROM_MERGE_SUM (the default: two slab caches of the
 * same name, which /proc/slabinfo does list, become one series holding the
 * bytes of both), PROM_MERGE_MIN (a time to exhaustion: the soonest) or
 * PROM_MERGE_MAX.
 *
 * Label values are written as UTF-8 with \\, \" and \n escaped; a byte that is
 * not part of valid UTF-8 (cache names and comm can hold any byte) becomes
 * U+FFFD, since Prometheus refuses a scrape holding invalid UTF-8. Metric and
 * label names are checked against the format's grammar; label names starting
 * with "__" are reserved to Prometheus and refused.
 *
 * Not thread-safe: one owner fills and renders (watch's sampler); what is
 * served to scrapers is the rendered text (see output/metrics_server.h). */
#ifndef POOLSCOPE_OUTPUT_PROM_H
#define POOLSCOPE_OUTPUT_PROM_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

/* Most labels one sample may carry. */
#define PROM_MAX_LABELS 16

/* The Content-Type of the rendered text. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum prom_type {
	PROM_GAUGE,
	PROM_COUNTER,
	PROM_UNTYPED,
};

enum prom_merge {
	PROM_MERGE_SUM,
	PROM_MERGE_MIN,
	PROM_MERGE_MAX,
};

struct prom_label {
	const char *name;  /* borrowed; [a-zA-Z_][a-zA-Z0-9_]*, not "__"-prefixed */
	const char *value; /* borrowed; any bytes (NUL-terminated) */
};

struct prom_exposition;

struct prom_exposition *prom_exposition_new(void);
/* Accepts NULL. */
void prom_exposition_free(struct prom_exposition *e);
/* Drop every sample and keep the families declared (a sampler declares its
 * families once, then resets and refills every interval). */
void prom_exposition_reset(struct prom_exposition *e);

/* Declare a family. Families render in the order declared. name must be a
 * valid metric name (-EINVAL), help is one line of any text (escaped on
 * output). Declaring a name again with the same type and merge rule is a
 * no-op; with another type or rule, -EEXIST. 0, -EINVAL, -EEXIST, -ENOMEM. */
int prom_family(struct prom_exposition *e, const char *name, enum prom_type type,
		enum prom_merge merge, const char *help);

/* Add a sample to a declared family (-ENOENT otherwise): labels[0..nlabels)
 * (nlabels may be 0, labels then NULL), value any double (NaN and ±Inf are
 * rendered as the format spells them). A label set equal to one already in
 * the family merges into it (see above). -EINVAL for an invalid or repeated
 * label name or more than PROM_MAX_LABELS; 0, -EINVAL, -ENOENT, -ENOMEM. */
int prom_sample(struct prom_exposition *e, const char *name, const struct prom_label *labels,
		size_t nlabels, double value);

/* Number of series of a family after merging (0 when undeclared). */
size_t prom_series_count(const struct prom_exposition *e, const char *name);

/* Append the exposition to out: for every family with samples, its # HELP and
 * # TYPE lines then its series in the order first added, labels sorted by
 * name, values as the shortest decimal that reads back the same double.
 * Families without samples are left out. 0 or -ENOMEM (out may then hold a
 * partial text). */
int prom_render(const struct prom_exposition *e, struct strbuf *out);

/* [a-zA-Z_:][a-zA-Z0-9_:]* */
bool prom_metric_name_valid(const char *name);
/* [a-zA-Z_][a-zA-Z0-9_]* and not starting with "__". */
bool prom_label_name_valid(const char *name);
/* Append s as a label value, without the quotes: escaped, invalid UTF-8
 * replaced (see above). 0 or -ENOMEM. */
int prom_escape_label_value(struct strbuf *out, const char *s);

#endif
