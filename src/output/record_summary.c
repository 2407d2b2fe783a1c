/* record's end-of-recording summary. See record_summary.h. */
#include "output/record_summary.h"

#include "output/table.h"
#include "trace/recorder.h"
#include "util/parse.h"

/* The tags with objects still outstanding, by bytes (the recorder sorted
 * them), at most 10: a tag whose objects were all freed says nothing here.
 * In events mode FREES also counts frees of objects allocated before the
 * start: BEFORE says how many, so that the columns add up. */
static void print_tags(FILE *out, bool aggregate, const struct recorder_summary *s)
{
	struct table *t = NULL;
	uint64_t unseen = 0;
	int inexact = 0;
	int c_tag, c_allocs, c_frees, c_before = -1, c_net, c_bytes, shown = 0;

	for (size_t i = 0; i < s->ntags && shown < 10; i++)
		if (s->tags[i].outstanding > 0)
			shown++;
	if (!shown) {
		if (s->ntags)
			fprintf(out, "  nothing allocated while recording is still outstanding\n");
		return;
	}
	t = table_new();
	if (!t)
		return;
	c_tag = table_add_col(t, "TAG", "tag", COL_STR, COL_LEFT);
	c_allocs = table_add_col(t, "ALLOCS", "allocs", COL_UINT, 0);
	c_frees = table_add_col(t, "FREES", "frees", COL_UINT, 0);
	if (!aggregate)
		c_before = table_add_col(t, "BEFORE", "frees_before", COL_UINT, 0);
	c_net = table_add_col(t, "OUTSTANDING", "outstanding", COL_INT, 0);
	c_bytes = table_add_col(t, "BYTES", "outstanding_bytes", COL_INT, COL_HUMAN_BYTES);
	for (size_t i = 0; i < s->ntags && table_rows(t) < shown; i++) {
		const struct recorder_tag *tag = &s->tags[i];
		int row;

		if (tag->outstanding <= 0)
			continue;
		row = table_add_row(t);
		if (row < 0)
			break;
		/* The mark ends the first column: seen without reading along. */
		char name[sizeof(tag->name) + 2];

		snprintf(name, sizeof(name), "%s%s", tag->name, tag->frees_exact ? "" : " !");
		table_set_str(t, row, c_tag, name);
		inexact += !tag->frees_exact;
		table_set_uint(t, row, c_allocs, tag->allocs);
		table_set_uint(t, row, c_frees, tag->frees);
		if (c_before >= 0)
			table_set_uint(t, row, c_before, tag->frees_before);
		table_set_int(t, row, c_net, tag->outstanding);
		table_set_int(t, row, c_bytes, tag->outstanding_bytes);
		unseen += tag->frees_unseen;
	}
	fprintf(out, "  top tags by outstanding bytes (allocated while recording, not freed):\n");
	table_render(t, FMT_TEXT, out, NULL);
	if (!aggregate)
		fprintf(out, "  BEFORE: frees of objects allocated before the start, in FREES but not "
			     "against ALLOCS: OUTSTANDING = ALLOCS - FREES + BEFORE\n");
	if (inexact)
		fprintf(out, "  ! frees not exact: the kernel frees some of these objects where no "
			     "tracepoint fires (bulk and RCU batch frees), so OUTSTANDING overstates what they hold; "
			     "take their growth from the cache's objects (poolscope top's Objs)\n");
	if (unseen)
		fprintf(out, "  %llu objects of these tags were allocated again at an address still "
			     "outstanding: their frees were not seen (lost, or freed where no "
			     "tracepoint fires) and OUTSTANDING no longer counts them\n",
			(unsigned long long)unseen);
	table_free(t);
}

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
	if (s->stack_rate && !aggregate)
		fprintf(out,
			"  stacks on a budget (%u per second per path per CPU): %llu allocs walked, "
			"%llu carry their path's stack (counts per path stay exact)\n",
			s->stack_rate, (unsigned long long)(s->allocs - s->path_stacks),
			(unsigned long long)s->path_stacks);
	if (s->past_limit)
		fprintf(out, "  %llu events after the size limit not written\n",
			(unsigned long long)s->past_limit);
	fprintf(out, "  %s\n", s->note);
	print_tags(out, aggregate, s);
}
