/* poolscope handles against this kernel: exact per-type counts and names for
 * a process that holds a known set of fds (handleholder), agreement with
 * lsof, scans during a fork/exit storm, a non-root run, --interval growth,
 * the summary's JSON, and usage errors. Every process started here is in its
 * own process group and killed with it at the end. */
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bpf/handles_iter.h"
#include "kernel/ksyms.h"
#include "util/procfs.h"
#include "util/symtab.h"

#define MAX_FACTS 128

struct holder {
	pid_t pid;	   /* the handleholder (its own process group) */
	pid_t child;	   /* its helper child */
	int stdin_fd;	   /* closing it makes the holder exit */
	char *facts[MAX_FACTS];
	int nfacts;
};

/* Every process group started here, killed by the teardown even when an
 * assertion ended the test early. */
static pid_t spawned[16];
static int nspawned;

static void spawned_add(pid_t pid)
{
	if (nspawned < 16)
		spawned[nspawned++] = pid;
}

static void spawned_kill(pid_t pid)
{
	int i;

	for (i = 0; i < nspawned; i++) {
		if (spawned[i] != pid)
			continue;
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		spawned[i] = spawned[--nspawned];
		return;
	}
}

static int teardown_spawned(void **state)
{
	(void)state;
	while (nspawned)
		spawned_kill(spawned[0]);
	return 0;
}

static const char *leakers_dir(void)
{
	const char *d = getenv("LEAKERS");

	return d ? d : "build/leakers";
}

/* Start handleholder N (through a shell command prefix, if any, which gets
 * the holder's path and argument appended and must exec it in place, so the
 * pid stays the holder's) and read its facts up to "ready". */
static void holder_start_in(struct holder *h, int n, const char *prefix)
{
	int in[2], out[2];
	char path[512], arg[16], line[256], cmd[1024];
	FILE *f;

	memset(h, 0, sizeof(*h));
	snprintf(path, sizeof(path), "%s/handleholder", leakers_dir());
	snprintf(arg, sizeof(arg), "%d", n);
	snprintf(cmd, sizeof(cmd), "exec %s %s %s", prefix ? prefix : "", path, arg);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	h->pid = fork();
	assert_true(h->pid >= 0);
	if (h->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		setpgid(0, 0);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(null, 2);
		if (prefix)
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		else
			execl(path, "handleholder", arg, (char *)NULL);
		_exit(127);
	}
	setpgid(h->pid, h->pid);
	spawned_add(h->pid);
	close(in[0]);
	close(out[1]);
	h->stdin_fd = in[1];
	f = fdopen(out[0], "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "ready") == 0)
			break;
		if (h->nfacts < MAX_FACTS)
			h->facts[h->nfacts++] = strdup(line);
		if (strncmp(line, "child ", 6) == 0)
			h->child = atoi(line + 6);
	}
	fclose(f);
	assert_true(h->child > 0);
}

static void holder_start(struct holder *h, int n)
{
	holder_start_in(h, n, NULL);
}

static void holder_stop(struct holder *h)
{
	int i;

	close(h->stdin_fd);
	spawned_kill(h->pid);
	for (i = 0; i < h->nfacts; i++)
		free(h->facts[i]);
}

/* The value of fact "KEY ..." as the text after the key, or NULL. */
static const char *fact(const struct holder *h, const char *key, int nth)
{
	size_t len = strlen(key);
	int i;

	for (i = 0; i < h->nfacts; i++)
		if (strncmp(h->facts[i], key, len) == 0 && h->facts[i][len] == ' ' && nth-- == 0)
			return h->facts[i] + len + 1;
	return NULL;
}

