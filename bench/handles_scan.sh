#!/usr/bin/env bash
# bench/handles_scan.sh — how fast `poolscope handles -s` sees every fd on the
# machine, side by side in one run with `lsof -n -P` and a bare C walk doing
# only readdir + readlink on /proc/*/fd (bench/fdwalk.c), while PROCS
# processes hold FDS fds each of mixed kinds (handleholder --mix). Then the
# summary's max RSS at FDS and at SMALL_FDS fds per process (memory must grow
# with processes, not fds). Prints a markdown section for docs/PERFORMANCE.md.
#
#   bench/handles_scan.sh            (root; ~1 min)
#   PROCS=100 FDS=2000 SMALL_FDS=200 RUNS=7 LSOF_RUNS=3 BUILD=build/handles
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/handles}
PROCS=${PROCS:-100}
FDS=${FDS:-2000}
SMALL_FDS=${SMALL_FDS:-200}
RUNS=${RUNS:-7}
LSOF_RUNS=${LSOF_RUNS:-3}

make -s BUILD="$BUILD" "$BUILD/poolscope" "$BUILD/leakers/handleholder" >/dev/null
mkdir -p "$BUILD/bench"
gcc -O2 -Wall -o "$BUILD/bench/fdwalk" bench/fdwalk.c
PS="$BUILD/poolscope"
tmp=$(mktemp -d -t handles-bench.XXXXXX)
pids=()

stop_holders() {
	exec 3>&- 2>/dev/null || true # EOF on their stdin: they exit
	if [ ${#pids[@]} -gt 0 ]; then
		kill -9 "${pids[@]}" 2>/dev/null || true
		wait "${pids[@]}" 2>/dev/null || true
	fi
	pids=()
	rm -f "$tmp/fifo" "$tmp"/out.*
}
cleanup() {
	stop_holders
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_holders() { # $1 = fds per process
	local i
	mkfifo "$tmp/fifo"
	exec 3<>"$tmp/fifo"
	for i in $(seq "$PROCS"); do
		"$BUILD/leakers/handleholder" --mix "$1" <"$tmp/fifo" >"$tmp/out.$i" &
		pids+=($!)
	done
	for i in $(seq "$PROCS"); do
		until grep -q ready "$tmp/out.$i" 2>/dev/null; do sleep 0.05; done
	done
}

us() { # run "$@" quietly, print its wall time in µs
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
maxrss() { # KiB
	/usr/bin/time -o "$tmp/rss" -f %M "$@" >/dev/null 2>&1
	cat "$tmp/rss"
}

start_holders "$FDS"
total=$("$BUILD/bench/fdwalk")
: >"$tmp/walk"
: >"$tmp/bpf"
: >"$tmp/proc"
: >"$tmp/lsof"
for r in $(seq "$RUNS"); do
	us "$BUILD/bench/fdwalk" >>"$tmp/walk"
	us "$PS" handles -s >>"$tmp/bpf"
	us "$PS" handles -s --no-bpf >>"$tmp/proc"
	if [ "$r" -le "$LSOF_RUNS" ]; then us lsof -n -P >>"$tmp/lsof"; fi
done
walk=$(median <"$tmp/walk")
bpf=$(median <"$tmp/bpf")
proc=$(median <"$tmp/proc")
lsof=$(median <"$tmp/lsof")
method=$("$PS" handles -s --format json 2>/dev/null | sed -n 's/.*"method":"\([a-z-]*\)".*/\1/p')
rss_bpf_big=$(maxrss "$PS" handles -s)
rss_proc_big=$(maxrss "$PS" handles -s --no-bpf)
rss_walk_big=$(maxrss "$BUILD/bench/fdwalk")
stop_holders

start_holders "$SMALL_FDS"
small_total=$("$BUILD/bench/fdwalk")
rss_bpf_small=$(maxrss "$PS" handles -s)
rss_proc_small=$(maxrss "$PS" handles -s --no-bpf)
stop_holders

ms() { awk -v us="$1" 'BEGIN { printf "%.0f ms", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }

cat <<EOT
## handles

\`bench/handles_scan.sh\` ($(date -u +%Y-%m-%d), $(uname -r), $(nproc) cores): $PROCS processes
holding $FDS fds each of mixed kinds (eventfd, pipes, UNIX pairs, files, timerfd, epoll, memfd,
a few loopback TCP/UDP), $total fds in all; medians of $RUNS runs ($LSOF_RUNS for lsof), run
interleaved in one loop. \`-s\` needs the kind of every fd; as root it counts them with the
BPF \`iter/task_file\` iterator ($method), \`--no-bpf\` walks /proc (readdir + readlinkat,
stat for paths, one getxattr per socket for its protocol).

| command | median | vs \`lsof -n -P\` | vs bare walk |
|---|---:|---:|---:|
| \`lsof -n -P\` | $(ms "$lsof") | 1.0× | $(ratio "$lsof" "$walk") the time |
| bare walk (\`bench/fdwalk.c\`: readdir + readlink) | $(ms "$walk") | $(ratio "$lsof" "$walk") faster | 1.0× |
| \`poolscope handles -s\` (BPF iterator) | $(ms "$bpf") | $(ratio "$lsof" "$bpf") faster | $(ratio "$bpf" "$walk") the time |
| \`poolscope handles -s --no-bpf\` (/proc walk) | $(ms "$proc") | $(ratio "$lsof" "$proc") faster | $(ratio "$proc" "$walk") the time |

Max RSS of \`handles -s\` (the summary keeps one row per process, never one per fd):

| fds per process (total) | BPF iterator | /proc walk | bare walk |
|---|---:|---:|---:|
| $SMALL_FDS ($small_total) | ${rss_bpf_small} KiB | ${rss_proc_small} KiB | - |
| $FDS ($total) | ${rss_bpf_big} KiB | ${rss_proc_big} KiB | ${rss_walk_big} KiB |

The BPF path's RSS is mostly libbpf's parse of the kernel's BTF (fixed); the map it reads has
one entry per process.
EOT
