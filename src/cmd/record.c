/* poolscope record: the allocation flight recorder. Parses options, runs a
 * recording session (src/trace/recorder.h) and prints its summary. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "kernel/ksyms.h"
#include "output/record_summary.h"
#include "trace/recorder.h"
#include "output/diag.h"
#include "util/globlist.h"
#include "util/notes.h"
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
		"      --stacks [all]    record kernel stacks (default): on a budget, a stack\n"
		"                        the first time a path (call site, syscall) is seen,\n"
		"                        then --stack-rate per second per path per CPU, the\n"
		"                        path's stack for the rest (counts stay exact);\n"
		"                        'all': a stack walk for every allocation\n"
		"      --stack-rate N    stacks per second per path per CPU (default 4)\n"
		"      --no-stacks       no stacks: the cheapest recording\n"
		"      --user-stacks[=fp|dwarf]  with each kernel stack, the user-space\n"
		"                        call chain of the allocating process (the process's\n"
		"                        mappings are stored for report); fp (default): by\n"
		"                        frame pointers; dwarf: for programs built without\n"
		"                        them, the stack's top (8 KiB) copied and unwound by\n"
		"                        .eh_frame as it arrives (the stack budget's walks only)\n"
		"      --sample N        stacks for every Nth allocation per CPU only\n"
		"                        (instead of the budget)\n"
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
		"                        with --aggregate, or --pid/--comm/--size (the live\n"
		"                        objects whose frees are recorded): tracked at once\n"
		"                        (default 262144; 16 to 16777216; ~120 bytes each)\n"
		"  -h, --help            this help\n"
		"\n"
		"Frees are filtered by kind and tag (objects are often freed by other tasks);\n"
		"with --pid, --comm or --size only the frees of objects the filter recorded.\n"
		"Lost events (ring buffer full, map full, failed stack captures, BPF\n"
		"recursion misses) are counted in the file and the summary. Needs root.\n");
}

enum {
	OPT_MAX_SIZE = 256,
	OPT_COMM,
	OPT_SIZE,
	OPT_KINDS,
	OPT_STACKS,
	OPT_STACK_RATE,
	OPT_NO_STACKS,
	OPT_USER_STACKS,
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
	{ "stacks", optional_argument, NULL, OPT_STACKS },
	{ "stack-rate", required_argument, NULL, OPT_STACK_RATE },
	{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
	{ "user-stacks", optional_argument, NULL, OPT_USER_STACKS },
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

/* SIGUSR1 asks the flight recorder for its ring; SIGINT/SIGTERM stop. */
static bool signal_stops(void *ctx)
{
	(void)ctx;
	return should_stop();
}

static bool usr1_dump(void *ctx)
{
	(void)ctx;
	if (!usr1_requested)
		return false;
	usr1_requested = 0;
	return true;
}

/* Said at once, while recording goes on (a --tag that matches nothing yet). */
static void say_notes(void *ctx, const struct notes *notes)
{
	(void)ctx;
	ps_warn_notes("record", notes);
}

