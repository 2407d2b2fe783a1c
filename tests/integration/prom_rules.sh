#!/usr/bin/env bash
# packaging/poolscope.rules.yml: valid under `promtool check rules` (and
# lint-clean), and `promtool test rules` on packaging/poolscope.rules.test.yml
# passes: every alert fires on its series, the decoys (a forecast ten days
# ahead, one under two days for less than `for:`, a resource at 50 %, one
# without a known limit) raise nothing. Every metric name the rules use is a
# family the exporter declares (docs/METRICS.md). Needs no root; skips (77)
# only without promtool.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v promtool >/dev/null || { echo "prom_rules: skipped: promtool missing (prometheus: make deps)"; exit 77; }
fail() { echo "prom_rules: $*" >&2; exit 1; }
out=$(promtool check rules --lint=all --lint-fatal packaging/poolscope.rules.yml 2>&1) ||
	fail "promtool check rules: $out"
echo "$out"
out=$(promtool test rules packaging/poolscope.rules.test.yml 2>&1) || fail "promtool test rules: $out"
echo "$out"
# A rule on a name the exporter does not serve would never fire.
for name in $(grep -o 'poolscope_[a-z_]*' packaging/poolscope.rules.yml | sort -u); do
	grep -q "^| \`$name\` |" docs/METRICS.md || fail "rules use $name, not a family in docs/METRICS.md"
done
echo "prom_rules: ok"
