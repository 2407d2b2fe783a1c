#!/usr/bin/env bash
# The leak zoo (tests/leakers/leakzoo.c) makes what it says, at the rate it
# is told, and frees all of it. Every kind runs at once for about 3 s, its
# count sampled twice from /proc and /sys, as a test of `diagnose` will see
# it: fds by type (/proc/PID/fd links, sockets by their inode in
# /proc/net/unix and /proc/net/tcp), fds in flight (Recv-Q of `ss -x`),
# Threads in /proc/PID/status, lines of /proc/PID/maps, /proc/sysvipc/msg
# rows by lspid, POSIX queues in an mqueue mount, /proc/keys by description
# (and /proc/key-users), "inotify wd:" lines in the inotify fd's fdinfo, the
# holder's fds for scm and scmfork, the page cache of the file (fincore), negative
# dentries (/proc/sys/fs/dentry-state). Each run's own words are checked
# too: pid, allocator, holder (itself, the scm child, or none), unit.
# scmfork's allocators must be gone.
# A leak must grow at its rate (within 20 %) and only the thing it leaks;
# a decoy must not grow any count of its own (the burst must come back to
# its baseline in every cycle). After EOF on stdin (SIGTERM for two) each
# exits 0 and nothing is left: no process, queue, key, temp dir or file.
# Counts are the leaker's own wherever possible, so that the test holds on a
# busy shared machine (other sessions run the zoo too); the two machine-wide
# checks ask little: negative dentries grow by a quarter of the stat()s, and
# /proc/key-users counts at least our keys. Also: bad arguments exit 2, a
# failed syscall exits 1 with the reason, --max is kept, --comm names the
# process. Skips (exit 77, with the reason) without root.
set -u
LEAKERS=${LEAKERS:-build/leakers}
ZOO=$LEAKERS/leakzoo
[ "$(id -u)" -eq 0 ] || { echo "SKIP: leakers_zoo needs root (it mounts an mqueue fs to count POSIX queues; diagnose, whose zoo this is, runs as root)"; exit 77; }
[ -x "$ZOO" ] || { echo "FAIL: $ZOO is not built"; exit 1; }
tmp=$(mktemp -d -t poolscope-zoo.XXXXXX)
mkdir "$tmp/mq"
declare -A pid infd kindof rateof perof holder dir
names=()

