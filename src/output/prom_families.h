/* The metric families poolscope exports (docs/METRICS.md lists them): their
 * names, types, help text, labels and the rule that merges a duplicate label
 * set (see output/prom.h). One table, so the exporter of `watch`, its tests
 * and the documentation name the same series. */
#ifndef POOLSCOPE_OUTPUT_PROM_FAMILIES_H
#define POOLSCOPE_OUTPUT_PROM_FAMILIES_H

#include <stddef.h>

#include "output/prom.h"

#define PROM_BUILD_INFO "poolscope_build_info"
#define PROM_SLAB_BYTES "poolscope_slab_bytes"
#define PROM_SLAB_OBJECTS "poolscope_slab_objects"
#define PROM_RESOURCE_USED "poolscope_resource_used"
#define PROM_RESOURCE_LIMIT "poolscope_resource_limit"
#define PROM_PROCESS_FDS "poolscope_process_fds"
#define PROM_EXHAUSTION_SECONDS "poolscope_exhaustion_seconds"
#define PROM_MEMORY_PRESSURE_STALLED "poolscope_memory_pressure_stalled_seconds_total"
#define PROM_MEMORY_PRESSURE_RATIO "poolscope_memory_pressure_ratio"
#define PROM_MEMCG_BYTES "poolscope_memcg_bytes"
#define PROM_MEMCG_LIMIT_BYTES "poolscope_memcg_limit_bytes"
#define PROM_SAMPLE_DURATION_SECONDS "poolscope_sample_duration_seconds"

struct prom_family_spec {
	const char *name;
	enum prom_type type;
	enum prom_merge merge;
	const char *labels; /* the label names, comma-separated (documentation) */
	const char *help;
};

/* The table, in the order the families are rendered; *count set to its
 * length. Borrowed, static. */
const struct prom_family_spec *prom_families(size_t *count);

/* Declare every family of the table in e. 0 or prom_family's error. */
int prom_families_declare(struct prom_exposition *e);

#endif
