#!/usr/bin/env bash
# poolscope top's screen for real, in a tmux pane of our own tmux server:
# every key, the help, the filter prompt, pause, the interval keys, a small
# and a resized terminal, and the terminal given back (echo, icanon) after q,
# Ctrl-C and SIGTERM. Exit 0 = pass.
set -u
P=$(realpath "${POOLSCOPE:-build/poolscope}")
command -v tmux >/dev/null || { echo "top_tui: tmux is missing (make deps installs it)"; exit 1; }
if [ "$(id -u)" != 0 ]; then echo "top_tui: skipped: needs root for /proc/slabinfo"; exit 77; fi
# One tmux server per start, so a server still shutting down never races the next.
RUN=0
S=poolscope-tui-$$-$RUN
T=(tmux -L "$S")
trap '"${T[@]}" kill-server 2>/dev/null' EXIT

screen() { "${T[@]}" capture-pane -p -t "$S"; }
fail() { echo "FAIL (run $RUN): $*"; echo "---- screen ----"; screen; exit 1; }
# wait_for REGEX [tenths of a second]
wait_for() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	fail "no /$1/ on the screen"
}
keys() { "${T[@]}" send-keys -t "$S" "$@"; }
# Start poolscope top in the pane under a non-interactive shell (an
# interactive bash would repair the terminal modes itself after a job dies,
# hiding what poolscope left behind); afterwards the shell prints the exit
# status and the terminal modes poolscope left.
start_top() { # cols rows top-args...
	local cols=$1 rows=$2
	shift 2
	"${T[@]}" kill-server 2>/dev/null
	RUN=$((RUN + 1))
	S=poolscope-tui-$$-$RUN
	T=(tmux -L "$S")
	"${T[@]}" new-session -d -s "$S" -x "$cols" -y "$rows" \
		"bash --norc --noprofile -c '$P top $*; echo EXIT=\$?; stty -a | tr \"  ;\" \"\\n\\n\" | grep -xE -- \"-?(icanon|echo)\" | tr \"\\n\" \" \"; echo MODES; sleep 600'" ||
		fail "tmux cannot start a session"
	wait_for "^poolscope top " 150
}
top_pid() { ps --ppid "$("${T[@]}" display -p -t "$S" '#{pane_pid}')" -o pid= | tr -d ' '; }
check_restored() { # how it was ended
	wait_for "^EXIT=0" 100
	wait_for "MODES" 100
	screen | grep -qE '^icanon echo MODES' || fail "terminal not restored after $1"
}

# 1. counters on, every key, quit with q.
start_top 160 40 -d 0.5
wait_for "^Counters on \\([0-9]+ events missed, [0-9]+ frees unattributed\\): "
wait_for "sort bytes  type all  filter none  every 0.5s"
wait_for "^Tag +Type +Allocs +\+Allocs +Frees +\+Frees +Diff +Objs +Bytes +\+Bytes +PerObj +Owner +Merged"
keys h; wait_for "^poolscope top: keys"
keys x; wait_for "sort bytes  type all"
keys t; wait_for "sort tag  type"
keys t; wait_for "sort tag reversed  type"
keys a; wait_for "sort allocs  type"
keys '('; wait_for "sort allocs change  type"
keys '('; wait_for "sort allocs  type"
keys f; wait_for "sort frees  type"
keys d; wait_for "sort diff  type"
keys m; wait_for "sort size  type"
keys o; wait_for "sort objs  type"
keys r; wait_for "sort objs reversed  type"
keys b; wait_for "sort bytes  type"
keys p; wait_for "type unrecl"
screen | grep -E '^[^ ]+ +Recl ' && fail "a Recl row under type unrecl"
keys p; wait_for "type recl"
screen | grep -E '^[^ ]+ +Unrecl ' && fail "an Unrecl row under type recl"
wait_for "^dentry +Recl "
keys p; wait_for "type all"
keys / ; wait_for "^filter \\(globs, !exclude\\):"
keys 'kmalloc-*,!kmalloc-cg-*' Enter
wait_for 'filter kmalloc-\*,!kmalloc-cg-\*'
rows=$(screen | sed -n '/^Tag /,$p' | tail -n +2 | grep -v '^ *$')
[ -n "$rows" ] || fail "no rows under the filter"
echo "$rows" | grep -vqE '^kmalloc-' && fail "a row that does not match kmalloc-*"
echo "$rows" | grep -qE '^kmalloc-cg-' && fail "an excluded kmalloc-cg- row"
# Ctrl-U erases the prompt's line.
keys / ; wait_for "^filter \(globs"
keys C-u filp Enter; wait_for "filter filp  every"
keys / ; wait_for "^filter \(globs"
for _ in $(seq 1 30); do keys BSpace; done
keys Enter; wait_for "filter none"
keys Space; wait_for "PAUSED"
keys Space; sleep 0.3; screen | grep -q PAUSED && fail "still paused"
keys +; wait_for "every 1s"
keys -; wait_for "every 0.5s"
keys s; wait_for "^refresh every \\(seconds\\):"
keys 3 Enter; wait_for "every 3s"
keys Down Down PPage NPage Home End Up
keys q
check_restored q

