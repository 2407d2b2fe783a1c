#!/usr/bin/env bash
# The Debian package: `make deb` (built once per change of the sources,
# cached in build/deb: the second tree of a run reuses it), installed with
# dpkg -i: `poolscope --version` runs, `man poolscope-watch` reads, the unit
# passes `systemd-analyze verify` where it is installed, the completion and
# the rules are in place; `dpkg --purge` leaves none of its files, no
# /var/lib/poolscope and no dpkg record. Also `make install DESTDIR=`
# puts the same files under a PREFIX. Needs root; skips (77) only without
# the packaging tools.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "deb_install: skipped: needs root (dpkg -i)"; exit 77; }
for tool in dpkg-buildpackage dh man systemd-analyze; do
	command -v $tool >/dev/null || { echo "deb_install: skipped: $tool missing (make deps)"; exit 77; }
done
fail() { echo "deb_install: $*" >&2; exit 1; }
work=$(mktemp -d /tmp/poolscope-deb.XXXXXX)
installed=
cleanup() {
	[ -n "$installed" ] && dpkg --purge poolscope >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
dpkg-query -W -f='${Status}' poolscope 2>/dev/null | grep -q 'install ok installed' &&
	fail "a poolscope package is installed already: not touching it"

# make install under a PREFIX, without root paths.
make -s install PREFIX=/opt/ps DESTDIR="$work/inst" >/dev/null || fail "make install failed"
for f in sbin/poolscope share/man/man8/poolscope-watch.8 share/bash-completion/completions/poolscope \
	share/poolscope/poolscope.rules.yml share/poolscope/poolscope-dashboard.json lib/systemd/system/poolscope-watch.service; do
	[ -f "$work/inst/opt/ps/$f" ] || fail "make install: $f missing"
done
grep -q '^ExecStart=/opt/ps/sbin/poolscope watch' "$work/inst/opt/ps/lib/systemd/system/poolscope-watch.service" ||
	fail "make install: the unit's ExecStart does not name the PREFIX's binary"

# The package, built at most once per source change (flock: one build at a time).
exec 9>/tmp/poolscope-deb.lock
flock -w 300 9 || fail "another deb build holds /tmp/poolscope-deb.lock"
timeout 300 make -s deb BUILD=build >"$work/deb.log" 2>&1 || { cat "$work/deb.log"; fail "make deb failed"; }
deb=$(ls build/deb/poolscope_*.deb | head -1)
[ -f "$deb" ] || fail "no .deb in build/deb"
dpkg-deb -f "$deb" Depends | grep -q libbpf || fail "Depends lacks the shared libraries: $(dpkg-deb -f "$deb" Depends)"
installed=1
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }
mapfile -t owned < <(dpkg -L poolscope | while read -r f; do [ -f "$f" ] && echo "$f"; done)
/usr/sbin/poolscope --version | grep -q '^poolscope ' || fail "poolscope --version"
MANPAGER=cat man poolscope-watch 2>/dev/null | grep -q 'always on' || fail "man poolscope-watch"
[ -f /lib/systemd/system/poolscope-watch.service ] || fail "the unit is not installed"
out=$(systemd-analyze verify /lib/systemd/system/poolscope-watch.service 2>&1) || fail "verify installed unit: $out"
[ -z "$out" ] || fail "verify installed unit: $out"
[ -f /usr/share/bash-completion/completions/poolscope ] || fail "completion not installed"
bash --norc -c 'source /usr/share/bash-completion/completions/poolscope; COMP_WORDS=(poolscope wa); COMP_CWORD=1
	_poolscope; [ "${COMPREPLY[*]}" = watch ]' || fail "installed completion does not complete 'wa'"
for f in poolscope.rules.yml poolscope-dashboard.json; do [ -f /usr/share/poolscope/$f ] || fail "$f not installed"; done
echo "deb_install: installed ${#owned[@]} files"

dpkg --purge poolscope >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge failed"; }
installed=
for f in "${owned[@]}"; do [ ! -e "$f" ] || fail "$f left after purge"; done
[ ! -e /var/lib/poolscope ] || fail "/var/lib/poolscope left after purge"
! dpkg-query -W poolscope >/dev/null 2>&1 || fail "dpkg still knows poolscope"
ls /var/lib/dpkg/info/poolscope.* >/dev/null 2>&1 && fail "dpkg info files left"
echo "deb_install: ok ($deb: installed, man page, unit, completion, purged clean)"
