#!/usr/bin/env bash
# diagnose as a person meets it: a short run over one steady eventfd leak
# names it in text, JSON and an HTML page that opens offline in headless
# Chromium with its growth graph; a quiet machine's run ends in "No leak"
# or only in findings of other processes; not root, it says once what it
# cannot check and still runs (exit 0); bad options are one line and exit 2;
# SIGINT ends it early with what it found, exit 0.
set -u
cd "$(dirname "$0")/../.."
POOLSCOPE=${POOLSCOPE:-build/poolscope}
LEAKERS=${LEAKERS:-build/leakers}
tree=${BUILD_TREE:-$(dirname "$POOLSCOPE")}
[ "$(id -u)" -eq 0 ] || { echo "diagnose_cli: skipped: needs root"; exit 77; }
command -v chromium >/dev/null || { echo "diagnose_cli: chromium missing (make deps)"; exit 1; }
work=$(mktemp -d -t poolscope-dcli.XXXXXX)
leaker=
trap '[ -n "$leaker" ] && kill $leaker 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
logdir=$tree/test-logs
mkdir -p "$logdir"
fail() { echo "FAIL: $*"; exit 1; }

# Usage errors: one line, exit 2, nothing run.
for args in "--duration 1s" "--duration 0" "--duration x" "--pid 0" "--pid ,," "--format csv" \
	"--html" "--bogus" "extra"; do
	# shellcheck disable=SC2086
	"$POOLSCOPE" diagnose $args >"$work/out" 2>"$work/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "diagnose $args: exit $rc, not 2"
	[ "$(wc -l <"$work/err")" -le 2 ] || fail "diagnose $args: more than a line and a hint: $(cat "$work/err")"
	[ -s "$work/out" ] && fail "diagnose $args printed to stdout"
done
"$POOLSCOPE" diagnose --help | grep -q -- '--duration' || fail "--help lists no --duration"

# One steady leak, text and HTML in one run.
mkfifo "$work/in"
"$LEAKERS/leakzoo" eventfd --rate 60 --max 2000 <"$work/in" >"$work/leaker.out" &
leaker=$!
exec 7>"$work/in"
for _ in $(seq 50); do grep -q '^ready' "$work/leaker.out" && break; sleep 0.1; done
lpid=$(sed -n 's/^holder //p' "$work/leaker.out")
[ -n "$lpid" ] || fail "the leaker did not start"
timeout 60 "$POOLSCOPE" diagnose --duration 8s --pid "$lpid" --html "$work/d.html" >"$work/d.txt" 2>"$work/d.err"
rc=$?
[ "$rc" -eq 0 ] || fail "diagnose exit $rc: $(cat "$work/d.err")"
grep -q "^LEAK  fds of leakzoo (pid $lpid)" "$work/d.txt" || { cat "$work/d.txt"; fail "the leak is not named in the text"; }
grep -q "holder     leakzoo (pid $lpid" "$work/d.txt" || fail "no holder line"
grep -q 'stack ' "$work/d.txt" || fail "no stack in the text"
grep -q 'runs out in' "$work/d.txt" || fail "no time to exhaustion"
grep -q '<svg' "$work/d.html" || fail "no graph in the HTML"
grep -Eq '(src|href)="(https?:)?//' "$work/d.html" && fail "the page fetches something"
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile" \
	--enable-logging=stderr --v=0 --dump-dom "file://$work/d.html" >"$work/dom.html" 2>"$work/chromium.err"
grep -q 'id="ps-ready"' "$work/dom.html" || fail "the page's script did not finish: $(cat "$work/chromium.err")"
grep -q "fds of leakzoo (pid $lpid)" "$work/dom.html" || fail "the page does not name the leak"
grep -E 'Uncaught|CONSOLE\(|Refused to' "$work/chromium.err" && fail "console errors in the page"
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile" \
	--screenshot="$logdir/diagnose_html.png" --window-size=1280,1400 "file://$work/d.html" 2>/dev/null
exec 7>&-
wait $leaker
leaker=

# Not root: one warning naming what is missing, still a verdict, exit 0.
# (LeakSanitizer needs ptrace of itself, which nobody is not granted here.)
command -v setpriv >/dev/null || fail "setpriv (util-linux) missing"
if true; then
	ASAN_OPTIONS=detect_leaks=0 setpriv --reuid nobody --regid nogroup --clear-groups \
		timeout 60 "$POOLSCOPE" diagnose --duration 5s --format json >"$work/nr.json" 2>"$work/nr.err"
	rc=$?
	[ "$rc" -eq 0 ] || fail "not root: exit $rc: $(cat "$work/nr.err")"
	grep -q 'not root' "$work/nr.err" || fail "not root: no warning: $(cat "$work/nr.err")"
	python3 -c "
import json,sys; d=json.load(open('$work/nr.json'))
assert d['checked']['samples'] >= 5, d['checked']
assert any('root' in s for s in d['checked']['skipped']), d['checked']['skipped']
" || fail "not root: the JSON does not say what was skipped"
fi

# SIGINT: an early end with the findings so far, exit 0.
timeout 60 "$POOLSCOPE" diagnose --duration 60s --no-stacks --format json >"$work/int.json" 2>"$work/int.err" &
dpid=$!
sleep 3
kill -INT "$(pgrep -P $dpid -x poolscope || echo $dpid)"
wait $dpid
rc=$?
[ "$rc" -eq 0 ] || fail "SIGINT: exit $rc: $(cat "$work/int.err")"
python3 -c "
import json; d=json.load(open('$work/int.json')); assert d['checked']['duration_s'] < 10, d['checked']
" || fail "SIGINT: no JSON or it did not stop early"
echo "diagnose_cli: ok (screenshot $logdir/diagnose_html.png)"
