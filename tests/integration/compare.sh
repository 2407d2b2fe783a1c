#!/usr/bin/env bash
# poolscope compare end to end on the snapshot fixtures (no root needed):
# three hosts where web-3 holds 5000 extra eventfds → web-3, filp and the
# file handles are named, in text, JSON and HTML; the output is the same
# for every order of the files and for a list on stdin; bad snapshots are
# skipped with one line each; too few hosts and a missing section are said.
set -u
cd "$(dirname "$0")/../.."
POOLSCOPE=${POOLSCOPE:-build/poolscope}
S=tests/fixtures/snapshots
tmp=$(mktemp -d -t poolscope-compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "FAIL: $*"; fail=1; }

"$POOLSCOPE" compare $S/web-1.json $S/web-2.json $S/web-3.json >"$tmp/out" 2>"$tmp/err" ||
	say "compare of three exited $?"
grep -q "not like the others: 1 host" "$tmp/out" || say "no odd host said: $(cat "$tmp/out")"
grep -q "^  web-3 " "$tmp/out" || say "web-3 not named"
grep -qE "^web-3 +cache +filp +bytes " "$tmp/out" || say "filp bytes not named"
grep -qE "^web-3 +resource +file handles \(fs.file-nr\) +used " "$tmp/out" || say "file handles not named"
grep -qE "^web-3 +fd type +eventfd " "$tmp/out" || say "eventfd not named"
grep -qE "^web-[1245] " "$tmp/out" && say "a normal host deviates"
[ -s "$tmp/err" ] && say "stderr not empty: $(cat "$tmp/err")"

# every order of the five, and the list on stdin: the same bytes
"$POOLSCOPE" compare -f json $S/web-{1,2,3,4,5}.json >"$tmp/ref.json" || say "json exited $?"
python3 - "$tmp/ref.json" <<'PY' || say "json verdict wrong"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["hosts"] == 5 and not v["too_few"], v
assert [h["host"] for h in v["odd_hosts"]] == ["web-3"], v["odd_hosts"]
names = {(d["kind"], d["name"], d["measure"]) for d in v["deviations"]}
assert ("cache", "filp", "bytes") in names, names
assert ("resource", "file handles (fs.file-nr)", "used") in names, names
PY
for order in "5 4 3 2 1" "3 1 5 2 4" "2 5 1 4 3"; do
	files=()
	for i in $order; do files+=("$S/web-$i.json"); done
	"$POOLSCOPE" compare -f json "${files[@]}" >"$tmp/o.json"
	cmp -s "$tmp/ref.json" "$tmp/o.json" || say "order $order changes the verdict"
done
printf '%s\n' $S/web-4.json $S/web-2.json $S/web-5.json $S/web-1.json $S/web-3.json |
	"$POOLSCOPE" compare -f json - >"$tmp/o.json"
cmp -s "$tmp/ref.json" "$tmp/o.json" || say "the list on stdin changes the verdict"
"$POOLSCOPE" compare -f json $S/ >"$tmp/o.json"
cmp -s "$tmp/ref.json" <(sed 's|snapshots//|snapshots/|g' "$tmp/o.json") ||
	say "a directory changes the verdict"

# HTML: self-contained, names the host
"$POOLSCOPE" compare -f html -o "$tmp/fleet.html" $S/ || say "html exited $?"
grep -q "web-3" "$tmp/fleet.html" || say "html does not name web-3"
grep -qiE "<script|https?://" "$tmp/fleet.html" && say "html is not self-contained"

# bad snapshots: one line each, the good ones still compared
nbad=$(find $S/bad -type f | wc -l)
"$POOLSCOPE" compare $S/bad/ $S/web-{1,2,3}.json >"$tmp/out" 2>"$tmp/err" || say "bad ones made it fail"
[ "$(grep -c "skipped $S/bad/" "$tmp/err")" -eq "$nbad" ] || say "not one line per bad file: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/err")" -eq "$nbad" ] || say "more than one line per bad file"
grep -q "$nbad snapshots skipped" "$tmp/out" || say "the skips are not counted"
grep -q "^  web-3 " "$tmp/out" || say "web-3 not named among bad files"
"$POOLSCOPE" compare -f json $S/bad/ $S/web-{1,2,3}.json 2>"$tmp/err" | python3 -c '
import json, sys; v = json.load(sys.stdin); assert len(v["skipped"]) > 10' || say "json skipped list"
head -1 "$tmp/err" | python3 -c 'import json,sys; json.loads(sys.stdin.read())' ||
	say "with --format json, warnings are not JSON"