# Whatever happened: EOF and SIGTERM first (the leakers free what they made),
# SIGKILL after 3 s, then what a killed leaker leaves: SysV and POSIX
# queues, userkey's keys, temp dirs.
cleanup() {
	local n p left
	for n in "${names[@]+"${names[@]}"}"; do
		[ -n "${infd[$n]:-}" ] && eval "exec ${infd[$n]}>&-"
		kill -TERM "${pid[$n]}" 2>/dev/null
	done
	for _ in $(seq 30); do
		left=
		for n in "${names[@]+"${names[@]}"}"; do
			kill -0 "${pid[$n]}" 2>/dev/null && left=1
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	for n in "${names[@]+"${names[@]}"}"; do
		p=${pid[$n]}
		kill -KILL "$p" 2>/dev/null
		[ -n "${holder[$n]:-}" ] && kill -KILL "${holder[$n]}" 2>/dev/null
		awk -v p="$p" 'NR > 1 && $6 == p { print $2 }' /proc/sysvipc/msg |
			while read -r q; do ipcrm -q "$q"; done
		rm -f "$tmp/mq/leakzoo.$p."*
		[ -n "${dir[$n]:-}" ] && rm -rf "${dir[$n]}"
		grep -q " leakzoo\.$p\." /proc/keys && python3 - "$p" <<'PY'
import ctypes, platform, sys
keyctl = {"x86_64": 250, "aarch64": 219}[platform.machine()]
libc = ctypes.CDLL(None, use_errno=True)
for line in open("/proc/keys"):
    f = line.split()
    if len(f) > 8 and f[8].startswith("leakzoo.%s." % sys.argv[1]):
        libc.syscall(keyctl, 21, int(f[0], 16))  # KEYCTL_INVALIDATE
PY
	done
	wait 2>/dev/null
	mountpoint -q "$tmp/mq" && umount "$tmp/mq"
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

mount -t mqueue none "$tmp/mq" || { echo "FAIL: cannot mount an mqueue fs"; exit 1; }

# ---- arguments
for args in "" "nosuchkind" "eventfd --rate 0" "eventfd --rate x" "eventfd --size 10" \
	"eventfd --max 15001" "pipe --max 7001" "map --size 1 --max 30000" \
	"eventfd --pass pipe" "scm --pass nosuch" "eventfd extra" "eventfd --bogus"; do
	# shellcheck disable=SC2086
	"$ZOO" $args </dev/null >"$tmp/u.out" 2>"$tmp/u.err"
	rc=$?
	if [ "$rc" -ne 2 ] || ! grep -q '^usage: leakzoo KIND' "$tmp/u.err" || [ -s "$tmp/u.out" ]; then
		bad "leakzoo $args: exit $rc (want 2 and a usage line); stderr: $(cat "$tmp/u.err")"
	fi
done
"$ZOO" --list >"$tmp/list" || bad "leakzoo --list: exit $?"
# A failed syscall: exit 1 with the reason, and what was made is freed.
(ulimit -n 40 && exec "$ZOO" eventfd --rate 2000 --max 100) < <(sleep 2) >"$tmp/e.out" 2>"$tmp/e.err"
rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "eventfd: Too many open files" "$tmp/e.err"; then
	bad "eventfd past a 40-fd limit: exit $rc (want 1 and the reason); stderr: $(cat "$tmp/e.err")"
fi

# A closed stdin is at EOF (no object takes fd 0 and waits forever).
timeout 10 "$ZOO" eventfd <&- >"$tmp/c.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q '^freed$' "$tmp/c.out" || bad "eventfd with stdin closed: exit $rc (want 0 at once); $(tail -2 "$tmp/c.out")"

# ---- start: NAME KIND RATE PER_OBJECT ARGS...
start() {
	local n=$1 k=$2 r=$3 per=$4 fd
	shift 4
	names+=("$n")
	kindof[$n]=$k rateof[$n]=$r perof[$n]=$per
	mkfifo "$tmp/$n.in"
	"$ZOO" "$k" --rate "$r" "$@" <"$tmp/$n.in" >"$tmp/$n.out" 2>"$tmp/$n.err" &
	pid[$n]=$!
	exec {fd}>"$tmp/$n.in"
	infd[$n]=$fd
}
fact() { sed -n "s/^$2 //p" "$tmp/$1.out" | head -1; }

start eventfd eventfd 40 1
start timerfd timerfd 40 1
start epoll epoll 40 1
start signalfd signalfd 40 1
start pidfd pidfd 40 1
start mqueue mqueue 20 1 --size 256 --max 100
start file file 40 1
start memfd memfd 40 1 --size 8192
start pipe pipe 40 2 --size 100
start unix unix 40 2 --size 100
start tcp tcp 40 2 --size 100
start thread thread 40 1
start map map 40 1 --size 12288
start sysvmsg sysvmsg 40 1 --size 1024
start posixmq posixmq 40 1 --size 128
start key key 40 1
start userkey userkey 40 1
start inotify inotify 40 1
start scm scm 40 1
start inflight inflight 200 1
start scmpipe scm 40 2 --pass pipe
start scmfork scmfork 40 1
start dentry dentry 2000 1
start flatfds flatfds 200 0 --max 3000
start burst burst 4000 0 --max 1000
start pagecache pagecache 200 1 --max 8192
start maxed eventfd 1000 1 --max 20 --comm $'zoo\e[31m\tmax'
start term_msg sysvmsg 100 1
start term_scm scm 100 1

for n in "${names[@]}"; do
	for _ in $(seq 100); do
		grep -q '^ready$' "$tmp/$n.out" 2>/dev/null && break
		kill -0 "${pid[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^ready$' "$tmp/$n.out" || bad "$n: not ready in 10 s; stdout: $(cat "$tmp/$n.out"); stderr: $(cat "$tmp/$n.err")"
	[ "$(fact "$n" pid)" = "${pid[$n]}" ] || bad "$n: 'pid ${pid[$n]}' missing: $(head -3 "$tmp/$n.out")"
	dir[$n]=$(fact "$n" dir)
	h=$(fact "$n" holder)
	a=${pid[$n]}
	[ "${kindof[$n]}" = scmfork ] && a="children ${pid[$n]}"
	[ "$(fact "$n" allocator)" = "$a" ] || bad "$n: 'allocator $(fact "$n" allocator)', want 'allocator $a'"
	case ${kindof[$n]} in
	sysvmsg | posixmq | userkey | dentry | pagecache) [ "$h" = none ] || bad "$n: 'holder $h', want 'holder none'" ;;
	scm | scmfork)
		if [ -z "$h" ] || [ "$h" = "${pid[$n]}" ] || [ "$(cat "/proc/$h/comm" 2>/dev/null)" != leakzoo-holder ]; then
			bad "$n: 'holder $h' is not a process named leakzoo-holder"
		else
			holder[$n]=$h # a process of its own, to count and to see go
		fi ;;
	*) [ "$h" = "${pid[$n]}" ] || bad "$n: 'holder $h', want itself (${pid[$n]})" ;;
	esac
	case ${kindof[$n]} in
	thread) u=thread ;;
	map) u=mapping ;;
	sysvmsg) u=sysv_msg ;;
	posixmq) u=posix_mq_msg ;;
	key | userkey) u=key ;;
	inotify) u=inotify_watch ;;
	inflight) u=inflight_fd ;;
	dentry) u=dentry ;;
	pagecache) u=page ;;
	*) u=fd ;;
	esac
	[ "$(fact "$n" unit)" = "$u ${perof[$n]}" ] || bad "$n: '$(fact "$n" unit)', want 'unit $u ${perof[$n]}'"
