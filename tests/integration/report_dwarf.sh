#!/usr/bin/env bash
# record --user-stacks=dwarf (issue 13): a program built without frame
# pointers, as distributions build theirs. ustack_leak_nofp is ustack_leak
# compiled with -fomit-frame-pointer; the frame-pointer walk cannot get past
# the C library's eventfd wrapper, so --user-stacks=dwarf copies the top of
# the stack with the registers and the recorder unwinds it by .eh_frame.
# After the leaker has exited, report names conn_open under accept_loop
# under main for its N eventfds, says "unwound (DWARF)", and gives their
# source lines. --user-stacks=WHAT and dwarf with --stacks all are usage
# errors.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
: "${LEAKERS:=$(dirname "$POOLSCOPE")/leakers}"
N=150
. tests/integration/lib/require_recorder.sh
require_recorder report_dwarf
work=$(mktemp -d /tmp/poolscope-report-dwarf.XXXXXX)
rec_pid=
cleanup() {
	if [ -n "$rec_pid" ]; then kill -INT "$rec_pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "report_dwarf: FAIL: $*" >&2; exit 1; }
. tests/integration/lib/ustack_record.sh

ustack_record "$LEAKERS/ustack_leak_nofp" "$N" "$work/d.pst" "$work/record.out" dwarf
kill -0 "$pid" 2>/dev/null && fail "leaker $pid still running"
"$POOLSCOPE" report -f json -g tag,stack --pid "$pid" "$work/d.pst" >"$work/d.json" ||
	fail "report failed"
python3 - "$work/d.json" "$N" <<'PY' || fail "no unwound eventfd stack with conn_open under accept_loop under main"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
n = int(sys.argv[2])
for r in rows:
    frames = r.get("stack") or []
    if not any(f.startswith("do_eventfd") for f in frames):
        continue
    user = [f for f in frames if "[u" in f]
    names = [f.split("+")[0] for f in user]
    assert r.get("user_stack") == "unwound (DWARF)", r.get("user_stack")
    i, j, k = names.index("conn_open"), names.index("accept_loop"), names.index("main")
    assert i < j < k, names
    assert "(tests/leakers/ustack_leak.c:" in user[i], user[i]
    assert r["outstanding"] == n, (r["outstanding"], n)
    print("report_dwarf: " + " <- ".join(names[:5]))
    sys.exit(0)
print(json.dumps(rows, indent=1)[:3000], file=sys.stderr)
sys.exit(1)
PY

set +e
"$POOLSCOPE" record -o "$work/x.pst" --user-stacks=lbr --duration 1s >/dev/null 2>"$work/e1"
rc1=$?
"$POOLSCOPE" record -o "$work/x.pst" --user-stacks=dwarf --stacks all --duration 1s >/dev/null 2>"$work/e2"
rc2=$?
set -e
[ "$rc1" -eq 2 ] && grep -q "not fp or dwarf" "$work/e1" || fail "--user-stacks=lbr: exit $rc1: $(cat "$work/e1")"
[ "$rc2" -eq 2 ] && grep -q "stack budget only" "$work/e2" ||
	fail "--user-stacks=dwarf --stacks all: exit $rc2: $(cat "$work/e2")"
echo "report_dwarf: ok"