"$POOLSCOPE" compare $S/bad/ >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] || say "nothing readable must exit 1"
grep -q "no snapshot could be read" "$tmp/err" || say "nothing readable is not said"

# too few hosts, and a host that lacks a section
"$POOLSCOPE" compare $S/web-1.json $S/web-3.json >"$tmp/out" || say "two hosts exited $?"
grep -q "too few to judge" "$tmp/out" || say "too few hosts not said"
python3 -c '
import json, sys
s = json.load(open(sys.argv[1])); s["host"] = "web-9"; del s["resources"]; del s["caches"]["dentry"]
json.dump(s, open(sys.argv[2], "w"))' $S/web-2.json "$tmp/web-9.json"
"$POOLSCOPE" compare $S/web-{1,2,3,4}.json "$tmp/web-9.json" >"$tmp/out"
grep -q "web-9 (.*) lacks cache dentry (4 of 5 hosts have it)" "$tmp/out" || say "missing cache not said"
grep -q "web-9 (.*) lacks .*no resources at all" "$tmp/out" || say "missing section not said"

# For real (root: watch reads /proc/slabinfo): this host's own snapshot as
# two hosts, then the same host holding 5000 more eventfds (tests/leakers/
# fdleak) as a third: compare names the third, filp and the file handles.
if [ "$(id -u)" -eq 0 ] && [ -x "${LEAKERS:-build/leakers}/fdleak" ]; then
	snap() { timeout 60 "$POOLSCOPE" watch -i 1s -n 2 --no-db --no-diagnose --snapshot "$1" \
		>/dev/null 2>"$tmp/watch.err" || say "watch --snapshot: $(cat "$tmp/watch.err")"; }
	rename() { python3 -c 'import json, sys
s = json.load(open(sys.argv[1])); s["host"] = sys.argv[2]; json.dump(s, open(sys.argv[3], "w"))' "$@"; }
	snap "$tmp/base.json"
	rename "$tmp/base.json" calm-1 "$tmp/calm-1.json"
	rename "$tmp/base.json" calm-2 "$tmp/calm-2.json"
	coproc LEAK { "${LEAKERS:-build/leakers}/fdleak" eventfd 5000 0; }
	read -r line <&"${LEAK[0]}"
	echo >&"${LEAK[1]}"
	read -r line <&"${LEAK[0]}"
	[ "$line" = "kept 5000" ] || say "fdleak: $line"
	snap "$tmp/leaky-raw.json"
	exec {LEAK[1]}>&-
	wait "$LEAK_PID" 2>/dev/null
	rename "$tmp/leaky-raw.json" leaky "$tmp/leaky.json"
	"$POOLSCOPE" compare -f json "$tmp/calm-1.json" "$tmp/calm-2.json" "$tmp/leaky.json" \
		>"$tmp/real.json" || say "compare of real snapshots exited $?"
	python3 - "$tmp/real.json" <<'PY' || say "real snapshots: $(head -c 600 "$tmp/real.json")"
import json, sys
v = json.load(open(sys.argv[1]))
assert [h["host"] for h in v["odd_hosts"]] == ["leaky"], v["odd_hosts"]
got = {(d["kind"], d["name"], d["measure"]) for d in v["deviations"] if d["host"] == "leaky"}
assert ("cache", "filp", "bytes") in got, got
assert any(k == "resource" and "file-nr" in n and m == "used" for k, n, m in got), got
PY
else
	echo "note: the part with real snapshots needs root and fdleak: not run"
fi

# usage errors
for args in "" "-f csv $S/web-1.json" "--threshold 0 $S/web-1.json" "--min-hosts 1 x" "--bogus"; do
	# shellcheck disable=SC2086
	"$POOLSCOPE" compare $args >/dev/null 2>&1
	[ $? -eq 2 ] || say "'compare $args' is not a usage error"
done
exit $fail
