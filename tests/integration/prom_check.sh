#!/usr/bin/env bash
# The exporter against the real Prometheus tools (Debian's prometheus
# package): `promtool check metrics` passes on an exposition of poolscope's
# families written by output/prom (bench/gen_metrics: a duplicate cache name,
# label values with quotes, backslashes, newlines and a non-UTF-8 byte), and a
# real Prometheus server on loopback scraping it from output/metrics_server
# every second answers PromQL through its HTTP API with what was published:
# as many poolscope_slab_bytes series, the escaped label values intact, no
# duplicate samples. Needs no root. Skips (77) only without promtool or
# prometheus. Prometheus and the server are stopped and the temporary
# directory removed however the test exits.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
tree=${BUILD_TREE:-$(dirname "$POOLSCOPE")}
gen=$tree/bench/gen_metrics
export LC_ALL=C
for tool in promtool prometheus; do
	command -v $tool >/dev/null || { echo "prom_check: skipped: $tool missing (prometheus: make deps)"; exit 77; }
done
[ -x "$gen" ] || { echo "prom_check: $gen not built (make tests)" >&2; exit 1; }

work=$(mktemp -d /tmp/poolscope-prom-check.XXXXXX)
prom_pid= gen_pid=
cleanup() {
	local pid i
	for pid in $prom_pid $gen_pid; do
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
	echo "prom_check: $*" >&2
	[ -f "$work/prometheus.log" ] && tail -20 "$work/prometheus.log" >&2
	exit 1
}

# The body of GET http://127.0.0.1:PORT/PATH (HTTP/1.0: no chunking), empty
# when the server does not answer within 5 s. Bash's /dev/tcp: no HTTP
# client is needed beyond what deps.txt installs.
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

# The value of a PromQL query's single result, empty when none.
query() {
	http_get "$prom_port" "/api/v1/query?query=$(urlencode "$1")" |
		sed -n 's/.*"result":\[{"metric":{[^}]*},"value":\[[^,]*,"\([^"]*\)"\]}\].*/\1/p'
}

# 1. promtool on the exposition.
"$gen" --caches 40 >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt" >"$work/promtool.out" 2>&1 ||
	{ cat "$work/promtool.out"; fail "promtool check metrics failed"; }
[ ! -s "$work/promtool.out" ] || { cat "$work/promtool.out"; fail "promtool lint findings"; }
# promtool does not look for duplicate series: no series twice (the value,
# the last field, dropped), each family's HELP once, the kmalloc-64 caches
# in one series, the odd values there, escaped.
dups=$(grep -v '^#' "$work/metrics.txt" | sed 's/ [^ ]*$//' | sort | uniq -d)
[ -z "$dups" ] || fail "duplicate series: $dups"
dups=$(grep '^# HELP' "$work/metrics.txt" | cut -d' ' -f3 | sort | uniq -d)
[ -z "$dups" ] || fail "families written twice: $dups"
[ "$(grep -c '^poolscope_slab_bytes{cache="kmalloc-64",type="unrecl"} ' "$work/metrics.txt")" = 1 ] ||
	fail "kmalloc-64 not one series"
grep -qF 'comm="we\"ird\\comm\n",' "$work/metrics.txt" || fail "comm with quote, backslash, newline not escaped"
want=$(grep -c '^poolscope_slab_bytes{' "$work/metrics.txt")
samples=$(grep -vc '^#' "$work/metrics.txt")
echo "prom_check: promtool ok ($samples samples, $want poolscope_slab_bytes series)"

# 2. The same exposition served; a real Prometheus scrapes it every second.
mkfifo "$work/stdin"
"$gen" --caches 40 --serve 127.0.0.1:0 <"$work/stdin" >"$work/port" 2>"$work/gen.err" &
gen_pid=$!
exec 4>"$work/stdin" # the server runs until this closes
port=
for _ in $(seq 50); do
	port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$work/port")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { cat "$work/gen.err" >&2; fail "gen_metrics --serve did not start"; }
# The same series as written (values move: the server republishes every
# 0.5 s with its counter advanced).
series() { sed 's/ [^ ]*$//' "$@"; }
http_get "$port" /metrics | series | cmp -s - <(series "$work/metrics.txt") ||
	fail "served series differ from the written exposition"

cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: poolscope
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
promtool check config "$work/prometheus.yml" >/dev/null || fail "promtool check config"

# A free port for Prometheus: try a few; one taken makes it exit at once.
# It must not inherit fd 4 (the server's stdin would never see EOF).
prom_port=
for _ in 1 2 3 4 5; do
	candidate=$((20000 + RANDOM % 40000))
	ss -Htln "sport = :$candidate" 2>/dev/null | grep -q . && continue
	rm -rf "$work/tsdb"
	prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
		--web.listen-address="127.0.0.1:$candidate" --log.level=warn \
		>"$work/prometheus.log" 2>&1 4>&- &
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

# Wait for scrapes (at most 40 s), then ask.
got=
deadline=$((SECONDS + 40))
while [ $SECONDS -lt $deadline ]; do
	got=$(query 'count(poolscope_slab_bytes)')
	[ -n "$got" ] && [ "$(query 'count_over_time(up{job="poolscope"}[1m])')" -ge 2 ] 2>/dev/null && break
	sleep 0.5
done
[ "$(query 'up{job="poolscope"}')" = 1 ] || fail "target not up"
[ "$got" = "$want" ] || fail "count(poolscope_slab_bytes) = '$got', published $want"
scraped=$(query 'scrape_samples_scraped{job="poolscope"}')
[ "$scraped" = "$samples" ] || fail "scrape_samples_scraped = '$scraped', published $samples"
# Prometheus's own counter of samples dropped as duplicates (it does not
# scrape itself here: read its /metrics).
dup=$(http_get "$prom_port" /metrics |
	sed -n 's/^prometheus_target_scrapes_sample_duplicate_timestamp_total \([0-9.e+]*\)$/\1/p')
[ "$dup" = 0 ] || fail "Prometheus counted '$dup' duplicate samples"
# The label values made it through escaping, and the non-UTF-8 byte as U+FFFD.
[ "$(query 'count(poolscope_process_fds{comm="we\"ird\\comm\n"})')" = 1 ] ||
	fail "comm with quote, backslash, newline lost"
[ "$(query 'count(poolscope_process_fds{comm="bad\ufffdbyte"})')" = 1 ] ||
	fail "comm with a non-UTF-8 byte lost"
[ "$(query 'count(poolscope_slab_bytes{cache="odd\"cache\\name\nx"})')" = 1 ] ||
	fail "cache name with quote, backslash, newline lost"
# The duplicate cache name: one series, the sum of both caches.
kmalloc=$(query 'poolscope_slab_objects{cache="kmalloc-64"}')
[ "$kmalloc" = 52224 ] || fail "kmalloc-64 objects = '$kmalloc', want 51200 + 1024"
# A forecast series, as the fleet's alerting rules will ask.
[ "$(query 'count(poolscope_exhaustion_seconds < 2*86400)')" = 1 ] ||
	fail "forecast series not queryable"
# Its stdin closed, the server exits 0 and nothing listens on its port.
exec 4>&-
rc=0
timeout 10 tail --pid="$gen_pid" -f /dev/null || fail "gen_metrics --serve did not exit on EOF"
wait "$gen_pid" || rc=$?
gen_pid=
[ "$rc" = 0 ] || fail "gen_metrics --serve exited $rc"
[ -z "$(ss -Htln "sport = :$port")" ] || fail "port $port still listening after the server exited"
echo "prom_check: prometheus ok (count(poolscope_slab_bytes) = $got, $scraped samples per scrape, up)"
