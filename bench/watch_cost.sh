#!/usr/bin/env bash
# watch's CPU with 1,000 processes holding 100 fds each, at its default 10 s
# interval (target < 1 % of one core), side by side with the same machine
# without watch (the processes' own churn):
#   bash bench/watch_cost.sh [BUILD_DIR] [MINUTES] [REPS]
# Needs root and a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MINUTES=${2:-2}
REPS=${3:-3}
PS=$BUILD/poolscope
[ "$(id -u)" -eq 0 ] || { echo "watch_cost.sh: needs root" >&2; exit 1; }
tmp=$(mktemp -d -t poolscope-wcost.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
# The flat holders' stdin: a FIFO this shell holds open and never writes, so
# they wait in ppoll (never EOF, never data: /dev/zero made them spin).
mkfifo "$tmp/hold"
exec {hold}<>"$tmp/hold"
for i in $(seq 1000); do
	"$BUILD/leakers/leakzoo" flatfds --max 100 --rate 0.01 <"$tmp/hold" >/dev/null 2>&1 &
	pids+=($!)
done
sleep 15
echo "processes: $(ls /proc | grep -c '^[0-9]'), fds in use: $(awk '{print $1}' /proc/sys/fs/file-nr)"
secs=$((MINUTES * 60))
for rep in $(seq "$REPS"); do
	/usr/bin/time -f '%U %S %e %M' -o "$tmp/time" timeout -s TERM "$secs" \
		"$PS" watch --db "$tmp/h$rep.db" --no-diagnose >/dev/null 2>"$tmp/err" || true
	# time(1) puts "Command exited with non-zero status 124" first (timeout).
	read -r u s e m < <(tail -1 "$tmp/time")
	awk -v u="$u" -v s="$s" -v e="$e" -v m="$m" -v r="$rep" -v db="$(stat -c %s "$tmp/h$rep.db")" \
		'BEGIN { printf "rep %d: cpu %.2f s in %.0f s = %.2f %% of a core; max RSS %d KiB; db %d bytes\n", r, u + s, e, (u + s) * 100 / e, m, db }'
done
