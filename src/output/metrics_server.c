/* We open the listening socket ourselves and hand it to libmicrohttpd: bind's
 * errno then reaches the caller (the daemon's start only says "failed"), the
 * socket is close-on-exec by construction, and at stop we take it back
 * (MHD_quiesce_daemon) and close it ourselves, so nothing is left listening
 * whatever libmicrohttpd does with a socket it was given.
 *
 * The served body is an MHD_Response built once per publish over an
 * immutable copy of the text; libmicrohttpd reference-counts responses, so
 * queueing one per scrape costs no copy, and the copy is freed (free
 * callback) when the last connection sending it is done. */
#include "output/metrics_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/prom.h"
#include "util/parse.h"

#define ADDRESS_MAX (INET6_ADDRSTRLEN + 8) /* "[" addr "]:" port */

enum refusal {
	REFUSE_NOT_FOUND,
	REFUSE_METHOD,
	REFUSE_BODY,
	REFUSE_NOT_YET,
	SERVE, /* not a refusal: the published body */
};

struct metrics_server {
	struct MHD_Daemon *daemon;
	int listen_fd;
	uint16_t port;
	char address[ADDRESS_MAX];
	pthread_mutex_t lock;		     /* guards body */
	struct MHD_Response *body;	     /* owned reference; NULL before a publish */
	struct MHD_Response *refusal[SERVE]; /* owned: the fixed error answers */
};

static const struct {
	unsigned int status;
	const char *text;
} refusals[] = {
	[REFUSE_NOT_FOUND] = { MHD_HTTP_NOT_FOUND,
			       "not found: only " METRICS_SERVER_PATH " is served\n" },
	[REFUSE_METHOD] = { MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: GET or HEAD\n" },
	[REFUSE_BODY] = { MHD_HTTP_CONTENT_TOO_LARGE, "a request body is not accepted\n" },
	[REFUSE_NOT_YET] = { MHD_HTTP_SERVICE_UNAVAILABLE, "no sample published yet\n" },
};

void metrics_server_opts_init(struct metrics_server_opts *opts)
{
	*opts = (struct metrics_server_opts){
	    .max_connections = 16,
	    .max_per_address = 4,
	    .timeout_s = 10,
	    .request_memory = 16 * 1024,
	    .backlog = 32,
	};
}

static int parse_port(const char *text, uint16_t *port)
{
	uint64_t v;

	if (parse_u64_range(text, 0, 65535, &v))
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int metrics_listen_parse(const char *text, struct sockaddr_storage *addr, socklen_t *addr_len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	char host[INET6_ADDRSTRLEN];
	const char *colon, *port_text;
	size_t host_len;
	uint16_t port;

	memset(addr, 0, sizeof(*addr));
	if (!text || !text[0])
		return -EINVAL;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		host_len = (size_t)(close - text - 1);
		if (host_len == 0 || host_len >= sizeof(host) || parse_port(close + 2, &port))
			return -EINVAL;
		memcpy(host, text + 1, host_len);
		host[host_len] = '\0';
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*addr_len = sizeof(*in6);
		return 0;
	}
	colon = strrchr(text, ':');
	/* An IPv6 address without brackets would split at its last group. */
	if (colon && memchr(text, ':', (size_t)(colon - text)))
		return -EINVAL;
	port_text = colon ? colon + 1 : text;
	host_len = colon ? (size_t)(colon - text) : 0;
	if (parse_port(port_text, &port) || host_len >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	/* No address: loopback, never every interface by accident. */
	if (inet_pton(AF_INET, host_len ? host : "127.0.0.1", &in4->sin_addr) != 1)
		return -EINVAL;
	in4->sin_family = AF_INET;
	in4->sin_port = htons(port);
	*addr_len = sizeof(*in4);
	return 0;
}

/* "127.0.0.1:9464" or "[::1]:9464" of a bound socket address. */
static void format_address(const struct sockaddr_storage *addr, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)addr;

		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(in4->sin_port));
	}
}

static int open_listener(struct metrics_server *srv, const struct sockaddr_storage *addr,
			 socklen_t addr_len, unsigned int backlog)
{
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);
	int one = 1, fd;

	/* Non-blocking: libmicrohttpd polls it and must never block in accept. */
	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A restarted watch must not wait for TIME_WAIT to rebind its port. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)addr, addr_len) || listen(fd, (int)backlog) ||
	    getsockname(fd, (struct sockaddr *)&bound, &bound_len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	srv->listen_fd = fd;
	format_address(&bound, srv->address, sizeof(srv->address));
	srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						      : ((struct sockaddr_in *)&bound)->sin_port);
	return 0;
}

/* A request carries a body when it says so: Content-Length other than 0, or
 * any Transfer-Encoding. */
static bool has_body(struct MHD_Connection *conn)
{
	const char *length =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return true;
	return length && strcmp(length, "0") != 0;
}

/* Which refusal a request gets, or SERVE. */
static int classify(struct MHD_Connection *conn, const char *url, const char *method)
{
	if (strcmp(url, METRICS_SERVER_PATH) != 0)
		return REFUSE_NOT_FOUND;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return REFUSE_METHOD;
	if (has_body(conn))
		return REFUSE_BODY;
	return SERVE;
}

