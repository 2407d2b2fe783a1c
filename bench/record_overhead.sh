#!/usr/bin/env bash
# Cost of `poolscope record` on an eventfd create+close loop, side by side with
# peer tools in one run:
#   bash bench/record_overhead.sh [BUILD_DIR] [ITERATIONS] [REPS]
# Needs root, perf and bpftrace. ns/event = added time per iteration / 8 events.
# Arms (alternating order each repetition; medians reported):
#   untraced
#   rec-nostacks   poolscope record --events --no-stacks
#   rec-nostacks-unbatched, rec-default-unbatched: the same with
#                  POOLSCOPE_RECORD_UNBATCHED=1 (a ring slot per event, as before
#                  the per-CPU staging of issue 12): the batched path's A/B
#   rec-default    poolscope record --events            (the default: stacks on a budget,
#                  a walk the first time a path is seen, then 4/s per path per CPU)
#   rec-stacks     poolscope record --events --stacks all (kernel stack on every alloc)
#   rec-ustacks    poolscope record --events --user-stacks (the default budget, each
#                  kernel stack with the loop's user stack: issue 13's cost)
#   rec-udwarf     the same with --user-stacks=dwarf (8 KiB of stack copied with each
#                  walk and unwound by .eh_frame in the recorder)
#   rec-aggregate  poolscope record --aggregate --interval 1s (budget, outstanding map)
#   rec-agg-all    the same with --stacks all (issue 12: within 0.9x of stack-floor)
#   rec-agg-s10    --aggregate --stacks all --sample 10 (a stack for every 10th alloc)
#   perf-kmem      perf record -a -e 'kmem:*'
#   perf-g         perf record -a -g -e 'kmem:*'
#   bpftrace-leak  bpftrace outstanding map (ptr -> kstack, deleted on free): memleak's
#                  design; bcc's libbpf-tools memleak is not packaged in Debian 12
#   outstanding-floor  bench/bpf/outstanding_floor.bpf.c: stack-floor's walk plus a
#                  pointer -> stack id hash insert per alloc and delete per free: the
#                  floor of any exact outstanding tracker with a stack per allocation
#   empty-tp       bench/bpf/empty_tp.bpf.c: programs that do nothing on the four slab
#                  tracepoints (the cost of being attached at all): --no-stacks' floor
#   clock-tp       bench/bpf/clock_tp.bpf.c: the same, each reading the clock (the
#                  timestamp every event carries)
#   stack-floor    bench/bpf/stack_floor.bpf.c: only the stack id record takes on each
#                  allocation, nothing else — the ceiling of every exact-stack recorder
# ARMS="untraced rec_nostacks" runs only those (untraced is the baseline: keep it).
# EXACT=1 (default) then checks exactness under load for rec-default and
# rec-nostacks: a 2,000-eventfd leak made *during* the loop must be reported
# exactly (AIFO 2000 filp of record_evleak, on the eventfd2 stack for
# rec-default), with 0 events lost to the ring buffer.
# The loop (bench/evloop.c) is pinned to CPU $CPU (default 1); recorders to the
# other CPU. Every recorder traces the whole machine, as the peers do. Slow arms
# run fewer iterations (the rate is what is compared). perf/bpftrace need tracefs
# for the tracepoint formats: mounted for the run if absent, unmounted after.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ITERS=${2:-1000000}
REPS=${3:-3}
CPU=${CPU:-1}
OTHER=$((1 - CPU))
SLOW=$((ITERS / 5))
SLOWER=$((ITERS / 10))

