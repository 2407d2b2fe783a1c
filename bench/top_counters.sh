#!/usr/bin/env bash
# Cost of poolscope's slab counters on a slab-churn loop, side by side with
# the same counting done by a bpftrace one-liner, in one run:
#   bash bench/top_counters.sh [BUILD_DIR] [ITERATIONS] [REPS]
# Arms, in alternating order each repetition: untraced; poolscope's counters
# (bench/counters_attach.c: slab_counters__start, nothing else); bpftrace
# counting kmem_cache_alloc/kmem_cache_free by cache name. The loop
# (bench/evloop.c) is pinned to one CPU. bpftrace needs tracefs for the
# tracepoint formats: mounted for the run if absent, unmounted after.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ITERS=${2:-1000000}
REPS=${3:-5}
CPU=${CPU:-1}

[ "$(id -u)" -eq 0 ] || { echo "top_counters.sh: needs root (BPF)" >&2; exit 1; }
make --no-print-directory BUILD="$BUILD" "$BUILD/libpoolscope.a" >/dev/null
tmp=$(mktemp -d -t poolscope-bench.XXXXXX)
mounted_tracefs=0
cleanup() {
	[ -n "${attach_pid:-}" ] && kill "$attach_pid" 2>/dev/null || true
	[ -n "${bt_pid:-}" ] && kill "$bt_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	[ "$mounted_tracefs" -eq 1 ] && umount /sys/kernel/tracing 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

gcc -O2 -Wall -Wextra -o "$tmp/evloop" bench/evloop.c
gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -Isrc -I"$BUILD/gen" -o "$tmp/attach" \
	bench/counters_attach.c "$BUILD/libpoolscope.a" \
	$(pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
clang -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu -c bench/bpf/empty_tp.bpf.c -o "$tmp/empty_tp.bpf.o"
if ! mountpoint -q /sys/kernel/tracing; then
	mount -t tracefs nodev /sys/kernel/tracing
	mounted_tracefs=1
fi

BT_PROG='tracepoint:kmem:kmem_cache_alloc { @[args->name] = count() }
tracepoint:kmem:kmem_cache_free { @[args->name] = count() }'

# Rate by the loop's own CPU time (see bench/evloop.c); RATE=wall for wall clock.
loop() {
	local key=cpu_rate
	[ "${RATE:-cpu}" = wall ] && key=' rate'
	taskset -c "$CPU" "$tmp/evloop" "$ITERS" | sed -n "s/.*$key=\([0-9]*\).*/\1/p"
}

wait_for() { # FILE PATTERN: up to 20 s
	local i
	for i in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "top_counters.sh: timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

arm_none() { loop; }

arm_ours() { attached; sed -n 's/counted=\([0-9]*\).*/\1/p' "$tmp/attach.out" >"$tmp/ours.counted"; }
arm_empty() { attached "$tmp/empty_tp.bpf.o"; }

attached() { # [BPF object]: the loop with our counters (or that object) attached
	rm -f "$tmp/fifo" "$tmp/attach.out"
	mkfifo "$tmp/fifo"
	"$tmp/attach" "$@" <"$tmp/fifo" >"$tmp/attach.out" &
	attach_pid=$!
	exec 3>"$tmp/fifo"
	wait_for "$tmp/attach.out" ready
	loop
	exec 3>&-
	wait "$attach_pid"
	attach_pid=
}

arm_bpftrace() {
	bpftrace -e "$BT_PROG" >"$tmp/bt.out" 2>&1 &
	bt_pid=$!
	wait_for "$tmp/bt.out" "Attaching"
	sleep 1
	loop
	kill -INT "$bt_pid"
	wait "$bt_pid" || true
	bt_pid=
}

# Another tracer on the same tracepoints slows every arm alike: say so.
foreign=$(bpftool link show 2>/dev/null | grep -cE "tp '(kmem_cache_alloc|kmem_cache_free|kmalloc|kfree)'" || true)
[ "$foreign" -gt 0 ] && echo "WARNING: $foreign foreign BPF links on the kmem tracepoints during this run: ratios understate every arm's cost; ns/event differences still hold"

ARMS="none empty ours bpftrace"
: >"$tmp/reps"
for rep in $(seq "$REPS"); do
	order=$ARMS
	[ $((rep % 2)) -eq 0 ] && order=$(echo "$ARMS" | tr ' ' '\n' | tac | tr '\n' ' ')
	declare -A r=()
	for arm in $order; do
		r[$arm]=$("arm_$arm")
		printf 'rep %d %-9s %s it/s\n' "$rep" "$arm" "${r[$arm]}"
	done
	echo "${r[none]} ${r[empty]} ${r[ours]} ${r[bpftrace]}" >>"$tmp/reps"
done

counted=$(cat "$tmp/ours.counted" 2>/dev/null || echo 0)
echo
echo "machine: $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d); loop pinned to CPU $CPU; $ITERS iterations x $REPS reps, rate by ${RATE:-cpu} time"
echo "events counted by ours in its last run (machine-wide): $counted ($(awk -v c="$counted" -v n="$ITERS" 'BEGIN{printf "%.2f", c/n}') per loop iteration)"
# Two summaries, since others load this machine: the best run of each arm
# (load only ever slows a run down), and the median over repetitions of
# each arm's ratio to the untraced run of its own repetition.
awk -v reps="$REPS" '
function sortv(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
{
	for (c = 1; c <= 4; c++) { if ($c > best[c]) best[c] = $c; ratio[c, NR] = $c / $1 }
}
END {
	ev = 9 # kmem tracepoint hits per iteration: 3+3 cache alloc/free, 1 kmalloc, 2 kfree
	split("untraced empty-tp_btf poolscope bpftrace", name, " ")
	printf "%-14s %10s %12s %10s %12s %14s\n", "arm", "best it/s", "best ratio", "slowdown", "ns/event", "median ratio"
	for (c = 1; c <= 4; c++) {
		n = 0
		for (i = 1; i <= NR; i++) v[++n] = ratio[c, i]
		sortv(v, n)
		med = v[int((n + 1) / 2)]
		ns = c == 1 ? 0 : (1e9 / best[c] - 1e9 / best[1]) / ev
		printf "%-14s %10d %12.3f %9.3fx %12.1f %14.3f\n", name[c], best[c], best[c] / best[1], best[1] / best[c], ns, med
	}
}' "$tmp/reps"
