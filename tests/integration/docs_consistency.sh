#!/usr/bin/env bash
# Every command in the command table (as `poolscope --help` lists it) has a
# man page (docs/man/poolscope-CMD.8), named in poolscope(8), and every long
# option its --help lists appears in that page, so a new command cannot ship
# undocumented and the two cannot drift apart silently. The man page is
# rendered to plain text first: roff spells "--sort" as "\-\-sort".
set -u
cd "$(dirname "$0")/../.."
POOLSCOPE=${POOLSCOPE:-build/poolscope}
fail=0
cmds=$("$POOLSCOPE" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || { echo "FAIL: 'poolscope --help' lists no command"; exit 1; }
index=$(MANWIDTH=200 man -l docs/man/poolscope.8 2>/dev/null | col -bx)
for cmd in $cmds; do
	grep -q "poolscope-$cmd" <<<"$index" || { echo "FAIL: poolscope(8) does not name poolscope-$cmd"; fail=1; }
	page=docs/man/poolscope-$cmd.8
	[ -f "$page" ] || { echo "FAIL: $page missing"; fail=1; continue; }
	text=$(MANWIDTH=200 MAN_KEEP_FORMATTING= man -l "$page" 2>/dev/null | col -bx)
	[ -n "$text" ] || { echo "FAIL: $page renders to nothing"; fail=1; continue; }
	opts=$("$POOLSCOPE" "$cmd" --help | grep -oE -- '(^|[ ,[])--[a-z][a-z0-9-]+' |
		grep -oE -- '--[a-z][a-z0-9-]+' | sort -u)
	[ -n "$opts" ] || { echo "FAIL: '$cmd --help' lists no long option"; fail=1; continue; }
	n=0
	for opt in $opts; do
		n=$((n + 1))
		if ! grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|\$)" <<<"$text"; then
			echo "FAIL: $cmd: $opt is in --help but not in $page"
			fail=1
		fi
	done
	echo "$cmd: $n long options checked against $page"
done
exit $fail
