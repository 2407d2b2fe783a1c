/* The HTTP server of `watch --listen`: GET (and HEAD) of /metrics only, on
 * Debian's libmicrohttpd, serving the last text its owner published.
 *
 * libmicrohttpd's own thread answers every request; the owner (the sampler)
 * only publishes. A publish replaces the served body by a new immutable copy:
 * a scrape takes a reference to the current copy under a mutex (no copy, no
 * waiting on the sampler), and a scrape still sending the old copy keeps it
 * alive until it is done, so no scraper ever sees a torn or mixed body.
 *
 * Answers: 200 with the published text (Content-Type PROM_CONTENT_TYPE); 503
 * before the first publish; 404 for any other path; 405 with "Allow: GET,
 * HEAD" for another method on /metrics; 413 for a request with a body; and
 * libmicrohttpd's 431 for request headers that do not fit request_memory.
 * Connections are bounded in number (in total: more wait in the listen
 * queue; per client address: more are closed at once) and in idle time. The
 * listening socket is close-on-exec, and closed by metrics_server_stop:
 * nothing is left listening.
 *
 * The server's thread blocks every signal: signals reach the owner's threads.
 * Never prints: failures come back as -errno and a note (key
 * "metrics-listen"). */
#ifndef POOLSCOPE_OUTPUT_METRICS_SERVER_H
#define POOLSCOPE_OUTPUT_METRICS_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/notes.h"

#define METRICS_SERVER_PATH "/metrics"
/* watch's default port. */
#define METRICS_SERVER_DEFAULT_PORT 9464

struct metrics_server_opts {
	unsigned int max_connections; /* at once, in total */
	unsigned int max_per_address; /* at once, from one client address */
	unsigned int timeout_s;	      /* idle seconds before a connection is closed
				       * (0: never; not for a daemon) */
	size_t request_memory;	      /* bytes per connection for the request line
				       * and headers (and the response headers) */
	unsigned int backlog;	      /* listen(2) queue */
};

#define METRICS_SERVER_MIN_REQUEST_MEMORY 1024

/* Defaults: 16 connections, 4 per address, 10 s, 16 KiB, backlog 32. The
 * timeout is of inactivity (libmicrohttpd has no whole-request deadline): a
 * client that stalls is closed after timeout_s, one that drips a byte per
 * second keeps its slot until request_memory is full, and holds at most
 * max_per_address slots. */
void metrics_server_opts_init(struct metrics_server_opts *opts);

/* Parse a listen address: "PORT" or ":PORT" (127.0.0.1: loopback unless an
 * address is given), "A.B.C.D:PORT", "[IPV6]:PORT" ("[::1]:9464", "[::]:9464").
 * Numeric addresses only (no name is resolved); PORT 0..65535, 0 asks the
 * kernel for a free port. 0 or -EINVAL. */
int metrics_listen_parse(const char *text, struct sockaddr_storage *addr, socklen_t *addr_len);

struct metrics_server;

/* Listen on listen_addr (metrics_listen_parse's grammar) and serve from
 * libmicrohttpd's thread. opts NULL means the defaults. On success *srv is the
 * owned server; on failure *srv is NULL, a note says what failed ("cannot
 * listen on 127.0.0.1:9464: Address already in use") when ns is not NULL, and
 * the return is -EINVAL (bad address or options), the errno of socket, bind
 * or listen (-EADDRINUSE, -EACCES, ...), -ENOMEM, or -EIO when libmicrohttpd
 * would not start. */
int metrics_server_start(struct metrics_server **srv, const char *listen_addr,
			 const struct metrics_server_opts *opts, struct notes *ns);

/* The port bound (the kernel's choice when 0 was asked). */
uint16_t metrics_server_port(const struct metrics_server *srv);
/* The address bound, as "127.0.0.1:9464" or "[::1]:9464" (borrowed; lives as
 * long as srv). */
const char *metrics_server_address(const struct metrics_server *srv);

/* Serve text[0..len) from now on (copied: the caller keeps text). Safe from
 * any thread while the server runs (publishes are serialized: the last one
 * wins). 0 or -ENOMEM (the previous body stays served). */
int metrics_server_publish(struct metrics_server *srv, const char *text, size_t len);

/* Close the listening socket, end every connection and the server's thread,
 * free srv. Accepts NULL. */
void metrics_server_stop(struct metrics_server *srv);

#endif
