#!/usr/bin/env bash
# poolscope watch against a real Prometheus (Debian's prometheus package) on
# loopback, with 1,000 extra processes holding fds (the export stays within
# 1,500 series whatever the process count): it scrapes
# `poolscope watch --interval 1s --no-db --listen` every
# second with packaging/poolscope.rules.yml loaded, and answers PromQL
# through its HTTP API: count(poolscope_slab_bytes) equals the series /metrics
# serves, poolscope_resource_used has series, and the alerting rules are
# loaded and healthy. poolscope_exhaustion_seconds is checked as queryable
# (the query succeeds; its series exist only while a forecast is in force,
# and a forecast needs at least a minute of steady growth: too slow for
# make check; watch_alert.sh and prom_check.sh cover forecasts and the
# series' format). Bounded in time; Prometheus and watch are stopped and the
# temporary directory removed by a trap. Needs root (watch reads every
# process); skips (77) only without prometheus/promtool.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
export LC_ALL=C
for tool in promtool prometheus; do
	command -v $tool >/dev/null || { echo "prom_watch: skipped: $tool missing (prometheus: make deps)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "prom_watch: skipped: needs root"; exit 77; }

work=$(mktemp -d /tmp/poolscope-prom-watch.XXXXXX)
prom_pid= watch_pid=
crowd=()
cleanup() {
	local pid i
	for pid in "${crowd[@]+"${crowd[@]}"}"; do kill "$pid" 2>/dev/null || true; done
	for pid in $prom_pid $watch_pid; do
		kill -TERM "$pid" 2>/dev/null || continue
		for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "prom_watch: $*" >&2
	[ -f "$work/prometheus.log" ] && tail -20 "$work/prometheus.log" >&2
	[ -f "$work/watch.err" ] && tail -5 "$work/watch.err" >&2
	exit 1
}

# As in prom_check.sh: the body of GET http://127.0.0.1:PORT/PATH over
# bash's /dev/tcp, empty when nothing answers within 5 s.
http_get() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
		cat <&3' _ "$1" "$2" 2>/dev/null | tr -d '\r' | sed '1,/^$/d' || true
}
urlencode() {
	local s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-zA-Z0-9._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}
api() { http_get "$prom_port" "/api/v1/query?query=$(urlencode "$1")"; }
# The value of a PromQL query's single result, empty when none.
query() { api "$1" | sed -n 's/.*"result":\[{"metric":{[^}]*},"value":\[[^,]*,"\([^"]*\)"\]}\].*/\1/p'; }
free_port() {
	local p
	for _ in $(seq 20); do
		p=$((20000 + RANDOM % 40000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# 1. watch, serving, on a machine with 1,000 more processes holding fds of
# their own: the exposition must stay within node_exporter's order (at
# most 1,500 series) whatever the process count (issue #11): only the top
# processes get series.
mkfifo "$work/hold"
exec {hold}<>"$work/hold"
for _ in $(seq 1000); do
	"${LEAKERS:-build/leakers}/leakzoo" flatfds --max 5 --rate 0.001 <"$work/hold" >/dev/null 2>&1 &
	crowd+=($!)
done
port=$(free_port)
"$POOLSCOPE" watch --interval 1s --no-db --no-diagnose --listen "127.0.0.1:$port" >/dev/null 2>"$work/watch.err" &
watch_pid=$!
for _ in $(seq 100); do
	http_get "$port" /metrics | grep -q '^poolscope_slab_bytes{' && break
	kill -0 "$watch_pid" 2>/dev/null || fail "watch exited"
	sleep 0.2
done
http_get "$port" /metrics >"$work/metrics"
want=$(grep -c '^poolscope_slab_bytes{' "$work/metrics") || fail "watch serves no poolscope_slab_bytes"
procs=$(ls /proc | grep -c '^[0-9]')
series=$(grep -vc '^#' "$work/metrics")
echo "prom_watch: $series series with $procs processes on the machine"
[ "$procs" -gt 1000 ] || fail "the crowd of 1,000 processes did not start ($procs processes)"
[ "$series" -le 1500 ] || fail "$series series exported with $procs processes: more than 1,500"

# 2. Prometheus scraping it, with the alerting rules.
cp packaging/poolscope.rules.yml "$work/"
cat >"$work/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - poolscope.rules.yml
scrape_configs:
  - job_name: poolscope
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF2
promtool check config "$work/prometheus.yml" >/dev/null || fail "promtool check config"
prom_port=
for _ in 1 2 3 4 5; do
	candidate=$(free_port)
	rm -rf "$work/tsdb"
	prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
		--web.listen-address="127.0.0.1:$candidate" --log.level=warn >"$work/prometheus.log" 2>&1 &
	prom_pid=$!
	deadline=$((SECONDS + 30))
	while [ $SECONDS -lt $deadline ]; do
		kill -0 "$prom_pid" 2>/dev/null || break
		http_get "$candidate" /-/ready | grep -q Ready && { prom_port=$candidate; break; }
		sleep 0.2
	done
	[ -n "$prom_port" ] && break
	kill -KILL "$prom_pid" 2>/dev/null || true
	wait "$prom_pid" 2>/dev/null || true
	prom_pid=
done
[ -n "$prom_port" ] || fail "prometheus did not become ready on loopback"

# 3. Wait for scrapes (at most 40 s), then ask.
deadline=$((SECONDS + 40))
while [ $SECONDS -lt $deadline ]; do
	[ "$(query 'count_over_time(up{job="poolscope"}[1m])')" -ge 3 ] 2>/dev/null && break
	sleep 0.5
done
[ "$(query 'up{job="poolscope"}')" = 1 ] || fail "target not up"
# The cache set can change between two samples (a cache made or destroyed):
# compare with what /metrics serves now, twice at most.
for _ in 1 2 3; do
	want=$(http_get "$port" /metrics | grep -c '^poolscope_slab_bytes{' || true)
	got=$(query 'count(poolscope_slab_bytes)')
	[ "$got" = "$want" ] && break
	sleep 1.5
done
[ "$got" = "$want" ] || fail "count(poolscope_slab_bytes) = '$got', /metrics serves $want"
used=$(query 'count(poolscope_resource_used)')
[ "${used:-0}" -ge 5 ] || fail "count(poolscope_resource_used) = '$used'"
[ "$(query 'count(poolscope_resource_used{resource="file handles (fs.file-nr)"})')" = 1 ] ||
	fail "no file handles resource"
api 'poolscope_exhaustion_seconds < 2*86400' | grep -q '"status":"success"' || fail "the forecast query fails"
forecasts=$(query 'count(poolscope_exhaustion_seconds)')
rules=$(http_get "$prom_port" /api/v1/rules)
for r in PoolscopeExhaustionForecast PoolscopeExhaustionImminent PoolscopeResourceHigh PoolscopeResourceCritical; do
	grep -q "\"name\":\"$r\"" <<<"$rules" || fail "rule $r not loaded"
done
grep -q '"health":"err"' <<<"$rules" && fail "a rule fails to evaluate: $rules"
echo "prom_watch: ok (count(poolscope_slab_bytes) = $got, $used resources, ${forecasts:-0} forecasts in force, rules loaded)"
