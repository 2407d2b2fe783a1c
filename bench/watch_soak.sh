#!/usr/bin/env bash
# Does watch's own memory stay flat? Runs `poolscope watch` for MINUTES
# (default 65) at INTERVAL (default 1s: ten times the default rate, so an
# hour here is ten hours of a default watch) with its database, /metrics
# scraped every 10 s and a snapshot, and prints its RSS every minute, then
# RSS at 5 min vs at 60 min (the issue's bound: at most +10 %).
#   bash bench/watch_soak.sh [BUILD_DIR] [MINUTES] [INTERVAL]
# Not a timing benchmark: other load does not change what it measures.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MINUTES=${2:-65}
INTERVAL=${3:-1s}
[ "$(id -u)" -eq 0 ] || { echo "watch_soak.sh: needs root" >&2; exit 1; }
tmp=$(mktemp -d -t poolscope-soak.XXXXXX)
cp "$BUILD/poolscope" "$tmp/poolscope" # a rebuild meanwhile does not touch the run
port=19777
"$tmp/poolscope" watch --interval "$INTERVAL" --db "$tmp/h.db" --listen "127.0.0.1:$port" \
	--snapshot "$tmp/snap.json" --no-diagnose >"$tmp/out" 2>"$tmp/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
rss() { awk '/^VmRSS/ {print $2}' /proc/$pid/status; }
echo "minute rss_kib db_bytes"
for m in $(seq 1 "$MINUTES"); do
	for _ in 1 2 3 4 5 6; do
		sleep 10
		{ exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 &&
			cat <&3 >/dev/null; exec 3<&-; } 2>/dev/null || true
	done
	kill -0 $pid || { echo "watch died"; cat "$tmp/err"; exit 1; }
	r=$(rss)
	echo "$m $r $(stat -c %s "$tmp/h.db")"
	[ "$m" -eq 5 ] && r5=$r
	[ "$m" -eq 60 ] && r60=$r
done
if [ -n "${r5:-}" ] && [ -n "${r60:-}" ]; then
	awk -v a="$r5" -v b="$r60" 'BEGIN { printf "RSS at 5 min %d KiB, at 60 min %d KiB: %+.1f %%\n", a, b, (b - a) * 100 / a }'
fi
echo "watch stderr:"; head -20 "$tmp/err"