[ "$(id -u)" -eq 0 ] || { echo "record_overhead.sh: needs root (BPF)" >&2; exit 1; }
make --no-print-directory BUILD="$BUILD" "$BUILD/poolscope" >/dev/null
PS=$BUILD/poolscope
tmp=$(mktemp -d -t poolscope-bench.XXXXXX)
mounted_tracefs=0
cleanup() {
	[ -n "${tracer_pid:-}" ] && kill "$tracer_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	[ "$mounted_tracefs" -eq 1 ] && umount /sys/kernel/tracing 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# Frame pointers: rec-ustacks walks the loop's user stack as far as a
# program built with them allows (the loop's own speed does not change).
gcc -O2 -fno-omit-frame-pointer -Wall -Wextra -o "$tmp/evloop" bench/evloop.c
make --no-print-directory BUILD="$BUILD" "$BUILD/libpoolscope.a" >/dev/null
gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -Isrc -I"$BUILD/gen" -o "$tmp/attach" \
	bench/counters_attach.c "$BUILD/libpoolscope.a" \
	$(pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
clang -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu \
	-c bench/bpf/stack_floor.bpf.c -o "$tmp/stack_floor.bpf.o"
for f in empty_tp clock_tp outstanding_floor; do
	clang -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu \
		-c "bench/bpf/$f.bpf.c" -o "$tmp/$f.bpf.o"
done
if ! mountpoint -q /sys/kernel/tracing; then
	mount -t tracefs nodev /sys/kernel/tracing
	mounted_tracefs=1
fi

loop() { taskset -c "$CPU" "$tmp/evloop" "$1" | sed -n 's/.*rate=\([0-9]*\).*/\1/p'; }

wait_for() { # FILE PATTERN: up to 20 s
	local i
	for i in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "record_overhead.sh: timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

wait_file() { # FILE: up to 20 s, until it has bytes
	local i
	for i in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.1; done
	echo "record_overhead.sh: $1 never appeared" >&2; exit 1
}

# SIGINT, repeated every 5 s until the tracer exits (bpftrace once missed the
# first one: a run hung for minutes with it idle in epoll_wait). Returns the
# tracer's exit status.
stop_tracer() {
	local i rc=0
	for i in $(seq 300); do
		[ $((i % 50)) -eq 1 ] && kill -INT "$tracer_pid" 2>/dev/null
		kill -0 "$tracer_pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$tracer_pid" || rc=$?
	tracer_pid=
	return "$rc"
}

# poolscope: ARM-NAME ITERS ARGS... ; leaves $tmp/NAME.out (summary)
run_ours() {
	local name=$1 iters=$2
	shift 2
	rm -f "$tmp/$name.pst"
	taskset -c "$OTHER" "$PS" record -o "$tmp/$name.pst" "$@" >"$tmp/$name.out" 2>&1 &
	tracer_pid=$!
	wait_file "$tmp/$name.pst"
	sleep 0.5
	loop "$iters"
	stop_tracer
	rm -f "$tmp/$name.pst"
}

arm_untraced() { loop "$ITERS"; }
arm_rec_nostacks() { run_ours rec_nostacks "$ITERS" --events --no-stacks; }
arm_rec_nostacks_unbatched() {
	POOLSCOPE_RECORD_UNBATCHED=1 run_ours rec_nostacks_unbatched "$ITERS" --events --no-stacks
}
arm_rec_default_unbatched() { POOLSCOPE_RECORD_UNBATCHED=1 run_ours rec_default_unbatched "$ITERS" --events; }
arm_rec_default() { run_ours rec_default "$ITERS" --events; }
arm_rec_stacks() { run_ours rec_stacks "$SLOW" --events --stacks all; }
arm_rec_ustacks() { run_ours rec_ustacks "$ITERS" --events --user-stacks; }
arm_rec_udwarf() { run_ours rec_udwarf "$ITERS" --events --user-stacks=dwarf; }
arm_rec_aggregate() { run_ours rec_aggregate "$ITERS" --aggregate --interval 1s; }
arm_rec_agg_all() { run_ours rec_agg_all "$SLOW" --aggregate --interval 1s --stacks all; }
arm_rec_agg_s10() { run_ours rec_agg_s10 "$SLOW" --aggregate --interval 1s --stacks all --sample 10; }

# EXACT: NAME ARGS...: record the machine while the loop runs and, in the
# middle of it, record_evleak opens 2,000 eventfds and holds them past the
# recording's end. The trace must hold exactly 2,000 outstanding filp
# allocations of record_evleak, none lost to the ring buffer.
check_exact() {
	local name=$1 want_stack=$2 lk_pid got lost
	shift 2
	rm -f "$tmp/$name.pst" "$tmp/$name.lk"
	# Started before the recording: its own start-up (the loader's files)
	# stays out of the trace.
	exec 4> >(exec "$BUILD/leakers/record_evleak" 0 2000 0 >"$tmp/$name.lk")
	wait_for "$tmp/$name.lk" ready
	taskset -c "$OTHER" "$PS" record -o "$tmp/$name.pst" "$@" >"$tmp/$name.out" 2>&1 &
	tracer_pid=$!
	wait_file "$tmp/$name.pst"
	sleep 0.5
	loop "$ITERS" >"$tmp/$name.rate" &
	local loop_pid=$!
	sleep 0.3
	echo go >&4 # opens and keeps 2,000 eventfds while the loop runs
	wait_for "$tmp/$name.lk" done
	wait "$loop_pid"
	stop_tracer
	exec 4>&- # the leaker exits only after the recording stopped
	lost=$(sed -n 's/.*lost: \([0-9]*\) ring buffer full.*/\1/p' "$tmp/$name.out")
	got=$("$PS" report --type AIFO --tag filp --comm record_evleak -g comm -f csv "$tmp/$name.pst" |
		awk -F, '$1 == "record_evleak" {print $2}')
	local stack_ok=yes
	if [ "$want_stack" = yes ]; then
		"$PS" report --type AIFO --tag filp --comm record_evleak -g stack -n 1 "$tmp/$name.pst" |
			grep -q eventfd2 || stack_ok=no
	fi
	printf 'exact %-14s AIFO %s of 2000 (record_evleak filp), lost to the ring buffer: %s, eventfd2 stack: %s, loop %s it/s\n' \
		"$name" "${got:-0}" "${lost:-?}" "$stack_ok" "$(cat "$tmp/$name.rate")"
	[ "${got:-0}" = 2000 ] && [ "${lost:-1}" = 0 ] && [ "$stack_ok" = yes ] || exact_failed=1
	rm -f "$tmp/$name.pst"
}

run_perf() { # NAME ITERS PERF-ARGS...
	local name=$1 iters=$2
	shift 2
	rm -f "$tmp/$name.data"
	taskset -c "$OTHER" perf record -a -o "$tmp/$name.data" "$@" >"$tmp/$name.out" 2>&1 &
	tracer_pid=$!
	sleep 2 # perf has no ready signal; it sets up in well under a second here
	loop "$iters"
	stop_tracer || true
	ls -l "$tmp/$name.data" | awk '{print $5}' >"$tmp/$name.size"
	rm -f "$tmp/$name.data"
}

arm_perf_kmem() { run_perf perf_kmem "$SLOW" -e 'kmem:*'; }
arm_perf_g() { run_perf perf_g "$SLOWER" -g -e 'kmem:*'; }

BT_PROG='
tracepoint:kmem:kmem_cache_alloc { @live[args->ptr] = kstack; }
tracepoint:kmem:kmalloc { @live[args->ptr] = kstack; }
tracepoint:kmem:kmem_cache_free { delete(@live[args->ptr]); }
tracepoint:kmem:kfree { delete(@live[args->ptr]); }
END { clear(@live); }'

arm_bpftrace_leak() {
	BPFTRACE_MAP_KEYS_MAX=1000000 BPFTRACE_MAX_MAP_KEYS=1000000 \
		taskset -c "$OTHER" bpftrace -e "$BT_PROG" >"$tmp/bt.out" 2>&1 &
	tracer_pid=$!
	wait_for "$tmp/bt.out" "Attaching"
	sleep 1
	loop "$SLOWER"
	stop_tracer || true
}


# A floor object attached by counters_attach while the loop runs: OBJ ITERS.
run_floor() {
	rm -f "$tmp/fifo" "$tmp/attach.out"
	mkfifo "$tmp/fifo"
	taskset -c "$OTHER" "$tmp/attach" "$1" <"$tmp/fifo" >"$tmp/attach.out" 2>&1 &
	tracer_pid=$!
	exec 3>"$tmp/fifo"
	wait_for "$tmp/attach.out" ready
	loop "$2"
	exec 3>&-
	wait "$tracer_pid"
	tracer_pid=
}
arm_stack_floor() { run_floor "$tmp/stack_floor.bpf.o" "$SLOW"; }
arm_empty_tp() { run_floor "$tmp/empty_tp.bpf.o" "$ITERS"; }
arm_clock_tp() { run_floor "$tmp/clock_tp.bpf.o" "$ITERS"; }
arm_outstanding_floor() { run_floor "$tmp/outstanding_floor.bpf.o" "$SLOW"; }

ARMS=${ARMS:-"untraced rec_nostacks rec_default rec_ustacks rec_udwarf rec_stacks rec_aggregate rec_agg_all rec_agg_s10 perf_kmem perf_g bpftrace_leak stack_floor"}
make --no-print-directory BUILD="$BUILD" "$BUILD/leakers/record_evleak" >/dev/null
declare -A rates
for arm in $ARMS; do rates[$arm]=""; done
for rep in $(seq "$REPS"); do
	if [ $((rep % 2)) -eq 1 ]; then order=$ARMS; else order=$(echo "$ARMS" | tr ' ' '\n' | tac | tr '\n' ' '); fi
	for arm in $order; do
		r=$("arm_$arm")
		rates[$arm]+="$r "
		printf 'rep %d %-14s %s it/s\n' "$rep" "$arm" "$r"
	done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
base=$(echo "${rates[untraced]}" | median)
echo
echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); loop pinned to CPU $CPU, tracers on CPU $OTHER"
echo "iterations: $ITERS (untraced, rec-nostacks, rec-default, rec-ustacks, rec-udwarf, rec-aggregate), $SLOW (rec-stacks, rec-agg-all, rec-agg-s10, perf-kmem), $SLOWER (perf-g, bpftrace); $REPS reps, medians"
echo "last summaries:"
for n in rec_nostacks rec_default rec_ustacks rec_udwarf rec_stacks rec_aggregate; do
	[ -f "$tmp/$n.out" ] || continue
	printf '  %-14s %s\n' "$n" "$(sed -n '2p' "$tmp/$n.out")"
	printf '  %-14s %s\n' "" "$(sed -n '3p' "$tmp/$n.out")"
done
for n in perf_kmem perf_g; do
	[ -f "$tmp/$n.out" ] || continue
	printf '  %-14s %s; %s bytes\n' "$n" "$(grep -o 'Captured.*' "$tmp/$n.out" | head -1)" "$(cat "$tmp/$n.size")"
	grep -i 'lost' "$tmp/$n.out" | head -2 | sed 's/^/                 /' || true
done
[ -f "$tmp/bt.out" ] && grep -i 'lost' "$tmp/bt.out" | head -2 | sed 's/^/  bpftrace_leak  /' || true
echo
printf '%-14s %12s %11s %10s\n' arm it/s of-untraced ns/event
for arm in $ARMS; do
	r=$(echo "${rates[$arm]}" | median)
	# 8 kmem events per iteration (4 allocs: filp, dentry, eventfd_ctx, LSM
	# blob; 4 frees), as rec-nostacks counts them on a quiet machine (8.05)
	awk -v r="$r" -v b="$base" -v a="$arm" 'BEGIN {
		ns = (a == "untraced") ? "-" : sprintf("%.0f", (1e9 / r - 1e9 / b) / 8)
		printf "%-14s %12d %11.3f %10s\n", a, r, r / b, ns }'
done

exact_failed=0
if [ "${EXACT:-1}" = 1 ]; then
	echo
	check_exact rec_default yes --events
	check_exact rec_nostacks no --events --no-stacks
fi
exit "$exact_failed"
