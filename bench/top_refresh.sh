#!/usr/bin/env bash
# CPU cost of one `poolscope top` refresh (read /proc/slabinfo, /proc/meminfo,
# file-nr, uptime, the counters; build the snapshot; render), counters off and
# on, text and JSON. Startup (BPF load, kallsyms) is taken out by subtracting a
# 1-refresh run from an N-refresh run of the same kind, both in this run:
#     per refresh = (CPU(N) - CPU(1)) / (N - 1)
# Usage: bench/top_refresh.sh [N]   (env POOLSCOPE, default build/poolscope)
set -eu
P=${POOLSCOPE:-build/poolscope}
N=${1:-200}
REPEAT=${REPEAT:-3}
[ "$(id -u)" = 0 ] || { echo "top_refresh: needs root (/proc/slabinfo, BPF)" >&2; exit 1; }

# CPU seconds (user+sys) of one run, from bash's children times.
cpu_of() {
	( "$P" top -b "$@" > /dev/null; times ) | tail -1 |
		awk '{ split($1, u, "m"); split($2, s, "m");
		       printf "%.4f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}

# Median over REPEAT runs of the per-refresh CPU in ms.
per_refresh() {
	local i one many vals=()
	for ((i = 0; i < REPEAT; i++)); do
		one=$(cpu_of -n 1 -d 0.01 "$@")
		many=$(cpu_of -n "$N" -d 0.01 "$@")
		vals+=("$(awk -v a="$one" -v b="$many" -v n="$N" 'BEGIN { printf "%.3f", (b - a) * 1000 / (n - 1) }')")
	done
	printf '%s\n' "${vals[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# The floor, side by side: the kernel's own cost of producing /proc/slabinfo
# (perl reading it N times; perl-base is in every Debian), per read.
floor() {
	perl -e 'my $n = shift; for (1 .. $n) { open(my $f, "<", "/proc/slabinfo") or die;
		local $/; my $x = <$f>; close $f } my @t = times; printf "%.3f\n", ($t[0] + $t[1]) * 1000 / $n' "$N"
}

caches=$(($(wc -l < /proc/slabinfo) - 2))
echo "machine: $(nproc) CPUs, $(uname -r), $caches slab caches, $(date -u +%Y-%m-%d)"
echo "refreshes per run: $N (-d 0.01), median of $REPEAT"
printf '%-28s %s\n' "mode" "CPU per refresh (ms)"
printf '%-28s %s\n' "read /proc/slabinfo (floor)" "$(floor)"
printf '%-28s %s\n' "counters off, text" "$(per_refresh --no-counters)"
printf '%-28s %s\n' "counters off, json" "$(per_refresh --no-counters --format json)"
printf '%-28s %s\n' "counters on, text" "$(per_refresh)"
printf '%-28s %s\n' "counters on, json" "$(per_refresh --format json)"
printf '%-28s %s\n' "slabtop -o (peer, 1 screen)" "$( ( slabtop -o > /dev/null; times ) | tail -1 | awk '{ split($1, u, "m"); split($2, s, "m"); printf "%.1f (whole process)", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000 }')"
