/* Host snapshots for compare's scale benchmark (bench/compare_scale.sh),
 * written with the real JSON writer (output/json) in the format of
 * docs/SNAPSHOT.md: N hosts, each with ~200 caches, ~40 resources and 20
 * processes, values a few percent apart from host to host (uniformly within
 * ±10 %), and ODD hosts whose process "eventd" holds 5000 extra eventfds
 * (filp, kmalloc-64, file handles and the eventfd count far above). The odd
 * hosts' names go to stdout, one per line. Deterministic for given options.
 *
 *   gen_snapshots [--odd K] [--seed S] DIR N */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output/json.h"
#include "util/parse.h"

#define NCACHES 200
#define NRESOURCES 40
#define NPROCS 20
#define EXTRA_EVENTFDS 5000

struct rng {
	uint64_t x;
};

static uint64_t next(struct rng *r)
{
	r->x ^= r->x << 13;
	r->x ^= r->x >> 7;
	r->x ^= r->x << 17;
	return r->x;
}

/* v × (1 ± up to 10 %) */
static double jitter(struct rng *r, double v)
{
	return v * (0.9 + 0.2 * (double)(next(r) >> 11) / (double)(1ull << 53));
}

static void write_host(FILE *out, const char *host, bool odd, struct rng *r)
{
	static const char *const named[] = {"filp", "dentry", "kmalloc-64", "inode_cache",
					    "task_struct", "vm_area_struct", "anon_vma",
					    "kmalloc-256", "sock_inode_cache", "eventpoll_epi"};
	struct json_writer *w = json_writer_new(out);
	char name[64];
	int i;

	json_begin_object(w);
	json_kv_int(w, "poolscope_snapshot", 1);
	json_kv_string(w, "host", host);
	json_kv_string(w, "kernel", "6.18.44");
	json_kv_string(w, "boot_id", "6a1f0000-0000-0000-0000-000000000000");
	json_kv_string(w, "time", "2026-12-01T22:40:00.000Z");
	json_kv_double(w, "uptime_s", jitter(r, 864000));
	json_kv_int(w, "window_s", 3600);
	json_key(w, "caches");
	json_begin_object(w);
	for (i = 0; i < NCACHES; i++) {
		double size = 64 << (i % 6), objects = jitter(r, 2000.0 * (1 + i % 40));
		bool filp = i == 0, km64 = i == 2;

		if (i < (int)(sizeof(named) / sizeof(named[0])))
			snprintf(name, sizeof(name), "%s", named[i]);
		else
			snprintf(name, sizeof(name), "cache-%03d", i);
		if (filp)
			size = 256;
		if (odd && (filp || km64))
			objects += EXTRA_EVENTFDS;
		json_key(w, name);
		json_begin_object(w);
		json_kv_uint(w, "bytes", (uint64_t)(objects * size));
		json_kv_uint(w, "objects", (uint64_t)objects);
		json_kv_bool(w, "reclaimable", i % 3 == 1);
		json_kv_double(w, "bytes_per_s", odd && filp ? 2560 : jitter(r, 10));
		json_kv_double(w, "objects_per_s", odd && filp ? 10 : jitter(r, 0.05));
		json_end_object(w);
	}
	json_end_object(w);
	json_key(w, "resources");
	json_begin_object(w);
	for (i = 0; i < NRESOURCES; i++) {
		double used = jitter(r, 1000.0 * (1 + i));

		if (i == 0)
			snprintf(name, sizeof(name), "file handles (fs.file-nr)");
		else if (i == 1)
			snprintf(name, sizeof(name), "threads (kernel.threads-max)");
		else
			snprintf(name, sizeof(name), "resource %02d (sys.res-%02d)", i, i);
		if (odd && i == 0)
			used += EXTRA_EVENTFDS;
		json_key(w, name);
		json_begin_object(w);
		json_kv_uint(w, "used", (uint64_t)used);
		json_kv_uint(w, "limit", 2466165);
		json_kv_double(w, "per_s", odd && i == 0 ? 10.4 : jitter(r, 0.4));
		json_key(w, "exhaustion_s");
		json_null(w);
		json_end_object(w);
	}
	json_end_object(w);
	json_key(w, "meminfo");
	json_begin_object(w);
	json_kv_uint(w, "mem_total", 25165824000);
	json_kv_uint(w, "slab", (uint64_t)jitter(r, 218000000));
	json_end_object(w);
	json_key(w, "processes");
	json_begin_array(w);
	for (i = 0; i < NPROCS; i++) {
		bool leaker = odd && i == 0;
		/* A name has the same fds everywhere (±10 %), not its rank's. */
		double fds = leaker ? EXTRA_EVENTFDS + 5 : jitter(r, i < 18 ? 100.0 * (NPROCS - i) : 150);

		json_begin_object(w);
		json_kv_int(w, "pid", 1000 + i);
		/* 18 names every host runs, 2 a host's own */
		if (leaker)
			snprintf(name, sizeof(name), "eventd");
		else if (i < 18)
			snprintf(name, sizeof(name), "svc-%02d", i);
		else
			/* two different names: one name twice would double its fds */
			snprintf(name, sizeof(name), "job-%03" PRIu64, next(r) % 250 + (i - 18) * 250);
		json_kv_string(w, "comm", name);
		json_kv_uint(w, "fds", (uint64_t)fds);
		json_key(w, "types");
		json_begin_object(w);
		if (leaker) {
			json_kv_uint(w, "eventfd", EXTRA_EVENTFDS);
			json_kv_uint(w, "file", 5);
		} else {
			json_kv_uint(w, "file", (uint64_t)(fds * 0.6));
			json_kv_uint(w, "tcp", (uint64_t)(fds * 0.3));
			json_kv_uint(w, "unix", (uint64_t)fds - (uint64_t)(fds * 0.6) -
						    (uint64_t)(fds * 0.3));
		}
		json_end_object(w);
		json_kv_double(w, "fds_per_s", leaker ? 10 : 0);
		json_kv_int(w, "threads", 1 + i % 8);
		json_kv_int(w, "maps", 100 + i);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
	json_writer_free(w);
	fputc('\n', out);
}

int main(int argc, char **argv)
{
	uint64_t n, odd = 1, seed = 42, i;
	uint64_t *odd_at;
	struct rng r;
	char path[4096], host[32];
	int c;

	while ((c = getopt(argc, argv, "o:s:")) != -1) {
		if (c == 'o' && !parse_u64(optarg, &odd))
			continue;
		if (c == 's' && !parse_u64(optarg, &seed))
			continue;
		goto usage;
	}
	if (argc - optind != 2 || parse_u64(argv[optind + 1], &n) || n == 0 || odd > n)
		goto usage;
	if (mkdir(argv[optind], 0755) && errno != EEXIST) {
		perror(argv[optind]);
		return 1;
	}
	r.x = seed * 0x9e3779b97f4a7c15ull + 1;
	odd_at = calloc(odd + 1, sizeof(*odd_at));
	for (i = 0; i < odd; i++) /* distinct odd hosts, anywhere in the fleet */
		for (;;) {
			uint64_t at = next(&r) % n, k;

			for (k = 0; k < i && odd_at[k] != at; k++)
				;
			if (k == i) {
				odd_at[i] = at;
				break;
			}
		}
	for (i = 0; i < n; i++) {
		bool is_odd = false;
		FILE *out;
		uint64_t k;

		for (k = 0; k < odd; k++)
			is_odd |= odd_at[k] == i;
		snprintf(host, sizeof(host), "host-%05" PRIu64, i);
		snprintf(path, sizeof(path), "%s/%s.json", argv[optind], host);
		out = fopen(path, "w");
		if (!out) {
			perror(path);
			return 1;
		}
		write_host(out, host, is_odd, &r);
		if (fclose(out)) {
			perror(path);
			return 1;
		}
		if (is_odd)
			printf("%s\n", host);
	}
	free(odd_at);
	return 0;
usage:
	fprintf(stderr, "usage: gen_snapshots [-o ODD_HOSTS] [-s SEED] DIR N\n");
	return 2;
}
