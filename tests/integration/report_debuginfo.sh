#!/usr/bin/env bash
# report --debuginfo (issue 13): a program shipped stripped, its symbols in a
# separate debug file (as Debian's -dbgsym packages install them under
# /usr/lib/debug/.build-id). ustack_leak is stripped of every symbol here
# and its debug file put in DIR/.build-id/ab/cdef....debug; record
# --user-stacks traces its leak, and after it has exited (and its stripped
# file is gone too) report names conn_open and accept_loop, with their
# source lines, only with --debuginfo DIR; without it the user frames are
# bare addresses. A
# --debuginfo that is not a directory is a one-line usage error.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
: "${LEAKERS:=$(dirname "$POOLSCOPE")/leakers}"
N=100
. tests/integration/lib/require_recorder.sh
require_recorder report_debuginfo
for t in objcopy strip readelf; do
	command -v $t >/dev/null || { echo "report_debuginfo: skipped: no $t (binutils)"; exit 77; }
done
work=$(mktemp -d /tmp/poolscope-report-debuginfo.XXXXXX)
rec_pid=
cleanup() {
	if [ -n "$rec_pid" ]; then kill -INT "$rec_pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "report_debuginfo: FAIL: $*" >&2; exit 1; }
. tests/integration/lib/ustack_record.sh

bin=$work/stripped_leak
objcopy --only-keep-debug "$LEAKERS/ustack_leak" "$work/leak.debug"
strip --strip-all -o "$bin" "$LEAKERS/ustack_leak"
readelf -s "$bin" 2>/dev/null | grep -q conn_open && fail "strip left conn_open in the binary"
id=$(readelf -n "$bin" | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
[ -n "$id" ] || fail "the leaker has no build-id"
mkdir -p "$work/dbg/.build-id/${id:0:2}"
mv "$work/leak.debug" "$work/dbg/.build-id/${id:0:2}/${id:2}.debug"

trace=$work/u.pst
ustack_record "$bin" "$N" "$trace" "$work/record.out"
rm -f "$bin" # gone, as an upgraded or removed program is

# The eventfd stack's user frames (innermost first), one per line.
user_frames() {
	python3 - "$1" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["rows"]:
    frames = r.get("stack") or []
    if any(f.startswith("do_eventfd") for f in frames):
        print("\n".join(f for f in frames if "[u" in f))
        break
PY
}
"$POOLSCOPE" report -f json -g tag,stack --pid "$pid" "$trace" >"$work/plain.json" ||
	fail "report without --debuginfo failed"
user_frames "$work/plain.json" >"$work/plain.txt"
[ -s "$work/plain.txt" ] || fail "no user frames recorded: $(head -c 2000 "$work/plain.json")"
grep -q conn_open "$work/plain.txt" && fail "conn_open named without its debug file: $(cat "$work/plain.txt")"

"$POOLSCOPE" report -f json -g tag,stack --pid "$pid" --debuginfo "$work/dbg" "$trace" >"$work/dbg.json" ||
	fail "report --debuginfo failed"
user_frames "$work/dbg.json" >"$work/dbg.txt"
# The debug file has the DWARF too: each frame's source line, the line of
# the call (the frame's return address - 1).
src=tests/leakers/ustack_leak.c
l_open=$(grep -n 'int fd = open_one();' $src | cut -d: -f1)
l_conn=$(grep -n 'if (conn_open() < 0)' $src | cut -d: -f1)
grep -q "^conn_open+0x[0-9a-f]* \[u:stripped_leak\] ($src:$l_open)\$" "$work/dbg.txt" ||
	fail "--debuginfo: no conn_open frame at $src:$l_open: $(cat "$work/dbg.txt")"
grep -q "^accept_loop+0x[0-9a-f]* \[u:stripped_leak\] ($src:$l_conn)\$" "$work/dbg.txt" ||
	fail "--debuginfo: no accept_loop frame at $src:$l_conn: $(cat "$work/dbg.txt")"
[ "$(grep -n '^conn_open' "$work/dbg.txt" | cut -d: -f1)" -lt "$(grep -n '^accept_loop' "$work/dbg.txt" | cut -d: -f1)" ] ||
	fail "--debuginfo: accept_loop not under conn_open: $(cat "$work/dbg.txt")"

set +e
"$POOLSCOPE" report --debuginfo "$work/nowhere" "$trace" >/dev/null 2>"$work/e1"
rc1=$?
"$POOLSCOPE" report --debuginfo "$trace" "$trace" >/dev/null 2>"$work/e2"
rc2=$?
set -e
[ "$rc1" -eq 2 ] && [ "$(wc -l <"$work/e1")" -eq 1 ] && grep -q "No such file" "$work/e1" ||
	fail "--debuginfo of nothing: exit $rc1: $(cat "$work/e1")"
[ "$rc2" -eq 2 ] && grep -q "is not a directory" "$work/e2" ||
	fail "--debuginfo of a file: exit $rc2: $(cat "$work/e2")"
echo "report_debuginfo: ok ($(head -3 "$work/dbg.txt" | tr '\n' ' '))"
