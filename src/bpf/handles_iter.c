/* Loader of the fd counting iterator (handles.bpf.c): load, attach, read the
 * iterator to its end (it writes nothing; the work is the walk), then fold
 * the per-tgid map into procfd_counts. The link and every map are fds of
 * this process, closed before returning: nothing outlives the call. */
#include "bpf/handles_iter.h"
#include "bpf/iter_read.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/types.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/handles_abi.h"
#include "bpf/libbpf_log.h"
#include "handles.skel.h"
#include "util/hashmap.h"
#include "util/symtab.h"

_Static_assert((int)HK_COUNT == (int)FD_KIND_COUNT, "handles_abi.h and procfd.h disagree");
_Static_assert((int)HK_MEMFD == (int)FD_KIND_MEMFD && (int)HK_TCP == (int)FD_KIND_TCP &&
		       (int)HK_OTHER == (int)FD_KIND_OTHER,
	       "handles_abi.h and procfd.h disagree");

void handles_iter_result_free(struct handles_iter_result *r)
{
	if (!r)
		return;
	u64map_free(r->by_tgid);
	free(r->counts);
	memset(r, 0, sizeof(*r));
}

const struct procfd_counts *handles_iter_find(const struct handles_iter_result *r, int tgid)
{
	uint64_t *i = r->by_tgid ? u64map_find(r->by_tgid, (uint64_t)tgid) : NULL;

	return i ? &r->counts[*i - 1] : NULL;
}

struct handles_iter {
	struct handles_bpf *skel;
	struct bpf_link *link;
	uint32_t max;
	/* The batch read's buffers, max each: kept for every pass (a scan
	 * every 10 s should not map and fault in fresh pages each time). */
	__u32 *keys;
	struct handles_counts *values;
};

static int put_counts(struct handles_iter_result *out, __u32 tgid, const struct handles_counts *v)
{
	struct procfd_counts *c = &out->counts[out->count];

	c->total = v->total;
	memcpy(c->kinds, v->kinds, sizeof(c->kinds));
	c->maps = v->map_count;
	c->nofile_soft = v->nofile_soft;
	return u64map_set(out->by_tgid, tgid, (uint64_t)++out->count) ? -ENOMEM : 0;
}

/* Read and empty the per-process map for the next pass: one
 * lookup-and-delete batch call per few thousand processes rather than four
 * syscalls per process. */
static int fold_map(struct handles_iter *it, struct handles_iter_result *out)
{
	int fd = bpf_map__fd(it->skel->maps.counts), err = 0;
	__u32 batch = 0;
	bool first = true, done = false;

	out->by_tgid = u64map_new(it->max);
	out->counts = calloc(it->max, sizeof(*out->counts));
	if (!out->by_tgid || !out->counts)
		return -ENOMEM;
	while (!done && !err) {
		__u32 count = it->max, i;

		if (bpf_map_lookup_and_delete_batch(fd, first ? NULL : &batch, &batch, it->keys,
						    it->values, &count, NULL)) {
			if (errno != ENOENT)
				return -errno;
			done = true; /* the last batch: count says how many came */
		}
		first = false;
		for (i = 0; i < count && !err && out->count < it->max; i++)
			err = put_counts(out, it->keys[i], &it->values[i]);
	}
	return err;
}

/* The iterator keys processes by their pid in the initial pid namespace;
 * /proc here shows pids of ours. Only where the two are the same (the
 * initial namespace, whose inode number is fixed) can they be matched. */
#define PROC_PID_INIT_INO 0xEFFFFFFCu

static bool in_initial_pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == PROC_PID_INIT_INO;
}


void handles_iter_close(struct handles_iter *it)
{
	if (!it)
		return;
	bpf_link__destroy(it->link);
	handles_bpf__destroy(it->skel);
	free(it->keys);
	free(it->values);
	free(it);
}

/* The release functions of the anon inode kinds (fs/eventfd.c, ...): a
 * name found exactly once in kallsyms tells that kind from its f_op. */
static const struct {
	const char *release;
	enum handles_kind kind;
} anon_fops[] = {
	{"eventfd_release", HK_EVENTFD},	{"ep_eventpoll_release", HK_EPOLL},
	{"timerfd_release", HK_TIMERFD},	{"signalfd_release", HK_SIGNALFD},
	{"inotify_release", HK_INOTIFY},	{"fanotify_release", HK_FANOTIFY},
	{"pidfd_release", HK_PIDFD},		{"io_uring_release", HK_IO_URING},
	{"perf_release", HK_PERF},		{"bpf_map_release", HK_BPF},
	{"bpf_prog_release", HK_BPF},		{"bpf_link_release", HK_BPF},
	{"btf_release", HK_BPF},
};
_Static_assert(sizeof(anon_fops) / sizeof(anon_fops[0]) <= HANDLES_ANON_FOPS_MAX,
	       "HANDLES_ANON_FOPS_MAX too small");

