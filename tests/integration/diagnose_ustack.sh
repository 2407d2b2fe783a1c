#!/usr/bin/env bash
# diagnose names the leaking function of the program (issue 13): ustack_leak,
# built without frame pointers as a distribution builds its programs, opens
# an eventfd every 40 ms from conn_open(), called by accept_loop(), and
# keeps it. `poolscope diagnose` must report that process's fds as a leak
# whose kernel path is the eventfd one and whose user stack, unwound by
# .eh_frame, names conn_open under accept_loop, in JSON and text; with
# --no-user-stacks the finding has no user stack.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
: "${LEAKERS:=$(dirname "$POOLSCOPE")/leakers}"
. tests/integration/lib/require_recorder.sh
require_recorder diagnose_ustack
work=$(mktemp -d /tmp/poolscope-diagnose-ustack.XXXXXX)
leak_pid=
cleanup() {
	if [ -n "$leak_pid" ]; then kill "$leak_pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "diagnose_ustack: FAIL: $*" >&2; exit 1; }

# One run: a fresh leaker at 25 eventfds/s, diagnose over it; the output in
# $work/$1.
run() {
	local out=$1
	shift
	coproc LEAK { "$LEAKERS/ustack_leak_nofp" 15000 25; }
	read -r line <&"${LEAK[0]}"
	leak_pid=${line#ready }
	echo go >&"${LEAK[1]}"
	"$POOLSCOPE" diagnose --duration "$DUR" --pid "$leak_pid" --quiet "$@" >"$work/$out" 2>"$work/$out.err" ||
		fail "diagnose $*: exit $?: $(head -3 "$work/$out.err")"
	kill "$leak_pid" 2>/dev/null
	wait "$leak_pid" 2>/dev/null || true
}

DUR=12s
run d.json --format json
python3 - "$work/d.json" "$leak_pid" <<'PY' || fail "the JSON finding: $(head -c 3000 "$work/d.json")"
import json, sys
d = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
leaks = [f for f in d["findings"] if f["kind"] == "leak" and (f.get("holder") or {}).get("pid") == pid]
assert leaks, "no leak held by the leaker"
f = next((f for f in leaks if f["user_stack"]), None)
assert f, "no leak of the leaker has a user stack: %r" % [(x["resource"], x["user_stack_kind"]) for x in leaks]
assert f["user_stack_kind"] == "unwound (DWARF)", f["user_stack_kind"]
names = [fr.split(" ")[0].split("+")[0] for fr in f["user_stack"]]
assert "conn_open" in names and "accept_loop" in names, f["user_stack"]
assert names.index("conn_open") < names.index("accept_loop"), f["user_stack"]
assert any("eventfd" in k for k in f["stack"]), f["stack"]
print("diagnose_ustack: %s: user stack %s" % (f["resource"], " <- ".join(names[:4])))
PY
run d.txt
# The user frames follow "user stack", innermost first: conn_open, then
# accept_loop.
awk '/^  user stack/ {u = 1} u && /^  [a-z]/ && !/^  user stack/ {u = 0} u' "$work/d.txt" >"$work/u.txt"
grep -q "conn_open" "$work/u.txt" || fail "no user stack in the text: $(cat "$work/d.txt")"
[ "$(grep -n conn_open "$work/u.txt" | head -1 | cut -d: -f1)" -lt \
	"$(grep -n accept_loop "$work/u.txt" | head -1 | cut -d: -f1)" ] ||
	fail "accept_loop not under conn_open in the text: $(cat "$work/u.txt")"

DUR=8s
run n.json --format json --no-user-stacks
python3 - "$work/n.json" <<'PY' || fail "--no-user-stacks still took user stacks"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["findings"], "no finding"
assert all(not f["user_stack"] and f["user_stack_kind"] is None for f in d["findings"])
PY
echo "diagnose_ustack: ok"
exit 0