/* Run a command; capture stdout and stderr separately. Returns exit status. */
static int run(const char *cmdline, char **out, char **err)
{
	int o[2], e[2], status;
	pid_t pid;
	struct pollfd p[2];
	struct { char *buf; size_t len, cap; } acc[2] = { 0 };
	int open_fds = 2, i;

	assert_int_equal(pipe(o), 0);
	assert_int_equal(pipe(e), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execl("/bin/sh", "sh", "-c", cmdline, (char *)NULL);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	p[0] = (struct pollfd){ .fd = o[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = e[0], .events = POLLIN };
	while (open_fds) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (acc[i].cap - acc[i].len < 4096) {
				acc[i].cap = acc[i].cap ? acc[i].cap * 2 : 65536;
				acc[i].buf = realloc(acc[i].buf, acc[i].cap);
				assert_non_null(acc[i].buf);
			}
			n = read(p[i].fd, acc[i].buf + acc[i].len, acc[i].cap - acc[i].len - 1);
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
				continue;
			}
			acc[i].len += (size_t)n;
		}
	}
	for (i = 0; i < 2; i++) {
		if (!acc[i].buf)
			acc[i].buf = calloc(1, 1);
		acc[i].buf[acc[i].len] = '\0';
	}
	waitpid(pid, &status, 0);
	*out = acc[0].buf;
	if (err)
		*err = acc[1].buf;
	else
		free(acc[1].buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The number after "key": inside the JSON object that starts at obj, or -1. */
static long json_num(const char *obj, const char *key)
{
	char needle[64];
	const char *end = strchr(obj, '}'), *p;

	snprintf(needle, sizeof(needle), "\"%s\":", key);
	p = strstr(obj, needle);
	if (!p || (end && p > end))
		return -1;
	return strtol(p + strlen(needle), NULL, 10);
}

/* The number after "key": in one row of a JSON array (up to the next row). */
static long json_row_num(const char *row, const char *key)
{
	char needle[64];
	const char *end = strstr(row + 1, "{\"pid\":"), *p;

	snprintf(needle, sizeof(needle), "\"%s\":", key);
	p = strstr(row, needle);
	if (!p || (end && p > end))
		return -1;
	return strtol(p + strlen(needle), NULL, 10);
}

/* The process row object of pid in a processes JSON array. */
static const char *json_row(const char *json, pid_t pid)
{
	char needle[32];

	snprintf(needle, sizeof(needle), "{\"pid\":%d,", pid);
	return strstr(json, needle);
}

static char *handles_json_opts(pid_t pid, const char *opts)
{
	char cmd[512], *out, *err;

	snprintf(cmd, sizeof(cmd), "%s handles -p %d --format json %s", test_poolscope(), pid,
		 opts);
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_string_equal(err, "");
	free(err);
	return out;
}

static char *handles_json(pid_t pid)
{
	return handles_json_opts(pid, "");
}

/* Assert the holder's row matches its own account of what it opened. */
static void check_holder_counts(const struct holder *h, const char *json)
{
	const char *row = json_row(json, h->pid), *types;
	long total = 0;
	int i;

	assert_non_null(row);
	types = strstr(row, "\"types\":{");
	assert_non_null(types);
	for (i = 0; i < h->nfacts; i++) {
		char kind[32];
		int count;

		if (sscanf(h->facts[i], "expect %31s %d", kind, &count) != 2)
			continue;
		total += count;
		if (json_num(types, kind) != (count ? count : -1)) {
			print_error("kind %s: holder opened %d, poolscope says %ld\n%s\n", kind,
				    count, json_num(types, kind), row);
			fail();
		}
	}
	assert_int_equal(json_row_num(row, "fds"), total);
}

static void test_counts_exact(void **state)
{
	struct holder h;
	struct rlimit lim;
	char cmd[256], *json, *err;
	const char *row;

	(void)state;
	REQUIRE_ROOT();
	holder_start(&h, 3);
	/* The /proc walk (readlink + stat + sockprotoname) ... */
	json = handles_json_opts(h.pid, "--no-bpf");
	check_holder_counts(&h, json);
	free(json);
	/* ... and the BPF task_file iterator (fs magic, inode type, socket
	 * family/protocol), used when no -p narrows the scan, must both be
	 * exact. */
	snprintf(cmd, sizeof(cmd), "%s handles -u root --format json", test_poolscope());
	assert_int_equal(run(cmd, &json, &err), 0);
	free(err);
	check_holder_counts(&h, json);
	row = json_row(json, h.pid);
	assert_non_null(strstr(row, "\"comm\":\"handleholder\""));
	assert_non_null(strstr(row, "\"user\":\"root\""));
	assert_int_equal(json_row_num(row, "threads"), 1);
	assert_true(json_row_num(row, "maps") > 5);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	assert_int_equal(json_row_num(row, "fd_limit"), (long)lim.rlim_cur);
	free(json);
	/* Limits change under a running process: the iterator reads the soft
	 * limit from the task on every pass, as /proc/PID/limits would. */
	lim.rlim_cur = 1234;
	assert_int_equal(prlimit(h.pid, RLIMIT_NOFILE, &lim, NULL), 0);
	assert_int_equal(run(cmd, &json, &err), 0);
	free(err);
	assert_int_equal(json_row_num(json_row(json, h.pid), "fd_limit"), 1234);
	free(json);
	json = handles_json_opts(h.pid, "--no-bpf");
	assert_int_equal(json_row_num(json_row(json, h.pid), "fd_limit"), 1234);
	free(json);
	holder_stop(&h);
}

/* One iterator pass's counts of pid, through the library (what watch's
 * sampler runs), with or without kernel symbols. */
static struct procfd_counts iter_counts(const struct symtab *ks, int pid, uint64_t *by_fops)
{
	struct handles_iter *it;
	struct handles_iter_result r;
	const struct procfd_counts *c;
	struct procfd_counts out;

	assert_int_equal(handles_iter_open(64, ks, &it), 0);
	assert_int_equal(handles_iter_run(it, &r), 0);
	c = handles_iter_find(&r, pid);
	assert_non_null(c);
	out = *c;
	*by_fops = r.by_fops;
	handles_iter_result_free(&r);
	handles_iter_close(it);
	return out;
}

/* With kallsyms, the iterator tells anon inode kinds (eventfd, epoll,
 * timerfd, signalfd, inotify) by their file_operations' release function
 * instead of reading each file's dentry name: the same exact counts, the
 * holder's own account of what it opened. */
static void test_anon_kinds_by_fops(void **state)
{
	static const enum fd_kind anon[] = {FD_KIND_EVENTFD, FD_KIND_EPOLL, FD_KIND_TIMERFD,
					    FD_KIND_SIGNALFD, FD_KIND_INOTIFY};
	struct symtab *ks = NULL;
	struct procfd_counts by_name, by_fops;
	struct holder h;
	bool found = false;
	uint64_t fops_name, fops_fops, held = 0;
	size_t i;

	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(ksyms__load(&ks, NULL), 0);
	for (i = 0; i < symtab__count(ks); i++)
		found |= strcmp(symtab__at(ks, i)->name, "eventfd_release") == 0;
	assert_true(found); /* else this kernel never takes the fops path */
	holder_start(&h, 3);
	by_name = iter_counts(NULL, h.pid, &fops_name);
	by_fops = iter_counts(ks, h.pid, &fops_fops);
	assert_int_equal(by_fops.total, by_name.total);
	for (int k = 0; k < FD_KIND_COUNT; k++) {
		int want = -1;

		for (int f = 0; f < h.nfacts; f++) {
			char kind[32];
			int count;

			if (sscanf(h.facts[f], "expect %31s %d", kind, &count) == 2 &&
			    strcmp(kind, fd_kind_name((enum fd_kind)k)) == 0)
				want = count;
		}
		if (by_fops.kinds[k] != by_name.kinds[k] || (want >= 0 && (int)by_fops.kinds[k] != want)) {
			print_error("kind %s: by name %u, by fops %u, opened %d\n",
				    fd_kind_name((enum fd_kind)k), by_name.kinds[k], by_fops.kinds[k], want);
			fail();
		}
	}
	for (i = 0; i < sizeof(anon) / sizeof(anon[0]); i++) {
		assert_true(by_fops.kinds[anon[i]] > 0); /* the holder holds each */
		held += by_fops.kinds[anon[i]];
	}
	/* The holder's anon files at least (the machine has more) went the
	 * fops way with kallsyms, and none without. */
	print_message("anon files told by fops: %llu (the holder's: %llu)\n",
		      (unsigned long long)fops_fops, (unsigned long long)held);
	assert_int_equal(fops_name, 0);
	assert_true(fops_fops >= held);
	holder_stop(&h);
	symtab__free(ks);
}

/* Split one CSV line (RFC 4180 quoting) in place. */
static int csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *w = line, *r = line;

	while (n < max) {
		bool quoted = *r == '"';

		fields[n++] = w;
		if (quoted)
			r++;
		for (; *r; r++) {
			if (quoted && *r == '"' && r[1] == '"') {
				*w++ = '"';
				r++;
			} else if (quoted && *r == '"') {
				quoted = false;
			} else if (!quoted && *r == ',') {
				break;
			} else {
				*w++ = *r;
			}
		}
		if (!*r) {
			*w = '\0';
			break;
		}
		*w++ = '\0';
		r++;
		w = r;
	}
	return n;
}

