#!/usr/bin/env bash
# poolscope watch as a service: it serves /metrics that promtool accepts,
# with no duplicate series and fewer than 1,500 of them; writes a snapshot
# and a history that `history` reads back; exits 0 on SIGTERM and leaves
# nothing listening; killed with SIGKILL again and again mid-write, its
# database stays sound and a restart on it loses at most one interval;
# bad options are one line and exit 2.
set -u
cd "$(dirname "$0")/../.."
POOLSCOPE=${POOLSCOPE:-build/poolscope}
[ "$(id -u)" -eq 0 ] || { echo "watch_service: skipped: needs root"; exit 77; }
command -v promtool >/dev/null || { echo "watch_service: promtool missing (make deps: prometheus)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "watch_service: sqlite3 missing (make deps)"; exit 1; }
work=$(mktemp -d -t poolscope-watch.XXXXXX)
wpid=
trap '[ -n "$wpid" ] && kill -9 $wpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# ASan builds: LeakSanitizer cannot run under SIGKILL; leaks are checked on the clean exits.

for args in "--interval 0" "--interval 100ms" "--db x --no-db" "--retention raw=1s" \
	"--retention bogus=1d" "--alert-within 1s" "--top 0" "--count 0" "--listen 1.2.3:9" "extra"; do
	# shellcheck disable=SC2086
	timeout 20 "$POOLSCOPE" watch $args --no-db --count 1 --no-diagnose >"$work/out" 2>"$work/err"
	rc=$?
	[ "$rc" -eq 2 ] || [ "$args" = "--listen 1.2.3:9" -a "$rc" -eq 1 ] ||
		fail "watch $args: exit $rc: $(cat "$work/err")"
	[ "$(wc -l <"$work/err")" -le 2 ] || fail "watch $args: more than one line: $(cat "$work/err")"
done

free_port() { # a port nothing listens on
	local p
	for p in $(seq 19500 19600); do
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
port=$(free_port)

"$POOLSCOPE" watch --interval 1s --db "$work/h.db" --listen "127.0.0.1:$port" \
	--snapshot "$work/snap.json" >"$work/w.out" 2>"$work/w.err" &
wpid=$!
for _ in $(seq 100); do
	{ exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null && break
	sleep 0.1
done
sleep 3
exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "nothing listens on $port"
printf 'GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n' >&3
sed '1,/^\r$/d' <&3 >"$work/metrics"
exec 3<&-
grep -q '^poolscope_slab_bytes{' "$work/metrics" || fail "no slab series: $(head -5 "$work/metrics")"
grep -q '^poolscope_resource_used{resource="file handles' "$work/metrics" || fail "no file handles"
grep -q '^poolscope_process_fds{' "$work/metrics" || fail "no process fds"
promtool check metrics <"$work/metrics" >"$work/promtool" 2>&1 || fail "promtool: $(cat "$work/promtool")"
n=$(grep -vc '^#' "$work/metrics")
[ "$n" -lt 1500 ] || fail "$n series (the fleet budget is 1,500)"
dups=$(grep -v '^#' "$work/metrics" | sed 's/ [^ ]*$//' | sort | uniq -d | head -3)
[ -z "$dups" ] || fail "duplicate series: $dups"
python3 -c "
import json; d = json.load(open('$work/snap.json'))
assert d['poolscope_snapshot'] == 1 and d['caches'] and d['resources'] and d['processes'], d.keys()
assert 'filp' in d['caches'] and 'mem_total' in d['meminfo'], list(d['caches'])[:5]
" || fail "the snapshot is not what docs/SNAPSHOT.md says"
kill -TERM $wpid
wait $wpid
rc=$?
wpid=
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc: $(cat "$work/w.err")"
ss -Htln "sport = :$port" | grep -q . && fail "port $port still listening after exit"
"$POOLSCOPE" history --db "$work/h.db" --series 'slab/filp/objs' --format json >"$work/hist.json" ||
	fail "history: $(cat "$work/hist.json")"
python3 -c "
import json; d = json.load(open('$work/hist.json'))
s = [x for x in d['series'] if x['name'] == 'slab/filp/objs']
assert s and len(s[0]['points']) >= 3, d
" || fail "history does not read back what watch stored"

# SIGKILL mid-write, again and again: the file stays sound, every restart
# goes on, and each kill loses at most the interval being written.
for i in 1 2 3 4 5; do
	ASAN_OPTIONS=detect_leaks=0 "$POOLSCOPE" watch --interval 1s --db "$work/k.db" --no-diagnose \
		>/dev/null 2>"$work/k.err" &
	wpid=$!
	sleep "2.$((RANDOM % 10))"
	kill -9 $wpid
	wait $wpid 2>/dev/null
	wpid=
	[ "$(sqlite3 "$work/k.db" 'PRAGMA integrity_check')" = ok ] || fail "kill $i: integrity_check failed"
done
"$POOLSCOPE" history --db "$work/k.db" --series 'mem/MemTotal' --format json >"$work/k.json" ||
	fail "history after kills: $(cat "$work/k.json")"
python3 -c "
import json; d = json.load(open('$work/k.json'))
pts = d['series'][0]['points']
# 5 runs of 2-3 s at 1 s: every run stored its samples but the one killed mid-write.
assert len(pts) >= 5 * 2 - 5, pts
" || fail "too many intervals lost across the kills"
echo "watch_service: ok ($n series, promtool clean, 5 kills survived)"
