#!/usr/bin/env bash
# Size of watch's history database after a simulated week, against a naive
# row-per-value SQLite table written side by side in the same run
# (bench/history_size.c: 540 series every 10 s — 200 caches × 2, the top 20
# processes × 5, 40 system series — timestamps simulated, no sleeping).
# Prints a line per simulated day and the summary; the figures go to
# docs/PERFORMANCE.md ("history database").
# Usage: bench/history_size.sh [DAYS]   (env BUILD_TREE, default build; DIR,
# default a temporary directory on the disk, removed after)
set -eu
TREE=${BUILD_TREE:-build}
DAYS=${1:-7}
BIN=$TREE/bench/history_size
[ -x "$BIN" ] || { echo "history_size: $BIN not built (make tests)" >&2; exit 1; }
dir=${DIR:-$(mktemp -d -p "${TMPDIR:-/var/tmp}" poolscope-history-size.XXXXXX)}
trap 'rm -rf "$dir"' EXIT
echo "history_size: $DAYS simulated days in $dir ($(df -h --output=fstype "$dir" | tail -1 | tr -d ' '))"
"$BIN" --days "$DAYS" "$dir"
