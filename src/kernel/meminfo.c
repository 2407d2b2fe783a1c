#include "kernel/meminfo.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/limits.h"
#include "util/parse.h"
#include "util/procfs.h"

static const char *const field_names[MI_NR_FIELDS] = {
    [MI_MEM_TOTAL] = "MemTotal",
    [MI_MEM_AVAILABLE] = "MemAvailable",
    [MI_SLAB] = "Slab",
    [MI_SRECLAIMABLE] = "SReclaimable",
    [MI_SUNRECLAIM] = "SUnreclaim",
    [MI_KERNEL_STACK] = "KernelStack",
    [MI_PAGE_TABLES] = "PageTables",
    [MI_VMALLOC_USED] = "VmallocUsed",
    [MI_PERCPU] = "Percpu",
};

static const char *const json_keys[MI_NR_FIELDS] = {
    [MI_MEM_TOTAL] = "mem_total",
    [MI_MEM_AVAILABLE] = "mem_available",
    [MI_SLAB] = "slab",
    [MI_SRECLAIMABLE] = "slab_recl",
    [MI_SUNRECLAIM] = "slab_unrecl",
    [MI_KERNEL_STACK] = "kernel_stack",
    [MI_PAGE_TABLES] = "page_tables",
    [MI_VMALLOC_USED] = "vmalloc_used",
    [MI_PERCPU] = "percpu",
};

const char *meminfo_field_name(enum meminfo_field f)
{
	return (unsigned int)f < MI_NR_FIELDS ? field_names[f] : "?";
}

const char *meminfo_json_key(enum meminfo_field f)
{
	return (unsigned int)f < MI_NR_FIELDS ? json_keys[f] : "?";
}

static int field_lookup(const char *key)
{
	int i;

	for (i = 0; i < MI_NR_FIELDS; i++)
		if (strcmp(field_names[i], key) == 0)
			return i;
	return -1;
}

int meminfo_parse(char *text, struct meminfo *mi)
{
	struct line_iter it;
	char *line;

	mi->present = 0;
	mi->skipped = 0;
	mi->first_skipped_line = 0;
	memset(mi->bytes, 0, sizeof(mi->bytes));
	line_iter_init(&it, text);
	while ((line = line_next(&it))) {
		char *colon = strchr(line, ':');
		char *f[3];
		uint64_t v;
		int n, idx;

		if (line[0] == '\0')
			continue;
		/* "Key:   123 kB" — the unit is kB, or absent for counts (HugePages_*). */
		if (!colon || colon == line)
			goto malformed;
		*colon = '\0';
		n = split_fields(colon + 1, f, 3);
		if (n < 1 || n > 2 || parse_u64(f[0], &v) || (n == 2 && strcmp(f[1], "kB")))
			goto malformed;
		idx = field_lookup(line);
		if (idx < 0)
			continue;
		if (n != 2 || v > UINT64_MAX / 1024)
			goto malformed;
		mi->bytes[idx] = v * 1024;
		mi->present |= 1u << idx;
		continue;
	malformed:
		if (!mi->skipped++)
			mi->first_skipped_line = it.lineno;
	}
	return mi->present ? 0 : -ENODATA;
}

int filenr_parse(const char *text, struct meminfo *mi)
{
	mi->have_files = file_nr_parse(text, &mi->files_in_use, &mi->files_max) == 0;
	return mi->have_files ? 0 : -EINVAL;
}

int uptime_parse(const char *text, struct meminfo *mi)
{
	char *end;
	double up;

	mi->have_uptime = false;
	errno = 0;
	up = strtod(text, &end);
	if (errno || end == text || (*end != ' ' && *end != '\n' && *end) || !isfinite(up) ||
	    up < 0)
		return -EINVAL;
	mi->uptime_s = up;
	mi->have_uptime = true;
	return 0;
}

int meminfo_read_from(struct meminfo *mi, struct strbuf *sb, const struct meminfo_paths *paths)
{
	const struct meminfo_paths none = {0};
	int err;

	if (!paths)
		paths = &none;
	err = procfs_read(AT_FDCWD, paths->file_nr ? paths->file_nr : "/proc/sys/fs/file-nr", sb);
	if (err || filenr_parse(strbuf_str(sb), mi))
		mi->have_files = false;
	err = procfs_read(AT_FDCWD, paths->uptime ? paths->uptime : "/proc/uptime", sb);
	if (err || uptime_parse(strbuf_str(sb), mi))
		mi->have_uptime = false;
	err = procfs_read(AT_FDCWD, paths->meminfo ? paths->meminfo : "/proc/meminfo", sb);
	if (err)
		return err;
	if (sb->len == 0)
		return -ENODATA;
	return meminfo_parse(sb->buf, mi);
}

int meminfo_read(struct meminfo *mi, struct strbuf *sb)
{
	return meminfo_read_from(mi, sb, NULL);
}
