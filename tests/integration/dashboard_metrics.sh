#!/usr/bin/env bash
# packaging/poolscope-dashboard.json: valid JSON whose every query (panel
# targets and template variables, read with python3's json module) uses only
# metric names that a live `poolscope watch --listen` serves on /metrics and
# that docs/METRICS.md documents (poolscope_exhaustion_seconds, written only
# while a forecast is in force, may be missing live if the exporter declares
# it). Needs root (watch reads every process).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
[ "$(id -u)" -eq 0 ] || { echo "dashboard_metrics: skipped: needs root"; exit 77; }
fail() { echo "dashboard_metrics: $*" >&2; exit 1; }
work=$(mktemp -d /tmp/poolscope-dash.XXXXXX)
wpid=
cleanup() {
	if [ -n "$wpid" ]; then kill -TERM "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
names=$(python3 - packaging/poolscope-dashboard.json <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
exprs = []
def walk(p):
    for t in p.get('targets', []):
        exprs.append(t['expr'])
    for q in p.get('panels', []):
        walk(q)
walk(d)
exprs += [v.get('query', '') for v in d.get('templating', {}).get('list', [])]
assert len(exprs) >= 8, exprs
print('\n'.join(sorted({m for e in exprs for m in re.findall(r'\bpoolscope_[a-z_]+', e)})))
PY
) || fail "cannot read the dashboard's expressions"
# A live exposition, first sample in: any free port of a few.
for _ in 1 2 3 4 5; do
	port=$((20000 + RANDOM % 40000))
	ss -Htln "sport = :$port" | grep -q . && continue
	"$POOLSCOPE" watch --interval 1s --no-db --no-diagnose --listen "127.0.0.1:$port" >/dev/null 2>"$work/err" &
	wpid=$!
	for _ in $(seq 100); do
		timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET /metrics HTTP/1.0\r\n\r\n" >&3 && cat <&3' _ "$port" \
			2>/dev/null | tr -d '\r' | sed '1,/^$/d' >"$work/metrics" || true
		grep -q '^poolscope_sample_duration_seconds ' "$work/metrics" && break
		kill -0 "$wpid" 2>/dev/null || break
		sleep 0.2
	done
	grep -q '^poolscope_sample_duration_seconds ' "$work/metrics" && break
	kill "$wpid" 2>/dev/null || true; wait "$wpid" 2>/dev/null || true; wpid=
done
[ -n "$wpid" ] || fail "watch did not serve /metrics: $(cat "$work/err")"
for name in $names; do
	if ! grep -q "^# TYPE $name " "$work/metrics"; then
		# A family with no sample is not written: the forecasts exist only
		# while one is in force (a steady leak for a minute at least). That
		# one may be absent here if the exporter declares it.
		[ "$name" = poolscope_exhaustion_seconds ] && grep -q "\"$name\"" src/output/prom_families.h ||
			fail "the dashboard uses $name, absent from a live /metrics"
	fi
	grep -q "^| \`$name\` |" docs/METRICS.md || fail "the dashboard uses $name, absent from docs/METRICS.md"
done
echo "dashboard_metrics: ok ($(echo $names | wc -w) metric names, all served and documented)"
