#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/types.h>

#include "bpf/record_abi.h"
#include "bpf/record_stage.h"

int record_stage__init(struct record_stage *s, int map_fd, int prog_fd, int ncpus)
{
	s->map_fd = map_fd;
	s->prog_fd = prog_fd;
	s->ncpus = ncpus;
	s->hold = false;
	s->vals = calloc((size_t)ncpus, sizeof(struct rec_stage));
	return s->vals ? 0 : -ENOMEM;
}

void record_stage__release(struct record_stage *s)
{
	free(s->vals);
	s->vals = NULL;
}

/* rec_stage_flush on that CPU: 0 flushed (or offline: nothing staged there
 * to flush), 1 busy (a program was appending), -errno. */
static int flush_on(const struct record_stage *s, int cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, run, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = (__u32)cpu);

	if (bpf_prog_test_run_opts(s->prog_fd, &run))
		return errno == ENXIO ? 0 : -errno;
	return run.retval ? 1 : 0;
}

bool record_stage__can_flush(int prog_fd)
{
	const struct record_stage probe = { .prog_fd = prog_fd };
	int cpu = sched_getcpu();

	/* A kernel without BPF_F_TEST_RUN_ON_CPU refuses the flag (EINVAL). */
	return flush_on(&probe, cpu < 0 ? 0 : cpu) == 0;
}

int record_stage__sweep(struct record_stage *s, uint64_t now, bool all, uint64_t *watermark,
			bool *pending)
{
	__u32 zero = 0;
	uint64_t wm = now > RECORD_STAGE_SLACK_NS ? now - RECORD_STAGE_SLACK_NS : 0;

	*pending = false;
	if (bpf_map_lookup_elem(s->map_fd, &zero, s->vals))
		return -errno;
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		const struct rec_stage *st = (const struct rec_stage *)s->vals + cpu;
		uint64_t first = st->first_ts;
		int r = 0;

		if (!st->used)
			continue;
		if (all || (!s->hold && now - first >= RECORD_STAGE_AGE_NS)) {
			r = flush_on(s, cpu);
			if (r < 0)
				return r;
		} else {
			r = 1;
		}
		if (r) {
			/* Still staged: nothing at or after its oldest record may go on. */
			*pending = true;
			if (first < wm)
				wm = first;
		}
	}
	*watermark = wm;
	return 0;
}