static void set_anon_fops(struct handles_bpf *skel, const struct symtab *ks)
{
	enum { N = sizeof(anon_fops) / sizeof(anon_fops[0]) };
	uint64_t addr[N] = {0};
	unsigned int seen[N] = {0};
	size_t i, k, n = ks ? symtab__count(ks) : 0;

	for (i = 0; i < n; i++) {
		const struct symbol *s = symtab__at(ks, i);

		if (s->module || !s->addr)
			continue;
		for (k = 0; k < N; k++)
			if (s->name[0] == anon_fops[k].release[0] &&
			    strcmp(s->name, anon_fops[k].release) == 0 && addr[k] != s->addr) {
				addr[k] = s->addr;
				seen[k]++;
			}
	}
	for (k = 0; k < N; k++) {
		/* Two functions of one name: which is the fops' is unknown. */
		skel->rodata->anon_release[k] = seen[k] == 1 ? addr[k] : 0;
		skel->rodata->anon_release_kind[k] = anon_fops[k].kind;
	}
}

int handles_iter_open(uint32_t expected_processes, const struct symtab *ks,
		      struct handles_iter **out)
{
	libbpf_print_fn_t old_print = libbpf_set_print(libbpf_log_print);
	struct handles_iter *it = calloc(1, sizeof(*it));
	int err = 0;

	*out = NULL;
	if (!it) {
		err = -ENOMEM;
		goto out;
	}
	it->max = expected_processes * 2 + 1024; /* room for processes born meanwhile */
	it->keys = calloc(it->max, sizeof(*it->keys));
	it->values = calloc(it->max, sizeof(*it->values));
	if (!it->keys || !it->values) {
		err = -ENOMEM;
		goto out;
	}
	if (!in_initial_pid_ns()) {
		err = -EOPNOTSUPP;
		goto out;
	}
	it->skel = handles_bpf__open();
	if (!it->skel) {
		err = errno ? -errno : -ENOENT;
		goto out;
	}
	bpf_map__set_max_entries(it->skel->maps.counts, it->max);
	set_anon_fops(it->skel, ks);
	err = handles_bpf__load(it->skel);
	if (err)
		goto out;
	it->link = bpf_program__attach_iter(it->skel->progs.count_files, NULL);
	if (!it->link)
		err = -errno;
out:
	libbpf_set_print(old_print);
	if (err) {
		handles_iter_close(it);
		return err;
	}
	*out = it;
	return 0;
}

/* Empty the map after a failed pass (keys collected first: deleting while
 * walking would skip some). */
static void clear_counts(int map_fd, uint32_t max)
{
	__u32 *keys = calloc(max, sizeof(*keys)), key, next, *prev = NULL;
	uint32_t n = 0, i;

	if (!keys)
		return;
	while (n < max && bpf_map_get_next_key(map_fd, prev, &next) == 0) {
		keys[n++] = next;
		key = next;
		prev = &key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(map_fd, &keys[i]);
	free(keys);
}

int handles_iter_run(struct handles_iter *it, struct handles_iter_result *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	/* A pass starts with nothing pending (a failed one may have left
	 * its last process half counted). */
	it->skel->bss->missed = 0;
	it->skel->bss->by_fops = 0;
	it->skel->bss->cur_tgid = 0;
	it->skel->bss->task_file_last_task = NULL;
	it->skel->data->task_file_last_fd = ~0u;
	err = bpf_iter_read_all(bpf_link__fd(it->link));
	if (!err) {
		out->missed = it->skel->bss->missed;
		out->by_fops = it->skel->bss->by_fops;
		err = fold_map(it, out);
	}
	if (err) {
		clear_counts(bpf_map__fd(it->skel->maps.counts), it->max);
		handles_iter_result_free(out);
	}
	return err;
}

int handles_iter_scan(uint32_t expected_processes, struct handles_iter_result *out)
{
	struct handles_iter *it;
	int err;

	memset(out, 0, sizeof(*out));
	err = handles_iter_open(expected_processes, NULL, &it);
	if (!err)
		err = handles_iter_run(it, out);
	handles_iter_close(it);
	return err;
}
