/* The one-screen summary `record` prints when a recording ends: file, size,
 * time and stop reason, event counts, losses, what the probe attached, and
 * the top tags by outstanding bytes (a table, rendered as text). */
#ifndef POOLSCOPE_OUTPUT_RECORD_SUMMARY_H
#define POOLSCOPE_OUTPUT_RECORD_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

struct recorder_summary;

/* path is the trace file's name as given; aggregate and flight say how it
 * was recorded (--aggregate, --ring). Write errors show in ferror(out). */
void record_summary_print(FILE *out, const char *path, bool aggregate, bool flight,
			  const struct recorder_summary *s);

#endif