# 2. Ctrl-C.
start_top 120 30 -d 0.5 --no-counters
keys C-c
check_restored Ctrl-C

# 3. SIGTERM from outside.
start_top 120 30 -d 0.5 --no-counters
pid=$(top_pid)
[ -n "$pid" ] || fail "cannot find the poolscope process"
kill -TERM "$pid"
check_restored SIGTERM

# 4. A small terminal, then resized smaller and back: still drawn, no crash.
start_top 40 8 -d 0.3 --no-counters
wait_for "^poolscope top "
"${T[@]}" resize-window -t "$S" -x 24 -y 5
sleep 0.5
wait_for "^poolscope top"
"${T[@]}" resize-window -t "$S" -x 100 -y 30
wait_for "^Tag +Type "
keys h; wait_for "^poolscope top: keys"
keys x q
check_restored "a small terminal"

# 5. A filter given on the command line shows in the status line, and the
# screen logs every refresh (the command line's view, whatever the keys do).
LOG=$(mktemp /tmp/poolscope-tui-log.XXXXXX)
trap '"${T[@]}" kill-server 2>/dev/null; rm -f "$LOG" "$LOG.1"' EXIT
start_top 120 30 -d 0.2 --no-counters --filter filp --sort objs_change --log "$LOG"
wait_for "sort objs change  type all  filter filp"
wait_for "^filp +Unrecl "
keys p
sleep 1
keys q
check_restored "--filter"
n=$(wc -l < "$LOG")
[ "$n" -ge 3 ] || fail "the screen logged $n refreshes in over a second at 0.2 s"
grep -v '^{"time":"' "$LOG" && fail "a log line that is not a JSON refresh"
[ "$(grep -c '"tags":\[{"tag":"filp",' "$LOG")" -eq "$n" ] || fail "log lines without exactly filp"
# 5b. Bytes that could drive the terminal (an escape sequence, invalid UTF-8)
# in what the screen shows (here the filter; cache names alike) are shown
# escaped, as the text renderers show them.
export TUI_FILTER=$'\e[7mboom\xff'
start_top 120 30 -d 0.2 --no-counters --filter '"$TUI_FILTER"'
wait_for 'filter \\x1b\[7mboom\\xff  every'
keys q
check_restored "an escaped filter"
unset TUI_FILTER
# 6. A warning while the screen is up (a log on a full disk: the screen keeps
# running, refreshes that do not fit are left out) is said once the terminal
# is back, not scribbled over the screen.
start_top 120 30 -d 0.2 --no-counters --log /dev/full
sleep 0.6
screen | grep -q "writing log" && fail "the warning was written over the screen"
keys q
check_restored "a full log disk"
wait_for "^poolscope: warning: top: writing log /dev/full failed: No space left on device"
[ "$(screen | grep -c "writing log")" -eq 1 ] || fail "the full-disk warning said more than once"
# 7. A terminal curses does not know: our one line naming TERM and -b, exit 1
# (initscr() would print its own message and exit past our cleanup).
"${T[@]}" kill-server 2>/dev/null
RUN=$((RUN + 1))
S=poolscope-tui-$$-$RUN
T=(tmux -L "$S")
"${T[@]}" new-session -d -s "$S" -x 120 -y 30 \
	"bash --norc --noprofile -c 'TERM=no-such-term $P top --no-counters; echo EXIT=\$?; sleep 600'" ||
	fail "tmux cannot start a session"
wait_for "^poolscope: top: cannot use the terminal \(TERM=no-such-term is unknown here\); use -b"
wait_for "^EXIT=1"
echo "top_tui: all screen checks passed"
