#!/usr/bin/env bash
# record --user-stacks on the whole machine (issue 13): allocations made by
# kernel threads (kworkers, ksoftirqd, RCU callbacks) have no user stack,
# and report says so per stack ("kernel thread (no user stack)") rather
# than showing none or a wrong one; user processes' allocations in the same
# trace carry frames.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
. tests/integration/lib/require_recorder.sh
require_recorder report_kthread
work=$(mktemp -d /tmp/poolscope-report-kthread.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "report_kthread: FAIL: $*" >&2; exit 1; }

# Kernel threads allocate all the time; a write and sync wake the
# writeback workers too, and an eventfd of ours gives a user stack.
"$POOLSCOPE" record -o "$work/k.pst" --user-stacks --duration 3s >"$work/record.out" 2>&1 &
rec=$!
sleep 1
for _ in $(seq 20); do
	dd if=/dev/zero of="$work/f" bs=64k count=16 conv=fsync status=none
	python3 -c 'import os; [os.eventfd(0) for _ in range(20)]'
done
wait "$rec" || fail "record failed: $(cat "$work/record.out")"
"$POOLSCOPE" report -f json -g stack,comm -n 0 --type AIFO,AIFI "$work/k.pst" >"$work/k.json" ||
	fail "report failed"
python3 - "$work/k.json" <<'PY' || fail "no kernel-thread stack said so, or no user stack at all"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
kinds = {}
for r in rows:
    kinds.setdefault(r.get("user_stack"), []).append(r.get("comm"))
k = kinds.get("kernel thread (no user stack)", [])
assert k, sorted(kinds, key=str)
u = [c for kind, cs in kinds.items() if kind and kind.startswith("frame pointers") for c in cs]
assert u, sorted(kinds, key=str)
print("report_kthread: %d kernel-thread stacks (%s), %d with user frames" %
      (len(k), ", ".join(sorted(set(k))[:4]), len(u)))
PY
echo "report_kthread: ok"
