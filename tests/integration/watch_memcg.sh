#!/usr/bin/env bash
# A service growing toward its memory cgroup's limit: a process in a cgroup
# of its own (256 MiB) touches 2 MiB every 50 ms. watch samples the cgroup
# (v1 or v2, whichever holds the memory controller here), raises one alert
# when its usage passes 80 % of the limit, serves the cgroup's usage, kernel
# memory and limit on /metrics, diagnoses the processes in the cgroup, and
# keeps the series in the history. Memory
# pressure (PSI) is served beside it where the kernel has it. The cgroup is
# removed afterwards.
set -u
cd "$(dirname "$0")/../.."
POOLSCOPE=${POOLSCOPE:-build/poolscope}
[ "$(id -u)" -eq 0 ] || { echo "watch_memcg: skipped: needs root (a cgroup of its own)"; exit 77; }
command -v python3 >/dev/null || { echo "watch_memcg: python3 missing (make deps)"; exit 1; }
command -v curl >/dev/null || { echo "watch_memcg: curl missing (make deps)"; exit 1; }
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	root=/sys/fs/cgroup limit_file=memory.max
elif [ -e /sys/fs/cgroup/memory/memory.usage_in_bytes ]; then
	root=/sys/fs/cgroup/memory limit_file=memory.limit_in_bytes
else
	echo "watch_memcg: skipped: no memory cgroup controller mounted"; exit 77
fi
name=poolscope-test-memcg.$$
cg=$root/$name
work=$(mktemp -d -t poolscope-wmemcg.XXXXXX)
wpid= gpid=
cleanup() {
	[ -n "$wpid" ] && kill $wpid 2>/dev/null
	[ -n "$gpid" ] && kill $gpid 2>/dev/null
	wait 2>/dev/null
	for _ in $(seq 50); do [ -d "$cg" ] || break; rmdir "$cg" 2>/dev/null || sleep 0.1; done
	[ -n "${WATCH_MEMCG_KEEP:-}" ] && cp -r "$work" "$WATCH_MEMCG_KEEP"
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- watch stderr"; cat "$work/w.err"; exit 1; }

mkdir "$cg" || { echo "watch_memcg: skipped: cannot create a cgroup under $root"; exit 77; }
echo $((256 << 20)) >"$cg/$limit_file" || fail "cannot set $cg/$limit_file"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$POOLSCOPE" watch --interval 1s --db "$work/h.db" --listen "127.0.0.1:$port" \
	--diagnose-duration 5s >"$work/w.out" 2>"$work/w.err" &
wpid=$!
# The grower joins the cgroup before it allocates: up to 220 MiB, then holds
# (with the interpreter ~224 MiB, 87 %: past the 80 % level and short of
# the 95 % one, so that a late sample cannot see it cross both at once).
sh -c "echo \$\$ >$cg/cgroup.procs && exec python3 -c '
import time
held = []
for _ in range(110):
    held.append(b\"x\" * (2 << 20))
    time.sleep(0.05)
time.sleep(120)
'" &
gpid=$!
for _ in $(seq 300); do
	grep -q "alert: memory of cgroup $name 80%" "$work/w.err" && break
	sleep 0.1
done
grep -q "alert: memory of cgroup $name 80%" "$work/w.err" ||
	fail "no 80 % alert on the cgroup's memory: $(grep alert: "$work/w.err" | head -3)"
curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics" || fail "no /metrics"
# The alert's diagnosis is aimed at the cgroup's one process (its
# cgroup.procs), not at the whole machine.
for _ in $(seq 300); do
	grep -q "diagnosis of memory of cgroup $name" "$work/w.err" && break
	sleep 0.1
done
grep -q "diagnosis of memory of cgroup $name" "$work/w.err" || fail "no diagnosis of the cgroup's alert"
kill -TERM $wpid
wait $wpid
rc=$?
wpid=
[ "$rc" -eq 0 ] || fail "watch exit $rc"
# What it checked is in the stored diagnosis: one process (kernel-wide
# resources are judged as well, so a leak elsewhere on a busy machine may
# be its first finding).
python3 - "$work/h.db" "$name" <<'PY' || fail "the diagnosis was not aimed at the cgroup's process"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (body,) in db.execute("SELECT body FROM events WHERE kind = 'diagnosis'"):
    e = json.loads(body)
    if e["alert"]["series"].startswith("memcg/" + sys.argv[2]):
        n = e["diagnosis"]["checked"]["processes"]
        print("watch_memcg: the diagnosis checked %d process(es)" % n)
        sys.exit(0 if n == 1 else 1)
print("watch_memcg: no stored diagnosis of the cgroup's alert")
sys.exit(1)
PY
[ "$(grep -c "alert: memory of cgroup $name 80%" "$work/w.err")" -eq 1 ] ||
	fail "the 80 % alert was said more than once"
grep -q "^poolscope_memcg_limit_bytes{cgroup=\"$name\"} $((256 << 20))\$" "$work/metrics" ||
	fail "/metrics has no limit for $name: $(grep memcg_limit "$work/metrics" | head -3)"
usage=$(sed -n "s/^poolscope_memcg_bytes{cgroup=\"$name\",type=\"usage\"} //p" "$work/metrics")
python3 -c "import sys; u = float('${usage:-0}'); sys.exit(0 if u > 0.8 * (256 << 20) else 1)" ||
	fail "/metrics: the cgroup's usage is '${usage}', not past 80 % of 256 MiB"
grep -q "^poolscope_memcg_bytes{cgroup=\"$name\",type=\"kernel\"} [0-9]" "$work/metrics" ||
	fail "/metrics: no kernel memory of $name"
if [ -r /proc/pressure/memory ]; then
	grep -q '^poolscope_memory_pressure_stalled_seconds_total{kind="some"} [0-9]' "$work/metrics" ||
		fail "/metrics: no memory pressure although /proc/pressure/memory is readable"
fi
"$POOLSCOPE" history --db "$work/h.db" --series "memcg/$name/usage" --format csv \
	>"$work/hist.csv" 2>"$work/hist.err" || fail "history: $(cat "$work/hist.err")"
rows=$(grep -c "memcg/$name/usage" "$work/hist.csv")
[ "$rows" -ge 3 ] || fail "history holds $rows samples of memcg/$name/usage: $(head -3 "$work/hist.csv")"
echo "watch_memcg: ok ($rows samples of $name in the history, cgroup root $root)"