/* The next CSV record at *cursor (ended by a newline outside quotes: a
 * quoted comm may hold one), NUL-terminated in place; NULL at the end. */
static char *csv_record(char **cursor)
{
	char *start = *cursor, *p;
	bool quoted = false;

	if (!start || !*start)
		return NULL;
	for (p = start; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '\n' && !quoted)
			break;
	}
	if (*p) {
		*p = '\0';
		*cursor = p + 1;
	} else {
		*cursor = p;
	}
	return start;
}

/* The name of fd in the -a CSV output for pid, or NULL. */
static const char *csv_name(char *csv, pid_t pid, int fd, char *type_out)
{
	static char name[1024];
	char *copy = strdup(csv), *line, *cursor = copy;
	const char *found = NULL;

	while ((line = csv_record(&cursor))) {
		char *f[6];

		if (csv_split(line, f, 6) != 6 || atoi(f[0]) != pid || atoi(f[2]) != fd)
			continue;
		snprintf(name, sizeof(name), "%s", f[5]);
		if (type_out)
			strcpy(type_out, f[3]);
		found = name;
		break;
	}
	free(copy);
	return found;
}

static void test_names_and_peers(void **state)
{
	struct holder h;
	char cmd[512], want[256], type[32], *csv, *err;
	const char *v, *name;
	int fd, n, i;

	(void)state;
	REQUIRE_ROOT();
	holder_start(&h, 2);
	snprintf(cmd, sizeof(cmd), "%s handles -a -p %d --format csv", test_poolscope(), h.pid);
	assert_int_equal(run(cmd, &csv, &err), 0);
	assert_string_equal(err, "");
	assert_true(strncmp(csv, "pid,comm,fd,type,flags,name\n", 28) == 0);

	/* UNIX peer: the child holds the other end. */
	v = fact(&h, "unix_peer", 0);
	assert_non_null(v);
	fd = atoi(v);
	name = csv_name(csv, h.pid, fd, type);
	assert_non_null(name);
	assert_string_equal(type, "unix");
	snprintf(want, sizeof(want), "peer %d holderchild (fd", h.child);
	assert_non_null(strstr(name, want));

	/* Pipe: the other end is in the child. */
	fd = atoi(fact(&h, "pipe_peer", 0));
	name = csv_name(csv, h.pid, fd, type);
	assert_string_equal(type, "pipe");
	snprintf(want, sizeof(want), "peers %d holderchild (fd", h.child);
	assert_non_null(strstr(name, want));

	/* TCP: every connection and the listener, by address. */
	for (i = 0; (v = fact(&h, "tcp_conn", i)); i++) {
		char local[64], remote[64];

		assert_int_equal(sscanf(v, "%63s %63s", local, remote), 2);
		snprintf(want, sizeof(want), "TCP %s->%s (ESTABLISHED)", local, remote);
		assert_non_null(strstr(csv, want));
		snprintf(want, sizeof(want), "TCP %s->%s (ESTABLISHED)", remote, local);
		assert_non_null(strstr(csv, want));
	}
	assert_int_equal(i, 2);
	snprintf(want, sizeof(want), "TCP %s (LISTEN)", fact(&h, "tcp_listen", 0));
	assert_non_null(strstr(csv, want));
	v = fact(&h, "udp_conn", 0);
	assert_non_null(v);
	{
		char local[64], remote[64];

		assert_int_equal(sscanf(v, "%63s %63s", local, remote), 2);
		snprintf(want, sizeof(want), "UDP %s->%s", local, remote);
		assert_non_null(strstr(csv, want));
	}

	/* Anon inodes with their fdinfo detail. */
	for (i = 0; (v = fact(&h, "eventfd", i)); i++) {
		assert_int_equal(sscanf(v, "%d %d", &fd, &n), 2);
		snprintf(want, sizeof(want), "eventfd count=%d", n);
		assert_string_equal(csv_name(csv, h.pid, fd, NULL), want);
	}
	for (i = 0; (v = fact(&h, "epoll", i)); i++) {
		assert_int_equal(sscanf(v, "%d %d", &fd, &n), 2);
		snprintf(want, sizeof(want), "epoll targets=%d", n);
		assert_string_equal(csv_name(csv, h.pid, fd, NULL), want);
	}
	for (i = 0; (v = fact(&h, "inotify", i)); i++) {
		assert_int_equal(sscanf(v, "%d %d", &fd, &n), 2);
		snprintf(want, sizeof(want), "inotify watches=%d", n);
		assert_string_equal(csv_name(csv, h.pid, fd, NULL), want);
	}
	for (i = 0; (v = fact(&h, "timerfd", i)); i++) {
		fd = atoi(v);
		assert_non_null(strstr(csv_name(csv, h.pid, fd, NULL),
				       "timerfd clock=monotonic interval=1.500s next="));
	}
	for (i = 0; (v = fact(&h, "signalfd", i)); i++) {
		fd = atoi(v);
		assert_string_equal(csv_name(csv, h.pid, fd, NULL), "signalfd mask=USR1,USR2");
	}
	for (i = 0; (v = fact(&h, "fanotify", i)); i++) {
		assert_int_equal(sscanf(v, "%d %d", &fd, &n), 2);
		snprintf(want, sizeof(want), "fanotify marks=%d", n);
		assert_string_equal(csv_name(csv, h.pid, fd, NULL), want);
	}
	assert_int_equal(i, geteuid() == 0 ? 1 : 0);
	snprintf(want, sizeof(want), "pidfd pid=%d", h.child);
	assert_non_null(strstr(csv, want));
	assert_non_null(strstr(csv, "/tmp/handleholder."));
	assert_non_null(strstr(csv, " (deleted)\n"));
	assert_non_null(strstr(csv, ",memfd,rw,/memfd:handleholder (deleted)"));
	assert_non_null(strstr(csv, ",file,\"r,cloexec\",/etc/passwd"));
	free(csv);
	free(err);
	holder_stop(&h);
}

