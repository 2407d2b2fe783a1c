/* The stack map of the floor arms, shaped as record's (REC_MAX_DEPTH frames
 * per stack), so that a walk costs them what it costs record. */
#ifndef POOLSCOPE_BENCH_FLOOR_STACKS_H
#define POOLSCOPE_BENCH_FLOOR_STACKS_H

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 64 * sizeof(__u64)); /* REC_MAX_DEPTH, as record */
} floor_stacks SEC(".maps");

/* Skip our program, bpf_trace_runN and __traceiter_<tracepoint>, as record does. */
#define FLOOR_STACK_FLAGS (3 & BPF_F_SKIP_FIELD_MASK)

#endif
