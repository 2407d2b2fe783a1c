/* User space's side of the batched path's staging buffers (struct rec_stage
 * in record.bpf.c): how far the merge may go (the watermark), and handing a
 * quiet CPU's staged records to the ring by running rec_stage_flush on it. */
#ifndef POOLSCOPE_BPF_RECORD_STAGE_H
#define POOLSCOPE_BPF_RECORD_STAGE_H

#include <stdbool.h>
#include <stdint.h>

struct record_stage {
	int map_fd, prog_fd, ncpus;
	void *vals; /* one struct rec_stage per possible CPU, as a lookup returns them */
	/* Tests: flush only full buffers and at the stop (never by age), so
	 * that what the stop hands on is known to have waited for it. */
	bool hold;
};

/* The time a program takes from reading the clock to staging its record,
 * with room to spare (a virtual CPU may be descheduled in between): records
 * with a ts this close to now may still be on their way. */
#define RECORD_STAGE_SLACK_NS 10000000ull
/* A CPU's staged records are flushed once the oldest is this old. */
#define RECORD_STAGE_AGE_NS 20000000ull

/* Whether this kernel runs the flush program on a CPU of our choosing
 * (BPF_F_TEST_RUN_ON_CPU for raw_tp programs, 5.10+): tried on this CPU
 * before recording starts, when every staging buffer is still empty. */
bool record_stage__can_flush(int prog_fd);
int record_stage__init(struct record_stage *s, int map_fd, int prog_fd, int ncpus);
void record_stage__release(struct record_stage *s);
/* Reads every CPU's staging buffer at now (CLOCK_MONOTONIC, the BPF clock)
 * and flushes those whose oldest record is older than RECORD_STAGE_AGE_NS
 * (all non-empty ones with all set; none but with all when hold). *watermark: every record with an
 * earlier ts is now in the ring or already taken from it. *pending: some
 * CPU still holds records. 0 or -errno. */
int record_stage__sweep(struct record_stage *s, uint64_t now, bool all, uint64_t *watermark,
			bool *pending);

#endif
