# Sourced by the record --user-stacks tests (report_ustack.sh,
# report_debuginfo.sh). ustack_record BIN N TRACE LOG [MODE]: runs BIN N (the
# protocol of tests/leakers/ustack_leak.c) under `poolscope record
# --user-stacks[=MODE] --pid --tag filp` into TRACE while it opens its N eventfds,
# stops the recorder, then lets the leaker exit. Sets pid (the leaker's);
# rec_pid is the recorder's while it runs, for the caller's cleanup. Needs
# POOLSCOPE and the caller's fail().
ustack_record() {
	local bin=$1 n=$2 trace=$3 log=$4 mode=${5:-} line
	coproc LEAK { "$bin" "$n"; }
	read -r line <&"${LEAK[0]}"
	pid=${line#ready }
	"$POOLSCOPE" record -o "$trace" "--user-stacks${mode:+=$mode}" --pid "$pid" --tag filp \
		>"$log" 2>&1 &
	rec_pid=$!
	for _ in $(seq 50); do [ -s "$trace" ] && break; sleep 0.1; done
	sleep 1 # attached once the header is out; leave it a moment
	echo go >&"${LEAK[1]}"
	read -r line <&"${LEAK[0]}"
	[ "$line" = "done $n" ] || fail "leaker said '$line'"
	sleep 0.3
	kill -INT "$rec_pid"
	wait "$rec_pid" || fail "record failed: $(cat "$log")"
	rec_pid=
	echo exit >&"${LEAK[1]}"
	wait "$LEAK_PID" 2>/dev/null || true
}
