#!/usr/bin/env bash
# poolscope diagnose against the leak zoo (tests/leakers/leakzoo.c): every
# kind of leak runs at once beside the decoys, on this shared machine, under
# one `diagnose --duration 20s --format json`. Each leak must be named with
# its holder (exact pid, or null where no process holds the objects), its
# object type, and, for fds, the allocating kernel path; the SCM_RIGHTS leak
# with the holder and, apart, the allocator; no decoy may be called a leak.
# Nothing may be left behind (no BPF program, no queue, no key).
set -u
cd "$(dirname "$0")/../.."
POOLSCOPE=${POOLSCOPE:-build/poolscope}
LEAKERS=${LEAKERS:-build/leakers}
[ "$(id -u)" -eq 0 ] || { echo "diagnose_zoo: skipped: needs root (BPF, /proc/slabinfo, every process's fds)"; exit 77; }
command -v python3 >/dev/null || { echo "diagnose_zoo: python3 missing (make deps)"; exit 1; }

work=$(mktemp -d -t poolscope-dzoo.XXXXXX)
pids=()
cleanup() {
	local fd
	for fd in "${fds[@]+"${fds[@]}"}"; do eval "exec $fd>&-" 2>/dev/null; done
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	# DIAGNOSE_ZOO_KEEP=DIR keeps what the run saw (findings, leaker output).
	[ -n "${DIAGNOSE_ZOO_KEEP:-}" ] && cp -r "$work" "$DIAGNOSE_ZOO_KEEP"
	rm -rf "$work"
}
trap cleanup EXIT
fds=()

# KIND ARGS...: start one leaker on a FIFO (EOF frees everything it made).
start() {
	local kind=$1 fd
	shift
	mkfifo "$work/in.$kind"
	"$LEAKERS/leakzoo" "$kind" "$@" <"$work/in.$kind" >"$work/out.$kind" 2>"$work/err.$kind" &
	pids+=($!)
	exec {fd}>"$work/in.$kind"
	fds+=("$fd")
}

# Rates and maxima that keep growing through the whole run (25 s).
start eventfd --rate 50 --max 1500
start timerfd --rate 40 --max 1500
start pipe --rate 30 --max 1000
start unix --rate 30 --max 1000
start tcp --rate 20 --max 700
start thread --rate 5 --max 200
start map --rate 50 --max 1500
start sysvmsg --rate 50 --max 1500 --size 64
start key --rate 40 --max 1200
start inotify --rate 40 --max 1200
start scm --rate 40 --max 1200
start flatfds --rate 200 --max 3000
start burst
start dentry
start pagecache

for k in "$work"/out.*; do
	for _ in $(seq 100); do grep -q '^ready' "$k" && break; sleep 0.1; done
	grep -q '^ready' "$k" || { echo "FAIL: $(basename "$k") never got ready"; cat "$k" "${k/out/err}"; exit 1; }
done

timeout 120 "$POOLSCOPE" diagnose --duration 20s --format json >"$work/d.json" 2>"$work/d.err" &
dpid=$!
# During the stack phase (from 8 s on): the BPF programs diagnose holds.
sleep 14
ppid=$(pgrep -P $dpid -x poolscope | head -1)
progs=$(cat /proc/${ppid:-$dpid}/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -u)
wait $dpid
rc=$?
for fd in "${fds[@]}"; do eval "exec $fd>&-"; done
fds=()
wait "${pids[@]}"
pids=()
[ "$rc" -eq 0 ] || { echo "FAIL: diagnose exit $rc"; cat "$work/d.err"; exit 1; }

python3 - "$work" <<'PY'
import json, os, sys, glob
work = sys.argv[1]
d = json.load(open(os.path.join(work, "d.json")))
facts = {}
for f in glob.glob(os.path.join(work, "out.*")):
    kind = f.rsplit(".", 1)[1]
    kv = {}
    for line in open(f):
        parts = line.split(None, 1)
        if len(parts) == 2:
            kv[parts[0]] = parts[1].strip()
    facts[kind] = kv
