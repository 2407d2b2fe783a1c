#!/usr/bin/env bash
# Output that cannot be written is said once: '> /dev/full' gives exactly one
# error line and exit 1 for every command and view (no silent exit 1, no loop
# writing into a full disk until Ctrl-C); a reader that goes away early
# ('| head -1') is not an error worth a message.
set -u
POOLSCOPE=${POOLSCOPE:-build/poolscope}
fail=0
tmp=$(mktemp -d -t poolscope-outerr.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# errors: stderr without warnings (handles warns about processes it skips)
errors() { grep -v -e '^poolscope: warning: ' -e '^{"warning":' "$1"; }

full() { # ARGS...: one error line naming the write, exit 1, within 10 s
	timeout 10 "$POOLSCOPE" "$@" >/dev/full 2>"$tmp/err" </dev/null
	local rc=$? e
	e=$(errors "$tmp/err")
	if [ "$rc" -ne 1 ] || [ "$(printf '%s\n' "$e" | wc -l)" -ne 1 ] || [[ "$e" != *writing* ]]; then
		echo "FAIL: poolscope $* >/dev/full: exit $rc (want 1), stderr:"
		cat "$tmp/err"
		fail=1
	fi
}

closed() { # ARGS...: reader gone after one line: no error message, exit 0
	local rc
	timeout 10 "$POOLSCOPE" "$@" 2>"$tmp/err" </dev/null | head -1 >/dev/null
	rc=${PIPESTATUS[0]}
	if [ -n "$(errors "$tmp/err")" ] || [ "$rc" -ne 0 ]; then
		echo "FAIL: poolscope $* | head -1: exit $rc (want 0), stderr:"
		cat "$tmp/err"
		fail=1
	fi
}

trace=$tmp/t.pstrace
if [ "$(id -u)" -eq 0 ]; then
	"$POOLSCOPE" record -o "$trace" --duration 0.3 --tag filp >/dev/null 2>&1 || trace=
	full record -o "$tmp/r.pstrace" --duration 0.2 --tag filp
else
	trace=
fi
for args in "--help" "help report" "--version" "top --help" "top -b -n 1 --no-counters" \
	"top -b -n 1 --no-counters --format json" "handles" "handles -s" "handles -a" \
	"handles --format json" "handles --interval 0.1 --count 2" \
	"handles --interval 0.1 --format json"; do
	# shellcheck disable=SC2086 # word splitting of the argument list is wanted
	full $args
done
# A reader that leaves while output is still coming: hold enough fds that
# 'handles -a' writes far more than a pipe buffer (64 KiB) after head exits,
# so the write really fails (SIGPIPE/EPIPE) instead of fitting in the pipe.
holder_in=$tmp/holder.in
if [ -x "${LEAKERS:-}/fdleak" ]; then
	mkfifo "$holder_in"
	"$LEAKERS/fdleak" eventfd 3000 0 <"$holder_in" >"$tmp/holder.out" 2>&1 &
	holder=$!
	exec 3>"$holder_in"
	echo >&3 # phase 1: open and keep 3000 eventfds
	for _ in $(seq 50); do grep -q '^kept' "$tmp/holder.out" && break; sleep 0.1; done
	big=$("$POOLSCOPE" handles -a 2>/dev/null | wc -c)
	if [ "$big" -le 65536 ]; then
		echo "FAIL: handles -a wrote only $big bytes with 3000 eventfds held"
		fail=1
	fi
fi
for args in "top -b -n 2 -d 0.1 --no-counters" "handles -a" "handles --format csv" \
	"handles --interval 0.1 --count 3" "handles --interval 0.1 --count 3 --format json"; do
	# shellcheck disable=SC2086
	closed $args
done
if [ -n "${holder:-}" ]; then
	exec 3>&- # EOF: fdleak closes everything and exits
	wait "$holder"
fi
if [ -n "$trace" ]; then
	for f in text csv json folded html pprof; do
		# folded output is empty when nothing is outstanding: nothing to fail
		[ -n "$("$POOLSCOPE" report -f "$f" "$trace" 2>/dev/null | head -c 1)" ] || continue
		full report -f "$f" "$trace"
	done
	closed report "$trace"
fi
exit $fail
