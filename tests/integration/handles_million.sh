#!/usr/bin/env bash
# A million open fds, counted by the BPF task_file iterator in one pass and
# exactly. The kernel stops a bpf_iter read() after 1,000,000 objects when
# nothing was written (EAGAIN), and the resumed read shows the last object
# again: poolscope used to give up on the iterator there and walk every
# /proc/PID/fd instead (10x slower: diagnose then sampled processes every
# 18 s), and a naive retry counts one fd twice. 510 leakzoo processes hold
# 2,000 eventfds each (1,020,000; file-max and 20,000 fds per process allow
# it); `handles -s` must say method bpf-iter, and `handles` must count
# exactly 2,000 eventfds in each of them — the same counts as the /proc walk
# (--no-bpf) gives. Skips without root or when file-max is too small.
set -u
PS=${POOLSCOPE:-build/poolscope}
LZ=${LEAKERS:-build/leakers}/leakzoo
N=510 PER=2000
[ "$(id -u)" -eq 0 ] || { echo "SKIP: handles_million needs root (the BPF iterator)"; exit 77; }
read -r used _ max </proc/sys/fs/file-nr
[ $((max - used)) -gt $((N * PER * 2)) ] || { echo "SKIP: file-max $max leaves no room for $((N * PER)) more fds"; exit 77; }
tmp=$(mktemp -d -t poolscope-million.XXXXXX)
pids=()
cleanup() {
	exec {hold}>&- 2>/dev/null
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkfifo "$tmp/hold"
exec {hold}<>"$tmp/hold"
for i in $(seq "$N"); do
	"$LZ" flatfds --max "$PER" --rate 0.001 --comm psmillion <"$tmp/hold" >"$tmp/out.$i" 2>&1 &
	pids+=($!)
done
for _ in $(seq 600); do
	ready=$(grep -l '^ready' "$tmp"/out.* 2>/dev/null | wc -l)
	[ "$ready" -eq "$N" ] && break
	sleep 0.1
done
[ "$ready" -eq "$N" ] || { echo "FAIL: only $ready of $N leakers ready"; exit 1; }

method=$("$PS" handles -s --format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["method"])')
[ "$method" = bpf-iter ] || { echo "FAIL: handles -s over $((N * PER)) fds used method '$method', not bpf-iter"; exit 1; }

count() { # ARGS: prints "procs eventfds-total wrong" for our leakers
	"$PS" handles -p psmillion --format json "$@" 2>/dev/null | python3 -c "
import json, sys
rows = json.load(sys.stdin)
ev = [r['types'].get('eventfd', 0) for r in rows]
print(len(rows), sum(ev), sum(1 for e in ev if e != $PER))"
}
read -r procs total wrong < <(count)
echo "bpf: $procs processes, $total eventfds, $wrong with a count other than $PER"
[ "$procs" -eq "$N" ] && [ "$total" -eq $((N * PER)) ] && [ "$wrong" -eq 0 ] ||
	{ echo "FAIL: the iterator's counts are not exact"; exit 1; }
read -r procs total wrong < <(count --no-bpf)
echo "walk: $procs processes, $total eventfds"
[ "$procs" -eq "$N" ] && [ "$total" -eq $((N * PER)) ] || { echo "FAIL: the /proc walk disagrees"; exit 1; }
echo "PASS: $((N * PER)) fds counted exactly in one BPF pass"