done
[ "$fail" -eq 0 ] || exit 1

# ---- counting, as a diagnose of the leaker would
links() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null; }
sock_in() { # TABLE INODE_COLUMN: the snapshot's sockets listed in that table
	sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' <<<"$snap_links" |
		awk -v c="$2" 'NR == FNR { if (FNR > 1) t[$c] = 1; next } ($1 in t) { n++ } END { print n + 0 }' "$1" -
}
# The count of what NAME leaks (for decoys: the count they must keep flat).
# The fd, thread and map counts come from the snapshot own() took last, so
# that they and the process's totals are of the same moment.
count() {
	local n=$1 p=${pid[$1]} f
	case ${kindof[$n]} in
	eventfd | flatfds | burst) grep -c '^anon_inode:\[eventfd\]$' <<<"$snap_links" ;;
	timerfd) grep -c '^anon_inode:\[timerfd\]$' <<<"$snap_links" ;;
	epoll) grep -c '^anon_inode:\[eventpoll\]$' <<<"$snap_links" ;;
	signalfd) grep -c '^anon_inode:\[signalfd\]$' <<<"$snap_links" ;;
	pidfd) grep -c '^anon_inode:\[pidfd\]$' <<<"$snap_links" ;;
	mqueue) grep -c "^/leakzoo\.$p\.fd[0-9]* (deleted)\$" <<<"$snap_links" ;;
	file) grep -cxF "$(fact "$n" file)" <<<"$snap_links" ;;
	memfd) grep -c '^/memfd:leakzoo (deleted)$' <<<"$snap_links" ;;
	pipe) grep -c '^pipe:\[' <<<"$snap_links" ;;
	unix) sock_in /proc/net/unix 7 ;;
	tcp) sock_in /proc/net/tcp 10 ;;
	thread) echo "$snap_threads" ;;
	map) echo "$snap_maps" ;;
	sysvmsg) awk -v p="$p" 'NR > 1 && $6 == p { n += $5 } END { print n + 0 }' /proc/sysvipc/msg ;;
	posixmq)
		cat "$tmp/mq/leakzoo.$p."* 2>/dev/null |
			awk -v s=128 '{ sub(/^QSIZE:/, "", $1); n += $1 } END { print n / s }' ;;
	key | userkey) grep -c " leakzoo\.$p\.[0-9]*: " /proc/keys ;;
	inflight) # 1-byte messages queued on its sockets, one fd each
		sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' <<<"$snap_links" |
			awk 'NR == FNR { t[$1] = 1; next } $1 == "u_str" && ($6 in t) { n += $3 } END { print n + 0 }' - <(ss -xn) ;;
	inotify)
		f=$(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 -lname 'anon_inode:inotify' -printf '%f\n' | head -1)
		grep -c '^inotify wd:' "/proc/$p/fdinfo/$f" ;;
	scm | scmfork)
		if [ "$n" = scmpipe ]; then links "${holder[$n]}" | grep -c '^pipe:\['
		else links "${holder[$n]}" | grep -c '^anon_inode:\[eventfd\]$'; fi ;;
	dentry) awk '{ print $5 }' /proc/sys/fs/dentry-state ;;
	pagecache) fincore --noheadings --output PAGES "$(fact "$n" file)" ;;
	esac
}
# What else of the process could grow: all its fds, threads, mappings (a
# snapshot of them, that count() reads).
own() { # (builtins where they do: a loaded machine makes every fork slow)
	local k v lines
	snap_links=$(links "$1")
	while read -r k v; do [ "$k" = Threads: ] && snap_threads=$v; done <"/proc/$1/status"
	mapfile -t lines <"/proc/$1/maps"
	snap_maps=${#lines[@]}
}
declare -A C T O # by ROUND,NAME: the count, the time (us), own counts
sample() { # ROUND
	local n a b v
	for n in "${names[@]}"; do
		case $n in maxed | term_*) continue ;; esac
		if ! kill -0 "${pid[$n]}" 2>/dev/null; then
			bad "$n: exited before the end: $(cat "$tmp/$n.err")"
			continue
		fi
		a=$EPOCHREALTIME
		own "${pid[$n]}"
		v=$(count "$n")
		b=$EPOCHREALTIME
		C[$1,$n]=$v
		T[$1,$n]=$(((${a/./} + ${b/./}) / 2))
		O[$1,$n]="$(grep -c . <<<"$snap_links") $snap_threads $snap_maps"
	done
}
keyusers() { awk -v u="$(id -u):" '$1 == u { split($4, a, "/"); print a[1] }' /proc/key-users; }