/* libmicrohttpd calls this once the request line and headers are in (and
 * again for each piece of a body, which we never accept): every answer is
 * queued on that first call. HEAD gets GET's headers without the body
 * (libmicrohttpd's doing). */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **request_state)
{
	struct metrics_server *srv = cls;
	enum MHD_Result queued = MHD_NO;
	int why = classify(conn, url, method);

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)request_state;
	if (why == SERVE) {
		pthread_mutex_lock(&srv->lock);
		/* Queueing takes libmicrohttpd's own reference: a publish may
		 * drop ours right after the unlock. */
		if (srv->body)
			queued = MHD_queue_response(conn, MHD_HTTP_OK, srv->body);
		pthread_mutex_unlock(&srv->lock);
		if (queued == MHD_YES)
			return MHD_YES;
		why = REFUSE_NOT_YET;
	}
	return MHD_queue_response(conn, refusals[why].status, srv->refusal[why]);
}

static int make_refusals(struct metrics_server *srv)
{
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		struct MHD_Response *r = MHD_create_response_from_buffer(
		    strlen(refusals[i].text), (void *)refusals[i].text, MHD_RESPMEM_PERSISTENT);

		if (!r)
			return -ENOMEM;
		srv->refusal[i] = r;
		if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					    "text/plain; charset=utf-8") != MHD_YES ||
		    (i == REFUSE_METHOD &&
		     MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES))
			return -ENOMEM;
	}
	return 0;
}

static void server_free(struct metrics_server *srv)
{
	size_t i;

	if (srv->daemon) {
		/* Take the listening socket back before stopping, and close it
		 * here: it is ours. Should that fail, the stop closes it. */
		if (MHD_quiesce_daemon(srv->daemon) == MHD_INVALID_SOCKET)
			srv->listen_fd = -1;
		MHD_stop_daemon(srv->daemon);
	}
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->body)
		MHD_destroy_response(srv->body);
	for (i = 0; i < sizeof(srv->refusal) / sizeof(srv->refusal[0]); i++)
		if (srv->refusal[i])
			MHD_destroy_response(srv->refusal[i]);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}

int metrics_server_start(struct metrics_server **srvp, const char *listen_addr,
			 const struct metrics_server_opts *opts, struct notes *ns)
{
	struct metrics_server_opts defaults;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC;
	struct sockaddr_storage addr;
	struct metrics_server *srv;
	sigset_t all, mask;
	socklen_t addr_len;
	char shown[ADDRESS_MAX];
	int err;

	*srvp = NULL;
	if (!opts) {
		metrics_server_opts_init(&defaults);
		opts = &defaults;
	}
	if (metrics_listen_parse(listen_addr, &addr, &addr_len)) {
		if (ns)
			notes_add(ns, "metrics-listen",
				  "bad listen address '%s': expected PORT, :PORT, ADDRESS:PORT or "
				  "[IPV6]:PORT, with a numeric address and a port 0-65535",
				  listen_addr ? listen_addr : "");
		return -EINVAL;
	}
	if (!opts->max_connections || !opts->max_per_address || !opts->backlog ||
	    opts->request_memory < METRICS_SERVER_MIN_REQUEST_MEMORY) {
		if (ns)
			notes_add(ns, "metrics-listen",
				  "bad server limits: connections, connections per address and "
				  "backlog must be at least 1, request memory at least %u bytes",
				  METRICS_SERVER_MIN_REQUEST_MEMORY);
		return -EINVAL;
	}
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->listen_fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	err = make_refusals(srv);
	if (err)
		goto out;
	err = open_listener(srv, &addr, addr_len, opts->backlog);
	if (err) {
		format_address(&addr, shown, sizeof(shown));
		if (ns)
			notes_add(ns, "metrics-listen", "cannot listen on %s: %s", shown,
				  strerror(-err));
		goto out;
	}
	/* The server's thread inherits our signal mask: block every signal
	 * while it is created, so SIGINT/SIGTERM always reach the owner's
	 * thread and interrupt its sleep (a handler run on the server's thread
	 * would set the flag without waking the owner until its next tick). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	/* No MHD_USE_ERROR_LOG: the library must not print. MHD_USE_ITC is
	 * what MHD_quiesce_daemon needs with an internal thread. */
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, srv,
				       MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
				       MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
				       MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_per_address,
				       MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_s,
				       MHD_OPTION_CONNECTION_MEMORY_LIMIT, opts->request_memory,
				       MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (!srv->daemon) {
		if (ns)
			notes_add(ns, "metrics-listen",
				  "libmicrohttpd could not start a server on %s", srv->address);
		err = -EIO;
		goto out;
	}
	*srvp = srv;
	srv = NULL;
out:
	if (srv)
		server_free(srv);
	return err;
}

uint16_t metrics_server_port(const struct metrics_server *srv)
{
	return srv->port;
}

const char *metrics_server_address(const struct metrics_server *srv)
{
	return srv->address;
}

int metrics_server_publish(struct metrics_server *srv, const char *text, size_t len)
{
	struct MHD_Response *fresh, *old;
	char *copy = malloc(len + 1); /* + 1: malloc(0) may be NULL */

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	fresh = MHD_create_response_from_buffer_with_free_callback_cls(len, copy, free, copy);
	if (!fresh) {
		free(copy);
		return -ENOMEM;
	}
	if (MHD_add_response_header(fresh, MHD_HTTP_HEADER_CONTENT_TYPE, PROM_CONTENT_TYPE) !=
	    MHD_YES) {
		MHD_destroy_response(fresh); /* frees copy */
		return -ENOMEM;
	}
	pthread_mutex_lock(&srv->lock);
	old = srv->body;
	srv->body = fresh;
	pthread_mutex_unlock(&srv->lock);
	/* Drops our reference; connections still sending it keep theirs. */
	if (old)
		MHD_destroy_response(old);
	return 0;
}

void metrics_server_stop(struct metrics_server *srv)
{
	if (srv)
		server_free(srv);
}