static void test_own_network_namespace(void **state)
{
	struct holder h;
	char cmd[512], want[256], *csv, *err, *ours;
	const char *v;

	(void)state;
	REQUIRE_ROOT();
	if (access("/usr/bin/unshare", X_OK) != 0 || access("/usr/sbin/ip", X_OK) != 0) {
		print_message("skipped: unshare (util-linux) or ip (iproute2) is missing\n");
		skip();
	}
	/* A holder in a network namespace of its own: its sockets are not in
	 * ours, so only reading its namespace names them. */
	holder_start_in(&h, 1, "unshare -n sh -c 'ip link set lo up && exec \"$0\" \"$@\"'");
	snprintf(cmd, sizeof(cmd), "%s handles -a -p %d --format csv", test_poolscope(), h.pid);
	assert_int_equal(run(cmd, &csv, &err), 0);
	v = fact(&h, "tcp_listen", 0);
	assert_non_null(v);
	snprintf(want, sizeof(want), ",TCP %s (LISTEN)\n", v);
	assert_non_null(strstr(csv, want));
	v = fact(&h, "tcp_conn", 0);
	{
		char local[64], remote[64];

		assert_int_equal(sscanf(v, "%63s %63s", local, remote), 2);
		snprintf(want, sizeof(want), ",TCP %s->%s (ESTABLISHED)\n", local, remote);
		assert_non_null(strstr(csv, want));
	}
	/* UNIX peers come from sock_diag inside that namespace. */
	snprintf(want, sizeof(want), "peer %d holderchild (fd", h.child);
	assert_non_null(strstr(csv, want));
	/* Our namespace does not have the listener. */
	ours = test_slurp("/proc/self/net/tcp");
	assert_non_null(ours);
	snprintf(want, sizeof(want), ":%04X 00000000:0000 0A",
		 (unsigned int)atoi(strchr(fact(&h, "tcp_listen", 0), ':') + 1));
	assert_null(strstr(ours, want));
	free(ours);
	free(csv);
	free(err);
	holder_stop(&h);
}

/* lsof's fd rows ("3u", "12r", …) for pid: what a second tool counts. */
static long lsof_fd_count(pid_t pid)
{
	char cmd[128], *out, *line, *save = NULL;
	long n = 0;

	snprintf(cmd, sizeof(cmd), "lsof -n -P -p %d", pid);
	run(cmd, &out, NULL);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[5];
		int nf = split_fields(line, f, 5);

		if (nf >= 4 && f[3][0] >= '0' && f[3][0] <= '9')
			n++;
	}
	free(out);
	return n;
}

static void test_lsof_agrees(void **state)
{
	struct holder h;
	char *json;
	pid_t pids[2];
	int i;

	(void)state;
	REQUIRE_ROOT();
	if (access("/usr/bin/lsof", X_OK) != 0) {
		print_message("skipped: lsof is not installed (deps.txt lists it)\n");
		skip();
	}
	holder_start(&h, 4);
	pids[0] = h.pid;
	pids[1] = h.child;
	for (i = 0; i < 2; i++) {
		long ours, theirs;

		json = handles_json(pids[i]);
		ours = json_row_num(json_row(json, pids[i]), "fds");
		theirs = lsof_fd_count(pids[i]);
		if (ours != theirs) {
			print_error("pid %d: poolscope %ld fds, lsof %ld\n", pids[i], ours, theirs);
			fail();
		}
		assert_true(ours > 0);
		free(json);
	}
	holder_stop(&h);
}

/* A process that forks short-lived children as fast as it can; every third
 * child opens pipes and files before exiting. Runs in its own group. */
static pid_t storm_start(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned int i;

		setpgid(0, 0);
		signal(SIGCHLD, SIG_DFL);
		for (i = 0;; i++) {
			pid_t c = fork();

			if (c == 0) {
				if (i % 3 == 0) {
					int p[2], k;

					/* Pipes and /dev/null, not eventfds: other
					 * suites count eventfd_ctx objects. */
					for (k = 0; k < 8; k++) {
						if (pipe(p) < 0 || open("/dev/null", O_RDONLY) < 0)
							break;
					}
					usleep(200);
				}
				_exit(0);
			}
			if (c > 0)
				waitpid(c, NULL, 0);
		}
	}
	setpgid(pid, pid);
	spawned_add(pid);
	return pid;
}

/* The most recently assigned pid (/proc/loadavg, last field): how many
 * processes the storm has made. */
static int last_pid(void)
{
	char *text = test_slurp("/proc/loadavg");
	const char *sp;
	int pid;

	assert_non_null(text);
	sp = strrchr(text, ' ');
	pid = atoi(sp + 1);
	free(text);
	return pid;
}

static void test_scan_during_fork_storm(void **state)
{
	struct holder h;
	char cmd[512], *out, *err;
	pid_t storm;
	int round, first_pid, pid_max;
	char *text;
	const char *views[] = { "", "-s", "-a", "--sort comm", "-s --no-bpf", "-t pipe --no-bpf",
				"--top 5 --no-bpf" };
	char *control[7];

	(void)state;
	REQUIRE_ROOT();
	holder_start(&h, 3);
	/* What each view says on stderr when nothing races (processes that even
	 * root may not read, e.g. a ptrace-protected init, are said once). */
	for (round = 0; round < 7; round++) {
		snprintf(cmd, sizeof(cmd), "%s handles %s", test_poolscope(), views[round]);
		assert_int_equal(run(cmd, &out, &control[round]), 0);
		free(out);
	}
	text = test_slurp("/proc/sys/kernel/pid_max");
	assert_non_null(text);
	pid_max = atoi(text);
	free(text);
	first_pid = last_pid();
	storm = storm_start();
	usleep(100000);
	/* Until the storm has made thousands of processes (pids wrap at pid_max). */
	for (round = 0; round < 7 || (last_pid() - first_pid + pid_max) % pid_max < 3000; round++) {
		assert_true(round < 200);
		/* The whole system, mid-storm: no new message, no crash. */
		snprintf(cmd, sizeof(cmd), "%s handles %s", test_poolscope(), views[round % 7]);
		assert_int_equal(run(cmd, &out, &err), 0);
		if (strcmp(err, control[round % 7]) != 0) {
			print_error("stderr of '%s' mid-storm: %s\n(without the storm: %s)\n",
				    cmd, err, control[round % 7]);
			fail();
		}
		assert_true(strlen(out) > 0);
		free(out);
		free(err);
		/* The stable process keeps exact counts, both ways. */
		if (round % 2) {
			out = handles_json(h.pid);
		} else {
			snprintf(cmd, sizeof(cmd), "%s handles -u root --format json",
				 test_poolscope());
			assert_int_equal(run(cmd, &out, &err), 0);
			free(err);
		}
		check_holder_counts(&h, out);
		free(out);
	}
	spawned_kill(storm);
	for (round = 0; round < 7; round++)
		free(control[round]);
	holder_stop(&h);
}