static int record_run(int argc, char **argv)
{
	struct recorder_opts o;
	struct recorder_summary sum = { 0 };
	struct recorder_hooks hooks = { .should_stop = signal_stops,
					.stop_reason = "stopped by signal",
					.dump_requested = usr1_dump,
					.started = say_notes };
	struct notes notes = NOTES_INIT;
	struct symtab *kallsyms = NULL;
	struct globlist tags = { 0 };
	struct strbuf options_text = STRBUF_INIT;
	uint32_t pids[REC_MAX_PIDS];
	size_t npids = 0;
	char why[512];
	int opt, ret = EXIT_USAGE, err;
	bool rate_given = false;

	recorder_opts_init(&o);
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
			if (parse_size(optarg, &o.max_size) || o.max_size < RECORDER_MIN_MAX_SIZE) {
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
			if (recorder_parse_kinds(optarg, &o.probe.kinds)) {
				ret = ps_usage("record", "--kinds: '%s': use slab,kmalloc,page,percpu,vmalloc",
					       optarg);
				goto out;
			}
			break;
		case OPT_STACKS: {
			/* --stacks, --stacks=all, or --stacks all (the spelling). */
			const char *mode = optarg;

			if (!mode && optind < argc && !strcmp(argv[optind], "all"))
				mode = argv[optind++];
			if (mode && strcmp(mode, "all")) {
				ret = ps_usage("record", "--stacks: '%s': the only mode is 'all'", mode);
				goto out;
			}
			o.probe.stacks = true;
			if (mode)
				o.probe.stack_rate = 0;
			else if (!rate_given)
				o.probe.stack_rate = RECORDER_DEFAULT_STACK_RATE;
			break;
		}
		case OPT_STACK_RATE: {
			uint64_t n;

			if (parse_u64_range(optarg, 1, RECORDER_MAX_STACK_RATE, &n)) {
				ret = ps_usage("record", "--stack-rate: '%s' is not a count from 1 to %u",
					       optarg, RECORDER_MAX_STACK_RATE);
				goto out;
			}
			o.probe.stack_rate = (uint32_t)n;
			rate_given = true;
			break;
		}
		case OPT_NO_STACKS:
			o.probe.stacks = false;
			break;
		case OPT_USER_STACKS:
			o.probe.user_stacks = true;
			if (optarg && !strcmp(optarg, "dwarf"))
				o.probe.user_stacks_dwarf = true;
			else if (optarg && strcmp(optarg, "fp")) {
				ret = ps_usage("record", "--user-stacks: '%s' is not fp or dwarf",
					       optarg);
				goto out;
			}
			break;
		case OPT_SAMPLE: {
			uint64_t n;

			if (parse_u64_range(optarg, 1, UINT32_MAX, &n)) {
				ret = ps_usage("record", "--sample: '%s' is not a count >= 1", optarg);
				goto out;
			}
			o.probe.sample_every = (uint32_t)n;
			/* Every Nth walk is its own way of thinning stacks. */
			if (!rate_given)
				o.probe.stack_rate = 0;
			break;
		}
		case OPT_EVENTS:
			o.probe.aggregate = false;
			break;
		case OPT_AGGREGATE:
			o.probe.aggregate = true;
			break;
		case OPT_INTERVAL:
			if (parse_duration_ns(optarg, &o.interval_ns) ||
			    o.interval_ns < RECORDER_MIN_INTERVAL_NS) {
				ret = ps_usage("record", "--interval: '%s' is not a duration >= 10ms", optarg);
				goto out;
			}
			break;
		case OPT_RING:
			if (parse_size(optarg, &o.flight_bytes) || o.flight_bytes < RECORDER_MIN_RING) {
				ret = ps_usage("record", "--ring: '%s' is not a size >= 4K", optarg);
				goto out;
			}
			break;
		case OPT_BUFFER:
			if (parse_size(optarg, &o.probe.ringbuf_bytes) ||
			    o.probe.ringbuf_bytes < RECORDER_MIN_BUFFER ||
			    o.probe.ringbuf_bytes > RECORDER_MAX_BUFFER) {
				ret = ps_usage("record", "--buffer: '%s' is not a size from 4K to 2G", optarg);
				goto out;
			}
			break;
		case OPT_STACK_BUCKETS:
		case OPT_MAX_OUTSTANDING: {
			bool stacks = opt == OPT_STACK_BUCKETS;
			uint32_t most = stacks ? RECORDER_MAX_STACKS : RECORDER_MAX_OUTSTANDING;
			uint64_t n;

			if (parse_u64_range(optarg, RECORDER_MIN_MAP, most, &n)) {
				ret = ps_usage("record", "--%s: '%s' is not a count from %u to %u",
					       stacks ? "stack-buckets" : "max-outstanding", optarg,
					       RECORDER_MIN_MAP, most);
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
	if (rate_given && !o.probe.stacks) {
		ret = ps_usage("record", "--stack-rate sets the stack budget: it does not combine "
					 "with --no-stacks");
		goto out;
	}
	o.probe.pids = pids;
	o.probe.npids = npids;
	o.probe.tags = &tags;
	if (recorder_opts_validate(&o, why, sizeof(why))) {
		ret = ps_usage("record", "%s", why);
		goto out;
	}
	for (int i = 1; i < argc; i++)
		strbuf_printf(&options_text, "%s%s", i > 1 ? " " : "", argv[i]);
	o.options_text = strbuf_str(&options_text);

	/* Once for the run: the loader's kmalloc entry points, the stacks' names. */
	if (ksyms__load(&kallsyms, &notes))
		kallsyms = NULL;
	signals_install();
	err = recorder_run(&o, &hooks, kallsyms, &sum, &notes, why, sizeof(why));
	ps_warn_notes("record", &notes);
	if (err) {
		ps_error("record: %s", why);
		ret = EXIT_FAIL;
		goto out;
	}
	record_summary_print(stdout, o.path, o.probe.aggregate, o.flight_bytes != 0, &sum);
	ret = fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_FAIL;
	if (ret)
		ps_error("record: writing the summary failed: %s", strerror(errno));
out:
	recorder_summary_release(&sum);
	notes_release(&notes);
	symtab__free(kallsyms);
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
