#!/usr/bin/env bash
# A full disk stops `record` with one line and exit 1, says the trace stays
# readable, and it does: report reads it up to its last complete chunk and
# says it was cut off. Nothing stays attached. The disk is a 4 MiB tmpfs
# mounted for the test and unmounted after, whatever happens.
set -u
POOLSCOPE=${POOLSCOPE:-build/poolscope}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: recording and mounting need root"; exit 77; }
tmp=$(mktemp -d -t poolscope-full.XXXXXX)
mkdir "$tmp/fs"
cleanup() {
	[ -n "${churn:-}" ] && kill "$churn" 2>/dev/null
	wait 2>/dev/null
	mountpoint -q "$tmp/fs" && umount "$tmp/fs"
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0

mount -t tmpfs -o size=4m tmpfs "$tmp/fs" || { echo "FAIL: cannot mount a tmpfs"; exit 1; }
# Allocation traffic of our own, so the disk fills within seconds. Whatever
# else the machine allocates, a chunk closes at 100 ms or 1 MiB, so 4 MiB
# holds the header, the symbols and complete chunks before it is full.
python3 -c 'import os, time
while True:
    for _ in range(200): os.close(os.eventfd(0))
    time.sleep(0.01)' &
churn=$!
timeout 60 "$POOLSCOPE" record -o "$tmp/fs/t.pstrace" --duration 50 --interval 100ms >"$tmp/out" 2>"$tmp/err"
rc=$?
kill "$churn"
wait "$churn" 2>/dev/null
churn=
if [ "$rc" -ne 1 ]; then
	echo "FAIL: record on a full disk: exit $rc (want 1); stderr: $(cat "$tmp/err")"
	fail=1
fi
if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q "No space left on device" "$tmp/err" ||
	! grep -q "stays readable" "$tmp/err"; then
	echo "FAIL: want one line naming the full disk and what is kept; got: $(cat "$tmp/err")"
	fail=1
fi
"$POOLSCOPE" report "$tmp/fs/t.pstrace" >"$tmp/report" 2>"$tmp/rerr"
rc=$?
records=$(sed -n 's/.*; \([0-9]*\) records:.*/\1/p' "$tmp/report")
if [ "$rc" -ne 0 ] || ! grep -q "WARNING: the trace was cut off" "$tmp/report" ||
	[ "${records:-0}" -le 0 ]; then
	echo "FAIL: report of the cut trace: exit $rc, ${records:-no} records; $(head -5 "$tmp/report") $(cat "$tmp/rerr")"
	fail=1
fi
# Programs are freed by the kernel shortly after their last fd closes.
for _ in $(seq 50); do
	bpftool prog list 2>/dev/null | grep -q ' name rec_' || break
	sleep 0.1
done
if bpftool prog list 2>/dev/null | grep -q ' name rec_'; then
	echo "FAIL: record's BPF programs still loaded after it exited"
	fail=1
fi
[ "$fail" -eq 0 ] && echo "record_disk_full: ok ($records records kept, $(stat -c %s "$tmp/fs/t.pstrace") bytes)"
exit $fail
