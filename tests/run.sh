#!/usr/bin/env bash
# Run every test binary of each build tree given (e.g. build build/asan), and
# the shell tests in tests/integration/*.sh against that tree's poolscope.
# Ends with the line CI reads: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
failures=()
skips=()
log=$(mktemp -t poolscope-tests.XXXXXX)
trap 'rm -f "$log"' EXIT

count_cmocka() { # parse cmocka's summary lines from $log
	local p f s
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	echo "${p:-0} ${f:-0} ${s:-0}"
}

for tree in "$@"; do
	[ -x "$tree/poolscope" ] || { echo "run.sh: $tree/poolscope not built" >&2; exit 1; }
	export POOLSCOPE=$tree/poolscope LEAKERS=$tree/leakers BUILD_TREE=$tree
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
	for t in "$tree"/tests/unit/test_* "$tree"/tests/integration/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.d) continue ;; esac
		echo "== $t"
		timeout 600 "$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		read -r p f s < <(count_cmocka)
		passed=$((passed + p)) skipped=$((skipped + s))
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed or timed out
		failed=$((failed + f))
		[ "$f" -ne 0 ] && failures+=("$t")
	done
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		echo "== $t ($tree)"
		timeout 600 bash "$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		# Exit 77 is automake's "skipped": the test could not run here
		# (not root, feature absent) and said why; it is not a pass.
		case $rc in
		0) passed=$((passed + 1)) ;;
		77) skipped=$((skipped + 1)) skips+=("$t ($tree)") ;;
		*) failed=$((failed + 1)) failures+=("$t ($tree)") ;;
		esac
	done
done
for f in "${failures[@]+"${failures[@]}"}"; do echo "FAILED: $f"; done
for f in "${skips[@]+"${skips[@]}"}"; do echo "SKIPPED: $f"; done
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
