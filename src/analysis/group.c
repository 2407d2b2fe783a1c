#include "analysis/group.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/symtab.h"
#include "util/strbuf.h"

struct grouping {
	struct group_row *rows;
	size_t nrows;
};

/* The dimension list, perf-kmem style: a name and how two rows compare. */
struct group_dimension {
	const char *name;
	int (*compare)(const struct group_row *a, const struct group_row *b,
		       const struct trace_names *n);
};

#define CMP(x, y) (((x) > (y)) - ((x) < (y)))

static int cmp_type(const struct group_row *a, const struct group_row *b,
		    const struct trace_names *n)
{
	(void)n;
	return CMP(a->cls, b->cls);
}

static int cmp_kind(const struct group_row *a, const struct group_row *b,
		    const struct trace_names *n)
{
	(void)n;
	return CMP(a->site->kind, b->site->kind);
}

static int cmp_tag(const struct group_row *a, const struct group_row *b,
		   const struct trace_names *n)
{
	if (a->site->tag_id == b->site->tag_id)
		return 0;
	return strcmp(trace_names__string(n, a->site->tag_id),
		      trace_names__string(n, b->site->tag_id));
}

static int cmp_stack(const struct group_row *a, const struct group_row *b,
		     const struct trace_names *n)
{
	(void)n;
	return CMP(a->site->stack_id, b->site->stack_id);
}

static int cmp_size(const struct group_row *a, const struct group_row *b,
		    const struct trace_names *n)
{
	(void)n;
	return CMP(a->site->size, b->site->size);
}

static int cmp_process(const struct group_row *a, const struct group_row *b,
		       const struct trace_names *n)
{
	(void)n;
	return CMP(a->site->tgid, b->site->tgid);
}

static int cmp_comm(const struct group_row *a, const struct group_row *b,
		    const struct trace_names *n)
{
	if (a->site->comm_id == b->site->comm_id)
		return 0;
	return strcmp(trace_names__string(n, a->site->comm_id),
		      trace_names__string(n, b->site->comm_id));
}

static int cmp_callsite(const struct group_row *a, const struct group_row *b,
			const struct trace_names *n)
{
	(void)n;
	return CMP(a->site->call_site, b->site->call_site);
}

static int cmp_function(const struct group_row *a, const struct group_row *b,
			const struct trace_names *n)
{
	(void)n;
	if (a->function && b->function)
		return strcmp(a->function, b->function);
	if (a->function || b->function)
		return a->function ? -1 : 1;
	return CMP(a->function_ip, b->function_ip);
}

static int cmp_cpu(const struct group_row *a, const struct group_row *b,
		   const struct trace_names *n)
{
	(void)n;
	return CMP(a->site->cpu, b->site->cpu);
}

static int cmp_ufunc(const struct group_row *a, const struct group_row *b,
		     const struct trace_names *n)
{
	(void)n;
	return strcmp(a->ufunction, b->ufunction);
}

static const struct group_dimension dimensions[GD_COUNT] = {
	[GD_TYPE] = { "type", cmp_type },
	[GD_KIND] = { "kind", cmp_kind },
	[GD_TAG] = { "tag", cmp_tag },
	[GD_STACK] = { "stack", cmp_stack },
	[GD_SIZE] = { "size", cmp_size },
	[GD_PROCESS] = { "process", cmp_process },
	[GD_COMM] = { "comm", cmp_comm },
	[GD_CALLSITE] = { "callsite", cmp_callsite },
	[GD_FUNCTION] = { "function", cmp_function },
	[GD_CPU] = { "cpu", cmp_cpu },
	[GD_UFUNC] = { "ufunc", cmp_ufunc },
};

const char *group_dim_name(enum group_dim d)
{
	return d < GD_COUNT ? dimensions[d].name : "?";
}