leaks = [f for f in d["findings"] if f["kind"] == "leak"]
fail = []

def holder_pid(f):
    return f["holder"]["pid"] if f["holder"] else None

def find(pred):
    return [f for f in leaks if pred(f)]

def expect(kind, pred, what):
    found = find(pred)
    if not found:
        fail.append("%s: no leak finding %s" % (kind, what))
    return found

for kind, tag in [("eventfd", "eventfd"), ("timerfd", "timerfd"), ("pipe", "pipe"),
                  ("unix", "unix"), ("tcp", "tcp")]:
    pid = int(facts[kind]["holder"])
    got = expect(kind, lambda f: holder_pid(f) == pid and f["tag"] == tag,
                 "with holder %d and tag %s" % (pid, tag))
    for f in got:
        if not f["stack"]:
            fail.append("%s: no allocating stack" % kind)
        if f["exhaustion_s"] is None or f["limit"] is None:
            fail.append("%s: no time to exhaustion against RLIMIT_NOFILE" % kind)
for kind, prefix in [("thread", "threads of"), ("map", "mappings of"),
                     ("inotify", "inotify watches of")]:
    pid = int(facts[kind]["holder"])
    expect(kind, lambda f: holder_pid(f) == pid and f["resource"].startswith(prefix),
           "'%s ...' held by %d" % (prefix, pid))
# Held by no process: the holder is null, the evidence names the sender.
sender = int(facts["sysvmsg"]["allocator"])
expect("sysvmsg", lambda f: f["holder"] is None and "SysV" in f["object_type"]
       and f["allocator"] and f["allocator"]["pid"] == sender,
       "of SysV messages with a null holder and the sender %d" % sender)
expect("key", lambda f: f["holder"] is None and f["resource"].startswith("keys of uid"),
       "of keys with a null holder")
# One process allocates, another holds.
alloc, hold = int(facts["scm"]["allocator"]), int(facts["scm"]["holder"])
got = expect("scm", lambda f: holder_pid(f) == hold, "held by the broker %d" % hold)
if got and not any(f["allocator"] and f["allocator"]["pid"] == alloc for f in got):
    fail.append("scm: the allocator %d is not named beside the holder %d: %s"
                % (alloc, hold, [f["allocator"] for f in got]))
# No decoy is a leak.
for kind in ("flatfds", "burst", "dentry", "pagecache"):
    pid = int(facts[kind]["pid"])
    for f in leaks:
        if holder_pid(f) == pid or (f["allocator"] and f["allocator"]["pid"] == pid):
            fail.append("decoy %s (pid %d) called a leak: %s" % (kind, pid, f["resource"]))
for f in leaks:
    if f["tag"] in ("dentry", "radix_tree_node", "ext4_inode_cache", "buffer_head"):
        fail.append("reclaimable cache called a leak: %s" % f["resource"])
print("diagnose_zoo: %d findings, %d leaks; checked %d series, %d growing; lost %s"
      % (len(d["findings"]), len(leaks), d["checked"]["series"], d["checked"]["growing"], d["lost"]))
for f in leaks:
    print("  leak: %s holder=%s allocator=%s tag=%s conf=%.2f" % (
        f["resource"], holder_pid(f), f["allocator"] and f["allocator"]["pid"], f["tag"], f["confidence"]))
if fail:
    print("\n".join("FAIL: " + x for x in fail))
    sys.exit(1)
PY
status=$?
# Nothing stays attached (the programs diagnose held are gone) and nothing
# outlives the leakers.
[ -n "$progs" ] || { echo "FAIL: diagnose held no BPF program during its stack phase"; status=1; }
for id in $progs; do
	if bpftool prog show id "$id" >/dev/null 2>&1; then
		echo "FAIL: BPF program $id of diagnose is still loaded"; bpftool prog show id "$id"; status=1
	fi
done
for k in sysvmsg key; do
	grep -q '^freed' "$work/out.$k" || { echo "FAIL: leakzoo $k did not free what it made"; status=1; }
done
[ "$status" -eq 0 ] && echo "diagnose_zoo: ok"
exit "$status"
