/* Synthetic steady-churn trace for `poolscope report` benchmarks and tests,
 * written with the real trace writer: allocations and frees over T tags and
 * S stacks with a steady live set, plus one allocation in K never freed (a
 * slow leak). Deterministic for given options.
 *
 *   gen_trace [--events N] [--live L] [--leak-every K] [--tags T] [--stacks S] FILE */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/symtab.h"
#include "trace/trace.h"
#include "util/parse.h"

#define FUNCS 64

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int usage(void)
{
	fprintf(stderr, "usage: gen_trace [--events N] [--live L] [--leak-every K] [--tags T] "
		"[--stacks S] FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "events", required_argument, NULL, 'e' }, { "live", required_argument, NULL, 'l' },
		{ "leak-every", required_argument, NULL, 'k' }, { "tags", required_argument, NULL, 't' },
		{ "stacks", required_argument, NULL, 's' }, { NULL, 0, NULL, 0 },
	};
	uint64_t events = 1000000, live = 10000, leak_every = 0, ntags = 16, nstacks = 64;
	struct trace_header hdr = { .version = 1, .start_realtime_ns = 1764000000000000000ULL,
				    .start_ns = 1000000000000ULL, .stacks = true, .sample_every = 1,
				    .options = "gen_trace" };
	struct trace_writer *w = NULL;
	struct symtab *ks = symtab__new();
	uint32_t tag_ids[256], comm_id;
	uint64_t *ring, head = 0, count = 0, done = 0, ts = hdr.start_ns, next_ptr = 0, allocs = 0;
	uint64_t leaked = 0, i;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		uint64_t *dst = opt == 'e' ? &events : opt == 'l' ? &live : opt == 'k' ? &leak_every :
				opt == 't' ? &ntags : opt == 's' ? &nstacks : NULL;

		if (!dst || parse_u64(optarg, dst))
			return usage();
	}
	if (optind != argc - 1 || !live || !ntags || ntags > 256 || !nstacks || !ks)
		return usage();
	strcpy(hdr.hostname, "bench");
	strcpy(hdr.kernel_release, "6.18.44");
	strcpy(hdr.boot_id, "00000000-0000-0000-0000-000000000000");
	for (i = 0; i < FUNCS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "bench_fn_%02" PRIu64, i);
		symtab__add(ks, 0xffffffff81000000ULL + i * 0x1000, name, NULL);
	}
	symtab__finish(ks);
	err = trace_writer__open(argv[optind], &hdr, &w);
	if (err) {
		fprintf(stderr, "gen_trace: %s: %s\n", argv[optind], strerror(-err));
		return 1;
	}
	for (i = 0; i < ntags; i++) {
		char name[40]; /* "bench-cache-" + up to 20 digits */

		snprintf(name, sizeof(name), "bench-cache-%02" PRIu64, i);
		tag_ids[i] = trace_writer__string(w, name);
	}
	comm_id = trace_writer__string(w, "bench");
	err = trace_writer__ksyms(w, ks);
	for (i = 0; i < nstacks && !err; i++) {
		uint64_t ips[8];
		int d;

		for (d = 0; d < 8; d++)
			ips[d] = 0xffffffff81000000ULL + ((i * 7 + (uint64_t)d * 13) % FUNCS) * 0x1000 + 0x10;
		err = trace_writer__stack(w, (uint32_t)i, ips, 8);
	}
	ring = calloc(live, sizeof(*ring));
	if (!ring)
		return 1;
	while (!err && done < events) {
		uint64_t r = next_rand();

		ts += 100; /* 10 M events per simulated second */
		if (count == live || (count && (r & 1))) {
			/* free the oldest live object */
			uint64_t ptr = ring[head];
			struct trace_free f = { .ts_ns = ts, .ptr = ptr, .tgid = 1000,
						.tid = 1000, .kind = TK_SLAB };

			head = (head + 1) % live;
			count--;
			err = trace_writer__free(w, &f);
		} else {
			uint64_t stack = (r >> 8) % nstacks;
			struct trace_alloc a = { .ts_ns = ts, .ptr = 0xffff888000000000ULL + next_ptr * 64,
						 .call_site = 0xffffffff81000010ULL + (stack % FUNCS) * 0x1000,
						 .bytes_req = 64, .bytes_alloc = 64,
						 .tag_id = tag_ids[stack % ntags], .comm_id = comm_id,
						 .stack_id = (uint32_t)stack, .tgid = 1000, .tid = 1000,
						 .cpu = (uint16_t)(r >> 40) % 2, .kind = TK_SLAB };

			next_ptr++;
			allocs++;
			err = trace_writer__alloc(w, &a);
			if (leak_every && allocs % leak_every == 0)
				leaked++;
			else
				ring[(head + count++) % live] = a.ptr;
		}
		done++;
	}
	if (err || trace_writer__close(w, ts + 1)) {
		fprintf(stderr, "gen_trace: writing %s failed\n", argv[optind]);
		return 1;
	}
	printf("events %" PRIu64 " allocs %" PRIu64 " leaked %" PRIu64 " live_at_end %" PRIu64 "\n",
	       done, allocs, leaked, count);
	free(ring);
	symtab__free(ks);
	return 0;
}
