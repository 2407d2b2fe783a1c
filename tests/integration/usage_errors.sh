#!/usr/bin/env bash
# Options getopt rejects (unknown, missing argument, argument given to a flag,
# unknown letter inside a cluster) give every command ONE line that names the
# option, and exit 2 — not getopt's own message plus a vague second one.
set -u
POOLSCOPE=${POOLSCOPE:-build/poolscope}
fail=0

# expect CMD ARGS... -- NEEDLE: exit 2, exactly one stderr line containing NEEDLE
expect() {
	local needle=${*: -1} args=("${@:1:$#-2}") err rc
	err=$(timeout 10 "$POOLSCOPE" "${args[@]}" 2>&1 >/dev/null </dev/null)
	rc=$?
	if [ "$rc" -ne 2 ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] ||
	   [[ "$err" != *"$needle"* ]]; then
		echo "FAIL: poolscope ${args[*]}: exit $rc, wanted 2 and one line with \"$needle\":"
		printf '%s\n' "$err"
		fail=1
	fi
}

for cmd in top handles record report; do
	expect "$cmd" --bogus -- "unknown option '--bogus'"
	expect "$cmd" --bogus=1 -- "unknown option '--bogus'"
	expect "$cmd" -Z -- "unknown option '-Z'"
	expect "$cmd" --help=1 -- "--help takes no argument"
done
# an unknown letter inside a cluster is named, not its neighbour or the command
expect top -Zb -- "unknown option '-Z'"
expect handles -Zs -- "unknown option '-Z'"
expect record -Zo x -- "unknown option '-Z'"
expect report -Zn 1 x -- "unknown option '-Z'"
# a missing argument is not an "unknown option"
expect top -b -n -- "-n needs an argument"
expect top -b --count -- "--count needs an argument"
expect handles --top -- "--top needs an argument"
expect handles -p -- "-p needs an argument"
expect record -o -- "-o needs an argument"
expect record -o x --duration -- "--duration needs an argument"
expect report -n -- "-n needs an argument"
expect report --from -- "--from needs an argument"
# a flag given a value
expect top --batch=yes -- "--batch takes no argument"
expect record --no-stacks=1 -- "--no-stacks takes no argument"
# help explains one command; more is a typo, not something to ignore
expect help top extra -- "help takes one command, not 'extra' too"
# an abbreviation that fits several long options
expect handles --s -- "ambiguous option '--s'"
exit $fail
