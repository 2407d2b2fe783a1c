/* An alert of `watch` as one structured line (stderr, syslog) and as JSON
 * (the --exec hook's stdin, the history's events), with the attached
 * diagnosis when there is one. */
#ifndef POOLSCOPE_OUTPUT_ALERT_RENDER_H
#define POOLSCOPE_OUTPUT_ALERT_RENDER_H

#include <stddef.h>

struct diagnosis;
struct json_writer;
struct alert_event;

/* "alert: fds of nginx (pid 12) forecast+80% (was ok): 830 of 1024, +0.52/s,
 * runs out in 6 h 13 min (4 h 2 min to 9 h 40 min); top: nginx 830, ..."
 * into buf (always terminated; control bytes of names escaped). */
const char *alert_render_line(const struct alert_event *a, char *buf, size_t len);
/* One line for the attached diagnosis: its first leak's holder, object and
 * path, or "no leak found" and what was checked. */
const char *alert_render_diagnosis_line(const struct alert_event *a, const struct diagnosis *d,
					char *buf, size_t len);
/* {"alert":{…},"diagnosis":{…}|null} */
void alert_render_json(struct json_writer *w, const struct alert_event *a,
		       const struct diagnosis *d);

#endif
