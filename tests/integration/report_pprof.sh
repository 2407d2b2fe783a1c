#!/usr/bin/env bash
# The pprof output is read by a real reader (go tool pprof) and its totals
# equal the report's own: outstanding objects/bytes of the known workload.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
tree=${BUILD_TREE:-$(dirname "$POOLSCOPE")}
command -v go >/dev/null || { echo "report_pprof: go missing (golang-go: make deps)" >&2; exit 1; }
work=$(mktemp -d /tmp/poolscope-report-pprof.XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work GOCACHE=$work/gocache GOFLAGS=-mod=mod

# 200000 events, one object in 1000 kept: 100 AIFO of 64 bytes.
"$tree/bench/gen_trace" --events 200000 --leak-every 1000 "$work/t.pstrace" >/dev/null
"$POOLSCOPE" report -f pprof -o "$work/p.pb.gz" "$work/t.pstrace"
want=$("$POOLSCOPE" report -f json -g tag "$work/t.pstrace" | sed -n 's/.*"totals":{"aifo":\([0-9]*\),"aifo_bytes":\([0-9]*\).*/\1 \2/p')
read -r objs bytes <<<"$want"
[ "$objs" -gt 0 ]
top=$(timeout 120 go tool pprof -top -sample_index=outstanding_objects "$work/p.pb.gz" 2>&1)
echo "$top" | head -12
echo "$top" | grep -q "Total samples = $objs\b" || { echo "report_pprof: pprof total != $objs"; exit 1; }
top=$(timeout 120 go tool pprof -top -unit=byte -sample_index=outstanding_space "$work/p.pb.gz" 2>&1)
echo "$top" | grep -q "Total samples = ${bytes}B" || { echo "report_pprof: bytes != $bytes"; echo "$top" | head -5; exit 1; }
# Samples carry the process: pid and comm labels beside the tag.
tags=$(timeout 120 go tool pprof -tags "$work/p.pb.gz" 2>&1)
for key in tag pid comm; do
	echo "$tags" | grep -q "^ *$key: Total" || { echo "report_pprof: no $key label"; echo "$tags" | head -20; exit 1; }
done
echo "report_pprof: ok ($objs objects, $bytes bytes)"
