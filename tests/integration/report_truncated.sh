#!/usr/bin/env bash
# A trace cut off mid-recording (SIGKILL, full disk, head -c) must never read
# as a complete one, whatever the format: text and HTML say so in the report,
# JSON in totals.truncated, and CSV, folded stacks, pprof and --diff (whose
# bodies have no place for it) on stderr. A complete trace says nothing.
set -u
POOLSCOPE=${POOLSCOPE:-build/poolscope}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: recording needs root"; exit 77; }
tmp=$(mktemp -d -t poolscope-trunc.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Chunks every 100ms, so a cut at two thirds leaves complete chunks to read.
"$POOLSCOPE" record -o "$tmp/full.pstrace" --duration 0.6 --interval 100ms --no-stacks \
	>/dev/null || { echo "FAIL: record"; exit 1; }
size=$(stat -c %s "$tmp/full.pstrace")
head -c $((size * 2 / 3)) "$tmp/full.pstrace" >"$tmp/cut.pstrace"

for f in csv folded pprof; do
	"$POOLSCOPE" report -f "$f" "$tmp/cut.pstrace" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q "cut.pstrace was cut off" "$tmp/err"; then
		echo "FAIL: report -f $f of a cut trace: exit $rc, stderr: $(cat "$tmp/err")"
		fail=1
	fi
	"$POOLSCOPE" report -f "$f" "$tmp/full.pstrace" >/dev/null 2>"$tmp/err"
	if grep -q "cut off" "$tmp/err"; then
		echo "FAIL: report -f $f of a complete trace warned: $(cat "$tmp/err")"
		fail=1
	fi
done
"$POOLSCOPE" report --diff "$tmp/full.pstrace" "$tmp/cut.pstrace" >/dev/null 2>"$tmp/err"
grep -q "cut.pstrace was cut off" "$tmp/err" || { echo "FAIL: --diff said nothing"; fail=1; }
"$POOLSCOPE" report "$tmp/cut.pstrace" 2>/dev/null | grep -q "WARNING: the trace was cut off" ||
	{ echo "FAIL: text report of a cut trace does not say so"; fail=1; }
"$POOLSCOPE" report -f json "$tmp/cut.pstrace" 2>/dev/null |
	python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["totals"]["truncated"] else 1)' ||
	{ echo "FAIL: json totals.truncated is not true for a cut trace"; fail=1; }
exit $fail
