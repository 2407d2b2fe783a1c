#include "output/pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "analysis/group.h"
#include "util/hashmap.h"

/* Field numbers of perftools.profiles (profile.proto). */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3,
	MAPPING_ID = 1, MAPPING_START = 2, MAPPING_LIMIT = 3, MAPPING_FILENAME = 5,
	MAPPING_HAS_FUNCTIONS = 7,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

#define WIRE_VARINT 0
#define WIRE_LEN 2

void pb_varint(struct strbuf *sb, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;

	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	strbuf_append(sb, b, n);
}

void pb_uint(struct strbuf *sb, int field, uint64_t v)
{
	pb_varint(sb, (uint64_t)field << 3 | WIRE_VARINT);
	pb_varint(sb, v);
}

void pb_bytes(struct strbuf *sb, int field, const void *p, size_t n)
{
	pb_varint(sb, (uint64_t)field << 3 | WIRE_LEN);
	pb_varint(sb, n);
	if (n) /* an empty field may come with a NULL buffer */
		strbuf_append(sb, p, n);
}

void pb_packed(struct strbuf *sb, int field, const uint64_t *v, size_t n)
{
	struct strbuf body = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		pb_varint(&body, v[i]);
	pb_bytes(sb, field, body.buf, body.len);
	strbuf_release(&body);
}

/* A message field: the submessage is built in `msg` then appended. */
static void pb_message(struct strbuf *sb, int field, struct strbuf *msg)
{
	pb_bytes(sb, field, msg->buf, msg->len);
	strbuf_reset(msg);
}

/* The string table: index 0 is "" as the format requires. */
struct strtab {
	struct strbuf body; /* encoded string_table fields, in index order */
	struct u64map *index; /* hash → index; collisions probed by rehash */
	char **strings;
	size_t n, cap;
};

static int64_t strtab_id(struct strtab *st, const char *s)
{
	uint64_t h = hash_bytes(s, strlen(s));

	for (;;) {
		uint64_t *slot = u64map_findnew(st->index, h, UINT64_MAX);

		if (!slot)
			return -ENOMEM;
		if (*slot == UINT64_MAX) {
			if (st->n == st->cap) {
				size_t cap = st->cap ? st->cap * 2 : 64;
				char **grown = realloc(st->strings, cap * sizeof(*grown));

				if (!grown)
					return -ENOMEM;
				st->strings = grown;
				st->cap = cap;
			}
			st->strings[st->n] = strdup(s);
			if (!st->strings[st->n])
				return -ENOMEM;
			pb_bytes(&st->body, PROFILE_STRING_TABLE, s, strlen(s));
			*slot = st->n++;
			return (int64_t)*slot;
		}
		if (strcmp(st->strings[*slot], s) == 0)
			return (int64_t)*slot;
		h++;
	}
}

static void strtab_release(struct strtab *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->strings[i]);
	free(st->strings);
	u64map_free(st->index);
	strbuf_release(&st->body);
}

static void value_type(struct strbuf *out, int field, struct strtab *st, const char *type,
		       const char *unit)
{
	struct strbuf vt = STRBUF_INIT;

	pb_uint(&vt, VALUETYPE_TYPE, (uint64_t)strtab_id(st, type));
	pb_uint(&vt, VALUETYPE_UNIT, (uint64_t)strtab_id(st, unit));
	pb_message(out, field, &vt);
	strbuf_release(&vt);
}

/* A sample's label: key = text, or key = number. */
static void str_label(struct strbuf *sample, struct strtab *st, const char *key, const char *text)
{
	struct strbuf label = STRBUF_INIT;

	pb_uint(&label, LABEL_KEY, (uint64_t)strtab_id(st, key));
	pb_uint(&label, LABEL_STR, (uint64_t)strtab_id(st, text));
	pb_message(sample, SAMPLE_LABEL, &label);
	strbuf_release(&label);
}

static void num_label(struct strbuf *sample, struct strtab *st, const char *key, uint64_t num)
{
	struct strbuf label = STRBUF_INIT;

	pb_uint(&label, LABEL_KEY, (uint64_t)strtab_id(st, key));
	pb_uint(&label, LABEL_NUM, num);
	pb_message(sample, SAMPLE_LABEL, &label);
	strbuf_release(&label);
}

