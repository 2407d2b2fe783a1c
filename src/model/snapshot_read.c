#include "model/snapshot_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What is being read, for the one error line. */
struct reader {
	const char *name;
	char *why;
	size_t whylen;
};

static int fail(struct reader *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct reader *r, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!r->whylen)
		return err;
	n = snprintf(r->why, r->whylen, "%s: ", r->name);
	if (n >= 0 && (size_t)n < r->whylen) {
		va_start(ap, fmt);
		vsnprintf(r->why + n, r->whylen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	/* One line of plain text, whatever the file name or jansson said. */
	for (unsigned char *p = (unsigned char *)r->why; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return err;
}

/* A name for the error line: JSON keys may hold control bytes. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* key of obj as a number into *out: NAN when absent or null. where names
 * obj in the error line ("caches.filp"; NULL: the top level). */
static int get_number(struct reader *r, const json_t *obj, const char *where, const char *key,
		      double *out)
{
	const json_t *v = json_object_get(obj, key);
	char buf[160];
	double d;

	*out = NAN;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return fail(r, -EINVAL, "%s%s%s: expected a number, not %s",
			    where ? shown(where, buf, sizeof(buf)) : "", where ? "." : "", key,
			    type_name(v));
	d = json_number_value(v);
	if (!isfinite(d) || fabs(d) > SNAPSHOT_MAX_ABS)
		return fail(r, -EINVAL, "%s%s%s: %g is out of range",
			    where ? shown(where, buf, sizeof(buf)) : "", where ? "." : "", key, d);
	*out = d;
	return 0;
}

/* A count or size: as get_number, and not negative. */
static int get_level(struct reader *r, const json_t *obj, const char *where, const char *key,
		     double *out)
{
	char buf[160];
	int err = get_number(r, obj, where, key, out);

	if (!err && *out < 0)
		return fail(r, -EINVAL, "%s%s%s: %g is negative",
			    where ? shown(where, buf, sizeof(buf)) : "", where ? "." : "", key, *out);
	return err;
}

/* key of obj as a string: a copy in *out, NULL when absent or null. */
static int get_string(struct reader *r, const json_t *obj, const char *key, char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(r, -EINVAL, "%s: expected a string, not %s", key, type_name(v));
	*out = strdup(json_string_value(v));
	return *out ? 0 : fail(r, -ENOMEM, "out of memory");
}

/* A section: absent/null is fine (*present false); else it must be of
 * the given type. */
static int get_section(struct reader *r, const json_t *root, const char *key, json_type type,
		       const json_t **out, bool *present)
{
	const json_t *v = json_object_get(root, key);

	*out = NULL;
	*present = false;
	if (!v || json_is_null(v))
		return 0;
	if (json_typeof(v) != type)
		return fail(r, -EINVAL, "%s: expected %s, not %s", key,
			    type == JSON_OBJECT ? "an object" : "an array", type_name(v));
	*out = v;
	*present = true;
	return 0;
}

/* "caches.<name>" for error lines. */
static const char *where_of(const char *section, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s", section, name);
	return buf;
}

static int read_caches(struct reader *r, const json_t *caches, struct host_snapshot *s)
{
	const char *name;
	const json_t *v;
	char where[160];

	s->caches = calloc(json_object_size(caches) + 1, sizeof(*s->caches));
	if (!s->caches)
		return fail(r, -ENOMEM, "out of memory");
	json_object_foreach((json_t *)caches, name, v) {
		struct snapshot_cache *c = &s->caches[s->ncaches];
		const json_t *recl;
		int err;

		where_of("caches", name, where, sizeof(where));
		if (!json_is_object(v))
			return fail(r, -EINVAL, "%s: expected an object, not %s",
				    shown(where, where, sizeof(where)), type_name(v));
		c->name = strdup(name);
		if (!c->name)
			return fail(r, -ENOMEM, "out of memory");
		s->ncaches++;
		if ((err = get_level(r, v, where, "bytes", &c->bytes)) ||
		    (err = get_level(r, v, where, "objects", &c->objects)) ||
		    (err = get_number(r, v, where, "bytes_per_s", &c->bytes_per_s)) ||
		    (err = get_number(r, v, where, "objects_per_s", &c->objects_per_s)))
			return err;
		recl = json_object_get(v, "reclaimable");
		c->reclaimable = json_is_boolean(recl) ? json_is_true(recl) : -1;
	}
	return 0;
}

static int read_resources(struct reader *r, const json_t *res, struct host_snapshot *s)
{
	const char *name;
	const json_t *v;
	char where[160];

	s->resources = calloc(json_object_size(res) + 1, sizeof(*s->resources));
	if (!s->resources)
		return fail(r, -ENOMEM, "out of memory");
	json_object_foreach((json_t *)res, name, v) {
		struct snapshot_resource *x = &s->resources[s->nresources];
		int err;

		where_of("resources", name, where, sizeof(where));
		if (!json_is_object(v))
			return fail(r, -EINVAL, "%s: expected an object, not %s",
				    shown(where, where, sizeof(where)), type_name(v));
		x->name = strdup(name);
		if (!x->name)
			return fail(r, -ENOMEM, "out of memory");
		s->nresources++;
		if ((err = get_level(r, v, where, "used", &x->used)) ||
		    (err = get_level(r, v, where, "limit", &x->limit)) ||
		    (err = get_number(r, v, where, "per_s", &x->per_s)) ||
		    (err = get_level(r, v, where, "exhaustion_s", &x->exhaustion_s)))
			return err;
	}
	return 0;
}

static int read_meminfo(struct reader *r, const json_t *mem, struct host_snapshot *s)
{
	const char *key;
	const json_t *v;
	int err;

	s->meminfo = calloc(json_object_size(mem) + 1, sizeof(*s->meminfo));
	if (!s->meminfo)
		return fail(r, -ENOMEM, "out of memory");
	json_object_foreach((json_t *)mem, key, v) {
		struct snapshot_meminfo_value *m = &s->meminfo[s->nmeminfo];

		m->key = strdup(key);
		if (!m->key)
			return fail(r, -ENOMEM, "out of memory");
		s->nmeminfo++;
		if ((err = get_level(r, mem, "meminfo", key, &m->value)))
			return err;
	}
	return 0;
}

static int read_process(struct reader *r, const json_t *v, size_t i, struct snapshot_process *p)
{
	const json_t *types, *count;
	const char *name;
	char where[64];
	int err;

	snprintf(where, sizeof(where), "processes[%zu]", i);
	if (!json_is_object(v))
		return fail(r, -EINVAL, "%s: expected an object, not %s", where, type_name(v));
	if ((err = get_level(r, v, where, "pid", &p->pid)) ||
	    (err = get_level(r, v, where, "fds", &p->fds)) ||
	    (err = get_number(r, v, where, "fds_per_s", &p->fds_per_s)) ||
	    (err = get_level(r, v, where, "threads", &p->threads)) ||
	    (err = get_level(r, v, where, "maps", &p->maps)))
		return err;
	if ((err = get_string(r, v, "comm", &p->comm)))
		return err;
	if (!p->comm && !(p->comm = strdup("")))
		return fail(r, -ENOMEM, "out of memory");
	types = json_object_get(v, "types");
	if (!types || json_is_null(types))
		return 0;
	if (!json_is_object(types))
		return fail(r, -EINVAL, "%s.types: expected an object, not %s", where,
			    type_name(types));
	p->types = calloc(json_object_size(types) + 1, sizeof(*p->types));
	if (!p->types)
		return fail(r, -ENOMEM, "out of memory");
	snprintf(where, sizeof(where), "processes[%zu].types", i);
	json_object_foreach((json_t *)types, name, count) {
		struct snapshot_fd_type *t = &p->types[p->ntypes];

		t->name = strdup(name);
		if (!t->name)
			return fail(r, -ENOMEM, "out of memory");
		p->ntypes++;
		if ((err = get_level(r, types, where, name, &t->count)))
			return err;
	}
	return 0;
}

static int read_processes(struct reader *r, const json_t *procs, struct host_snapshot *s)
{
	size_t i, n = json_array_size(procs);
	int err;

	s->processes = calloc(n + 1, sizeof(*s->processes));
	if (!s->processes)
		return fail(r, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		s->nprocesses++;
		if ((err = read_process(r, json_array_get(procs, i), i, &s->processes[i])))
			return err;
	}
	return 0;
}

static int read_root(struct reader *r, const json_t *root, struct host_snapshot *s)
{
	const json_t *version, *caches, *res, *mem, *procs;
	int err;

	if (!json_is_object(root))
		return fail(r, -EINVAL, "not a poolscope snapshot: the top level is %s, not an object",
			    type_name(root));
	version = json_object_get(root, "poolscope_snapshot");
	if (!version)
		return fail(r, -EINVAL, "not a poolscope snapshot (no \"poolscope_snapshot\" field)");
	/* Integers are read as doubles (below): a version is a whole number. */
	if (!json_is_number(version) || json_number_value(version) != floor(json_number_value(version)))
		return fail(r, -EINVAL, "poolscope_snapshot: expected a version number, not %s",
			    json_is_number(version) ? "a fraction" : type_name(version));
	if (json_number_value(version) != SNAPSHOT_VERSION)
		return fail(r, -EPROTONOSUPPORT,
			    "snapshot version %.0f is not supported (this poolscope reads version %d)",
			    fmin(fmax(json_number_value(version), -1e18), 1e18), SNAPSHOT_VERSION);
	if ((err = get_string(r, root, "host", &s->host)))
		return err;
	if (!s->host || !s->host[0])
		return fail(r, -EINVAL, "host: missing or empty");
	if ((err = get_string(r, root, "kernel", &s->kernel)) ||
	    (err = get_string(r, root, "boot_id", &s->boot_id)) ||
	    (err = get_string(r, root, "time", &s->time)) ||
	    (err = get_level(r, root, NULL, "uptime_s", &s->uptime_s)) ||
	    (err = get_level(r, root, NULL, "window_s", &s->window_s)))
		return err;
	if ((err = get_section(r, root, "caches", JSON_OBJECT, &caches, &s->has_caches)) ||
	    (err = get_section(r, root, "resources", JSON_OBJECT, &res, &s->has_resources)) ||
	    (err = get_section(r, root, "meminfo", JSON_OBJECT, &mem, &s->has_meminfo)) ||
	    (err = get_section(r, root, "processes", JSON_ARRAY, &procs, &s->has_processes)))
		return err;
	if ((caches && (err = read_caches(r, caches, s))) ||
	    (res && (err = read_resources(r, res, s))) || (mem && (err = read_meminfo(r, mem, s))) ||
	    (procs && (err = read_processes(r, procs, s))))
		return err;
	return 0;
}

int snapshot_read_buf(const char *buf, size_t len, const char *name, struct host_snapshot *out,
		      char *why, size_t whylen)
{
	struct reader r = {.name = name, .why = why, .whylen = whylen};
	json_error_t jerr;
	json_t *root;
	int err;

	memset(out, 0, sizeof(*out));
	if (whylen)
		why[0] = '\0';
	/* Duplicate keys would make "which value counts" the parser's choice.
	 * Integers are read as doubles: every number here is compared as one,
	 * and a 30-digit integer is then range-checked instead of refused by
	 * the parser with a less useful message. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
	if (!root)
		return fail(&r, -EINVAL, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
	err = read_root(&r, root, out);
	json_decref(root);
	if (err)
		host_snapshot_release(out);
	return err;
}

int snapshot_read_file(const char *path, struct host_snapshot *out, char *why, size_t whylen)
{
	struct reader r = {.name = path, .why = why, .whylen = whylen};
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd, err;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(&r, -errno, "%s", strerror(errno));
	if (fstat(fd, &st)) {
		err = fail(&r, -errno, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)SNAPSHOT_MAX_BYTES) {
		err = S_ISREG(st.st_mode)
			  ? fail(&r, -EFBIG, "%lld bytes: too big for a snapshot (at most %u MiB)",
				 (long long)st.st_size, SNAPSHOT_MAX_BYTES >> 20)
			  : fail(&r, -EINVAL, "not a regular file");
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = fail(&r, -ENOMEM, "out of memory");
		goto out;
	}
	/* The size may change under us: read to EOF, never past the cap. */
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = fail(&r, -errno, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size) {
			err = fail(&r, -EFBIG, "grew while it was read");
			goto out;
		}
	}
	err = snapshot_read_buf(buf, len, path, out, why, whylen);
out:
	free(buf);
	close(fd);
	return err;
}

#define SNAPSHOT_MAX_THREADS 16

struct read_batch {
	char *const *paths;
	struct snapshot_result *res;
	size_t n;
	atomic_size_t next; /* the next file to take */
};

static void *read_worker(void *arg)
{
	struct read_batch *b = arg;
	size_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n)
		b->res[i].err = snapshot_read_file(b->paths[i], &b->res[i].snap, b->res[i].why,
						   sizeof(b->res[i].why));
	return NULL;
}

