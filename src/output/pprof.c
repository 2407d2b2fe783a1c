#include "output/pprof.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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
	MAPPING_ID = 1, MAPPING_START = 2, MAPPING_LIMIT = 3, MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7,
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

/* What a profile is built of, beside its samples: mappings, locations and
 * functions, each given an id the first time a sample needs it. */
struct encoder {
	struct strtab st;
	struct strbuf sub;		  /* the message being built */
	struct strbuf maps, locs, funcs;  /* encoded user Mapping, Location, Function fields */
	struct u64map *kernel_locs;	  /* kernel address → location id */
	struct u64map *user_locs;	  /* hash(mapping id, address) → user_loc index + 1 */
	struct u64map *user_maps;	  /* stored mapping (its address) → mapping id */
	struct u64map *func_ids;	  /* name's string id → function id */
	struct user_loc { uint64_t mapping, address, id; } *user_loc;
	size_t nuser_loc, user_loc_cap;
	uint64_t nloc, nfunc, nmap;
};

/* The function of that name (and source file, 0 = none), emitted once; a
 * placeholder ("[no stack]") has no system name. */
static int64_t function_id(struct encoder *e, const char *name, int64_t file_id,
			   bool placeholder)
{
	int64_t name_id = strtab_id(&e->st, name);
	uint64_t *fid;

	if (name_id < 0)
		return name_id;
	fid = u64map_findnew(e->func_ids, (uint64_t)name_id, 0);
	if (!fid)
		return -ENOMEM;
	if (!*fid) {
		*fid = ++e->nfunc;
		pb_uint(&e->sub, FUNCTION_ID, *fid);
		pb_uint(&e->sub, FUNCTION_NAME, (uint64_t)name_id);
		if (!placeholder)
			pb_uint(&e->sub, FUNCTION_SYSTEM_NAME, (uint64_t)name_id);
		if (file_id > 0)
			pb_uint(&e->sub, FUNCTION_FILENAME, (uint64_t)file_id);
		pb_message(&e->funcs, PROFILE_FUNCTION, &e->sub);
	}
	return (int64_t)*fid;
}

/* A new location: address (0 = none) in a mapping (0 = none), one line of
 * function fid. Returns its id. */
static uint64_t emit_location(struct encoder *e, uint64_t mapping_id, uint64_t address,
			      uint64_t fid, int line)
{
	struct strbuf ln = STRBUF_INIT;

	pb_uint(&e->sub, LOCATION_ID, ++e->nloc);
	if (mapping_id)
		pb_uint(&e->sub, LOCATION_MAPPING_ID, mapping_id);
	if (address)
		pb_uint(&e->sub, LOCATION_ADDRESS, address);
	pb_uint(&ln, LINE_FUNCTION_ID, fid);
	if (line > 0)
		pb_uint(&ln, LINE_LINE, (uint64_t)line);
	pb_message(&e->sub, LOCATION_LINE, &ln);
	strbuf_release(&ln);
	pb_message(&e->locs, PROFILE_LOCATION, &e->sub);
	return e->nloc;
}

/* A kernel frame's location (mapping 1), named through the ksyms. */
static int64_t kernel_location(struct encoder *e, const struct trace_names *names, uint64_t ip)
{
	uint64_t *loc = u64map_findnew(e->kernel_locs, ip, 0);
	const char *src_file = NULL;
	int64_t file_id = 0, fid;
	int src_line = 0;
	char buf[256];

	if (!loc)
		return -ENOMEM;
	if (*loc)
		return (int64_t)*loc;
	/* --vmlinux: a function's file is its first location's. */
	if (trace_names__source(names, ip, &src_file, &src_line) == 0) {
		file_id = strtab_id(&e->st, src_file);
		if (file_id < 0)
			return file_id;
	}
	fid = function_id(e, trace_names__function(names, ip, buf, sizeof(buf)), file_id, false);
	if (fid < 0)
		return fid;
	*loc = emit_location(e, 1, ip, (uint64_t)fid, src_line);
	return (int64_t)*loc;
}

/* The Mapping of a stored mapping (a file a process had mapped), emitted
 * the first time: its range, file offset, path and build-id (hex, as pprof
 * writes them). */