int group_parse_dims(const char *spec, enum group_dim *dims, int *ndims, char *err, size_t errlen)
{
	const char *p = spec;

	*ndims = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		int d, i;

		for (d = 0; d < GD_COUNT; d++)
			if (strlen(dimensions[d].name) == len && strncmp(p, dimensions[d].name, len) == 0)
				break;
		/* "pid" reads naturally too */
		if (d == GD_COUNT && len == 3 && strncmp(p, "pid", 3) == 0)
			d = GD_PROCESS;
		if (d == GD_COUNT) {
			snprintf(err, errlen, "unknown group column '%.*s' (one of type, kind, tag, "
				 "stack, size, process, comm, callsite, function, cpu, ufunc)", (int)len, p);
			return -EINVAL;
		}
		for (i = 0; i < *ndims; i++) {
			if (dims[i] == (enum group_dim)d) {
				snprintf(err, errlen, "group column '%s' given twice", dimensions[d].name);
				return -EINVAL;
			}
		}
		dims[(*ndims)++] = (enum group_dim)d;
		p += len;
		if (*p == ',')
			p++;
	}
	if (*ndims == 0) {
		snprintf(err, errlen, "empty group column list");
		return -EINVAL;
	}
	return 0;
}

void group_opts_init(struct group_opts *g)
{
	memset(g, 0, sizeof(*g));
	g->frame = -1;
}

const char *trace_names__string(const struct trace_names *n, uint32_t id)
{
	const char *s = NULL;

	if (id == SITE_NO_COMM)
		return "?";
	if (id == SITE_AGGREGATE_COMM)
		return "(aggregate)";
	if (n && n->string)
		s = n->string(n->ctx, id);
	return s ? s : "?";
}

/* The recorder's own machinery on top of a kernel stack (the BPF program,
 * bpf_trace_runN, the tracepoint's iterator): not the allocation's story. */