int snapshot_read_files(char *const *paths, size_t n, struct snapshot_result *res,
			unsigned int nthreads)
{
	struct read_batch b = {.paths = paths, .res = res, .n = n};
	pthread_t tids[SNAPSHOT_MAX_THREADS];
	unsigned int i, started = 0;

	atomic_init(&b.next, 0);
	if (nthreads > SNAPSHOT_MAX_THREADS)
		nthreads = SNAPSHOT_MAX_THREADS;
	if (nthreads > n)
		nthreads = (unsigned int)n;
	for (i = 1; i < nthreads; i++)
		if (pthread_create(&tids[started], NULL, read_worker, &b) == 0)
			started++;
	read_worker(&b);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return 0;
}

static void process_release(struct snapshot_process *p)
{
	size_t i;

	for (i = 0; i < p->ntypes; i++)
		free(p->types[i].name);
	free(p->types);
	free(p->comm);
}

void host_snapshot_release(struct host_snapshot *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->ncaches; i++)
		free(s->caches[i].name);
	for (i = 0; i < s->nresources; i++)
		free(s->resources[i].name);
	for (i = 0; i < s->nmeminfo; i++)
		free(s->meminfo[i].key);
	for (i = 0; i < s->nprocesses; i++)
		process_release(&s->processes[i]);
	free(s->caches);
	free(s->resources);
	free(s->meminfo);
	free(s->processes);
	free(s->host);
	free(s->kernel);
	free(s->boot_id);
	free(s->time);
	memset(s, 0, sizeof(*s));
}

int snapshot_paths_add(struct snapshot_paths *p, const char *path)
{
	char *copy;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	p->v[p->n++] = copy;
	return 0;
}

int snapshot_paths_add_dir(struct snapshot_paths *p, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *path = NULL;
	size_t dlen = strlen(dir);
	int err = 0;

	if (!d)
		return -errno;
	/* "snaps/" names its files "snaps/a.json", not "snaps//a.json" */
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		if (asprintf(&path, "%.*s/%s", (int)dlen, dir, e->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		err = snapshot_paths_add(p, path);
		free(path);
		if (err)
			break;
	}
	closedir(d);
	return err;
}

int snapshot_paths_add_lines(struct snapshot_paths *p, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if ((err = snapshot_paths_add(p, line)))
			break;
	}
	if (!err && ferror(in))
		err = -EIO;
	free(line);
	return err;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void snapshot_paths_sort(struct snapshot_paths *p)
{
	if (p->n)
		qsort(p->v, p->n, sizeof(*p->v), path_cmp);
}

void snapshot_paths_release(struct snapshot_paths *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}
