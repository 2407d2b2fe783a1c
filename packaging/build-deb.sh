#!/usr/bin/env bash
# Build the Debian package into OUTDIR (make deb): dpkg-buildpackage on a
# copy of the tracked and new (not ignored) files of the work tree, so no
# build/ leftover can reach the package; then lintian on the result. The
# package is rebuilt only when those files changed: OUTDIR/source.sha256
# holds the digest of what the last .deb was built from.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
mapfile -t files < <(git ls-files -co --exclude-standard | grep -v '^build/' | sort)
digest=$(sha256sum -- "${files[@]}" | sha256sum | cut -d' ' -f1)
version=$(sed -n '1s/^poolscope (\([^)]*\)).*/\1/p' debian/changelog)
deb=$out/poolscope_${version}_$(dpkg --print-architecture).deb
if [ -f "$deb" ] && [ "$(cat "$out/source.sha256" 2>/dev/null)" = "$digest" ]; then
	echo "deb: $deb is up to date"
	exit 0
fi
rm -rf "$out/src" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes "$out/source.sha256"
mkdir -p "$out/src/poolscope-$version"
tar -cf - -- "${files[@]}" | tar -xf - -C "$out/src/poolscope-$version"
echo "deb: dpkg-buildpackage in $out/src/poolscope-$version"
(cd "$out/src/poolscope-$version" && dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log" >&2; echo "deb: dpkg-buildpackage failed (log: $out/build.log)" >&2; exit 1; }
mv "$out/src/"*.deb "$out/src/"*.buildinfo "$out/src/"*.changes "$out/"
rm -rf "$out/src"
if command -v lintian >/dev/null; then
	lintian --fail-on error,warning "$out"/*.changes | tee "$out/lintian.log" ||
		{ echo "deb: lintian findings: fix them, or override one in debian/poolscope.lintian-overrides with a comment saying why" >&2; exit 1; }
fi
echo "$digest" >"$out/source.sha256"
echo "deb: built $deb"