static int64_t user_mapping(struct encoder *e, const struct trace_mapping *m)
{
	uint64_t *id = u64map_findnew(e->user_maps, (uint64_t)(uintptr_t)m, 0);
	char hex[2 * 64 + 1];
	int64_t path_id, build_id = 0;
	uint32_t i;

	if (!id)
		return -ENOMEM;
	if (*id)
		return (int64_t)*id;
	path_id = strtab_id(&e->st, m->path);
	if (path_id < 0)
		return path_id;
	if (m->build_id_len) {
		for (i = 0; i < m->build_id_len && i < 64; i++)
			snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
		build_id = strtab_id(&e->st, hex);
		if (build_id < 0)
			return build_id;
	}
	*id = ++e->nmap;
	pb_uint(&e->sub, MAPPING_ID, *id);
	pb_uint(&e->sub, MAPPING_START, m->start);
	pb_uint(&e->sub, MAPPING_LIMIT, m->end);
	pb_uint(&e->sub, MAPPING_FILE_OFFSET, m->offset);
	pb_uint(&e->sub, MAPPING_FILENAME, (uint64_t)path_id);
	if (build_id)
		pb_uint(&e->sub, MAPPING_BUILD_ID, (uint64_t)build_id);
	pb_uint(&e->sub, MAPPING_HAS_FUNCTIONS, 1);
	pb_message(&e->maps, PROFILE_MAPPING, &e->sub);
	return (int64_t)*id;
}

/* A user frame's location: in the Mapping of its file (none when no stored
 * mapping held it), named as the other outputs name it ("conn_open
 * [u:server]"). One address of two processes is two locations. */
