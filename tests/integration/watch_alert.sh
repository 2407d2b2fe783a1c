#!/usr/bin/env bash
# An alert that comes with its culprit: a process leaking eventfds toward
# its fd limit (1500) passes 80 % of it; watch says one
# alert line naming the process (once, not per sample), runs the diagnosis
# targeted at it and says the leak, and the --exec hook gets the alert and
# the diagnosis as JSON; the alert is in the history for a post-mortem.
set -u
cd "$(dirname "$0")/../.."
POOLSCOPE=${POOLSCOPE:-build/poolscope}
LEAKERS=${LEAKERS:-build/leakers}
[ "$(id -u)" -eq 0 ] || { echo "watch_alert: skipped: needs root"; exit 77; }
work=$(mktemp -d -t poolscope-walert.XXXXXX)
wpid= lpid=
trap '[ -n "$wpid" ] && kill $wpid 2>/dev/null; [ -n "$lpid" ] && kill $lpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- watch stderr"; cat "$work/w.err"; exit 1; }

mkfifo "$work/in"
(ulimit -n 1500 && exec "$LEAKERS/leakzoo" eventfd --rate 50 --max 1490) \
	<"$work/in" >"$work/leaker.out" 2>&1 &
lpid=$!
exec 7>"$work/in"
for _ in $(seq 50); do grep -q '^ready' "$work/leaker.out" && break; sleep 0.1; done
holder=$(sed -n 's/^holder //p' "$work/leaker.out")
[ -n "$holder" ] || fail "the leaker did not start: $(cat "$work/leaker.out")"

"$POOLSCOPE" watch --interval 1s --db "$work/h.db" --diagnose-duration 6s \
	--exec "cat >>$work/hook.json" >"$work/w.out" 2>"$work/w.err" &
wpid=$!
# 80 % of 1500 at 50/s: about 24 s, still growing for the 6 s of the diagnosis.
for _ in $(seq 450); do
	grep -q "diagnosis of fds of leakzoo (pid $holder)" "$work/w.err" && break
	sleep 0.1
done
sleep 1.5 # the hook runs after the line
kill -TERM $wpid
wait $wpid
rc=$?
wpid=
exec 7>&-
wait $lpid
lpid=
[ "$rc" -eq 0 ] || fail "watch exit $rc"
alerts=$(grep -c "alert: fds of leakzoo (pid $holder) 80%" "$work/w.err")
[ "$alerts" -eq 1 ] || fail "$alerts alert lines for the 80 % state, not one"
grep -q "alert: fds of leakzoo (pid $holder) 80% (was ok): [0-9]* of 1500" "$work/w.err" ||
	fail "the alert does not say use and limit"
grep -q "diagnosis of fds of leakzoo (pid $holder): LEAK fds of leakzoo (pid $holder); holder pid $holder" \
	"$work/w.err" || fail "the diagnosis does not name the leak and its holder"
python3 - "$work/hook.json" "$holder" <<'PY' || fail "the --exec hook's JSON"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
docs = [json.loads(l) for l in lines]
pid = int(sys.argv[2])
mine = [d for d in docs if d["alert"]["holder"] and d["alert"]["holder"]["pid"] == pid]
assert mine, docs
d = mine[-1]
assert d["alert"]["state"].endswith("80%") and d["alert"]["limit"] == 1500, d["alert"]
leaks = [f for f in d["diagnosis"]["findings"] if f["kind"] == "leak"]
assert any(f["holder"] and f["holder"]["pid"] == pid and f["tag"] == "eventfd" for f in leaks), leaks
PY
"$POOLSCOPE" history --db "$work/h.db" --series 'nothing' --format json >"$work/hist.json" 2>/dev/null
python3 -c "
import json; d = json.load(open('$work/hist.json'))
kinds = {e['kind'] for e in d['events']}
assert 'alert' in kinds and 'diagnosis' in kinds, kinds
" || fail "the alert and its diagnosis are not in the history"
echo "watch_alert: ok"
