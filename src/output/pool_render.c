#include "output/pool_render.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"
#include "util/notes.h"
#include "util/parse.h"
#include "util/rotlog.h"
#include "util/timeutil.h"

static const char *fmt_mem(const struct meminfo *mi, enum meminfo_field f, char *buf,
			   unsigned int len)
{
	if (!meminfo_has(mi, f))
		return "-";
	return format_bytes(mi->bytes[f], buf, len);
}

int pool_header_lines(const struct pool_header *h, char lines[POOL_HEADER_LINES][POOL_HEADER_LEN])
{
	const struct pool_snapshot *snap = h->snap;
	const struct pool_sampler_status *st = h->status;
	const struct meminfo *mi = &snap->mem;
	char t[40], up[48], a[32], b[32], c[32], d[32], e[32];
	char f[32], g[32], k[32], l[32], files[64];

	format_iso8601(snap->realtime_ns, t, sizeof(t));
	if (mi->have_uptime) {
		uint64_t s = (uint64_t)mi->uptime_s;

		snprintf(up, sizeof(up), "%" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
			 s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
	} else {
		snprintf(up, sizeof(up), "-");
	}
	snprintf(lines[0], POOL_HEADER_LEN,
		 "poolscope top  %s  up %s  every %gs  refresh %.2f ms CPU", t, up,
		 (double)h->interval_ns / 1e9, (double)st->refresh_cpu_ns / 1e6);
	snprintf(
	    lines[1], POOL_HEADER_LEN, "Mem %s total, %s available   Slab %s (Recl %s, Unrecl %s)",
	    fmt_mem(mi, MI_MEM_TOTAL, a, sizeof(a)), fmt_mem(mi, MI_MEM_AVAILABLE, b, sizeof(b)),
	    fmt_mem(mi, MI_SLAB, c, sizeof(c)), fmt_mem(mi, MI_SRECLAIMABLE, d, sizeof(d)),
	    fmt_mem(mi, MI_SUNRECLAIM, e, sizeof(e)));
	if (mi->have_files)
		snprintf(files, sizeof(files), "%" PRIu64 " / %" PRIu64, mi->files_in_use,
			 mi->files_max);
	else
		snprintf(files, sizeof(files), "-");
	snprintf(lines[2], POOL_HEADER_LEN,
		 "KernelStack %s  PageTables %s  VmallocUsed %s  Percpu %s  File handles %s",
		 fmt_mem(mi, MI_KERNEL_STACK, f, sizeof(f)),
		 fmt_mem(mi, MI_PAGE_TABLES, g, sizeof(g)),
		 fmt_mem(mi, MI_VMALLOC_USED, k, sizeof(k)), fmt_mem(mi, MI_PERCPU, l, sizeof(l)),
		 files);
	if (st->counters)
		snprintf(lines[3], POOL_HEADER_LEN,
			 "Counters on (%" PRIu64 " events missed, %" PRIu64
			 " frees unattributed): %s%s",
			 snap->missed_events, snap->unattributed_frees, st->counters_note,
			 st->slabinfo ? "" : "; Objs/Bytes need root (/proc/slabinfo)");
	else
		snprintf(lines[3], POOL_HEADER_LEN, "Counters off: %s%s", st->counters_note,
			 st->slabinfo ? "" : "; Objs/Bytes need root (/proc/slabinfo)");
	if (!snap->frees_inexact)
		return 4;
	snprintf(lines[4], POOL_HEADER_LEN,
		 "~ frees not all traced in %zu cache%s (bulk/RCU): growth from Objs, not Diff",
		 snap->frees_inexact, snap->frees_inexact == 1 ? "" : "s");
	return 5;
}

static void kv_uint_or_null(struct json_writer *w, const char *key, bool have, uint64_t v)
{
	json_key(w, key);
	if (have)
		json_uint(w, v);
	else
		json_null(w);
}

void pool_header_json(const struct pool_header *h, struct json_writer *w)
{
	const struct pool_snapshot *snap = h->snap;
	const struct pool_sampler_status *st = h->status;
	const struct meminfo *mi = &snap->mem;
	int i;

	json_begin_object(w);
	for (i = 0; i < MI_NR_FIELDS; i++)
		kv_uint_or_null(w, meminfo_json_key(i), meminfo_has(mi, i), mi->bytes[i]);
	kv_uint_or_null(w, "files_in_use", mi->have_files, mi->files_in_use);
	kv_uint_or_null(w, "files_max", mi->have_files, mi->files_max);
	json_key(w, "uptime_s");
	if (mi->have_uptime)
		json_double(w, mi->uptime_s);
	else
		json_null(w);
	json_kv_double(w, "interval_s", (double)h->interval_ns / 1e9);
	json_kv_double(w, "refresh_cpu_ms", (double)st->refresh_cpu_ns / 1e6);
	json_kv_bool(w, "slabinfo", st->slabinfo);
	json_kv_bool(w, "counters", st->counters);
	json_kv_string(w, "counters_note", st->counters_note);
	kv_uint_or_null(w, "unattributed_frees", st->counters, snap->unattributed_frees);
	kv_uint_or_null(w, "missed_events", st->counters, snap->missed_events);
	kv_uint_or_null(w, "frees_inexact", st->counters, snap->frees_inexact);
	json_end_object(w);
}

int pool_render_refresh(const struct pool_header *h, const struct table *t, enum output_format fmt,
			FILE *out, bool csv_header)
{
	struct table_render_opts opts = {0};
	char lines[POOL_HEADER_LINES][POOL_HEADER_LEN];
	char time[40];
	int i, n;

	switch (fmt) {
	case FMT_TEXT:
		n = pool_header_lines(h, lines);
		for (i = 0; i < n; i++)
			fprintf(out, "%s\n", lines[i]);
		fputc('\n', out);
		table_render(t, FMT_TEXT, out, &opts);
		fputc('\n', out);
		break;
	case FMT_CSV:
		opts.no_header = !csv_header;
		table_render(t, FMT_CSV, out, &opts);
		break;
	case FMT_JSON: {
		struct json_writer *w = json_writer_new(out);

		if (!w)
			return -ENOMEM;
		json_begin_object(w);
		json_kv_string(w, "time", format_iso8601(h->snap->realtime_ns, time, sizeof(time)));
		json_key(w, "header");
		pool_header_json(h, w);
		json_key(w, "tags");
		table_render_json_rows(t, w);
		json_end_object(w);
		json_writer_free(w);
		fputc('\n', out);
		break;
	}
	default: return -EINVAL;
	}
	return ferror(out) ? -EIO : 0;
}

int pool_render_refresh_mem(const struct pool_header *h, const struct table *t,
			    enum output_format fmt, bool csv_header, char **buf, size_t *len)
{
	FILE *mem;
	int err;

	*buf = NULL;
	*len = 0;
	mem = open_memstream(buf, len);
	if (!mem)
		return -ENOMEM;
	err = pool_render_refresh(h, t, fmt, mem, csv_header);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err) {
		free(*buf);
		*buf = NULL;
		*len = 0;
	}
	return err;
}