static void test_non_root(void **state)
{
	char cmd[768], *out, *err, *line, *save = NULL;
	int status, skipped_lines = 0;

	(void)state;
	REQUIRE_ROOT();
	if (access("/usr/bin/setpriv", X_OK) != 0) {
		print_message("skipped: setpriv (util-linux) is missing\n");
		skip();
	}
	/* LeakSanitizer needs ptrace of itself, which nobody is not granted
	 * here; the leak check of this binary runs in the root tests. */
	snprintf(cmd, sizeof(cmd),
		 "ASAN_OPTIONS=detect_leaks=0 "
		 "setpriv --reuid nobody --regid nogroup --clear-groups "
		 "%s handles --format json",
		 test_poolscope());
	status = run(cmd, &out, &err);
	assert_int_equal(status, 0);
	/* Its own process is visible; root's are not. */
	assert_non_null(strstr(out, "\"user\":\"nobody\""));
	assert_null(strstr(out, "\"user\":\"root\""));
	for (line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_non_null(strstr(line, "skipped")); /* nothing else is said */
		skipped_lines++;
	}
	assert_int_equal(skipped_lines, 1);
	assert_non_null(strstr(err, "of other users"));
	assert_non_null(strstr(err, "CAP_SYS_PTRACE"));
	free(out);
	free(err);

	/* The summary works too, and also says it once. */
	snprintf(cmd, sizeof(cmd),
		 "ASAN_OPTIONS=detect_leaks=0 "
		 "setpriv --reuid nobody --regid nogroup --clear-groups "
		 "%s handles -s --format json",
		 test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_non_null(strstr(out, "\"total\":"));
	assert_non_null(strstr(out, "\"method\":\"proc\""));
	assert_non_null(strstr(err, "skipped"));
	assert_null(strstr(strstr(err, "skipped") + 1, "skipped"));
	free(out);
	free(err);
}

/* Open fds of pid as a listing of /proc/PID/fd shows them. */
static long listed_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* A process whose fd directory root may list but whose fd links it may not
 * read (pid 1 on some machines): its fds are counted as "unknown" and said,
 * not hidden. Made here by dropping CAP_SYS_PTRACE from poolscope and
 * looking at a process of another user. */
static void test_unnamed_fds(void **state)
{
	const char *drop = "ASAN_OPTIONS=detect_leaks=0 "
			   "setpriv --bounding-set -sys_ptrace --inh-caps -sys_ptrace";
	char cmd[768], want[96], *out, *err;
	const char *row;
	long n;
	pid_t child;
	int ready[2];
	char c;

	(void)state;
	REQUIRE_ROOT();
	if (access("/usr/bin/setpriv", X_OK) != 0) {
		print_message("skipped: setpriv (util-linux) is missing\n");
		skip();
	}
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int i;

		setpgid(0, 0);
		for (i = 3; i < 1024; i++)
			if (i != ready[1])
				close(i);
		if (setgid(65534) || setuid(65534))
			_exit(1);
		for (i = 0; i < 3; i++)
			eventfd(0, 0);
		close(ready[1]);
		pause();
		_exit(0);
	}
	setpgid(child, child);
	spawned_add(child);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 0); /* closed: set up */
	close(ready[0]);
	n = listed_fds(child);
	assert_true(n >= 3);

	snprintf(cmd, sizeof(cmd), "%s %s handles -p %d --format json", drop, test_poolscope(),
		 child);
	assert_int_equal(run(cmd, &out, &err), 0);
	row = json_row(out, child);
	if (!row) {
		print_error("pid %d not shown:\n%s%s\n", child, out, err);
		fail();
	}
	assert_int_equal(json_row_num(row, "fds"), n);
	snprintf(want, sizeof(want), "\"types\":{\"unknown\":%ld}", n);
	assert_non_null(strstr(row, want));
	snprintf(want, sizeof(want), "pid %d (", child);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "counted as type unknown"));
	free(out);
	free(err);

	/* The summary's total counts them. */
	snprintf(cmd, sizeof(cmd), "%s %s handles -s --no-bpf --format json", drop,
		 test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_true(json_num(strstr(out, "{\"types\":{"), "unknown") >= n);
	free(out);
	free(err);

	/* -a lists nothing for it, and says which detail could not be read. */
	snprintf(cmd, sizeof(cmd), "%s %s handles -a -p %d", drop, test_poolscope(), child);
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_non_null(strstr(err, "cannot be named"));
	free(out);
	free(err);
	spawned_kill(child);

	/* Where pid 1 itself refuses its links to root (as on the machine this
	 * was found on), `-p 1` shows it. */
	{
		char exe[8];

		if (readlink("/proc/1/exe", exe, sizeof(exe)) >= 0 || errno != EACCES ||
		    listed_fds(1) <= 0)
			return;
	}
	snprintf(cmd, sizeof(cmd), "%s handles -p 1 --format json", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	row = json_row(out, 1);
	assert_non_null(row);
	assert_true(json_row_num(row, "fds") > 0);
	free(out);
	free(err);
}

/* A child named by prctl, holding a file (may be NULL) whose name may hold
 * control bytes and nfds eventfds; returns its pid once all are in place.
 * Killed with the other spawned processes by the teardown. */
static pid_t start_odd_named(const char *name, const char *file, int nfds)
{
	int ready[2];
	pid_t child;
	char c;

	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		setpgid(0, 0);
		close(ready[0]);
		if (file && open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600) < 0)
			_exit(1);
		while (nfds-- > 0)
			if (eventfd(0, 0) < 0)
				_exit(1);
		if (prctl(PR_SET_NAME, name, 0, 0, 0))
			_exit(1);
		close(ready[1]);
		pause();
		_exit(0);
	}
	setpgid(child, child);
	spawned_add(child);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 0);
	close(ready[0]);
	return child;
}

