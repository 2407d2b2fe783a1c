#!/usr/bin/env bash
# The HTML report opens offline in headless Chromium without console errors:
# the page's script runs to its end (it adds #ps-ready), nothing is fetched,
# and a screenshot is kept in the test log directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
tree=${BUILD_TREE:-$(dirname "$POOLSCOPE")}
command -v chromium >/dev/null || { echo "report_html: chromium missing (make deps)" >&2; exit 1; }
work=$(mktemp -d /tmp/poolscope-report-html.XXXXXX)
trap 'rm -rf "$work"' EXIT
logdir=$tree/test-logs
mkdir -p "$logdir"

# A known-workload trace, written by the real writer (bench/gen_trace).
"$tree/bench/gen_trace" --events 200000 --leak-every 1000 "$work/t.pstrace" >/dev/null
"$POOLSCOPE" report -f html -o "$work/report.html" "$work/t.pstrace"
grep -q '<svg' "$work/report.html"
! grep -Eq '(src|href)="(https?:)?//' "$work/report.html" # nothing external

run_chromium() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$work/profile" --enable-logging=stderr --v=0 "$@" \
		"file://$work/report.html"
}
run_chromium --dump-dom >"$work/dom.html" 2>"$work/chromium.err"
grep -q 'id="ps-ready"' "$work/dom.html" || { echo "report_html: the page's script did not finish"; cat "$work/chromium.err"; exit 1; }
if grep -E 'Uncaught|CONSOLE\(|Refused to' "$work/chromium.err"; then
	echo "report_html: console errors above"
	exit 1
fi
run_chromium --screenshot="$logdir/report_html.png" --window-size=1280,1600 2>/dev/null
test -s "$logdir/report_html.png"
echo "report_html: ok (screenshot $logdir/report_html.png)"
