/* What the truth tests of `poolscope record` share (test_record.c,
 * test_record_batched.c): a recorder run as a child on a temporary trace,
 * the eventfd leakers driven through pipes, and a reader of the trace that
 * tells each leaker allocation's fate. Static: each test file has its own. */
#ifndef POOLSCOPE_TESTS_RECORD_TEST_H
#define POOLSCOPE_TESTS_RECORD_TEST_H

#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kernel/ksyms.h"
#include "trace/trace.h"
#include "util/hashmap.h"

static char dir[64];
static char trace_path[128], out_path[128];
static pid_t recording; /* a recorder still running when a test fails */

static inline int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/poolscope-test-record.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(trace_path, sizeof(trace_path), "%s/trace.pst", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.txt", dir);
	return 0;
}

static inline int teardown(void **state)
{
	(void)state;
	if (recording > 0) {
		kill(recording, SIGKILL);
		waitpid(recording, NULL, 0);
		recording = 0;
	}
	unlink(trace_path);
	unlink(out_path);
	rmdir(dir);
	return 0;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The leaker, with a pipe to its stdin and one from its stdout. */
struct leaker {
	pid_t pid;
	int to;
	FILE *from;
};

/* Leaker NAME (from $LEAKERS) with up to 6 arguments (NULL-terminated). */
static inline void leaker_spawn(struct leaker *lk, const char *name, const char *const *args)
{
	const char *dirl = getenv("LEAKERS");
	const char *argv[8] = { name };
	char path[512];
	int in[2], out[2];

	for (int i = 0; i < 6 && args[i]; i++)
		argv[i + 1] = args[i];
	snprintf(path, sizeof(path), "%s/%s", dirl ? dirl : "build/leakers", name);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	lk->pid = fork();
	assert_true(lk->pid >= 0);
	if (lk->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	lk->to = in[1];
	lk->from = fdopen(out[0], "r");
	assert_non_null(lk->from);
}

/* record_evleak PRE KEEP CHURN [extra]: extra is NULL or "once". */
static inline void leaker_start_with(struct leaker *lk, const char *pre, const char *keep,
			      const char *churn, const char *extra)
{
	const char *args[] = { pre, keep, churn, extra, NULL };

	leaker_spawn(lk, "record_evleak", args);
}

static inline void leaker_start(struct leaker *lk, const char *pre, const char *keep, const char *churn)
{
	leaker_start_with(lk, pre, keep, churn, NULL);
}

static inline void leaker_expect(struct leaker *lk, const char *prefix)
{
	char line[128];

	assert_non_null(fgets(line, sizeof(line), lk->from));
	if (strncmp(line, prefix, strlen(prefix)))
		fail_msg("leaker said '%s', expected '%s'", line, prefix);
}

static inline void leaker_go(struct leaker *lk)
{
	assert_int_equal(write(lk->to, "go\n", 3), 3);
}

static inline void leaker_finish(struct leaker *lk)
{
	int status;

	close(lk->to);
	fclose(lk->from);
	assert_int_equal(waitpid(lk->pid, &status, 0), lk->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Start `poolscope record -o trace ARGS...` (stdout to out_path) and wait
 * until it is recording: the trace file exists once the probes are live. */
static inline pid_t record_start(const char *const *args)
{
	const char *argv[32] = { test_poolscope(), "record", "-o", trace_path };
	int n = 4;
	struct stat st;
	pid_t pid;

	unlink(trace_path);
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (stat(trace_path, &st) == 0 && st.st_size > 0) {
			recording = pid;
			return pid;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			fail_msg("poolscope record exited before recording");
		sleep_ms(25);
	}
	fail_msg("poolscope record did not start within 5 s");
	return -1;
}

static inline char *record_stop(pid_t pid, int sig)
{
	int status;

	kill(pid, sig);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	recording = 0;
	if (sig != SIGKILL && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		fail_msg("poolscope record failed (status %d): %s", status, test_slurp(out_path));
	return test_slurp(out_path);
}

/* Allocations of our own while a recording runs, so that no test depends on
 * the machine's background: eventfd churn (filp, dentry, kmalloc) and
 * faulting in fresh anonymous pages (order-0 page allocations). */
static inline void make_activity(void)
{
	size_t len = 8u << 20;
	char *mem;

	for (int i = 0; i < 2000; i++) {
		int fd = eventfd(0, EFD_CLOEXEC);

		assert_true(fd >= 0);
		close(fd);
	}
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(mem != MAP_FAILED);
	madvise(mem, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += 4096)
		mem[off] = 1;
	munmap(mem, len);
}

/* Everything a test wants to know about a trace. */
struct trace_facts {
	struct trace_reader *r;
	int ret;
	uint64_t allocs, frees, lost_ringbuf, lost_map, snapshots;
	bool kinds_seen[8];
	bool truncated;
};

static inline void read_trace(struct trace_facts *tf,
		       void (*visit)(void *ctx, struct trace_reader *r, const struct trace_record *rec),
		       void *ctx)
{
	struct trace_record rec;
	char err[256];

	memset(tf, 0, sizeof(*tf));
	assert_int_equal(trace_reader__open(trace_path, &tf->r, err, sizeof(err)), 0);
	while ((tf->ret = trace_reader__next(tf->r, &rec, err, sizeof(err))) == 1) {
		switch (rec.type) {
		case TR_ALLOC:
			tf->allocs++;
			tf->kinds_seen[rec.alloc.kind & 7] = true;
			break;
		case TR_FREE:
			tf->frees++;
			break;
		case TR_LOST:
			tf->lost_ringbuf += rec.lost.ringbuf_full;
			tf->lost_map += rec.lost.map_full;
			break;
		case TR_SNAPSHOT:
			tf->snapshots++;
			break;
		}
		if (visit)
			visit(ctx, tf->r, &rec);
	}
	if (tf->ret < 0)
		fail_msg("reading the trace: %s", err);
	tf->truncated = trace_reader__truncated(tf->r);
}

static inline bool stack_has(struct trace_reader *r, uint32_t stack_id, const char *needle)
{
	const struct symtab *ks = trace_reader__ksyms(r);
	const uint64_t *ips;
	int depth = trace_reader__stack(r, stack_id, &ips);

	for (int i = 0; i < depth; i++) {
		const struct symbol *sym = symtab__resolve(ks, ips[i]);

		if (sym && strstr(sym->name, needle))
			return true;
	}
	return false;
}

/* Events mode truth: per tag, the leaker's eventfd allocations and their fate. */
#define MAX_TAGS 4096
struct truth {
	uint32_t tgid;
	struct u64map *live;	/* ptr → tag id (allocated by the leaker while recording) */
	struct u64map *allocated; /* every ptr allocated (any task) while recording */
	uint64_t allocs[MAX_TAGS], freed[MAX_TAGS];
	uint64_t pre_frees_filp; /* frees by the leaker of filps allocated before the start */
	uint64_t stray_frees;	 /* frees of objects no recorded allocation made */
	uint32_t filp_tag;
	uint32_t stack_of[MAX_TAGS]; /* one stack per tag, for the eventfd check */
	uint64_t no_stack;
	uint64_t wrong_ids; /* leaker events whose tid or comm is not the leaker's */
};

static inline uint64_t key_of(uint8_t kind, uint64_t ptr)
{
	return ptr ^ ((uint64_t)kind << 60);
}

static inline void visit_truth(void *ctx, struct trace_reader *r, const struct trace_record *rec)
{
	struct truth *t = ctx;

	if (rec->type == TR_ALLOC) {
		const struct trace_alloc *a = &rec->alloc;
		uint64_t key = key_of(a->kind, a->ptr);

		u64map_set(t->allocated, key, 1);
		if (a->tgid != t->tgid || a->tag_id >= MAX_TAGS)
			return;
		t->allocs[a->tag_id]++;
		/* The leaker is single-threaded: tid = tgid, and its name. */
		if (a->tid != t->tgid || strcmp(trace_reader__string(r, a->comm_id), "record_evleak"))
			t->wrong_ids++;
		u64map_set(t->live, key, a->tag_id);
		if (a->stack_id == TRACE_NO_STACK)
			t->no_stack++;
		else
			t->stack_of[a->tag_id] = a->stack_id;
		if (!strcmp(trace_reader__string(r, a->tag_id), "filp"))
			t->filp_tag = a->tag_id;
	} else if (rec->type == TR_FREE) {
		const struct trace_free *f = &rec->free;
		uint64_t key = key_of(f->kind, f->ptr), tag;

		if (f->tgid == t->tgid && f->tid != t->tgid)
			t->wrong_ids++;
		if (u64map_remove(t->live, key, &tag)) {
			t->freed[tag]++;
		} else if (!u64map_find(t->allocated, key)) {
			t->stray_frees++;
			if (f->tgid == t->tgid && !strcmp(trace_reader__string(r, f->tag_id), "filp"))
				t->pre_frees_filp++;
		}
	}
}

/* Read the trace for the leaker pid's truth (t zeroed by the caller). */
static inline void truth_read(struct truth *t, int pid, struct trace_facts *tf)
{
	t->tgid = (uint32_t)pid;
	t->live = u64map_new(4096);
	t->allocated = u64map_new(65536);
	t->filp_tag = UINT32_MAX;
	read_trace(tf, visit_truth, t);
	assert_false(tf->truncated);
}

static inline void truth_release(struct truth *t, struct trace_facts *tf)
{
	trace_reader__close(tf->r);
	u64map_free(t->live);
	u64map_free(t->allocated);
}

#endif