/* Names are anyone's: a process or file name with control bytes is shown
 * escaped in text, so it can neither break the table nor drive the
 * terminal; JSON escapes it as JSON does. */
static void test_control_bytes_escaped(void **state)
{
	char cmd[512], file[128], want[160], *out, *err;
	pid_t child;

	(void)state;
	REQUIRE_ROOT();
	snprintf(file, sizeof(file), "/tmp/poolscope-evil-%d-\033]0;x\a\r", getpid());
	child = start_odd_named("\033[31mEVIL\n", file, 0);

	snprintf(cmd, sizeof(cmd), "%s handles -p %d", test_poolscope(), child);
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_null(strchr(out, '\033'));
	assert_non_null(strstr(out, "\\x1b[31mEVIL\\n"));
	free(out);
	free(err);

	snprintf(cmd, sizeof(cmd), "%s handles -a -p %d", test_poolscope(), child);
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_null(strchr(out, '\033'));
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, '\a'));
	snprintf(want, sizeof(want), "/tmp/poolscope-evil-%d-\\x1b]0;x\\x07\\r", getpid());
	assert_non_null(strstr(out, want));
	free(out);
	free(err);

	snprintf(cmd, sizeof(cmd), "%s handles -p %d --format json", test_poolscope(), child);
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_non_null(strstr(out, "\"comm\":\"\\u001b[31mEVIL\\n\""));
	free(out);
	free(err);
	spawned_kill(child);
	unlink(file);
}

