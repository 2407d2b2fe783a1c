/* record's end-of-recording summary. See record_summary.h. */
#include "output/record_summary.h"

#include "output/table.h"
#include "trace/recorder.h"
#include "util/parse.h"

void record_summary_print(FILE *out, const char *path, bool aggregate, bool flight,
			  const struct recorder_summary *s)
{
	char size[32];
	uint64_t events = s->allocs + s->frees;

	format_bytes(s->bytes_written, size, sizeof(size));
	fprintf(out, "poolscope record: %s: %s in %.1f s (%s)\n", path, size, s->elapsed_ns / 1e9,
		s->stop_reason);
	if (aggregate)
		fprintf(out,
			"  %llu allocs, %llu frees counted in the kernel; %llu snapshots; "
			"%llu frees of objects allocated before the start\n",
			(unsigned long long)s->allocs, (unsigned long long)s->frees,
			(unsigned long long)s->snapshots, (unsigned long long)s->unmatched_frees);
	else
		fprintf(out,
			"  %llu events (%llu allocs, %llu frees, %llu of objects allocated before "
			"the start), %.1f bytes/event%s\n",
			(unsigned long long)events, (unsigned long long)s->allocs,
			(unsigned long long)s->frees, (unsigned long long)s->unmatched_frees,
			events ? (double)s->bytes_written / (double)events : 0.0,
			flight ? " (flight recorder: last events only)" : "");
	fprintf(out,
		"  lost: %llu ring buffer full, %llu map full, %llu stacks, %llu BPF recursion "
		"misses\n",
		(unsigned long long)s->lost_ringbuf, (unsigned long long)s->lost_map,
		(unsigned long long)s->lost_stack, (unsigned long long)s->bpf_misses);
	fprintf(out, "  %s\n", s->note);
	if (!s->ntags)
		return;

	struct table *t = table_new();
	int c_tag, c_allocs, c_frees, c_net, c_bytes;

	if (!t)
		return;
	c_tag = table_add_col(t, "TAG", "tag", COL_STR, COL_LEFT);
	c_allocs = table_add_col(t, "ALLOCS", "allocs", COL_UINT, 0);
	c_frees = table_add_col(t, "FREES", "frees", COL_UINT, 0);
	c_net = table_add_col(t, "OUTSTANDING", "outstanding", COL_INT, 0);
	c_bytes = table_add_col(t, "BYTES", "outstanding_bytes", COL_INT, COL_HUMAN_BYTES);
	for (size_t i = 0; i < s->ntags && i < 10; i++) {
		int row = table_add_row(t);

		if (row < 0)
			break;
		table_set_str(t, row, c_tag, s->tags[i].name);
		table_set_uint(t, row, c_allocs, s->tags[i].allocs);
		table_set_uint(t, row, c_frees, s->tags[i].frees);
		table_set_int(t, row, c_net, s->tags[i].outstanding);
		table_set_int(t, row, c_bytes, s->tags[i].outstanding_bytes);
	}
	fprintf(out, "  top tags by outstanding bytes (allocated while recording, not freed):\n");
	table_render(t, FMT_TEXT, out, NULL);
	table_free(t);
}
