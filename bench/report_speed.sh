#!/usr/bin/env bash
# poolscope report speed and memory on a synthetic 100M-event steady-churn
# trace (bench/gen_trace: 100k live objects, 16 tags, 64 stacks, one object
# in 100000 leaked). Reports events/s for the default report from page
# cache and the peak RSS (/usr/bin/time -v), beside a baseline pass over the
# same bytes (cksum) run in the same session.
#   bash bench/report_speed.sh [BUILD_DIR] [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
events=${2:-100000000}
trace=${TMPDIR:-/tmp}/poolscope-bench-$events.pstrace
trap 'rm -f "$trace"' EXIT
make --no-print-directory BUILD="$build" "$build/poolscope" "$build/bench/gen_trace" >/dev/null
echo "generating $events events into $trace"
"$build/bench/gen_trace" --events "$events" --live 100000 --leak-every 100000 "$trace"
cat "$trace" >/dev/null # page cache
bytes=$(stat -c %s "$trace")
t0=$(date +%s.%N); cksum "$trace" >/dev/null; t1=$(date +%s.%N)
for run in 1 2 3; do
	/usr/bin/time -v "$build/poolscope" report "$trace" >/dev/null 2>"$trace.time"
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$trace.time" |
		awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
	user=$(sed -n 's/.*User time (seconds): //p' "$trace.time")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$trace.time")
	awk -v e="$events" -v w="$wall" -v u="$user" -v r="$rss" -v run="$run" 'BEGIN {
		printf "run %d: %.2f s wall, %.2f s user: %.1f M events/s, peak RSS %.1f MiB\n",
			run, w, u, e / w / 1e6, r / 1024 }'
done
rm -f "$trace.time"
awk -v b="$bytes" -v s="$(echo "$t1 - $t0" | bc)" 'BEGIN {
	printf "baseline: cksum reads the %.0f MiB trace in %.2f s (%.0f MiB/s)\n", b / 1048576, s, b / 1048576 / s }'
