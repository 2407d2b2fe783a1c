#!/usr/bin/env bash
# What `poolscope diagnose` costs, side by side in one run:
#   bash bench/diagnose_cost.sh [BUILD_DIR] [REPS]
# 1. idle: diagnose --duration 30s --no-stacks (the counting phase alone) and
#    the default (with the stack phase): its CPU as a share of one core, and
#    its wall time against the duration (target: duration + 5 s, counting
#    phase <= 5 % of a core).
# 2. scale: 500 processes holding 2,000 fds each (1 M fds) plus one eventfd
#    leak at 50/s: diagnose --duration 30s --no-stacks CPU (target <= 25 %)
#    and the verdict (the leaker named, no flat holder called a leak).
# 3. the stack phase against its peer: an eventfd create+close loop pinned to
#    CPU 1 while diagnose records filp stacks (a leaker makes filp a target),
#    against the same loop under `record --tag filp` and untraced.
# Needs root and a quiet machine: run nothing else beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPS=${2:-3}
PS=$BUILD/poolscope
LZ=$BUILD/leakers/leakzoo
[ "$(id -u)" -eq 0 ] || { echo "diagnose_cost.sh: needs root" >&2; exit 1; }
tmp=$(mktemp -d -t poolscope-dcost.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
# The flat holders' stdin: a FIFO this shell holds open and never writes, so
# they wait in ppoll (never EOF, never data: /dev/zero made them spin).
mkfifo "$tmp/hold"
exec {hold}<>"$tmp/hold"
gcc -O2 -o "$tmp/evloop" bench/evloop.c
cpu_of() { # CMD...: prints "cpu_s wall_s"
	/usr/bin/time -f '%U %S %e' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || true
	awk '{printf "%.2f %.2f\n", $1 + $2, $3}' "$tmp/time"
}
nleak=0
leak() { # KIND ARGS...: a leaker until stdin closes (or the end); sets $lp
	local f
	nleak=$((nleak + 1))
	f="$tmp/in.$nleak"
	mkfifo "$f"
	"$LZ" "$@" <"$f" >"$f.out" 2>&1 &
	pids+=($!)
	lp=$!
	exec {fd}>"$f"
	for _ in $(seq 100); do grep -q '^ready' "$f.out" && break; sleep 0.1; done
}

echo "== 1. idle machine, 30 s"
for rep in $(seq "$REPS"); do
	read -r c w < <(cpu_of "$PS" diagnose --duration 30s --no-stacks --quiet)
	echo "rep $rep counting only: cpu ${c}s wall ${w}s = $(awk -v c="$c" 'BEGIN{printf "%.1f", c*100/30}') % of a core"
	read -r c w < <(cpu_of "$PS" diagnose --duration 30s --quiet)
	echo "rep $rep with stacks:   cpu ${c}s wall ${w}s (limit 35 s)"
done

echo "== 2. 500 processes x 2,000 fds"
for i in $(seq 500); do
	"$LZ" flatfds --max 2000 --rate 0.1 <"$tmp/hold" >/dev/null 2>&1 &
	pids+=($!)
done
sleep 20
echo "fds in use: $(awk '{print $1}' /proc/sys/fs/file-nr)"
# Enough to grow through every rep (a leak that stops mid-run is rightly
# not called one).
leak eventfd --rate 50 --max $((50 * (35 * REPS + 20)))
holder=$lp
for rep in $(seq "$REPS"); do
	/usr/bin/time -f '%U %S %e' -o "$tmp/time" "$PS" diagnose --duration 30s --no-stacks --quiet \
		--format json >"$tmp/d.json" 2>"$tmp/err" || true
	read -r c w < <(awk '{printf "%.2f %.2f\n", $1 + $2, $3}' "$tmp/time")
	verdict=$(python3 -c "
import json; d = json.load(open('$tmp/d.json'))
leaks = [f for f in d['findings'] if f['kind'] == 'leak']
named = any(f['holder'] and f['holder']['pid'] == $holder for f in leaks)
flat = sum(1 for f in leaks if f['holder'] and 'leakzoo' in f['holder']['comm'] and f['holder']['pid'] != $holder)
print('leaker named' if named else 'LEAKER MISSED', '; flat holders called leaks:', flat, '; skipped:', d['checked']['skipped'][:1])")
	echo "rep $rep: cpu ${c}s wall ${w}s = $(awk -v c="$c" 'BEGIN{printf "%.1f", c*100/30}') % of a core; $verdict"
done
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

echo "== 3. the stack phase vs record --tag of the same caches (eventfd loop on CPU 1, 300k iterations)"
loop() { taskset -c 1 "$tmp/evloop" 300000 | sed -n 's/.*rate=\([0-9]*\).*/\1/p'; }
leak eventfd --rate 50 --max $((50 * (75 * REPS + 20)))
for rep in $(seq "$REPS"); do
	u=$(loop)
	taskset -c 0 "$PS" diagnose --duration 40s --quiet --format json >"$tmp/d3.json" 2>/dev/null &
	dp=$!
	sleep 18 # the stack phase starts at 16 s
	d=$(loop)
	wait $dp || true
	# The peer: record of exactly the caches diagnose chose to trace.
	tags=$(python3 -c "import json; print(','.join(json.load(open('$tmp/d3.json'))['checked']['recorded_tags']))")
	[ -n "$tags" ] || tags=filp
	taskset -c 0 "$PS" record -o "$tmp/r.pst" --tag "$tags" --duration 30 >/dev/null 2>&1 &
	rp=$!
	sleep 2
	r=$(loop)
	kill -INT $rp; wait $rp || true
	rm -f "$tmp/r.pst"
	echo "rep $rep: untraced $u it/s; under diagnose's stack phase $d ($(awk -v a="$d" -v b="$u" 'BEGIN{printf "%.3f", a/b}')); under record --tag $tags $r ($(awk -v a="$r" -v b="$u" 'BEGIN{printf "%.3f", a/b}'))"
done
