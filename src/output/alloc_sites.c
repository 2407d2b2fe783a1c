#include "output/alloc_sites.h"

#include <errno.h>

#include "output/json.h"
#include "util/timeutil.h"

enum { SC_TIME, SC_BYTES, SC_CALLS, SC_FUNCTION, SC_MODULE, SC_SITE, SC_ACCURATE };

static struct table *sites_table(void)
{
	struct table *t = table_new();

	if (!t)
		return NULL;
	table_add_col(t, "time", "time", COL_STR, COL_TEXT_HIDDEN | COL_JSON_HIDDEN);
	table_add_col(t, "Bytes", "bytes", COL_UINT, COL_HUMAN_BYTES);
	table_add_col(t, "Calls", "calls", COL_UINT, 0);
	table_add_col(t, "Function", "function", COL_STR, COL_LEFT);
	table_add_col(t, "Module", "module", COL_STR, COL_LEFT);
	table_add_col(t, "Site", "site", COL_STR, COL_LEFT | COL_SQUEEZE);
	table_add_col(t, "Accurate", "accurate", COL_STR, COL_LEFT);
	return t;
}

static int fill(struct table *t, const struct allocinfo *ai, const struct globlist *filter,
		const char *time)
{
	char site[512];
	size_t i;
	int r;

	for (i = 0; i < ai->count; i++) {
		const struct alloc_site *s = &ai->sites[i];

		if (filter && !globlist_empty(filter) && !globlist_match(filter, s->function))
			continue;
		r = table_add_row(t);
		if (r < 0)
			return r;
		snprintf(site, sizeof(site), "%s:%u", s->file, s->line);
		table_set_str(t, r, SC_TIME, time);
		table_set_uint(t, r, SC_BYTES, s->bytes);
		table_set_uint(t, r, SC_CALLS, s->calls);
		table_set_str(t, r, SC_FUNCTION, s->function);
		table_set_str(t, r, SC_MODULE, s->module);
		table_set_str(t, r, SC_SITE, site);
		table_set_str(t, r, SC_ACCURATE, s->inaccurate ? "no" : "yes");
	}
	return 0;
}

int alloc_sites_render(const struct allocinfo *ai, const struct globlist *filter, bool reverse,
		       uint64_t realtime_ns, enum output_format fmt, bool csv_header, FILE *out)
{
	struct table *t = sites_table();
	char time[40];
	int err;

	if (!t)
		return -ENOMEM;
	format_iso8601(realtime_ns, time, sizeof(time));
	err = fill(t, ai, filter, time);
	if (err)
		goto out;
	table_sort(t, SC_BYTES, !reverse);
	if (fmt == FMT_JSON) {
		struct json_writer *w = json_writer_new(out);

		if (!w) {
			err = -ENOMEM;
			goto out;
		}
		json_begin_object(w);
		json_kv_string(w, "time", time);
		json_key(w, "sites");
		table_render_json_rows(t, w);
		json_end_object(w);
		json_writer_free(w);
		fputc('\n', out);
	} else {
		struct table_render_opts opts = {.no_header = fmt == FMT_CSV && !csv_header};

		table_render(t, fmt, out, &opts);
	}
	err = ferror(out) ? -EIO : 0;
out:
	table_free(t);
	return err;
}
