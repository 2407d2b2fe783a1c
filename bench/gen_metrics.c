/* A realistic poolscope exposition for the exporter's tests, written with the
 * real writer (output/prom) and, with --serve, served by the real server
 * (output/metrics_server): poolscope's families with N slab caches, two
 * caches sharing the name kmalloc-64 (summed into one series), label values
 * holding quotes, backslashes, newlines and a byte that is not UTF-8, and a
 * forecast. Deterministic for given options, except that --serve republishes
 * every 0.5 s with the sample counter advanced (values only: the series stay).
 *
 *   gen_metrics [--caches N]                      the exposition on stdout
 *   gen_metrics [--caches N] --serve ADDR         serve it; prints "port P" on
 *                                                 stdout, runs until stdin
 *                                                 closes or SIGTERM/SIGINT */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/metrics_server.h"
#include "output/prom.h"
#include "output/prom_families.h"
#include "util/parse.h"
#include "util/signals.h"

/* Caches as /proc/slabinfo names them, with a duplicate. */
static const struct {
	const char *name;
	bool reclaimable;
	double objects, bytes;
} named_caches[] = {
	{ "kmalloc-64", false, 51200, 3276800 },
	{ "filp", false, 6000, 1536000 },
	{ "dentry", true, 90000, 17280000 },
	{ "kmalloc-64", false, 1024, 65536 }, /* a second cache of the same name */
	{ "inode_cache", true, 20000, 12800000 },
	{ "odd\"cache\\name\nx", false, 1, 4096 },
};

static const struct {
	const char *pid, *comm, *type;
	double fds;
} processes[] = {
	{ "4242", "fdleak", "eventfd", 5000 },
	{ "4242", "fdleak", "anon_inode", 12 },
	{ "1", "systemd", "socket", 120 },
	{ "777", "we\"ird\\comm\n", "file", 3 },
	{ "778", "bad\xff" "byte", "pipe", 2 }, /* not UTF-8 */
};

static int fill(struct prom_exposition *e, uint64_t ncaches, uint64_t tick)
{
	char cache[32];
	size_t i;
	int err;

	err = prom_sample(
	    e, PROM_BUILD_INFO,
	    (struct prom_label[]){{"version", POOLSCOPE_VERSION}, {"kernel", "6.18.0-test"}}, 2, 1);
	for (i = 0; i < sizeof(named_caches) / sizeof(named_caches[0]) && !err; i++) {
		struct prom_label l[] = {{"cache", named_caches[i].name},
					 {"type", named_caches[i].reclaimable ? "recl" : "unrecl"}};

		err = prom_sample(e, PROM_SLAB_BYTES, l, 2, named_caches[i].bytes + (double)tick);
		if (!err)
			err = prom_sample(e, PROM_SLAB_OBJECTS, l, 1, named_caches[i].objects);
	}
	for (i = 0; i < ncaches && !err; i++) {
		struct prom_label l[] = {{"cache", cache}, {"type", i % 3 ? "unrecl" : "recl"}};

		snprintf(cache, sizeof(cache), "cache-%03zu", i);
		err = prom_sample(e, PROM_SLAB_BYTES, l, 2, 4096.0 * (double)(i + 1));
		if (!err)
			err = prom_sample(e, PROM_SLAB_OBJECTS, l, 1, 32.0 * (double)(i + 1));
	}
	for (i = 0; i < sizeof(processes) / sizeof(processes[0]) && !err; i++) {
		struct prom_label l[] = {{"pid", processes[i].pid},
					 {"comm", processes[i].comm},
					 {"type", processes[i].type}};

		err = prom_sample(e, PROM_PROCESS_FDS, l, 3, processes[i].fds + (double)tick);
	}
	if (!err)
		err = prom_sample(e, PROM_RESOURCE_USED,
				  (struct prom_label[]){{"resource", "file-nr"}}, 1, 7168);
	if (!err)
		err = prom_sample(e, PROM_RESOURCE_LIMIT,
				  (struct prom_label[]){{"resource", "file-nr"}}, 1,
				  9223372036854775807.0);
	if (!err)
		err = prom_sample(e, PROM_RESOURCE_USED,
				  (struct prom_label[]){{"resource", "inotify_watches"}}, 1, 812);
	if (!err)
		err = prom_sample(e, PROM_RESOURCE_LIMIT,
				  (struct prom_label[]){{"resource", "inotify_watches"}}, 1, 8192);
	if (!err)
		err = prom_sample(
		    e, PROM_EXHAUSTION_SECONDS,
		    (struct prom_label[]){{"resource", "fds"}, {"pid", "4242"}, {"comm", "fdleak"}},
		    3, 93600);
	if (!err)
		err = prom_sample(e, PROM_EXHAUSTION_SECONDS,
				  (struct prom_label[]){{"resource", "inotify_watches"}}, 1,
				  6.5 * 86400);
	if (!err)
		err = prom_sample(e, PROM_SAMPLE_DURATION_SECONDS, NULL, 0, 0.0123);
	return err;
}

static int render(struct prom_exposition *e, uint64_t ncaches, uint64_t tick, struct strbuf *out)
{
	int err;

	prom_exposition_reset(e);
	strbuf_reset(out);
	err = fill(e, ncaches, tick);
	return err ? err : prom_render(e, out);
}

static int serve(struct prom_exposition *e, uint64_t ncaches, const char *addr)
{
	struct strbuf text = STRBUF_INIT;
	struct metrics_server *srv = NULL;
	struct notes ns = NOTES_INIT;
	uint64_t tick = 0;
	int err;

	err = metrics_server_start(&srv, addr, NULL, &ns);
	if (err) {
		fprintf(stderr, "gen_metrics: %s\n", ns.n ? ns.v[0].text : strerror(-err));
		goto out;
	}
	signals_install();
	printf("port %u\n", metrics_server_port(srv));
	fflush(stdout);
	while (!should_stop()) {
		struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};
		char byte;

		err = render(e, ncaches, tick++, &text);
		if (!err)
			err = metrics_server_publish(srv, text.buf, text.len);
		if (err) {
			fprintf(stderr, "gen_metrics: %s\n", strerror(-err));
			break;
		}
		if (poll(&in, 1, 500) > 0 && read(STDIN_FILENO, &byte, 1) <= 0)
			break;
	}
out:
	metrics_server_stop(srv);
	notes_release(&ns);
	strbuf_release(&text);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"caches", required_argument, NULL, 'c'},
	    {"serve", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct prom_exposition *e = prom_exposition_new();
	struct strbuf text = STRBUF_INIT;
	const char *addr = NULL;
	uint64_t ncaches = 50;
	int opt, err, rc = 1;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'c' && parse_u64_range(optarg, 0, 100000, &ncaches) == 0)
			continue;
		if (opt == 's') {
			addr = optarg;
			continue;
		}
		fprintf(stderr, "usage: gen_metrics [--caches N] [--serve ADDR]\n");
		goto out;
	}
	if (!e || prom_families_declare(e))
		goto out;
	if (addr) {
		rc = serve(e, ncaches, addr);
		goto out;
	}
	err = render(e, ncaches, 0, &text);
	if (err) {
		fprintf(stderr, "gen_metrics: %s\n", strerror(-err));
		goto out;
	}
	rc = fwrite(text.buf, 1, text.len, stdout) == text.len && fflush(stdout) == 0 ? 0 : 1;
out:
	strbuf_release(&text);
	prom_exposition_free(e);
	return rc;
}
