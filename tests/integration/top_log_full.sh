#!/usr/bin/env bash
# `top --log` on a full disk: refreshes that do not fit are left out whole
# (no torn last line), top warns once and keeps running, and the log resumes
# when there is room again. The disk is a 256 KiB tmpfs mounted for the test
# and unmounted after, whatever happens.
set -u
POOLSCOPE=${POOLSCOPE:-build/poolscope}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: reading /proc/slabinfo and mounting need root"; exit 0; }
tmp=$(mktemp -d -t poolscope-logfull.XXXXXX)
mkdir "$tmp/fs"
cleanup() {
	[ -n "${top:-}" ] && kill "$top" 2>/dev/null
	wait 2>/dev/null
	mountpoint -q "$tmp/fs" && umount "$tmp/fs"
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0

mount -t tmpfs -o size=256k tmpfs "$tmp/fs" || { echo "FAIL: cannot mount a tmpfs"; exit 1; }
# One JSON refresh is ~55 KiB here: leave room for two or so, not for every one.
dd if=/dev/zero of="$tmp/fs/filler" bs=1k count=100 status=none
"$POOLSCOPE" top -b -n 16 -d 0.25 --no-counters --log "$tmp/fs/top.jsonl" >/dev/null 2>"$tmp/err" &
top=$!
for _ in $(seq 100); do
	grep -q "writing log" "$tmp/err" && break
	kill -0 "$top" 2>/dev/null || break
	sleep 0.1
done
full_lines=$(wc -l <"$tmp/fs/top.jsonl")
rm -f "$tmp/fs/filler"
wait "$top"
rc=$?
top=
if [ "$rc" -ne 0 ]; then
	echo "FAIL: top on a full log disk: exit $rc (want 0, it keeps running); stderr: $(cat "$tmp/err")"
	fail=1
fi
if [ "$(grep -c "writing log" "$tmp/err")" -ne 1 ] || ! grep -q "No space left on device" "$tmp/err"; then
	echo "FAIL: want one warning naming the full disk; got: $(cat "$tmp/err")"
	fail=1
fi
if [ -s "$tmp/fs/top.jsonl" ] && [ "$(tail -c 1 "$tmp/fs/top.jsonl" | od -An -c | tr -d ' ')" != '\n' ]; then
	echo "FAIL: the log ends in a torn record"
	fail=1
fi
if ! python3 -c 'import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        assert "tags" in json.loads(line)
    except Exception as e:
        sys.exit("line %d is not a whole refresh: %s" % (n, e))' "$tmp/fs/top.jsonl"; then
	echo "FAIL: the log holds a torn record"
	fail=1
fi
lines=$(wc -l <"$tmp/fs/top.jsonl")
if [ "$lines" -le "$full_lines" ]; then
	echo "FAIL: the log did not resume once there was room ($full_lines lines when full, $lines at the end)"
	fail=1
fi
[ "$fail" -eq 0 ] && echo "top_log_full: ok ($full_lines refreshes when full, $lines at the end)"
exit "$fail"
