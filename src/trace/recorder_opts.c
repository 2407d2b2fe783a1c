/* The recording options' defaults and the rules between them (recorder.h),
 * shared by every command that records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/recorder.h"

void recorder_opts_init(struct recorder_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->probe.stacks = true;
	o->probe.sample_every = 1;
	o->probe.stack_rate = RECORDER_DEFAULT_STACK_RATE;
}

static bool outside(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v && (v < lo || v > hi);
}

int recorder_opts_validate(const struct recorder_opts *o, char *why, size_t whylen)
{
	const struct record_probe_opts *p = &o->probe;
	const char *bad = NULL;

	if (!o->path)
		bad = "an output file is required (-o FILE)";
	else if (!o->path[0])
		bad = "--output wants a file name";
	/* Not stdout: the reader seeks (it reads the trailer first and each
	 * chunk by offset, docs/FORMAT.md), so a trace must be a regular file;
	 * stdout also carries the summary. Without this, a file named "-". */
	else if (!strcmp(o->path, "-"))
		bad = "--output -: a trace is a seekable file that report reads by offset, not "
		      "a stream: name a file";
	/* Each value's own bounds: a command parsing its options says which
	 * text was wrong first; these hold for any caller. */
	else if (outside(o->max_size, RECORDER_MIN_MAX_SIZE, UINT64_MAX))
		bad = "--max-size: a size of at least 64K";
	else if (outside(o->interval_ns, RECORDER_MIN_INTERVAL_NS, UINT64_MAX))
		bad = "--interval: a duration >= 10ms";
	else if (outside(o->flight_bytes, RECORDER_MIN_RING, UINT64_MAX))
		bad = "--ring: a size >= 4K";
	else if (outside(p->ringbuf_bytes, RECORDER_MIN_BUFFER, RECORDER_MAX_BUFFER))
		bad = "--buffer: a size from 4K to 2G";
	else if (outside(p->max_stacks, RECORDER_MIN_MAP, RECORDER_MAX_STACKS))
		bad = "--stack-buckets: a count from 16 to 1048576";
	else if (outside(p->max_outstanding, RECORDER_MIN_MAP, RECORDER_MAX_OUTSTANDING))
		bad = "--max-outstanding: a count from 16 to 16777216";
	else if (p->comm && (!p->comm[0] || strlen(p->comm) >= REC_COMM_LEN))
		bad = "--comm: a task name has 1 to 15 characters";
	else if (p->size_max && p->size_max < p->size_min)
		bad = "--size: MAX is below MIN";
	/* The flight recorder writes the file at SIGUSR1 and at stop: a size
	 * checked while recording would never trip. --ring SIZE bounds it. */
	else if (o->flight_bytes && o->max_size)
		bad = "--max-size does not combine with --ring (the ring's SIZE bounds what is "
		      "written)";
	else if (o->flight_bytes && p->aggregate)
		bad = "--ring keeps events: it does not combine with --aggregate";
	else if (p->sample_every > 1 && !p->stacks)
		bad = "--sample samples stacks: it does not combine with --no-stacks";
	else if (p->stack_rate > RECORDER_MAX_STACK_RATE)
		bad = "--stack-rate: a count from 1 to 1000000";
	/* Every Nth walk and a budget per path are two ways of thinning stacks:
	 * --sample keeps its meaning, over every allocation. */
	else if (p->sample_every > 1 && p->stack_rate)
		bad = "--sample thins the stacks of every allocation: it does not combine with "
		      "--stack-rate";
	else if (p->max_outstanding && !p->aggregate && !record_probe_opts_live_set(p))
		bad = "--max-outstanding sizes the --aggregate map (or, with --pid, --comm or "
		      "--size, the set of live recorded objects): add one of them";
	else if (p->user_stacks && !p->stacks)
		bad = "--user-stacks walks user stacks with the kernel ones: it does not combine "
		      "with --no-stacks";
	else if (p->user_stacks_dwarf && o->flight_bytes)
		bad = "--user-stacks=dwarf unwinds stacks as they arrive: it does not combine with "
		      "--ring";
	else if (p->user_stacks_dwarf && !p->stack_rate)
		bad = "--user-stacks=dwarf copies 8 KiB of stack with each walk: it takes the "
		      "stack budget only (not --stacks all or --sample)";
	else if (p->user_stacks && p->aggregate)
		bad = "--user-stacks records events: it does not combine with --aggregate";
	else if (p->max_stacks && !p->stacks)
		bad = "--stack-buckets sizes the stack map: it does not combine with --no-stacks";
	if (!bad)
		return 0;
	snprintf(why, whylen, "%s", bad);
	return -EINVAL;
}

int recorder_parse_kinds(const char *spec, uint32_t *kinds)
{
	static const char *const names[] = {[RK_SLAB] = "slab",
					    [RK_KMALLOC] = "kmalloc",
					    [RK_PAGE] = "page",
					    [RK_PERCPU] = "percpu",
					    [RK_VMALLOC] = "vmalloc"};
	char *copy = strdup(spec), *save = NULL, *tok;
	uint32_t mask = 0;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k;

		for (k = RK_SLAB; k <= RK_VMALLOC; k++)
			if (!strcmp(tok, names[k]))
				break;
		if (k > RK_VMALLOC) {
			err = -EINVAL;
			break;
		}
		mask |= RK_MASK(k);
	}
	free(copy);
	if (err || !mask)
		return -EINVAL;
	*kinds = mask;
	return 0;
}
