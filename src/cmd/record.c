/* poolscope record: the allocation flight recorder. Parses options, runs a
 * recording session (src/trace/recorder.h) and prints its summary. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "output/table.h"
#include "trace/recorder.h"
#include "util/err.h"
#include "util/globlist.h"
#include "util/parse.h"
#include "util/signals.h"
#include "util/strbuf.h"

static void record_help(FILE *out)
{
	fprintf(out,
		"usage: poolscope record -o FILE [options]\n"
		"\n"
		"Record kernel allocations and frees (slab, kmalloc, pages, percpu, vmalloc)\n"
		"with their kernel stacks into a trace file for `poolscope report`.\n"
		"Stops on Ctrl-C/SIGTERM, --duration or --max-size, then prints a summary.\n"
		"\n"
		"  -o, --output FILE     trace file to write (required)\n"
		"  -d, --duration TIME   stop after TIME (e.g. 30, 10s, 5m)\n"
		"      --max-size SIZE   stop once the file reaches SIZE (e.g. 100M)\n"
		"  -t, --tag GLOB        only these tags (cache names, kmalloc-N, page-order-N,\n"
		"                        percpu, vmalloc); repeatable, commas, '!' excludes\n"
		"  -p, --pid PID         only allocations by these processes (repeatable)\n"
		"      --comm NAME       only allocations by tasks named NAME\n"
		"      --size N|MIN-MAX  only allocations of N, or MIN to MAX, requested bytes\n"
		"                        (either side may be empty: 1K-, -4K)\n"
		"      --kinds LIST      slab,kmalloc,page,percpu,vmalloc (default: all)\n"
		"      --stacks          record kernel stacks (default)\n"
		"      --no-stacks       no stacks: the cheapest recording\n"
		"      --sample N        stacks for every Nth allocation per CPU only\n"
		"      --events          every event into the file (default)\n"
		"      --aggregate       keep outstanding allocations in the kernel and\n"
		"                        write snapshots: small files for long recordings\n"
		"      --interval TIME   snapshot period with --aggregate (default 10s);\n"
		"                        chunk flush period otherwise (default 1s)\n"
		"      --ring SIZE       flight recorder: keep only the last SIZE of events in\n"
		"                        memory, written on SIGUSR1 and at stop\n"
		"      --buffer SIZE     BPF ring buffer size (default 32M)\n"
		"      --stack-buckets N distinct stacks the kernel can hold (default 32768;\n"
		"                        16 to 1048576; ~540 bytes of kernel memory each)\n"
		"      --max-outstanding N\n"
		"                        with --aggregate: allocations tracked at once\n"
		"                        (default 262144; 16 to 16777216; ~120 bytes each)\n"
		"  -h, --help            this help\n"
		"\n"
		"Frees are filtered by kind and tag only (objects are often freed by other\n"
		"tasks). Lost events (ring buffer full, map full, failed stack captures, BPF\n"
		"recursion misses) are counted in the file and the summary. Needs root.\n");
}

enum {
	OPT_MAX_SIZE = 256,
	OPT_COMM,
	OPT_SIZE,
	OPT_KINDS,
	OPT_STACKS,
	OPT_NO_STACKS,
	OPT_SAMPLE,
	OPT_EVENTS,
	OPT_AGGREGATE,
	OPT_INTERVAL,
	OPT_RING,
	OPT_BUFFER,
	OPT_STACK_BUCKETS,
	OPT_MAX_OUTSTANDING,
};

static const struct option record_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "duration", required_argument, NULL, 'd' },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "tag", required_argument, NULL, 't' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "kinds", required_argument, NULL, OPT_KINDS },
	{ "stacks", no_argument, NULL, OPT_STACKS },
	{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "events", no_argument, NULL, OPT_EVENTS },
	{ "aggregate", no_argument, NULL, OPT_AGGREGATE },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "ring", required_argument, NULL, OPT_RING },
	{ "buffer", required_argument, NULL, OPT_BUFFER },
	{ "stack-buckets", required_argument, NULL, OPT_STACK_BUCKETS },
	{ "max-outstanding", required_argument, NULL, OPT_MAX_OUTSTANDING },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_kinds(const char *spec, uint32_t *kinds)
{
	static const char *const names[] = { [RK_SLAB] = "slab", [RK_KMALLOC] = "kmalloc",
					     [RK_PAGE] = "page", [RK_PERCPU] = "percpu",
					     [RK_VMALLOC] = "vmalloc" };
	char *copy = strdup(spec), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	*kinds = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		for (k = RK_SLAB; k <= RK_VMALLOC; k++)
			if (!strcmp(tok, names[k]))
				break;
		if (k > RK_VMALLOC) {
			err = -EINVAL;
			break;
		}
		*kinds |= RK_MASK(k);
	}
	free(copy);
	return err || !*kinds ? -EINVAL : 0;
}

static void print_summary(const struct recorder_opts *o, const struct recorder_summary *s)
{
	char size[32];
	uint64_t events = s->allocs + s->frees;

	format_bytes(s->bytes_written, size, sizeof(size));
	printf("poolscope record: %s: %s in %.1f s (%s)\n", o->path, size, s->elapsed_ns / 1e9,
	       s->stop_reason);
	if (o->probe.aggregate)
		printf("  %llu allocs, %llu frees counted in the kernel; %llu snapshots; "
		       "%llu frees of objects allocated before the start\n",
		       (unsigned long long)s->allocs, (unsigned long long)s->frees,
		       (unsigned long long)s->snapshots, (unsigned long long)s->unmatched_frees);
	else
		printf("  %llu events (%llu allocs, %llu frees, %llu of objects allocated before "
		       "the start), %.1f bytes/event%s\n",
		       (unsigned long long)events, (unsigned long long)s->allocs,
		       (unsigned long long)s->frees, (unsigned long long)s->unmatched_frees,
		       events ? (double)s->bytes_written / (double)events : 0.0,
		       o->flight_bytes ? " (flight recorder: last events only)" : "");
	printf("  lost: %llu ring buffer full, %llu map full, %llu stacks, %llu BPF recursion misses\n",
	       (unsigned long long)s->lost_ringbuf, (unsigned long long)s->lost_map,
	       (unsigned long long)s->lost_stack, (unsigned long long)s->bpf_misses);
	printf("  %s\n", s->note);
	if (!s->ntags)
		return;

	struct table *t = table_new();
	int c_tag, c_allocs, c_frees, c_net, c_bytes;

	if (!t)
		return;
	c_tag = table_add_col(t, "TAG", "tag", COL_STR, COL_LEFT);
	c_allocs = table_add_col(t, "ALLOCS", "allocs", COL_UINT, 0);
	c_frees = table_add_col(t, "FREES", "frees", COL_UINT, 0);
	c_net = table_add_col(t, "OUTSTANDING", "outstanding", COL_INT, 0);
	c_bytes = table_add_col(t, "BYTES", "outstanding_bytes", COL_INT, COL_HUMAN_BYTES);
	for (size_t i = 0; i < s->ntags && i < 10; i++) {
		int row = table_add_row(t);

		if (row < 0)
			break;
		table_set_str(t, row, c_tag, s->tags[i].name);
		table_set_uint(t, row, c_allocs, s->tags[i].allocs);
		table_set_uint(t, row, c_frees, s->tags[i].frees);
		table_set_int(t, row, c_net, s->tags[i].outstanding);
		table_set_int(t, row, c_bytes, s->tags[i].outstanding_bytes);
	}
	printf("  top tags by outstanding bytes (allocated while recording, not freed):\n");
	table_render(t, FMT_TEXT, stdout, NULL);
	table_free(t);
}

static int record_run(int argc, char **argv)
{
	struct recorder_opts o = { 0 };
	struct recorder_summary sum;
	struct globlist tags = { 0 };
	struct strbuf options_text = STRBUF_INIT;
	uint32_t pids[REC_MAX_PIDS];
	size_t npids = 0;
	bool interval_set = false;
	char why[512];
	int opt, ret = EXIT_USAGE, err;

	o.probe.stacks = true;
	o.probe.sample_every = 1;
	/* getopt stays quiet: each bad input gets one line, ours. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:d:t:p:h", record_options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (!optarg[0]) {
				ret = ps_usage("record", "--output wants a file name");
				goto out;
			}
			o.path = optarg;
			break;
		case 'd':
			if (parse_duration_ns(optarg, &o.duration_ns) || !o.duration_ns) {
				ret = ps_usage("record", "--duration: '%s' is not a duration", optarg);
				goto out;
			}
			break;
		case OPT_MAX_SIZE:
			/* The header and one drain of the ring buffer already take tens of
			 * KiB: a smaller limit could not be honoured, only overshot. */
			if (parse_size(optarg, &o.max_size) || o.max_size < (64u << 10)) {
				ret = ps_usage("record", "--max-size: '%s' is not a size of at least 64K",
					       optarg);
				goto out;
			}
			break;
		case 't':
			if (globlist_add(&tags, optarg)) {
				ret = ps_usage("record", "--tag: bad pattern '%s'", optarg);
				goto out;
			}
			break;
		case 'p':
			err = parse_pid_list(optarg, pids, REC_MAX_PIDS, &npids);
			if (err) {
				ret = err == -E2BIG ? ps_usage("record", "--pid: at most %d processes",
							       REC_MAX_PIDS)
						    : ps_usage("record", "--pid: '%s' is not a pid list",
							       optarg);
				goto out;
			}
			break;
		case OPT_COMM:
			if (!optarg[0] || strlen(optarg) >= REC_COMM_LEN) {
				ret = ps_usage("record", "--comm: a task name has 1 to %d characters",
					       REC_COMM_LEN - 1);
				goto out;
			}
			o.probe.comm = optarg;
			break;
		case OPT_SIZE:
			if (parse_size_range(optarg, &o.probe.size_min, &o.probe.size_max)) {
				ret = ps_usage("record", "--size: '%s' is not N or MIN-MAX (e.g. 64-4K)", optarg);
				goto out;
			}
			if (o.probe.size_max == UINT64_MAX)
				o.probe.size_max = 0; /* the probe's "no upper bound" */
			break;
		case OPT_KINDS:
			if (parse_kinds(optarg, &o.probe.kinds)) {
				ret = ps_usage("record", "--kinds: '%s': use slab,kmalloc,page,percpu,vmalloc",
					       optarg);
				goto out;
			}
			break;
		case OPT_STACKS:
			o.probe.stacks = true;
			break;
		case OPT_NO_STACKS:
			o.probe.stacks = false;
			break;
		case OPT_SAMPLE: {
			uint64_t n;

			if (parse_u64_range(optarg, 1, UINT32_MAX, &n)) {
				ret = ps_usage("record", "--sample: '%s' is not a count >= 1", optarg);
				goto out;
			}
			o.probe.sample_every = (uint32_t)n;
			break;
		}
		case OPT_EVENTS:
			o.probe.aggregate = false;
			break;
		case OPT_AGGREGATE:
			o.probe.aggregate = true;
			break;
		case OPT_INTERVAL:
			if (parse_duration_ns(optarg, &o.interval_ns) || o.interval_ns < 10000000ull) {
				ret = ps_usage("record", "--interval: '%s' is not a duration >= 10ms", optarg);
				goto out;
			}
			interval_set = true;
			break;
		case OPT_RING:
			if (parse_size(optarg, &o.flight_bytes) || o.flight_bytes < 4096) {
				ret = ps_usage("record", "--ring: '%s' is not a size >= 4K", optarg);
				goto out;
			}
			break;
		case OPT_BUFFER:
			if (parse_size(optarg, &o.probe.ringbuf_bytes) || o.probe.ringbuf_bytes < 4096 ||
			    o.probe.ringbuf_bytes > (1ULL << 31)) {
				ret = ps_usage("record", "--buffer: '%s' is not a size from 4K to 2G", optarg);
				goto out;
			}
			break;
		case OPT_STACK_BUCKETS:
		case OPT_MAX_OUTSTANDING: {
			bool stacks = opt == OPT_STACK_BUCKETS;
			uint64_t n;

			/* Both maps are preallocated in the kernel: the upper bounds keep a
			 * typo from pinning gigabytes (~540 and ~120 bytes per entry). */
			if (parse_u64_range(optarg, 16, stacks ? 1u << 20 : 1u << 24, &n)) {
				ret = ps_usage("record", "--%s: '%s' is not a count from 16 to %u",
					       stacks ? "stack-buckets" : "max-outstanding", optarg,
					       stacks ? 1u << 20 : 1u << 24);
				goto out;
			}
			if (stacks)
				o.probe.max_stacks = (uint32_t)n;
			else
				o.probe.max_outstanding = (uint32_t)n;
			break;
		}
		case 'h':
			record_help(stdout);
			ret = EXIT_OK;
			goto out;
		default:
			ret = ps_usage_getopt("record", opt, argv, record_options);
			goto out;
		}
	}
	if (optind < argc) {
		ret = ps_usage("record", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!o.path) {
		ret = ps_usage("record", "an output file is required (-o FILE)");
		goto out;
	}
	/* The flight recorder writes the file at SIGUSR1 and at stop: a size
	 * checked while recording would never trip. --ring SIZE bounds it. */
	if (o.flight_bytes && o.max_size) {
		ret = ps_usage("record", "--max-size does not combine with --ring (the ring's "
			       "SIZE bounds what is written)");
		goto out;
	}
	if (o.flight_bytes && o.probe.aggregate) {
		ret = ps_usage("record", "--ring keeps events: it does not combine with --aggregate");
		goto out;
	}
	if (o.probe.sample_every > 1 && !o.probe.stacks) {
		ret = ps_usage("record", "--sample samples stacks: it does not combine with --no-stacks");
		goto out;
	}
	if (o.probe.max_outstanding && !o.probe.aggregate) {
		ret = ps_usage("record", "--max-outstanding sizes the --aggregate map: add --aggregate");
		goto out;
	}
	if (o.probe.max_stacks && !o.probe.stacks) {
		ret = ps_usage("record", "--stack-buckets sizes the stack map: it does not combine "
					 "with --no-stacks");
		goto out;
	}
	if (o.probe.aggregate && !interval_set)
		o.interval_ns = 10000000000ull;
	o.probe.pids = pids;
	o.probe.npids = npids;
	o.probe.tags = &tags;
	for (int i = 1; i < argc; i++)
		strbuf_printf(&options_text, "%s%s", i > 1 ? " " : "", argv[i]);
	/* The map sizes in effect, defaults included: a trace with map_full
	 * losses says how big the maps were. */
	if (o.probe.stacks)
		strbuf_printf(&options_text, " [stack-buckets=%u]",
			      o.probe.max_stacks ? o.probe.max_stacks : REC_DEFAULT_STACKS);
	if (o.probe.aggregate)
		strbuf_printf(&options_text, " [max-outstanding=%u]",
			      o.probe.max_outstanding ? o.probe.max_outstanding
						      : REC_DEFAULT_OUTSTANDING);
	o.options_text = strbuf_str(&options_text);

	signals_install();
	err = recorder_run(&o, &sum, why, sizeof(why));
	if (err) {
		ps_error("record: %s", why);
		recorder_summary_release(&sum);
		ret = EXIT_FAIL;
		goto out;
	}
	print_summary(&o, &sum);
	recorder_summary_release(&sum);
	ret = fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_FAIL;
	if (ret)
		ps_error("record: writing the summary failed: %s", strerror(errno));
out:
	globlist_clear(&tags);
	strbuf_release(&options_text);
	return ret;
}

const struct command cmd_record = {
	.name = "record",
	.summary = "record allocations and frees with kernel stacks into a trace file",
	.run = record_run,
	.help = record_help,
};