enum output_format pool_log_format(const char *path, enum output_format fmt)
{
	const char *dot = strrchr(path, '.');

	if (dot && strcmp(dot, ".csv") == 0)
		return FMT_CSV;
	if (dot && (!strcmp(dot, ".json") || !strcmp(dot, ".jsonl") || !strcmp(dot, ".ndjson")))
		return FMT_JSON;
	return fmt == FMT_CSV ? FMT_CSV : FMT_JSON;
}

int pool_log_refresh(struct rotlog *log, enum output_format fmt, const struct pool_header *h,
		     const struct table *t, struct notes *ns)
{
	bool fresh = rotlog_empty(log);
	char *buf = NULL;
	size_t len = 0;
	int err;

	err = pool_render_refresh_mem(h, t, fmt, fresh, &buf, &len);
	if (err)
		goto out;
	err = rotlog_make_room(log, len, ns);
	if (err)
		goto out;
	if (!fresh && rotlog_empty(log) && fmt == FMT_CSV) {
		/* A fresh CSV file needs its column line again. */
		free(buf);
		err = pool_render_refresh_mem(h, t, fmt, true, &buf, &len);
		if (err)
			goto out;
	}
	/* A full disk costs refreshes, not the run: the days-long history
	 * resumes when there is room again. */
	err = rotlog_write(log, buf, len);
	if (err)
		notes_add(ns, "log-write",
			  "writing log %s failed: %s; refreshes that do not fit are left out whole, "
			  "the next ones are tried",
			  log->path, strerror(-err));
	err = 0;
out:
	free(buf);
	return err;
}
