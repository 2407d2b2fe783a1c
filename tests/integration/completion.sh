#!/usr/bin/env bash
# packaging/poolscope.bash-completion in a plain bash: commands, options per
# command and the values of the options that take choices, all read from the
# binary's own --help (one source of truth): completing after a word asks
# this tree's poolscope. Needs no root.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${POOLSCOPE:=build/poolscope}"
fail() { echo "completion: $*" >&2; exit 1; }
# The completions of the words given, the last one being completed.
complete_words() {
	bash --norc --noprofile -c 'source packaging/poolscope.bash-completion
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_poolscope; printf "%s\n" "${COMPREPLY[@]}"' _ "$POOLSCOPE" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() { # expect "WANTED" WORDS...: the completions hold every wanted word
	local want=$1 got w
	shift
	got=" $(complete_words "$@") "
	for w in $want; do
		[[ $got == *" $w "* ]] || fail "poolscope $* <TAB>: '$w' missing from:$got"
	done
}
expect_exactly() {
	local want=$1 got
	shift
	got=$(complete_words "$@")
	[ "$got" = "$want" ] || fail "poolscope $* <TAB>: '$got', want '$want'"
}
# Every command of the command table, and help.
cmds=$("$POOLSCOPE" --help | awk '/^commands:/ {on = 1; next} on && /^ +[a-z]/ {print $1} on && /^$/ {exit}')
[ -n "$cmds" ] || fail "no commands in poolscope --help"
expect "$cmds help" ""
expect_exactly "watch" w
expect_exactly "--help --version" --
expect_exactly "handles help history" h
# Options per command, abbreviated commands too.
expect "--sort --sites" top --s
expect_exactly "--sites --sort" t --s
expect "--interval --listen --no-db --snapshot --exec" watch --
expect "--vmlinux --diff --frame" report --
# Values.
expect_exactly "csv json text" top --format ""
expect_exactly "all recl unrecl" top --type ""
expect "diff_change bytes owner" top --sort ""
expect "eventfd inotify io_uring unknown" handles -t ""
expect "fds fd-pct eventfd" handles --sort ""    # "or a TYPE": the types too
expect_exactly "csv folded html json pprof text" report -f ""
expect_exactly "AIFI AIFO AOFI AOFO" report --type ""
expect "tag,stack tag,comm" report -g tag,    # a comma list: its last item
expect "tag,ufunc" report -g tag,              # user-stack keys too
expect "outstanding callsite" report --sort "" # "or a group column": --group's
expect_exactly "kmalloc page percpu slab vmalloc" record --kinds ""
expect_exactly "last max mean min" history --stat ""
expect_exactly "json text" diagnose --format ""
# Files, users.
tmp=$(mktemp -d /tmp/poolscope-compl.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/leak.pstrace"
expect_exactly "$tmp/leak.pstrace" report "$tmp/le"
expect_exactly "$tmp/leak.pstrace" watch --db "$tmp/l"
expect root handles -u ro
echo "completion: ok"