sleep 0.3
sample 1
# The burst: its eventfds every 0.1 s for two cycles and more (2.25 s each).
(
	for _ in $(seq 60); do
		links "${pid[burst]}" | grep -c '^anon_inode:\[eventfd\]$'
		sleep 0.1
	done
) >"$tmp/burst.samples" &
sampler=$!
sleep 2.5
sample 2
ku=$(keyusers)

for n in "${names[@]}"; do
	case $n in maxed | term_*) continue ;; esac
	[ -n "${C[1,$n]:-}" ] && [ -n "${C[2,$n]:-}" ] || continue # (said above)
	k=${kindof[$n]} per=${perof[$n]}
	dt_us=$((T[2,$n] - T[1,$n]))
	grown=$((C[2,$n] - C[1,$n]))
	# At the rate, or what was left to make before --max (a loaded machine
	# may sample late enough for a leaker to get there).
	want=$(awk -v r="${rateof[$n]}" -v p="$per" -v d="$dt_us" -v m="$(fact "$n" max)" -v c="${C[1,$n]}" \
		-v own="$([ "$k" = dentry ] || echo 1)" \
		'BEGIN { w = r * d / 1e6; if (own && p && m - c / p < w) w = m - c / p; printf "%d", w * p }')
	case $k in
	dentry)
		# Machine-wide: others may free dentries meanwhile; a quarter suffices.
		[ "$grown" -ge $((want / 4)) ] ||
			bad "dentry: negative dentries grew by $grown in $((dt_us / 1000)) ms, want >= $((want / 4))"
		echo "dentry (decoy): negative dentries +$grown in $((dt_us / 1000)) ms ($want stat()s)"
		;;
	pagecache)
		lo=$((want * 8 / 10 - 4)) hi=$((want * 12 / 10 + 2)) # the kernel may evict a few
		[ "$grown" -ge "$lo" ] && [ "$grown" -le "$hi" ] ||
			bad "pagecache: the file's cached pages grew by $grown in $((dt_us / 1000)) ms, want $want (a page a read)"
		echo "pagecache (decoy): the file's cached pages +$grown in $((dt_us / 1000)) ms (want $want)"
		;;
	flatfds)
		[ "${C[1,$n]}" -ge 2999 ] && [ "${C[2,$n]}" -ge 2999 ] && [ "${C[1,$n]}" -le 3000 ] && [ "${C[2,$n]}" -le 3000 ] ||
			bad "flatfds: eventfds ${C[1,$n]} then ${C[2,$n]}, want 3000 (or 2999 mid-churn) both times"
		echo "flatfds (decoy): eventfds ${C[1,$n]} then ${C[2,$n]}"
		;;
	burst) ;;
	*)
		lo=$((want * 8 / 10 - 2)) hi=$((want * 12 / 10 + 2))
		if [ "$grown" -lt "$lo" ] || [ "$grown" -gt "$hi" ]; then
			bad "$n: grew by $grown in $((dt_us / 1000)) ms (${C[1,$n]} -> ${C[2,$n]}), want $want (${rateof[$n]}/s x $per)"
		else
			echo "$n: +$grown in $((dt_us / 1000)) ms (want $want)"
		fi
		;;
	esac
	# Only what it leaks grows: the process's other counts stay put.
	read -r f1 th1 m1 <<<"${O[1,$n]}"
	read -r f2 th2 m2 <<<"${O[2,$n]}"
	df=$((f2 - f1)) dth=$((th2 - th1)) dm=$((m2 - m1))
	case $k in
	eventfd | timerfd | epoll | signalfd | pidfd | mqueue | file | memfd | pipe | unix | tcp)
		[ "$df" -eq "$grown" ] || bad "$n: its fds grew by $df, its ${k}s by $grown" ;;
	map) dm=$((dm - grown)) ;;
	thread) dth=$((dth - grown)) dm=0 ;; # each thread brings its stack's mappings
	inotify) [ "$df" -eq 0 ] || bad "inotify: fds grew by $df (one inotify fd wanted)" ;;
	inflight) # a socket pair when a queue is full: a few hundred messages each
		[ "$df" -le $((2 * (grown / 100 + 1))) ] && df=0 ;;
	esac
	case $k in
	eventfd | timerfd | epoll | signalfd | pidfd | mqueue | file | memfd | pipe | unix | tcp | inotify) df=0 ;;
	flatfds) [ "$df" -ge -1 ] && [ "$df" -le 1 ] && df=0 ;;
	burst) df=0 ;;
	esac
	[ "$df" -eq 0 ] && [ "$dth" -eq 0 ] && [ "$dm" -eq 0 ] ||
		bad "$n: other counts moved: fds $f1->$f2, threads $th1->$th2, maps $m1->$m2"
