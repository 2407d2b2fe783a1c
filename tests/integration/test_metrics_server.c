/* output/metrics_server over real sockets on loopback (no root needed):
 * listen-address grammar, GET/HEAD of /metrics, 404/405/413/431/503, the bound
 * port read back from an ephemeral bind, a bind conflict's note, idle and
 * slow clients timed out, connection limits (per address and in total) that
 * refuse or queue the excess without harming other clients, publishing while
 * scrapers read (never a torn body), and nothing left listening after stop.
 * Client addresses 127.0.0.2 and 127.0.0.3 are loopback too (127/8). */
#include "test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "output/metrics_server.h"
#include "output/prom.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A TCP connection to 127.0.0.1:port from the address `from` (NULL: any),
 * with a receive timeout of timeout_ms. -1 on failure. */
static int connect_from(const char *from, uint16_t port, int timeout_ms)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (from) {
		struct sockaddr_in src = {.sin_family = AF_INET};

		inet_pton(AF_INET, from, &src.sin_addr);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src))) {
			close(fd);
			return -1;
		}
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *bytes, size_t len)
{
	while (len) {
		ssize_t n = send(fd, bytes, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		bytes += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until the peer closes (0), the timeout (-EAGAIN) or an error. The
 * bytes read are in *out (malloc'd, NUL-terminated). */
static int read_to_close(int fd, char **out, size_t *out_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int rc = 0;

	assert_non_null(buf);
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		rc = n == 0 ? 0 : errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
		break;
	}
	buf[len] = '\0';
	*out = buf;
	if (out_len)
		*out_len = len;
	return rc;
}

struct reply {
	int status; /* 0: no HTTP answer */
	char *head; /* status line and headers */
	char *body; /* points into head's buffer */
	size_t body_len;
};

static void reply_release(struct reply *r)
{
	free(r->head);
	memset(r, 0, sizeof(*r));
}

/* Send request (complete, with its blank line) from `from` and read the whole
 * answer (the request says Connection: close). */
static struct reply http_from(const char *from, uint16_t port, const char *request)
{
	struct reply r = {0};
	size_t len;
	char *end;
	int fd = connect_from(from, port, 5000);

	if (fd < 0)
		return r;
	if (send_all(fd, request, strlen(request)) == 0)
		read_to_close(fd, &r.head, &len);
	close(fd);
	if (!r.head)
		return r;
	if (sscanf(r.head, "HTTP/1.%*d %d", &r.status) != 1)
		r.status = 0;
	end = strstr(r.head, "\r\n\r\n");
	if (end) {
		*end = '\0';
		r.body = end + 4;
		r.body_len = len - (size_t)(r.body - r.head);
	}
	return r;
}

static struct reply http(uint16_t port, const char *method, const char *path)
{
	char request[256];

	snprintf(request, sizeof(request),
		 "%s %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", method, path);
	return http_from(NULL, port, request);
}

static int status_of(uint16_t port, const char *method, const char *path)
{
	struct reply r = http(port, method, path);
	int status = r.status;

	reply_release(&r);
	return status;
}

static struct metrics_server *start(const char *addr, const struct metrics_server_opts *opts)
{
	struct notes ns = NOTES_INIT;
	struct metrics_server *srv = NULL;
	int err = metrics_server_start(&srv, addr, opts, &ns);

	if (err)
		fail_msg("start %s: %s (%s)", addr, strerror(-err),
			 ns.n ? ns.v[0].text : "no note");
	assert_int_equal(ns.n, 0);
	notes_release(&ns);
	assert_non_null(srv);
	assert_int_not_equal(metrics_server_port(srv), 0);
	return srv;
}

static void test_listen_parse(void **state)
{
	static const struct {
		const char *text;
		int family;
		const char *host;
		int port;
	} good[] = {
	    {"9464", AF_INET, "127.0.0.1", 9464},
	    {":9464", AF_INET, "127.0.0.1", 9464},
	    {"0", AF_INET, "127.0.0.1", 0},
	    {"127.0.0.1:80", AF_INET, "127.0.0.1", 80},
	    {"0.0.0.0:65535", AF_INET, "0.0.0.0", 65535},
	    {"[::1]:9464", AF_INET6, "::1", 9464},
	    {"[::]:1", AF_INET6, "::", 1},
	};
	static const char *const bad[] = {
	    "",
	    ":",
	    "x",
	    "65536",
	    "-1",
	    "127.0.0.1",
	    "127.0.0.1:",
	    "localhost:9464",
	    "::1:9464",
	    "[::1]",
	    "[::1]9464",
	    "[]:9464",
	    "[127.0.0.1]:9464",
	    "1.2.3:80",
	    "9464 ",
	    ":+80",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char host[INET6_ADDRSTRLEN];
		int port;

		if (metrics_listen_parse(good[i].text, &ss, &len))
			fail_msg("refused %s", good[i].text);
		assert_int_equal(ss.ss_family, good[i].family);
		if (good[i].family == AF_INET) {
			struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;

			assert_int_equal(len, sizeof(*in4));
			inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
			port = ntohs(in4->sin_port);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			assert_int_equal(len, sizeof(*in6));
			inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
			port = ntohs(in6->sin6_port);
		}
		assert_string_equal(host, good[i].host);
		assert_int_equal(port, good[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (metrics_listen_parse(bad[i], &ss, &len) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	assert_int_equal(metrics_listen_parse(NULL, &ss, &len), -EINVAL);
}

static void test_answers(void **state)
{
	static const char body[] = "# HELP m h\n# TYPE m gauge\nm 1\n";
	struct metrics_server *srv = start("127.0.0.1:0", NULL);
	uint16_t port = metrics_server_port(srv);
	char expect_addr[32], big[40000], request[41000];
	struct reply r;

	(void)state;
	snprintf(expect_addr, sizeof(expect_addr), "127.0.0.1:%u", port);
	assert_string_equal(metrics_server_address(srv), expect_addr);
	/* Nothing published yet. */
	assert_int_equal(status_of(port, "GET", "/metrics"), 503);
	assert_int_equal(metrics_server_publish(srv, body, strlen(body)), 0);

	r = http(port, "GET", "/metrics");
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.head, "\r\nContent-Type: " PROM_CONTENT_TYPE));
	assert_int_equal(r.body_len, strlen(body));
	assert_memory_equal(r.body, body, strlen(body));
	reply_release(&r);
	/* A query string is not part of the path. */
	assert_int_equal(status_of(port, "GET", "/metrics?name[]=m"), 200);
	/* HEAD: GET's headers, no body. */
	r = http(port, "HEAD", "/metrics");
	assert_int_equal(r.status, 200);
	assert_non_null(strcasestr(r.head, "\r\nContent-Length: 30"));
	assert_int_equal(r.body_len, 0);
	reply_release(&r);

	assert_int_equal(status_of(port, "GET", "/"), 404);
	assert_int_equal(status_of(port, "GET", "/metrics/"), 404);
	assert_int_equal(status_of(port, "GET", "/favicon.ico"), 404);
	r = http(port, "POST", "/metrics");
	assert_int_equal(r.status, 405);
	assert_non_null(strcasestr(r.head, "\r\nAllow: GET, HEAD"));
	reply_release(&r);
	assert_int_equal(status_of(port, "PUT", "/metrics"), 405);
	assert_int_equal(status_of(port, "DELETE", "/metrics"), 405);

	/* A GET with a body, declared either way. */
	r = http_from(NULL, port,
		      "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		      "Content-Length: 5\r\n\r\nhello");
	assert_int_equal(r.status, 413);
	reply_release(&r);
	r = http_from(NULL, port,
		      "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
		      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	assert_int_equal(r.status, 413);
	reply_release(&r);
	/* Headers past the request bound (16 KiB by default). */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(request, sizeof(request),
		 "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Big: %s\r\n\r\n", big);
	r = http_from(NULL, port, request);
	if (r.status != 431 && r.status != 413 && r.status != 0)
		fail_msg("oversize headers answered %d", r.status);
	print_message("oversize headers: %d\n", r.status);
	reply_release(&r);
	/* And the server is as good as before. */
	assert_int_equal(status_of(port, "GET", "/metrics"), 200);
	metrics_server_stop(srv);
	metrics_server_stop(NULL);
}

/* The listening socket of port in this process, or -1. */
static int find_listener(uint16_t port)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int found = -1;

	assert_non_null(d);
	while ((de = readdir(d))) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = atoi(de->d_name), listening = 0;
		socklen_t optlen = sizeof(listening);

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) || !listening)
			continue;
		if ((ss.ss_family == AF_INET &&
		     ntohs(((struct sockaddr_in *)&ss)->sin_port) == port) ||
		    (ss.ss_family == AF_INET6 &&
		     ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == port))
			found = fd;
	}
	closedir(d);
	return found;
}

static void test_bind_and_stop(void **state)
{
	struct metrics_server *srv = start(":0", NULL), *second = NULL, *v6 = NULL;
	struct metrics_server_opts opts;
	uint16_t port = metrics_server_port(srv);
	struct notes ns = NOTES_INIT;
	char addr[32], expect[96];
	int fd, err;

	(void)state;
	/* No host: loopback. */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	assert_string_equal(metrics_server_address(srv), addr);
	/* Close-on-exec: an --exec hook does not inherit it. */
	fd = find_listener(port);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* The port is taken: the errno and a note that names the address. */
	err = metrics_server_start(&second, addr, NULL, &ns);
	assert_int_equal(err, -EADDRINUSE);
	assert_null(second);
	snprintf(expect, sizeof(expect), "cannot listen on %s: %s", addr, strerror(EADDRINUSE));
	assert_non_null(notes_find(&ns, "metrics-listen"));
	assert_string_equal(notes_find(&ns, "metrics-listen")->text, expect);
	notes_clear(&ns);
	assert_int_equal(metrics_server_start(&second, "localhost:1", NULL, &ns), -EINVAL);
	assert_non_null(strstr(notes_find(&ns, "metrics-listen")->text, "'localhost:1'"));
	notes_clear(&ns);
	metrics_server_opts_init(&opts);
	opts.max_per_address = 0;
	assert_int_equal(metrics_server_start(&second, "0", &opts, &ns), -EINVAL);
	assert_null(second);
	assert_non_null(strstr(notes_find(&ns, "metrics-listen")->text, "bad server limits"));
	notes_release(&ns);

	/* Stopped: nothing listens, and the socket is gone from this process. */
	metrics_server_stop(srv);
	assert_int_equal(find_listener(port), -1);
	fd = connect_from(NULL, port, 1000);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ECONNREFUSED);
	/* The port is free again at once (a restarted watch rebinds it). */
	srv = start(addr, NULL);
	metrics_server_stop(srv);

	/* IPv6 loopback, where this machine has it. */
	if (metrics_server_start(&v6, "[::1]:0", NULL, NULL) == 0) {
		struct sockaddr_in6 to = {.sin6_family = AF_INET6,
					  .sin6_port = htons(metrics_server_port(v6)),
					  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
		char *text = NULL;
		static const char req[] =
		    "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

		snprintf(expect, sizeof(expect), "[::1]:%u", metrics_server_port(v6));
		assert_string_equal(metrics_server_address(v6), expect);
		assert_int_equal(metrics_server_publish(v6, "m 6\n", 4), 0);
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
		assert_int_equal(send_all(fd, req, sizeof(req) - 1), 0);
		assert_int_equal(read_to_close(fd, &text, NULL), 0);
		close(fd);
		assert_non_null(strstr(text, " 200 "));
		assert_non_null(strstr(text, "\r\n\r\nm 6\n"));
		free(text);
		metrics_server_stop(v6);
	} else {
		print_message("no IPv6 loopback here: [::1] not tested\n");
	}
}

/* The blocked-signal mask of thread tid, from /proc. */
static unsigned long long sig_blocked(pid_t tid)
{
	char path[64], *status, *line;
	unsigned long long mask = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	status = test_slurp(path);
	assert_non_null(status);
	line = strstr(status, "\nSigBlk:");
	assert_non_null(line);
	mask = strtoull(line + 8, NULL, 16);
	free(status);
	return mask;
}

/* Signals reach the owner: the server's thread blocks them all, and the
 * caller's own mask is left as it was. */
static void test_signal_mask(void **state)
{
	const unsigned long long term_int = (1ULL << (SIGTERM - 1)) | (1ULL << (SIGINT - 1));
	unsigned long long before = sig_blocked(getpid());
	struct metrics_server *srv = start("127.0.0.1:0", NULL);
	struct dirent *de;
	int others = 0;
	DIR *d;

	(void)state;
	assert_true(sig_blocked(getpid()) == before);
	d = opendir("/proc/self/task");
	assert_non_null(d);
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || tid == getpid())
			continue;
		assert_true((sig_blocked(tid) & term_int) == term_int);
		others++;
	}
	closedir(d);
	assert_true(others >= 1);
	metrics_server_stop(srv);
}

/* An idle client and one that stops half-way through its request line are
 * closed after the timeout; a client meanwhile is served at once. */
static void test_timeout(void **state)
{
	struct metrics_server_opts opts;
	struct metrics_server *srv;
	uint16_t port;
	int idle, slow, rc;
	char *got = NULL;
	double t0, waited;

	(void)state;
	metrics_server_opts_init(&opts);
	opts.timeout_s = 2;
	srv = start("127.0.0.1:0", &opts);
	port = metrics_server_port(srv);
	assert_int_equal(metrics_server_publish(srv, "m 1\n", 4), 0);
	t0 = now_s();
	idle = connect_from(NULL, port, 8000);
	slow = connect_from(NULL, port, 8000);
	assert_true(idle >= 0 && slow >= 0);
	assert_int_equal(send_all(slow, "GET /metr", 9), 0);
	assert_int_equal(status_of(port, "GET", "/metrics"), 200);
	assert_true(now_s() - t0 < 1.5);
	rc = read_to_close(idle, &got, NULL);
	waited = now_s() - t0;
	assert_true(rc == 0 || rc == -ECONNRESET);
	assert_int_equal(strlen(got), 0);
	free(got);
	rc = read_to_close(slow, &got, NULL);
	assert_true(rc == 0 || rc == -ECONNRESET);
	/* Closed with no answer, or a 408; never a 200 for half a request. */
	assert_null(strstr(got, " 200 "));
	free(got);
	print_message("idle connection closed after %.2f s (timeout 2 s)\n", waited);
	assert_true(waited >= 1.9 && waited < 8.0);
	close(idle);
	close(slow);
	metrics_server_stop(srv);
}

/* True when the server closed fd (EOF or reset) within timeout_ms. */
static bool closed_by_server(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

static int get_from(const char *from, uint16_t port)
{
	struct reply r =
	    http_from(from, port, "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	int status = r.status;

	reply_release(&r);
	return status;
}

static void test_connection_limits(void **state)
{
	struct metrics_server_opts opts;
	struct metrics_server *srv;
	int hog[4], extra, i, status;
	uint16_t port;

	(void)state;
	metrics_server_opts_init(&opts);
	opts.max_connections = 4;
	opts.max_per_address = 2;
	opts.timeout_s = 30; /* the hogs are not timed out during the test */
	srv = start("127.0.0.1:0", &opts);
	port = metrics_server_port(srv);
	assert_int_equal(metrics_server_publish(srv, "m 1\n", 4), 0);

	/* Per address: a third idle connection from 127.0.0.2 is closed at
	 * once; the first two stay; another address is served meanwhile. */
	hog[0] = connect_from("127.0.0.2", port, 2000);
	hog[1] = connect_from("127.0.0.2", port, 2000);
	assert_true(hog[0] >= 0 && hog[1] >= 0);
	extra = connect_from("127.0.0.2", port, 2000);
	if (extra >= 0) {
		assert_true(closed_by_server(extra, 2000));
		close(extra);
	}
	assert_false(closed_by_server(hog[0], 300));
	assert_false(closed_by_server(hog[1], 300));
	assert_int_equal(get_from("127.0.0.1", port), 200);
	assert_int_equal(get_from("127.0.0.3", port), 200);

	/* In total: two more hogs from 127.0.0.3 fill the 4 connections; a
	 * fifth client is refused or kept waiting, not served past the limit,
	 * and the hogs are not disturbed. */
	hog[2] = connect_from("127.0.0.3", port, 2000);
	hog[3] = connect_from("127.0.0.3", port, 2000);
	assert_true(hog[2] >= 0 && hog[3] >= 0);
	usleep(200 * 1000); /* let the server accept them */
	extra = connect_from("127.0.0.1", port, 1500);
	if (extra >= 0) {
		static const char req[] =
		    "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
		char *got = NULL;

		send_all(extra, req, sizeof(req) - 1);
		print_message("past the total limit: %s\n",
			      read_to_close(extra, &got, NULL) == -EAGAIN ? "kept waiting"
									  : "closed");
		assert_null(strstr(got, " 200 "));
		free(got);
		close(extra);
	}
	for (i = 0; i < 4; i++)
		assert_false(closed_by_server(hog[i], 100));
	/* Hogs gone: served again. */
	for (i = 0; i < 4; i++)
		close(hog[i]);
	status = 0;
	for (i = 0; i < 20 && status != 200; i++) {
		status = get_from("127.0.0.1", port);
		if (status != 200)
			usleep(100 * 1000);
	}
	assert_int_equal(status, 200);
	metrics_server_stop(srv);
}

/* Body number k: a first line naming k and the line count, then that many
 * lines of k. Sizes differ between k so a torn body cannot pass. */
static char *make_body(unsigned int k, size_t *len)
{
	unsigned int lines = 500 + (k % 7) * 400, i;
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(strbuf_printf(&sb, "# k=%u lines=%u\n", k, lines), 0);
	for (i = 0; i < lines; i++)
		assert_int_equal(
		    strbuf_printf(&sb, "poolscope_test{k=\"%u\",i=\"%u\"} %u\n", k, i, k), 0);
	*len = sb.len;
	return strbuf_detach(&sb);
}

static bool body_whole(const char *body, size_t len)
{
	unsigned int k, lines, i, got_k, got_i, got_v;
	const char *p = body, *end = body + len;
	int used;

	if (sscanf(p, "# k=%u lines=%u\n%n", &k, &lines, &used) != 2)
		return false;
	p += used;
	for (i = 0; i < lines; i++) {
		if (p >= end || sscanf(p, "poolscope_test{k=\"%u\",i=\"%u\"} %u\n%n", &got_k,
				       &got_i, &got_v, &used) != 3)
			return false;
		if (got_k != k || got_i != i || got_v != k)
			return false;
		p += used;
	}
	return p == end;
}

struct scraper {
	uint16_t port;
	atomic_bool *done;
	int scrapes, torn, failed;
};

static void *scrape_loop(void *arg)
{
	struct scraper *s = arg;

	while (!atomic_load(s->done) || s->scrapes < 50) {
		struct reply r = http(s->port, "GET", "/metrics");

		if (r.status != 200)
			s->failed++;
		else if (!body_whole(r.body, r.body_len))
			s->torn++;
		s->scrapes++;
		reply_release(&r);
	}
	return NULL;
}

static void test_publish_while_scraping(void **state)
{
	struct metrics_server *srv = start("127.0.0.1:0", NULL);
	struct scraper scrapers[3];
	pthread_t threads[3];
	atomic_bool done = false;
	double t_end;
	unsigned int k;
	size_t len;
	char *body;
	int i, total = 0;

	(void)state;
	body = make_body(0, &len);
	assert_int_equal(metrics_server_publish(srv, body, len), 0);
	free(body);
	for (i = 0; i < 3; i++) {
		scrapers[i] = (struct scraper){.port = metrics_server_port(srv), .done = &done};
		assert_int_equal(pthread_create(&threads[i], NULL, scrape_loop, &scrapers[i]), 0);
	}
	/* Publish as fast as we can for a second, then stop. */
	t_end = now_s() + 1.0;
	for (k = 1; now_s() < t_end; k++) {
		body = make_body(k, &len);
		assert_int_equal(metrics_server_publish(srv, body, len), 0);
		/* Overwrite our copy: the server must have taken its own. */
		memset(body, 'X', len);
		free(body);
	}
	atomic_store(&done, true);
	for (i = 0; i < 3; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(scrapers[i].torn, 0);
		assert_int_equal(scrapers[i].failed, 0);
		total += scrapers[i].scrapes;
	}
	print_message("%u publishes, %d scrapes, none torn\n", k, total);
	metrics_server_stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_bind_and_stop),
		cmocka_unit_test(test_signal_mask),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_connection_limits),
		cmocka_unit_test(test_publish_while_scraping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