int pprof_encode(const struct grouping *g, const struct group_opts *opts, uint64_t time_ns,
		 uint64_t duration_ns, struct strbuf *out)
{
	struct strtab st = { .body = STRBUF_INIT };
	struct strbuf msg = STRBUF_INIT, sub = STRBUF_INIT, locs = STRBUF_INIT;
	struct strbuf funcs = STRBUF_INIT;
	struct u64map *loc_ids = u64map_new(1024), *func_ids = u64map_new(1024);
	uint64_t *loc_list = NULL, no_stack_loc = 0;
	size_t i, nloc = 0, nfunc = 0;
	char buf[256];
	int err = -ENOMEM;

	st.index = u64map_new(1024);
	if (!st.index || !loc_ids || !func_ids)
		goto out;
	strtab_id(&st, "");
	/* Names as pprof's heap profiles have them: unique, so -sample_index works. */
	value_type(&msg, PROFILE_SAMPLE_TYPE, &st, "outstanding_objects", "count");
	value_type(&msg, PROFILE_SAMPLE_TYPE, &st, "outstanding_space", "bytes");
	value_type(&msg, PROFILE_SAMPLE_TYPE, &st, "alloc_objects", "count");
	value_type(&msg, PROFILE_SAMPLE_TYPE, &st, "free_objects", "count");
	/* One mapping stands for the kernel; addresses are kernel text. */
	pb_uint(&sub, MAPPING_ID, 1);
	pb_uint(&sub, MAPPING_START, 0);
	pb_uint(&sub, MAPPING_LIMIT, UINT64_MAX);
	pb_uint(&sub, MAPPING_FILENAME, (uint64_t)strtab_id(&st, "[kernel]"));
	pb_uint(&sub, MAPPING_HAS_FUNCTIONS, 1);
	pb_message(&msg, PROFILE_MAPPING, &sub);

	for (i = 0; i < grouping__nrows(g); i++) {
		const struct group_row *r = grouping__row(g, i);
		const uint64_t *ips;
		int depth = trace_names__stack(opts->names, r->site->stack_id, &ips), f;
		uint64_t values[4] = { r->outstanding, r->outstanding_bytes, r->allocs, r->frees };
		uint64_t *grown;

		grown = realloc(loc_list, sizeof(*grown) * (size_t)(depth > 0 ? depth : 1));
		if (!grown)
			goto out;
		loc_list = grown;
		for (f = 0; f < depth; f++) {
			uint64_t *loc = u64map_findnew(loc_ids, ips[f], 0);
			const char *fname, *src_file = NULL;
			int64_t name_id, file_id = 0;
			uint64_t *fid;
			int src_line = 0;

			if (!loc)
				goto out;
			if (!*loc) {
				/* --vmlinux: a function's file is its first location's. */
				if (trace_names__source(opts->names, ips[f], &src_file, &src_line) == 0) {
					file_id = strtab_id(&st, src_file);
					if (file_id < 0)
						goto out;
				}
				fname = trace_names__function(opts->names, ips[f], buf, sizeof(buf));
				name_id = strtab_id(&st, fname);
				if (name_id < 0)
					goto out;
				fid = u64map_findnew(func_ids, (uint64_t)name_id, 0);
				if (!fid)
					goto out;
				if (!*fid) {
					*fid = ++nfunc;
					pb_uint(&sub, FUNCTION_ID, *fid);
					pb_uint(&sub, FUNCTION_NAME, (uint64_t)name_id);
					pb_uint(&sub, FUNCTION_SYSTEM_NAME, (uint64_t)name_id);
					if (file_id > 0)
						pb_uint(&sub, FUNCTION_FILENAME, (uint64_t)file_id);
					pb_message(&funcs, PROFILE_FUNCTION, &sub);
				}
				*loc = ++nloc;
				pb_uint(&sub, LOCATION_ID, *loc);
				pb_uint(&sub, LOCATION_MAPPING_ID, 1);
				pb_uint(&sub, LOCATION_ADDRESS, ips[f]);
				{
					struct strbuf line = STRBUF_INIT;

					pb_uint(&line, LINE_FUNCTION_ID, *fid);
					if (src_line > 0)
						pb_uint(&line, LINE_LINE, (uint64_t)src_line);
					pb_message(&sub, LOCATION_LINE, &line);
					strbuf_release(&line);
				}
				pb_message(&locs, PROFILE_LOCATION, &sub);
			}
			loc_list[f] = *loc;
		}
		if (depth <= 0) {
			/* pprof wants a location per sample: a named placeholder. */
			if (!no_stack_loc) {
				int64_t name_id = strtab_id(&st, "[no stack]");

				no_stack_loc = ++nloc;
				pb_uint(&sub, FUNCTION_ID, ++nfunc);
				pb_uint(&sub, FUNCTION_NAME, (uint64_t)name_id);
				pb_message(&funcs, PROFILE_FUNCTION, &sub);
				pb_uint(&sub, LOCATION_ID, no_stack_loc);
				pb_uint(&sub, LOCATION_MAPPING_ID, 1);
				{
					struct strbuf line = STRBUF_INIT;

					pb_uint(&line, LINE_FUNCTION_ID, nfunc);
					pb_message(&sub, LOCATION_LINE, &line);
					strbuf_release(&line);
				}
				pb_message(&locs, PROFILE_LOCATION, &sub);
			}
			loc_list[0] = no_stack_loc;
			depth = 1;
		}
		pb_packed(&sub, SAMPLE_LOCATION_ID, loc_list, (size_t)depth);
		pb_packed(&sub, SAMPLE_VALUE, values, 4);
		str_label(&sub, &st, "tag", trace_names__string(opts->names, r->site->tag_id));
		/* Only when rows are per process: else a row's first site
		 * would name one process for all. */
		if (group_opts__has_dim(opts, GD_PROCESS))
			num_label(&sub, &st, "pid", r->site->tgid);
		if (group_opts__has_dim(opts, GD_COMM))
			str_label(&sub, &st, "comm", trace_names__string(opts->names, r->site->comm_id));
		pb_message(&msg, PROFILE_SAMPLE, &sub);
	}
	if (locs.len)
		strbuf_append(&msg, locs.buf, locs.len);
	if (funcs.len)
		strbuf_append(&msg, funcs.buf, funcs.len);
	pb_uint(&msg, PROFILE_TIME_NANOS, time_ns);
	pb_uint(&msg, PROFILE_DURATION_NANOS, duration_ns);
	value_type(&msg, PROFILE_PERIOD_TYPE, &st, "outstanding_objects", "count");
	pb_uint(&msg, PROFILE_PERIOD, 1);
	pb_uint(&msg, PROFILE_DEFAULT_SAMPLE_TYPE, (uint64_t)strtab_id(&st, "outstanding_objects"));
	/* Every string is interned by now: the table goes last. */
	strbuf_append(&msg, st.body.buf, st.body.len);
	strbuf_reset(out);
	if (strbuf_append(out, msg.buf, msg.len))
		goto out;
	err = 0;
out:
	free(loc_list);
	u64map_free(loc_ids);
	u64map_free(func_ids);
	strtab_release(&st);
	strbuf_release(&msg);
	strbuf_release(&sub);
	strbuf_release(&locs);
	strbuf_release(&funcs);
	return err;
}

int pprof_write(FILE *out, const struct grouping *g, const struct group_opts *opts,
		uint64_t time_ns, uint64_t duration_ns)
{
	struct strbuf raw = STRBUF_INIT;
	unsigned char *gz = NULL;
	z_stream zs;
	size_t cap;
	int err;

	err = pprof_encode(g, opts, time_ns, duration_ns, &raw);
	if (err)
		goto out;
	memset(&zs, 0, sizeof(zs));
	/* windowBits 15 + 16: a gzip wrapper, as pprof expects. */
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		err = -ENOMEM;
		goto out;
	}
	cap = deflateBound(&zs, raw.len) + 32;
	gz = malloc(cap);
	if (!gz) {
		deflateEnd(&zs);
		err = -ENOMEM;
		goto out;
	}
	zs.next_in = (unsigned char *)(raw.buf ? raw.buf : "");
	zs.avail_in = (uInt)raw.len;
	zs.next_out = gz;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		err = -EIO;
		goto out;
	}
	if (fwrite(gz, 1, zs.total_out, out) != zs.total_out || fflush(out))
		err = -EIO;
	deflateEnd(&zs);
out:
	free(gz);
	strbuf_release(&raw);
	return err;
}
