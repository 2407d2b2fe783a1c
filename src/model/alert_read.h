/* Reading back the alerts watch stored in its history (its "alert" events,
 * alert_render_json's shape): what a restarted watch needs to go on in the
 * states a previous run left, rather than say each alert again. */
#ifndef POOLSCOPE_MODEL_ALERT_READ_H
#define POOLSCOPE_MODEL_ALERT_READ_H

#include <stddef.h>

/* The series and the state ("forecast+95%", "ok") of one stored alert
 * event's JSON. 0, or -EINVAL when it is not JSON of that shape. */
int alert_read_state(const char *json, char *series, size_t series_len, char *state,
		     size_t state_len);

#endif