static bool tracing_frame(const struct symtab *ks, uint64_t ip)
{
	static const char *const prefixes[] = { "bpf_prog_", "bpf_trace_run", "__traceiter_",
						"__bpf_trace_", "__bpf_prog_run", "trace_call_bpf",
						"perf_trace_", "trace_event_raw_event_" };
	const struct symbol *sym = symtab__resolve(ks, ip);
	size_t i;

	if (!sym)
		return false;
	if (sym->module && strcmp(sym->module, "bpf") == 0)
		return true;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(sym->name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

int trace_names__stack(const struct trace_names *n, uint32_t stack_id, const uint64_t **ips)
{
	int depth;

	*ips = NULL;
	if (stack_id == TRACE_NO_STACK || !n || !n->stack)
		return 0;
	depth = n->stack(n->ctx, stack_id, ips);
	while (n->ksyms && depth > 1 && tracing_frame(n->ksyms, (*ips)[0])) {
		(*ips)++;
		depth--;
	}
	return depth;
}

int trace_names__user_stack(const struct trace_names *n, uint32_t stack_id,
			    const struct user_frame **frames, const char **what)
{
	*frames = NULL;
	*what = NULL;
	if (stack_id == TRACE_NO_STACK || !n || !n->user_stack)
		return 0;
	return n->user_stack(n->ctx, stack_id, frames, what);
}

bool trace_names__stack_estimated(const struct trace_names *n, uint32_t stack_id)
{
	return n && n->stack_estimated && n->stack_estimated(n->ctx, stack_id);
}

int trace_names__source(const struct trace_names *n, uint64_t ip, const char **file, int *line)
{
	if (!n || !n->source)
		return -ENOENT;
	return n->source(n->source_ctx, ip, file, line);
}

const char *trace_names__frame(const struct trace_names *n, uint64_t ip, char *buf, size_t len)
{
	const char *file;
	size_t used;
	int line;

	if (n && n->ksyms)
		symtab__format(n->ksyms, ip, buf, len);
	else
		snprintf(buf, len, "0x%" PRIx64, ip);
	used = strlen(buf);
	if (used + 1 < len && trace_names__source(n, ip, &file, &line) == 0)
		snprintf(buf + used, len - used, " (%s:%d)", file, line);
	return buf;
}

const char *trace_names__function(const struct trace_names *n, uint64_t ip, char *buf,
				  size_t len)
{
	const struct symbol *sym = n && n->ksyms ? symtab__resolve(n->ksyms, ip) : NULL;

	if (!sym)
		snprintf(buf, len, "0x%" PRIx64, ip);
	else if (sym->module)
		snprintf(buf, len, "%s [%s]", sym->name, sym->module);
	else
		snprintf(buf, len, "%s", sym->name);
	return buf;
}

bool group__site_selected(const struct group_opts *opts, const struct alloc_site *s)
{
	int i;

	if (opts->npids) {
		for (i = 0; i < opts->npids; i++)
			if (opts->pids[i] == s->tgid)
				break;
		if (i == opts->npids)
			return false;
	}
	if (s->size < opts->size_min || (opts->size_max && s->size > opts->size_max))
		return false;
	if (!globlist_empty(&opts->tags) &&
	    !globlist_match(&opts->tags, trace_names__string(opts->names, s->tag_id)))
		return false;
	if (!globlist_empty(&opts->comms) &&
	    !globlist_match(&opts->comms, trace_names__string(opts->names, s->comm_id)))
		return false;
	return true;
}

bool group_opts__has_dim(const struct group_opts *opts, enum group_dim d)
{
	int i;

	for (i = 0; i < opts->ndims; i++)
		if (opts->dims[i] == d)
			return true;
	return false;
}

/* Fill a row's counters from the classes it stands for. */
static void row_from_site(struct group_row *r, const struct alloc_site *s, unsigned int mask,
			  uint64_t end_ns)
{
	int c;

	for (c = 0; c < AC_COUNT; c++) {
		if (!(mask & (1u << c)))
			continue;
		r->count += s->count[c];
		r->bytes += s->bytes[c];
		if (c == AC_AIFO || c == AC_AIFI)
			r->allocs += s->count[c];
		if (c == AC_AIFI || c == AC_AOFI)
			r->frees += s->count[c];
		if (c == AC_AIFO || c == AC_AOFO) {
			r->outstanding += s->count[c];
			r->outstanding_bytes += s->bytes[c];
		}
	}
	r->oldest_ns = r->outstanding && s->oldest_ns && s->oldest_ns <= end_ns ? s->oldest_ns : 0;
}

static void set_function(struct group_row *r, const struct group_opts *opts)
{
	const uint64_t *ips;
	int depth = trace_names__stack(opts->names, r->site->stack_id, &ips);
	const struct symbol *sym;

	r->function_ip = r->site->call_site;
	if (opts->frame >= 0 && depth > opts->frame)
		r->function_ip = ips[opts->frame];
	sym = opts->names && opts->names->ksyms ? symtab__resolve(opts->names->ksyms, r->function_ip)
						: NULL;
	r->function = sym ? sym->name : NULL;
}

/* The function of the innermost user frame of the program's own code
 * (record --user-stacks): where the program entered the kernel. The C
 * library's system call wrappers below it (eventfd, open) say no more than
 * the kernel frames do, so they are passed over, unless every frame is in
 * the C library. */
static void set_ufunction(struct group_row *r, const struct group_opts *opts)
{
	const struct user_frame *uf;
	const char *what;
	int udepth = trace_names__user_stack(opts->names, r->site->stack_id, &uf, &what), f = 0;

	while (f < udepth - 1 && uf[f].c_runtime)
		f++;
	if (udepth > 0)
		r->ufunction = uf[f].function;
	else if (what && !strcmp(what, USER_STACK_KERNEL_THREAD))
		r->ufunction = "[kernel thread]";
	else
		r->ufunction = "[no user stack]";
}

static int compare_rows(const void *pa, const void *pb, void *arg)
{
	const struct group_opts *opts = arg;
	const struct group_row *a = pa, *b = pb;
	int i, r;

	for (i = 0; i < opts->ndims; i++) {
		r = dimensions[opts->dims[i]].compare(a, b, opts->names);
		if (r)
			return r;
	}
	return 0;
}

int group__build(const struct outstanding *o, const struct group_opts *opts,
		 struct grouping **out)
{
	size_t i, nsites = outstanding__nsites(o), n = 0, cap = 0;
	unsigned int mask = opts->classes ? opts->classes : (1u << AC_COUNT) - 1;
	bool by_type = group_opts__has_dim(opts, GD_TYPE);
	bool by_function = group_opts__has_dim(opts, GD_FUNCTION);
	bool by_ufunc = group_opts__has_dim(opts, GD_UFUNC);
	struct grouping *g = calloc(1, sizeof(*g));
	struct group_row *rows = NULL;
	int err = -ENOMEM;

	if (!g)
		return -ENOMEM;
	for (i = 0; i < nsites; i++) {
		const struct alloc_site *s = outstanding__site(o, i);
		int c, first = by_type ? 0 : -1, last = by_type ? AC_COUNT - 1 : -1;

		if (!group__site_selected(opts, s))
			continue;
		for (c = first; c <= last; c++) {
			struct group_row r = { .site = s, .cls = c };

			if (c >= 0 && !(mask & (1u << c)))
				continue;
			row_from_site(&r, s, c >= 0 ? 1u << c : mask, opts->end_ns);
			if (!r.count)
				continue;
			if (by_function)
				set_function(&r, opts);
			if (by_ufunc)
				set_ufunction(&r, opts);
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct group_row *grown = realloc(rows, ncap * sizeof(*grown));

				if (!grown)
					goto out;
				rows = grown;
				cap = ncap;
			}
			rows[n++] = r;
		}
	}
	if (n)
		qsort_r(rows, n, sizeof(*rows), compare_rows, (void *)opts);
	/* Merge neighbours that compare equal on every dimension. */
	g->nrows = 0;
	for (i = 0; i < n; i++) {
		struct group_row *dst = g->nrows ? &rows[g->nrows - 1] : NULL;

		if (dst && compare_rows(dst, &rows[i], (void *)opts) == 0) {
			dst->count += rows[i].count;
			dst->bytes += rows[i].bytes;
			dst->allocs += rows[i].allocs;
			dst->frees += rows[i].frees;
			dst->outstanding += rows[i].outstanding;
			dst->outstanding_bytes += rows[i].outstanding_bytes;
			if (rows[i].oldest_ns && (!dst->oldest_ns || rows[i].oldest_ns < dst->oldest_ns))
				dst->oldest_ns = rows[i].oldest_ns;
			continue;
		}
		rows[g->nrows++] = rows[i];
	}
	g->rows = rows;
	rows = NULL;
	*out = g;
	g = NULL;
	err = 0;
out:
	free(rows);
	free(g);
	return err;
}

void grouping__free(struct grouping *g)
{
	if (!g)
		return;
	free(g->rows);
	free(g);
}

size_t grouping__nrows(const struct grouping *g)
{
	return g->nrows;
}

const struct group_row *grouping__row(const struct grouping *g, size_t i)
{
	return &g->rows[i];
}

const char *group_kind_name(uint8_t kind)
{
	switch (kind) {
	case TK_SLAB: return "slab";
	case TK_KMALLOC: return "kmalloc";
	case TK_PAGE: return "page";
	case TK_PERCPU: return "percpu";
	case TK_VMALLOC: return "vmalloc";
	}
	return "?";
}

/* A row's identity as text, comparable across traces. */
const char *group_row__dim_text(const struct group_row *r, const struct group_opts *opts,
				enum group_dim d, char *buf, size_t len)
{
	const struct alloc_site *s = r->site;

	switch (d) {
	case GD_TYPE: return alloc_class_name((enum alloc_class)r->cls);
	case GD_KIND: return group_kind_name(s->kind);
	case GD_TAG: return trace_names__string(opts->names, s->tag_id);
	case GD_SIZE: snprintf(buf, len, "%" PRIu64, s->size); return buf;
	case GD_PROCESS: snprintf(buf, len, "%u", s->tgid); return buf;
	case GD_COMM: return trace_names__string(opts->names, s->comm_id);
	case GD_CALLSITE: return trace_names__frame(opts->names, s->call_site, buf, len);
	case GD_FUNCTION:
		return r->function ? r->function :
		       trace_names__function(opts->names, r->function_ip, buf, len);
	case GD_CPU: snprintf(buf, len, "%u", s->cpu); return buf;
	case GD_UFUNC: return r->ufunction ? r->ufunction : "";
	case GD_STACK:
	case GD_COUNT: break;
	}
	return "";
}

/* A row's identity as text, comparable across traces. */
static char *row_key(const struct group_row *r, const struct group_opts *opts)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[256];
	int i, j;

	for (i = 0; i < opts->ndims; i++) {
		if (opts->dims[i] == GD_STACK) {
			const uint64_t *ips;
			int depth = trace_names__stack(opts->names, r->site->stack_id, &ips);

			for (j = 0; j < depth; j++) {
				strbuf_puts(&sb, trace_names__frame(opts->names, ips[j], buf, sizeof(buf)));
				strbuf_puts(&sb, ";");
			}
		} else {
			strbuf_puts(&sb, group_row__dim_text(r, opts, opts->dims[i], buf, sizeof(buf)));
		}
		strbuf_puts(&sb, "\x1f");
	}
	return strbuf_detach(&sb);
}