static void test_summary_json(void **state)
{
	struct holder h;
	char cmd[512], *out, *err;
	const char *types;
	long total, sum = 0, eventfds;
	const char *p;

	(void)state;
	REQUIRE_ROOT();
	holder_start(&h, 5);
	snprintf(cmd, sizeof(cmd), "%s handles -s --format json", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	types = strstr(out, "{\"types\":{");
	assert_non_null(types);
	total = json_num(strstr(out, "\"total\":"), "total");
	/* The types add up to the total. */
	for (p = types + 10; *p && *p != '}';) {
		p = strchr(p, ':');
		sum += strtol(p + 1, (char **)&p, 10);
		if (*p == ',')
			p++;
	}
	assert_int_equal(sum, total);
	eventfds = json_num(types + 9, "eventfd");
	assert_true(eventfds >= 5); /* at least the holder's */
	/* As root the kernel iterator does the counting. */
	assert_non_null(strstr(out, "\"method\":\"bpf-iter\""));
	assert_non_null(strstr(out, "{\"name\":\"file handles (fs.file-nr)\",\"used\":"));
	assert_non_null(strstr(out, "{\"name\":\"threads (kernel.threads-max)\""));
	assert_non_null(strstr(out, "{\"name\":\"inotify watches (root)\",\"used\":"));
	assert_non_null(strstr(out, "{\"name\":\"keys (root)\""));
	assert_non_null(strstr(out, "{\"name\":\"sysv shm segments (kernel.shmmni)\""));
	assert_non_null(strstr(out, "{\"name\":\"posix mqueues (fs.mqueue.queues_max)\""));
	free(out);
	free(err);
	/* -t narrows the summary to one type. */
	snprintf(cmd, sizeof(cmd), "%s handles -s -t eventfd --format json", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_non_null(strstr(out, "{\"types\":{\"eventfd\":"));
	assert_true(json_num(strstr(out, "\"total\":"), "total") >= 5);
	assert_null(strstr(out, "\"pipe\":"));
	free(out);
	free(err);
	holder_stop(&h);
}

static void test_sysv_objects_listed(void **state)
{
	char cmd[256], *out, *err, want[128];
	int id;

	(void)state;
	REQUIRE_ROOT();
	/* A segment whose creator is this test: listed with owner and cpid. */
	id = (int)syscall(SYS_shmget, 0 /* IPC_PRIVATE */, 8192, 01000 | 0600);
	assert_true(id >= 0);
	snprintf(cmd, sizeof(cmd), "%s handles -s --format json", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	snprintf(want, sizeof(want), "{\"kind\":\"shm\",\"key\":\"0x00000000\",\"id\":%d,", id);
	syscall(SYS_shmctl, id, 0 /* IPC_RMID */, NULL);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "\"owner\":\"root\",\"creator\":\"root\",\"cpid\":%d,"
				     "\"bytes\":8192", getpid());
	assert_non_null(strstr(out, want));
	free(out);
	free(err);
}

/* A POSIX queue named /poolscope-TAG-PID (into name) holding the n
 * messages msgs; mq_close and mq_unlink it after. */
static mqd_t mqueue_with(const char *tag, char *name, size_t len, const char *const *msgs, int n)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	mqd_t q;
	int i;

	snprintf(name, len, "/poolscope-%s-%d", tag, getpid());
	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	assert_true(q != (mqd_t)-1);
	for (i = 0; i < n; i++)
		assert_int_equal(mq_send(q, msgs[i], strlen(msgs[i]), 0), 0);
	return q;
}

static void test_posix_mqueue_listed(void **state)
{
	const char *two[] = { "hello", "abc" }, *one[] = { "hello" };
	char cmd[256], name[64], name1[64], want[160], *out, *err, *csv;
	const char *row;
	mqd_t q, q1;

	(void)state;
	REQUIRE_ROOT();
	/* No mqueue fs is mounted here: poolscope must find it anyway. */
	q = mqueue_with("test", name, sizeof(name), two, 2);
	/* One message queued: Count says 1 (the queue file only has bytes). */
	q1 = mqueue_with("count", name1, sizeof(name1), one, 1);
	snprintf(cmd, sizeof(cmd), "%s handles -s --format json", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_null(strstr(err, "message queues"));
	free(err);
	snprintf(cmd, sizeof(cmd), "%s handles -s --format csv", test_poolscope());
	assert_int_equal(run(cmd, &csv, &err), 0);
	mq_close(q);
	mq_unlink(name);
	mq_close(q1);
	mq_unlink(name1);
	snprintf(want, sizeof(want), "{\"kind\":\"mqueue\",\"key\":\"%s\",\"id\":null,", name);
	row = strstr(out, want);
	assert_non_null(row);
	assert_non_null(strstr(row, "\"bytes\":8,\"count\":2}"));
	snprintf(want, sizeof(want), "{\"kind\":\"mqueue\",\"key\":\"%s\",", name1);
	row = strstr(out, want);
	assert_non_null(row);
	assert_non_null(strstr(row, "\"bytes\":5,\"count\":1}"));
	snprintf(want, sizeof(want), "\nmqueue,%s,,root,root,,5,1\n", name1);
	if (!strstr(csv, want)) {
		print_error("no '%s' row with Count 1:\n%s\n", name1, csv);
		fail();
	}
	free(csv);
	free(out);
	free(err);
}

static void test_interval_growth(void **state)
{
	char cmd[256], *out, *err;
	int go[2];
	pid_t grower;

	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(pipe(go), 0);
	grower = fork();
	assert_true(grower >= 0);
	if (grower == 0) {
		char c;
		int i;

		setpgid(0, 0);
		close(go[1]);
		/* Wait for the first snapshot, then grow 40 eventfds. */
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		for (i = 0; i < 40; i++)
			eventfd(0, 0);
		pause();
		_exit(0);
	}
	setpgid(grower, grower);
	spawned_add(grower);
	close(go[0]);
	/* Start poolscope; after its first snapshot (it takes ~ms), grow. */
	snprintf(cmd, sizeof(cmd),
		 "(sleep 0.3; printf x >&%d) & %s handles -p %d --interval 800ms --count 2 "
		 "--format json",
		 go[1], test_poolscope(), grower);
	assert_int_equal(run(cmd, &out, &err), 0);
	close(go[1]);
	spawned_kill(grower);
	/* Two interval objects; each shows +40 eventfds at a positive rate. */
	assert_non_null(strstr(out, "{\"elapsed_s\":"));
	assert_non_null(strstr(strstr(out, "{\"elapsed_s\":") + 1, "{\"elapsed_s\":"));
	assert_non_null(strstr(out, "\"type\":\"eventfd\",\"before\":"));
	assert_non_null(strstr(out, "\"growth\":40,"));
	assert_null(strstr(out, "\"type\":\"pipe\""));
	assert_true(json_num(strstr(out, "\"type\":\"eventfd\""), "per_minute") > 100);
	free(out);
	free(err);
}

static void test_interval_flat_total(void **state)
{
	char cmd[256], *out, *err;
	int go[2];
	pid_t swapper;

	(void)state;
	REQUIRE_ROOT();
	assert_int_equal(pipe(go), 0);
	swapper = fork();
	assert_true(swapper >= 0);
	if (swapper == 0) {
		int pipes[40][2], i;
		char c;

		setpgid(0, 0);
		close(go[1]);
		for (i = 0; i < 40; i++)
			if (pipe(pipes[i]))
				_exit(1);
		/* After the first snapshot: each pipe's two ends become two
		 * eventfds, so the total stays flat while eventfds grow by 80. */
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		for (i = 0; i < 40; i++) {
			close(pipes[i][0]);
			close(pipes[i][1]);
			if (eventfd(0, 0) < 0 || eventfd(0, 0) < 0)
				_exit(1);
		}
		pause();
		_exit(0);
	}
	setpgid(swapper, swapper);
	spawned_add(swapper);
	close(go[0]);
	snprintf(cmd, sizeof(cmd),
		 "(sleep 0.3; printf x >&%d) & %s handles -p %d --interval 800ms --count 1 "
		 "--format json",
		 go[1], test_poolscope(), swapper);
	assert_int_equal(run(cmd, &out, &err), 0);
	close(go[1]);
	spawned_kill(swapper);
	/* The eventfd row is there although the process's total did not grow;
	 * no total row, no pipe row (pipes shrank). */
	if (!strstr(out, "\"type\":\"eventfd\",\"before\":0,\"now\":80,\"growth\":80,")) {
		print_error("no eventfd growth row for a flat total:\n%s\n", out);
		fail();
	}
	assert_null(strstr(out, "\"type\":\"total\""));
	assert_null(strstr(out, "\"type\":\"pipe\""));
	free(out);
	free(err);
}

static void test_sort_top_type(void **state)
{
	struct holder h;
	char cmd[256], *out, *err, *line, *cursor;
	long prev = -1;
	int rows = 0;

	(void)state;
	REQUIRE_ROOT();
	holder_start(&h, 2);
	/* Other processes' names can hold anything: one with a newline and a
	 * space, holding enough fds to be near the top, must not matter. */
	start_odd_named("a\nb c", NULL, 3000);
	snprintf(cmd, sizeof(cmd), "%s handles --top 4 --format csv", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	for (cursor = out; (line = csv_record(&cursor));) {
		char *f[4];

		if (rows++ == 0) {
			assert_string_equal(line, "pid,user,comm,fds,types,threads,maps,fd_limit,"
						  "fd_pct,maps_pct");
			continue;
		}
		assert_int_equal(csv_split(line, f, 4), 4);
		if (prev >= 0)
			assert_true(atol(f[3]) <= prev);
		prev = atol(f[3]);
	}
	assert_int_equal(rows, 5);
	free(out);
	free(err);
	/* -t: only processes holding the type, the column shows only it. */
	snprintf(cmd, sizeof(cmd), "%s handles -t signalfd -p %d,%d --format json",
		 test_poolscope(), h.pid, h.child);
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_non_null(json_row(out, h.pid));
	assert_null(json_row(out, h.child));
	assert_non_null(strstr(out, "\"types\":{\"signalfd\":2}"));
	free(out);
	free(err);
	/* -p by name, --sort pid ascending. */
	snprintf(cmd, sizeof(cmd), "%s handles -p 'handle*' -p holderchild --sort pid --format csv",
		 test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	{
		char want[64];

		snprintf(want, sizeof(want), "\n%d,root,handleholder,", h.pid);
		assert_non_null(strstr(out, want));
		snprintf(want, sizeof(want), "\n%d,root,holderchild,", h.child);
		assert_true(strstr(out, want) > strstr(out, "handleholder"));
	}
	free(out);
	free(err);
	holder_stop(&h);
}

static void test_user_sort_socket_filters(void **state)
{
	struct holder h;
	char cmd[512], *out, *err, *line, *cursor;
	const char *row;
	pid_t sleeper;
	long prev = -1, sockets;
	int rows = 0;

	(void)state;
	REQUIRE_ROOT();
	holder_start(&h, 2);
	start_odd_named("a\nb c", NULL, 100); /* odd names elsewhere must not matter */
	/* A process of another user: -u selects it and nothing of root's. */
	sleeper = fork();
	assert_true(sleeper >= 0);
	if (sleeper == 0) {
		setpgid(0, 0);
		execl("/usr/bin/setpriv", "setpriv", "--reuid", "nobody", "--regid", "nogroup",
		      "--clear-groups", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	setpgid(sleeper, sleeper);
	spawned_add(sleeper);
	usleep(200000);
	snprintf(cmd, sizeof(cmd), "%s handles -u nobody --format json", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_non_null(json_row(out, sleeper));
	assert_null(strstr(out, "\"user\":\"root\""));
	free(out);
	free(err);
	/* -u and -p together select nothing: said on stderr, exit 1 (pgrep) */
	snprintf(cmd, sizeof(cmd), "%s handles -u root -p %d --format json", test_poolscope(),
		 sleeper);
	assert_int_equal(run(cmd, &out, &err), 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "no process matches"));
	free(out);
	free(err);
	spawned_kill(sleeper);
	/* -u alone matching nobody (a uid no one runs as): the same line, exit 1 */
	snprintf(cmd, sizeof(cmd), "%s handles -u 64999", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "no process matches -u"));
	free(out);
	free(err);

	/* -t socket: every socket kind, summed. */
	snprintf(cmd, sizeof(cmd), "%s handles -t socket -p %d --format json", test_poolscope(),
		 h.pid);
	assert_int_equal(run(cmd, &out, &err), 0);
	row = json_row(out, h.pid);
	assert_non_null(row);
	sockets = json_num(strstr(row, "\"types\":{"), "unix") +
		  json_num(strstr(row, "\"types\":{"), "tcp") +
		  json_num(strstr(row, "\"types\":{"), "udp");
	assert_int_equal(sockets, 5 + 5 + 2);
	assert_null(strstr(row, "\"pipe\":"));
	free(out);
	free(err);

	/* --sort maps: descending mappings. */
	snprintf(cmd, sizeof(cmd), "%s handles --sort maps --format csv", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	for (cursor = out; (line = csv_record(&cursor));) {
		char *f[7];

		if (rows++ == 0 || csv_split(line, f, 7) != 7 || !f[6][0])
			continue;
		if (prev >= 0)
			assert_true(atol(f[6]) <= prev);
		prev = atol(f[6]);
	}
	assert_true(rows > 3);
	free(out);
	free(err);
	holder_stop(&h);
}

static void test_usage_errors(void **state)
{
	const char *bad[] = {
		"--top 0", "-t sockets", "-s -a", "--count 3", "--sort nope",
		"-u no-such-user-here", "--format xml", "--interval 0", "stray",
		"-p ''", "-p ,", "-p 0", "-p -1", "-p 1,99999999999",
	};
	char cmd[256], *out, *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s handles %s", test_poolscope(), bad[i]);
		assert_int_equal(run(cmd, &out, &err), 2);
		assert_string_equal(out, "");
		/* one line: the problem and the hint */
		assert_non_null(strchr(err, '\n'));
		assert_string_equal(strchr(err, '\n') + 1, "");
		free(out);
		free(err);
	}
	/* a number too big is told the range, not "not a count from 1" */
	snprintf(cmd, sizeof(cmd), "%s handles --top 2000000", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 2);
	assert_non_null(strstr(err, "from 1 to 1000000"));
	free(out);
	free(err);
	snprintf(cmd, sizeof(cmd), "%s handles -a -p 999999999", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 1);
	assert_non_null(strstr(err, "no process matches"));
	free(out);
	free(err);
	/* the default view too: nothing matched is not an empty "all fine" table */
	snprintf(cmd, sizeof(cmd), "%s handles -p no-such-command-here", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "no process matches"));
	free(out);
	free(err);
	snprintf(cmd, sizeof(cmd), "%s handles --help", test_poolscope());
	assert_int_equal(run(cmd, &out, &err), 0);
	assert_non_null(strstr(out, "--interval"));
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_counts_exact, teardown_spawned),
		cmocka_unit_test_teardown(test_anon_kinds_by_fops, teardown_spawned),
		cmocka_unit_test_teardown(test_names_and_peers, teardown_spawned),
		cmocka_unit_test_teardown(test_own_network_namespace, teardown_spawned),
		cmocka_unit_test_teardown(test_lsof_agrees, teardown_spawned),
		cmocka_unit_test_teardown(test_scan_during_fork_storm, teardown_spawned),
		cmocka_unit_test_teardown(test_non_root, teardown_spawned),
		cmocka_unit_test_teardown(test_unnamed_fds, teardown_spawned),
		cmocka_unit_test_teardown(test_control_bytes_escaped, teardown_spawned),
		cmocka_unit_test_teardown(test_summary_json, teardown_spawned),
		cmocka_unit_test_teardown(test_sysv_objects_listed, teardown_spawned),
		cmocka_unit_test_teardown(test_posix_mqueue_listed, teardown_spawned),
		cmocka_unit_test_teardown(test_interval_growth, teardown_spawned),
		cmocka_unit_test_teardown(test_interval_flat_total, teardown_spawned),
		cmocka_unit_test_teardown(test_sort_top_type, teardown_spawned),
		cmocka_unit_test_teardown(test_user_sort_socket_filters, teardown_spawned),
		cmocka_unit_test_teardown(test_usage_errors, teardown_spawned),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