done
# The allocator of scm holds none of what it made; the holder holds it all.
for n in scm scmpipe scmfork; do
	read -r f1 _ <<<"${O[1,$n]}"
	read -r f2 _ <<<"${O[2,$n]}"
	[ "$f1" -eq "$f2" ] || bad "$n: the allocator's fds went $f1 -> $f2 (it must close what it passed)"
done
# scmfork's allocators are gone: no child of it lives but the holder (and
# the one allocating this moment).
kids=$(pgrep -c -P "${pid[scmfork]}")
[ "$kids" -le 2 ] || bad "scmfork: $kids children alive, want the holder and at most one allocator"
# What is in flight is in no fd table.
own "${pid[inflight]}"
[ "$(grep -c '^anon_inode:\[eventfd\]$' <<<"$snap_links")" -eq 0 ] || bad "inflight: eventfds in its fd table"
# SysV queues fill 16 KiB each before the next: 1024-byte messages, 16 a queue.
# (Queues and messages from one read: the leaker goes on meanwhile.)
read -r q m < <(awk -v p="${pid[sysvmsg]}" 'NR > 1 && $6 == p { q++; m += $5 } END { print q + 0, m + 0 }' /proc/sysvipc/msg)
[ "$q" -eq $(((m + 15) / 16)) ] || bad "sysvmsg: $m messages in $q queues, want $(((m + 15) / 16))"
mqs=("$tmp/mq/leakzoo.${pid[posixmq]}."*)
q=${#mqs[@]}
m=$(cat "${mqs[@]}" | awk -v s=128 '{ sub(/^QSIZE:/, "", $1); n += $1 } END { print n / s }')
[ "$q" -eq $(((m + 9) / 10)) ] || bad "posixmq: $m messages in $q queues, want $(((m + 9) / 10))"
[ "$(find "/proc/${pid[posixmq]}/fd" -mindepth 1 -lname '/leakzoo*' | wc -l)" -eq 0 ] ||
	bad "posixmq: the leaker holds a queue fd"
# Machine-wide, and others add and drop keys meanwhile: it counts ours at least.
[ "${ku:-0}" -ge $((C[2,key] + C[2,userkey])) ] ||
	bad "key: /proc/key-users counts ${ku:-no} keys of root, fewer than our $((C[2,key] + C[2,userkey])) in /proc/keys"
# The user keyring holds userkey's keys, the session keyring key's.
ring=$(awk '$8 == "keyring" && $9 == "_uid.'"$(id -u)"':" { print $1 }' /proc/keys)
[ -n "$ring" ] && [ "$(fact userkey keyring)" = "$((16#$ring))" ] ||
	bad "userkey: 'keyring $(fact userkey keyring)' is not the user keyring _uid.$(id -u) (${ring:-not in /proc/keys})"
ring=$(awk -v d="leakzoo.${pid[key]}:" '$8 == "keyring" && $9 == d { print $1 }' /proc/keys)
[ -n "$ring" ] && [ "$(fact key keyring)" = "$((16#$ring))" ] ||
	bad "key: the session keyring leakzoo.${pid[key]} is not the one it printed"

wait "$sampler"
mapfile -t bs <"$tmp/burst.samples"
half=$((${#bs[@]} / 2))
for part in 0 1; do
	min=1000000 max=0
	for v in "${bs[@]:$((part * half)):$half}"; do
		[ "$v" -lt "$min" ] && min=$v
		[ "$v" -gt "$max" ] && max=$v
	done
	[ "$min" -eq 0 ] && [ "$max" -ge 500 ] && [ "$max" -le 1000 ] ||
		bad "burst: half $((part + 1)) of the samples went $min..$max eventfds, want 0 at the bottom, 500..1000 at the top"
done
echo "burst: samples $(tr '\n' ' ' <"$tmp/burst.samples")"

# --max is kept, and said.
own "${pid[maxed]}"
got=$(count maxed)
[ "$got" -eq 20 ] || bad "maxed: $got eventfds, want --max 20"
grep -q '^max reached$' "$tmp/maxed.out" || bad "maxed: no 'max reached' line"
# --comm names the process, odd bytes and all.
[ "$(cat "/proc/${pid[maxed]}/comm")" = $'zoo\e[31m\tmax' ] || bad "maxed: --comm did not name the process"

# ---- the end: EOF (SIGTERM for term_*), then nothing may be left.
for n in "${names[@]}"; do
	case $n in
	term_*) kill -TERM "${pid[$n]}" ;;
	*) eval "exec ${infd[$n]}>&-" ;;
	esac
done
for n in "${names[@]}"; do
	case $n in term_*) eval "exec ${infd[$n]}>&-" ;; esac
done
for n in "${names[@]}"; do
	p=${pid[$n]}
	wait "$p"
	rc=$?
	infd[$n]=
	[ "$rc" -eq 0 ] || bad "$n: exit $rc after EOF; stderr: $(cat "$tmp/$n.err")"
	grep -q '^freed$' "$tmp/$n.out" || bad "$n: no 'freed' line"
	[ -s "$tmp/$n.err" ] && bad "$n: said on stderr: $(cat "$tmp/$n.err")"
	[ -n "${holder[$n]:-}" ] && kill -0 "${holder[$n]}" 2>/dev/null && bad "$n: holder ${holder[$n]} still runs"
	[ -n "${dir[$n]}" ] && [ -e "${dir[$n]}" ] && bad "$n: ${dir[$n]} still exists"
	q=$(awk -v p="$p" 'NR > 1 && $6 == p' /proc/sysvipc/msg | wc -l)
	[ "$q" -eq 0 ] || bad "$n: $q SysV queues left"
	q=$(find "$tmp/mq" -name "leakzoo.$p.*" | wc -l)
	[ "$q" -eq 0 ] || bad "$n: $q POSIX queues left"
done
# Invalidated keys go at the key collector's next pass.
for n in key userkey; do
	for _ in $(seq 50); do
		grep -q " leakzoo\.${pid[$n]}[.:]" /proc/keys || break
		sleep 0.1
	done
	left=$(grep -c " leakzoo\.${pid[$n]}[.:]" /proc/keys)
	[ "$left" -eq 0 ] || bad "$n: $left keys or keyrings of leakzoo.${pid[$n]} left in /proc/keys"
done

[ "$fail" -eq 0 ] && echo "leakers_zoo: ok (${#names[@]} runs)"
exit $fail