struct diff_entry {
	char *key;
	const struct group_row *a, *b;
};

static int by_key(const void *pa, const void *pb)
{
	const struct diff_entry *a = pa, *b = pb;

	return strcmp(a->key, b->key);
}

int group__diff(const struct grouping *a, const struct group_opts *oa,
		const struct grouping *b, const struct group_opts *ob,
		struct group_diff_row **out, size_t *nout)
{
	size_t na = a->nrows, nb = b->nrows, n = na + nb, i, m = 0, k = 0;
	struct diff_entry *e = calloc(n ? n : 1, sizeof(*e));
	struct group_diff_row *rows = NULL;
	int err = -ENOMEM;

	*out = NULL;
	*nout = 0;
	if (!e)
		goto out;
	for (i = 0; i < n; i++) {
		e[i].key = i < na ? row_key(&a->rows[i], oa) : row_key(&b->rows[i - na], ob);
		if (!e[i].key)
			goto out;
		if (i < na)
			e[i].a = &a->rows[i];
		else
			e[i].b = &b->rows[i - na];
	}
	qsort(e, n, sizeof(*e), by_key);
	/* Fold each B entry into the A entry with the same key (rows of one
	 * grouping are distinct, so at most one of each). */
	for (i = 0; i < n; i++) {
		if (m && strcmp(e[m - 1].key, e[i].key) == 0) {
			if (e[i].a)
				e[m - 1].a = e[i].a;
			if (e[i].b)
				e[m - 1].b = e[i].b;
			free(e[i].key);
			e[i].key = NULL;
			continue;
		}
		e[m++] = e[i];
		if (m - 1 != i)
			e[i].key = NULL;
	}
	rows = calloc(m ? m : 1, sizeof(*rows));
	if (!rows)
		goto out;
	for (i = 0; i < m; i++) {
		struct group_diff_row r = { .a = e[i].a, .b = e[i].b };

		r.count_a = r.a ? r.a->outstanding : 0;
		r.count_b = r.b ? r.b->outstanding : 0;
		r.bytes_a = r.a ? r.a->outstanding_bytes : 0;
		r.bytes_b = r.b ? r.b->outstanding_bytes : 0;
		if (r.count_a || r.count_b)
			rows[k++] = r;
	}
	*out = rows;
	*nout = k;
	rows = NULL;
	err = 0;
out:
	if (e)
		for (i = 0; i < n; i++)
			free(e[i].key);
	free(e);
	free(rows);
	return err;
}
