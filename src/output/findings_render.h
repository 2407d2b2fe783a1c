/* A diagnosis (analysis/findings.h) drawn for a person (text), for programs
 * (JSON: the contract documented in poolscope-diagnose(8)) and as a
 * self-contained HTML page with the growth graphs of its evidence. */
#ifndef POOLSCOPE_OUTPUT_FINDINGS_RENDER_H
#define POOLSCOPE_OUTPUT_FINDINGS_RENDER_H

#include <stdio.h>

struct diagnosis;
struct json_writer;
struct series_set;

void findings_render_text(const struct diagnosis *d, FILE *out);
/* The whole document: {"findings":[…],"checked":{…},"lost":{…}}. */
void findings_render_json(const struct diagnosis *d, struct json_writer *w);
/* One finding object (watch attaches these to its alerts). */
struct finding;
void findings_render_json_finding(const struct finding *f, struct json_writer *w);
/* The page; series (may be NULL) gives the graphs of the series each finding
 * names in its graph field. 0 or -errno (write error). */
int findings_render_html(const struct diagnosis *d, const struct series_set *series, FILE *out);

#endif
