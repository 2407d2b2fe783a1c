#!/usr/bin/env bash
# record --user-stacks (issue 13): ustack_leak keeps N eventfds opened by
# conn_open(), called by accept_loop(), while `poolscope record --user-stacks
# --pid` traces it; the leaker has exited before `report` runs (the trace
# holds its mappings; its files are still on disk). The eventfd stack must
# carry both function names as user frames under the kernel frames, in JSON
# (with user_stack "frame pointers"), text and folded output, with the N
# eventfds outstanding on it; in pprof (read by go tool pprof) in a Mapping of
# the leaker's file; in HTML marked as user frames; report --group ufunc
# names conn_open.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
: "${LEAKERS:=$(dirname "$POOLSCOPE")/leakers}"
N=200
. tests/integration/lib/require_recorder.sh
require_recorder report_ustack
work=$(mktemp -d /tmp/poolscope-report-ustack.XXXXXX)
rec_pid=
cleanup() {
	[ -n "$rec_pid" ] && kill -INT "$rec_pid" 2>/dev/null && wait "$rec_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "report_ustack: FAIL: $*" >&2; exit 1; }
. tests/integration/lib/ustack_record.sh

trace=$work/u.pst
# The leaker exits before report runs: report must not need the process.
ustack_record "$LEAKERS/ustack_leak" "$N" "$trace" "$work/record.out"
kill -0 "$pid" 2>/dev/null && fail "leaker $pid still running"

"$POOLSCOPE" report -f json -g tag,stack --pid "$pid" "$trace" >"$work/r.json" ||
	fail "report -f json failed"
python3 - "$work/r.json" "$N" <<'PY' || fail "JSON: no eventfd stack with conn_open under accept_loop"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
n = int(sys.argv[2])
for r in rows:
    frames = r.get("stack") or []
    if not any(f.startswith("do_eventfd") for f in frames):
        continue
    user = [f.split("+")[0] for f in frames if "[u" in f]
    # Kernel frames first, then the user frames, innermost first.
    first_user = next(i for i, f in enumerate(frames) if "[u" in f)
    assert all("[u" in f for f in frames[first_user:]), frames
    assert r.get("user_stack", "").startswith("frame pointers"), r.get("user_stack")
    i, j = user.index("conn_open"), user.index("accept_loop")
    assert i < j, user
    assert r["outstanding"] == n, (r["outstanding"], n)
    sys.exit(0)
print(json.dumps(rows, indent=1)[:3000], file=sys.stderr)
sys.exit(1)
PY

"$POOLSCOPE" report --pid "$pid" "$trace" >"$work/r.txt" || fail "report (text) failed"
grep -q -- '-- user space: frame pointers' "$work/r.txt" || fail "text: no user-space section"
grep -q 'conn_open+0x[0-9a-f]* \[u:ustack_leak\]' "$work/r.txt" || fail "text: no conn_open frame"
grep -q 'accept_loop+0x[0-9a-f]* \[u:ustack_leak\]' "$work/r.txt" || fail "text: no accept_loop frame"

"$POOLSCOPE" report -f folded --pid "$pid" "$trace" >"$work/r.folded" || fail "report -f folded failed"
grep -q 'accept_loop \[u:ustack_leak\];conn_open \[u:ustack_leak\];.*do_eventfd' "$work/r.folded" ||
	fail "folded: no merged stack accept_loop;conn_open;...;do_eventfd: $(head -c 2000 "$work/r.folded")"

# pprof: the user frames are locations of their own, in a Mapping of the
# leaker's file (its path, the range and build-id the trace stored), below
# the kernel frames, which keep the [kernel] mapping.
"$POOLSCOPE" report -f pprof --pid "$pid" -o "$work/p.pb.gz" "$trace" || fail "report -f pprof failed"
if command -v go >/dev/null; then
	HOME=$work GOCACHE=$work/gocache timeout 120 go tool pprof -raw "$work/p.pb.gz" >"$work/p.raw" 2>&1 ||
		fail "go tool pprof -raw: $(head -c 2000 "$work/p.raw")"
	python3 - "$work/p.raw" "$(readlink -f "$LEAKERS/ustack_leak")" <<'PY' ||
import re, sys
raw, leaker = open(sys.argv[1]).read(), sys.argv[2]
locs = dict((m.group(2), (m.group(1), m.group(3))) for m in
            re.finditer(r"^ +\d+: 0x[0-9a-f]+ M=(\d+) (\S+)(?: (\[u:[^]]*\]))? :\d+ s=\d+$", raw, re.M))
maps = dict(re.findall(r"^(\d+): 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ (\S+)", raw, re.M))
for fn in ("conn_open", "accept_loop"):
    mid, mark = locs[fn]
    assert mark == "[u:ustack_leak]", (fn, mark)
    assert maps[mid] == leaker, (fn, maps[mid], leaker)
    assert maps[locs["do_eventfd"][0]] == "[kernel]", maps
PY
		fail "pprof: conn_open and accept_loop not in a mapping of $LEAKERS/ustack_leak: $(cat "$work/p.raw")"
else
	fail "go missing (golang-go: make deps)"
fi

# HTML: the stack's frames under the kernel ones, each marked as a user frame
# (and blue in the flame graph).
"$POOLSCOPE" report -f html --pid "$pid" -o "$work/r.html" "$trace" || fail "report -f html failed"
grep -q 'conn_open' "$work/r.html" || fail "html: no conn_open"
k=$(grep -n '<li>do_eventfd+' "$work/r.html" | head -1 | cut -d: -f1)
u=$(grep -n '<li class="u"><span class="ub">user</span>conn_open+0x[0-9a-f]* \[u:ustack_leak\]' "$work/r.html" |
	head -1 | cut -d: -f1)
[ -n "$k" ] && [ -n "$u" ] && [ "$u" -gt "$k" ] ||
	fail "html: conn_open not marked as a user frame under do_eventfd in the frames section"
grep -q '<g class="fr u"[^>]*data-n="conn_open \[u:ustack_leak\]"' "$work/r.html" ||
	fail "html: conn_open not a user frame of the flame graph"

# --group ufunc: the innermost user frame outside the C library (eventfd's
# wrapper in libc is passed over) holds the N eventfds.
"$POOLSCOPE" report -g ufunc --pid "$pid" "$trace" >"$work/r.ufunc" || fail "report -g ufunc failed"
grep -Eq "^conn_open \[u:ustack_leak\] +$N " "$work/r.ufunc" ||
	fail "--group ufunc: no conn_open row with $N: $(cat "$work/r.ufunc")"
echo "report_ustack: ok"
