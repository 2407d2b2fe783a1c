#include "model/alert_read.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

int alert_read_state(const char *json, char *series, size_t series_len, char *state,
		     size_t state_len)
{
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
	json_t *alert = root ? json_object_get(root, "alert") : NULL;
	const char *s = json_string_value(json_object_get(alert, "series"));
	const char *st = json_string_value(json_object_get(alert, "state"));
	int err = -EINVAL;

	if (s && st && *s && (size_t)snprintf(series, series_len, "%s", s) < series_len &&
	    (size_t)snprintf(state, state_len, "%s", st) < state_len)
		err = 0;
	json_decref(root);
	return err;
}