static int64_t user_location(struct encoder *e, const struct user_frame *uf)
{
	int64_t mapping_id = uf->mapping ? user_mapping(e, uf->mapping) : 0, fid;
	uint64_t key, *found;

	if (mapping_id < 0)
		return mapping_id;
	key = hash_u64(uf->ip) ^ hash_u64((uint64_t)mapping_id << 1 | 1);
	while ((found = u64map_find(e->user_locs, key))) {
		const struct user_loc *have = &e->user_loc[*found - 1];

		if (have->mapping == (uint64_t)mapping_id && have->address == uf->ip)
			return (int64_t)have->id;
		key++;
	}
	if (e->nuser_loc == e->user_loc_cap) {
		size_t cap = e->user_loc_cap ? e->user_loc_cap * 2 : 64;
		struct user_loc *grown = realloc(e->user_loc, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		e->user_loc = grown;
		e->user_loc_cap = cap;
	}
	if (u64map_set(e->user_locs, key, e->nuser_loc + 1))
		return -ENOMEM;
	fid = function_id(e, uf->function, 0, false);
	if (fid < 0)
		return fid;
	e->user_loc[e->nuser_loc++] = (struct user_loc){
		.mapping = (uint64_t)mapping_id, .address = uf->ip,
		.id = emit_location(e, (uint64_t)mapping_id, uf->ip, (uint64_t)fid, 0) };
	return (int64_t)e->user_loc[e->nuser_loc - 1].id;
}

static void encoder_release(struct encoder *e)
{
	strtab_release(&e->st);
	strbuf_release(&e->sub);
	strbuf_release(&e->maps);
	strbuf_release(&e->locs);
	strbuf_release(&e->funcs);
	u64map_free(e->kernel_locs);
	u64map_free(e->user_locs);
	u64map_free(e->user_maps);
	u64map_free(e->func_ids);
	free(e->user_loc);
}

int pprof_encode(const struct grouping *g, const struct group_opts *opts, uint64_t time_ns,
		 uint64_t duration_ns, struct strbuf *out)
{
	struct encoder e = { .st = { .body = STRBUF_INIT }, .sub = STRBUF_INIT,
			     .maps = STRBUF_INIT, .locs = STRBUF_INIT, .funcs = STRBUF_INIT };
	struct strbuf msg = STRBUF_INIT, sample = STRBUF_INIT;
	uint64_t *loc_list = NULL, no_stack_loc = 0;
	size_t i;
	int err = -ENOMEM;

	e.st.index = u64map_new(1024);
	e.kernel_locs = u64map_new(1024);
	e.user_locs = u64map_new(256);
	e.user_maps = u64map_new(64);
	e.func_ids = u64map_new(1024);
	if (!e.st.index || !e.kernel_locs || !e.user_locs || !e.user_maps || !e.func_ids)
		goto out;
	strtab_id(&e.st, "");
	/* Names as pprof's heap profiles have them: unique, so -sample_index works. */
	value_type(&msg, PROFILE_SAMPLE_TYPE, &e.st, "outstanding_objects", "count");
	value_type(&msg, PROFILE_SAMPLE_TYPE, &e.st, "outstanding_space", "bytes");
	value_type(&msg, PROFILE_SAMPLE_TYPE, &e.st, "alloc_objects", "count");
	value_type(&msg, PROFILE_SAMPLE_TYPE, &e.st, "free_objects", "count");
	/* Mapping 1 stands for the kernel; addresses are kernel text. User
	 * frames (record --user-stacks) have a Mapping per mapped file. */
	pb_uint(&e.sub, MAPPING_ID, ++e.nmap);
	pb_uint(&e.sub, MAPPING_START, 0);
	pb_uint(&e.sub, MAPPING_LIMIT, UINT64_MAX);
	pb_uint(&e.sub, MAPPING_FILENAME, (uint64_t)strtab_id(&e.st, "[kernel]"));
	pb_uint(&e.sub, MAPPING_HAS_FUNCTIONS, 1);
	pb_message(&msg, PROFILE_MAPPING, &e.sub);

	for (i = 0; i < grouping__nrows(g); i++) {
		const struct group_row *r = grouping__row(g, i);
		const uint64_t *ips;
		const struct user_frame *uf;
		const char *what;
		int depth = trace_names__stack(opts->names, r->site->stack_id, &ips), f;
		int udepth = trace_names__user_stack(opts->names, r->site->stack_id, &uf, &what);
		uint64_t values[4] = { r->outstanding, r->outstanding_bytes, r->allocs, r->frees };
		uint64_t *grown;
		size_t n = 0;

		if (depth < 0)
			depth = 0;
		if (udepth < 0)
			udepth = 0;
		grown = realloc(loc_list, sizeof(*grown) * (size_t)(depth + udepth + 1));
		if (!grown)
			goto out;
		loc_list = grown;
		/* Innermost first: the kernel frames, then the user frames. */
		for (f = 0; f < depth; f++) {
			int64_t loc = kernel_location(&e, opts->names, ips[f]);

			if (loc < 0)
				goto out;
			loc_list[n++] = (uint64_t)loc;
		}
		for (f = 0; f < udepth; f++) {
			int64_t loc = user_location(&e, &uf[f]);

			if (loc < 0)
				goto out;
			loc_list[n++] = (uint64_t)loc;
		}
		if (!n) {
			/* pprof wants a location per sample: a named placeholder. */
			if (!no_stack_loc) {
				int64_t fid = function_id(&e, "[no stack]", 0, true);

				if (fid < 0)
					goto out;
				no_stack_loc = emit_location(&e, 1, 0, (uint64_t)fid, 0);
			}
			loc_list[n++] = no_stack_loc;
		}
		pb_packed(&sample, SAMPLE_LOCATION_ID, loc_list, n);
		pb_packed(&sample, SAMPLE_VALUE, values, 4);
		str_label(&sample, &e.st, "tag", trace_names__string(opts->names, r->site->tag_id));
		/* Only when rows are per process: else a row's first site
		 * would name one process for all. */
		if (group_opts__has_dim(opts, GD_PROCESS))
			num_label(&sample, &e.st, "pid", r->site->tgid);
		if (group_opts__has_dim(opts, GD_COMM))
			str_label(&sample, &e.st, "comm",
				  trace_names__string(opts->names, r->site->comm_id));
		/* The stack budget: this stack also stands for unwalked allocations
		 * of its path, so its figures are estimates (issue 12). */
		if (r->site->stack_id != TRACE_NO_STACK &&
		    trace_names__stack_estimated(opts->names, r->site->stack_id))
			str_label(&sample, &e.st, "stack_estimate", "true");
		pb_message(&msg, PROFILE_SAMPLE, &sample);
	}
	if (e.maps.len)
		strbuf_append(&msg, e.maps.buf, e.maps.len);
	if (e.locs.len)
		strbuf_append(&msg, e.locs.buf, e.locs.len);
	if (e.funcs.len)
		strbuf_append(&msg, e.funcs.buf, e.funcs.len);
	pb_uint(&msg, PROFILE_TIME_NANOS, time_ns);
	pb_uint(&msg, PROFILE_DURATION_NANOS, duration_ns);
	value_type(&msg, PROFILE_PERIOD_TYPE, &e.st, "outstanding_objects", "count");
	pb_uint(&msg, PROFILE_PERIOD, 1);
	pb_uint(&msg, PROFILE_DEFAULT_SAMPLE_TYPE,
		(uint64_t)strtab_id(&e.st, "outstanding_objects"));
	/* Every string is interned by now: the table goes last. */
	strbuf_append(&msg, e.st.body.buf, e.st.body.len);
	strbuf_reset(out);
	if (strbuf_append(out, msg.buf, msg.len))
		goto out;
	err = 0;
out:
	free(loc_list);
	encoder_release(&e);
	strbuf_release(&msg);
	strbuf_release(&sample);
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
