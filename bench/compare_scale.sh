#!/usr/bin/env bash
# poolscope compare on a fleet: N generated snapshots (bench/gen_snapshots:
# ~200 caches, 40 resources, 20 processes each; ODD hosts with 5000 extra
# eventfds), read from page cache. Three runs over the directory and three
# over a shuffled list on stdin (each shuffle different), each with wall
# time, user time and peak RSS (/usr/bin/time -v); every run must name
# exactly the odd hosts the generator made, and all runs must print the same
# verdict. compare is a CPU job on a shared machine: it waits (up to WAIT_S)
# for a 1-minute load below 1 and prints the load beside each figure.
#   bash bench/compare_scale.sh [BUILD_DIR] [N] [ODD]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-10000}
odd=${3:-3}
wait_s=${WAIT_S:-300}
dir=${TMPDIR:-/tmp}/poolscope-fleet-$n
trap 'rm -rf "$dir" "$dir.out" "$dir.time" "$dir.odd" "$dir.ref" "$dir.list"' EXIT
make --no-print-directory BUILD="$build" "$build/poolscope" "$build/bench/gen_snapshots" >/dev/null
rm -rf "$dir"
echo "generating $n snapshots ($odd odd) into $dir"
"$build/bench/gen_snapshots" -o "$odd" "$dir" "$n" | sort >"$dir.odd"
echo "$(du -sh "$dir" | cut -f1) in $(find "$dir" -name '*.json' | wc -l) files; odd: $(paste -sd' ' "$dir.odd")"
cat "$dir"/*.json >/dev/null # page cache

load() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while awk -v l="$(load)" 'BEGIN { exit !(l >= 1) }' && [ "$waited" -lt "$wait_s" ]; do
	sleep 10
	waited=$((waited + 10))
done
awk -v l="$(load)" 'BEGIN { exit !(l >= 1) }' &&
	echo "note: the 1-minute load is still $(load) after ${waited}s: the figures share the CPU"

run() { # label, then how compare reads the fleet
	local label=$1
	shift
	local l0 wall user rss
	l0=$(load)
	"$@" 2>"$dir.time" >"$dir.out"
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir.time" |
		awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
	user=$(sed -n 's/.*User time (seconds): //p' "$dir.time")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir.time")
	python3 - "$dir.out" "$dir.odd" <<'PY' || { echo "FAIL: $label: the odd hosts are not the ones made"; exit 1; }
import json, sys
v = json.load(open(sys.argv[1]))
want = sorted(open(sys.argv[2]).read().split())
got = sorted(h["host"] for h in v["odd_hosts"])
sys.exit(0 if got == want and not v["skipped"] else 1)
PY
	if [ -f "$dir.ref" ]; then
		cmp -s "$dir.ref" "$dir.out" || { echo "FAIL: $label: another verdict"; exit 1; }
	else
		cp "$dir.out" "$dir.ref"
	fi
	awk -v w="$wall" -v u="$user" -v r="$rss" -v l="$l0" -v label="$label" -v n="$n" 'BEGIN {
		printf "%-16s %5.2f s wall, %5.2f s user, peak RSS %6.1f MiB, %6.0f snapshots/s (load %s)\n",
			label, w, u, r / 1024, n / w, l }'
}
for i in 1 2 3; do
	run "dir, run $i" /usr/bin/time -v "$build/poolscope" compare -f json "$dir"
done
for i in 1 2 3; do
	find "$dir" -name '*.json' | shuf --random-source=<(yes "$i") >"$dir.list"
	run "shuffled, run $i" /usr/bin/time -v "$build/poolscope" compare -f json - <"$dir.list"
done
rm -f "$dir.list"
echo "odd hosts found in every run, the same verdict in every order"
