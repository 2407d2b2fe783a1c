#!/usr/bin/env bash
# poolscope watch under a systemd watchdog shorter than its interval: it
# pings WATCHDOG=1 at half of WATCHDOG_USEC while it waits for the next
# sample, not once per interval (a 30 s interval under a 2 s watchdog would
# be killed). The notify socket is ours: a datagram socket read by python.
set -u
cd "$(dirname "$0")/../.."
POOLSCOPE=${POOLSCOPE:-build/poolscope}
work=$(mktemp -d -t poolscope-wd.XXXXXX)
lpid= wpid=
trap '[ -n "$wpid" ] && kill -9 $wpid 2>/dev/null; [ -n "$lpid" ] && kill $lpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 - "$work/notify" "$work/got" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.5)
end = time.time() + 30
with open(sys.argv[2], "w") as out:
    while time.time() < end:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        out.write("%.2f %s\n" % (time.time(), msg.replace("\n", "|")))
        out.flush()
PY
lpid=$!
for _ in $(seq 50); do [ -S "$work/notify" ] && break; sleep 0.1; done
[ -S "$work/notify" ] || fail "no notify socket"

NOTIFY_SOCKET=$work/notify WATCHDOG_USEC=2000000 \
	"$POOLSCOPE" watch --interval 30s --no-db --no-diagnose >"$work/out" 2>"$work/err" &
wpid=$!
sleep 8
kill -TERM $wpid
wait $wpid
rc=$?
wpid=
[ "$rc" -eq 0 ] || fail "exit $rc: $(cat "$work/err")"
grep -q 'READY=1' "$work/got" || fail "no READY=1: $(cat "$work/got")"
# One sample in 8 s at a 30 s interval, so the pings came from the wait.
pings=$(grep -c 'WATCHDOG=1' "$work/got")
[ "$pings" -ge 5 ] || fail "$pings WATCHDOG=1 in 8 s under a 2 s watchdog: $(cat "$work/got")"
grep -q 'STOPPING=1' "$work/got" || fail "no STOPPING=1"
# Longest gap between pings after READY: under the watchdog's 2 s.
gap=$(awk '/READY=1/{r=1} r && /WATCHDOG=1/{ if (last) { g = $1 - last; if (g > max) max = g } last = $1 } END { printf "%.1f", max }' "$work/got")
awk -v g="$gap" 'BEGIN { exit !(g < 2.0) }' || fail "a gap of $gap s between pings"
echo "watch_watchdog: ok ($pings pings in 8 s, longest gap $gap s, at a 30 s interval)"
