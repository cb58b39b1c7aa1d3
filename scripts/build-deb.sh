#!/usr/bin/env bash
# scripts/build-deb.sh - build the Debian package (also: make deb).
#
#   scripts/build-deb.sh          -> build/deb/bgxdp_VERSION_ARCH.deb
#
# dpkg-buildpackage -us -uc -b runs in a copy of the source tree under
# $BUILD/deb/ (the files git knows, committed or not), never in the tree
# itself: the package build cannot leave files behind or pick up a stale
# build/.  The copy gets a debian/changelog written here, so the package
# version follows git (nothing dated is committed):
#   a tag vX.Y.Z on HEAD      -> X.Y.Z
#   otherwise                 -> 0.1.0+gitYYYYMMDDHHMMSS.COMMIT (commit time)
#   uncommitted changes       -> the same with +dirty
# Needs the build dependencies of debian/control (scripts/install-deps.sh
# installs them).  Environment: BUILD (default build), DEBFULLNAME and
# DEBEMAIL for the changelog entry (default: the debian/control maintainer).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=$BUILD/deb
BASE_VERSION=0.1.0     # the Makefile's version when git cannot tell

for t in dpkg-buildpackage dpkg-parsechangelog; do
	command -v "$t" >/dev/null || { echo "build-deb.sh: missing $t (run scripts/install-deps.sh)" >&2; exit 1; }
done

# ---- version ------------------------------------------------------------------
if git rev-parse --git-dir >/dev/null 2>&1; then
	commit=$(git rev-parse --short HEAD)
	when=$(git log -1 --format=%ct HEAD)
	if tag=$(git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null); then
		version=${tag#v}
	else
		version=$BASE_VERSION+git$(date -u -d "@$when" +%Y%m%d%H%M%S).$commit
	fi
	[[ -z $(git status --porcelain --untracked-files=no) ]] || version+=+dirty
else
	commit=unknown
	when=$(date +%s)
	version=$BASE_VERSION
fi

# ---- a copy of the tree -------------------------------------------------------
src=$OUT/bgxdp-$version
rm -rf "$OUT"
mkdir -p "$src"
if git rev-parse --git-dir >/dev/null 2>&1; then
	# tracked and new files, not ignored ones (build/ and friends)
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude="./$BUILD" --exclude='./build' -cf - . | tar -xf - -C "$src"
fi

maintainer=$(sed -n 's/^Maintainer: //p' debian/control)
name=${DEBFULLNAME:-${maintainer% <*}}
email=${DEBEMAIL:-$(sed 's/.*<\(.*\)>/\1/' <<<"$maintainer")}
cat >"$src/debian/changelog" <<EOF
bgxdp ($version) unstable; urgency=medium

  * Built from git commit $commit.

 -- $name <$email>  $(date -u -R -d "@$when")
EOF

# ---- build --------------------------------------------------------------------
echo "build-deb.sh: building bgxdp $version in $src"
(cd "$src" && dpkg-buildpackage -us -uc -b -Jauto) >"$OUT/build.log" 2>&1 || {
	tail -n 40 "$OUT/build.log" >&2
	echo "build-deb.sh: dpkg-buildpackage failed (whole log: $OUT/build.log)" >&2
	exit 1
}
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$OUT/bgxdp_${version}_$arch.deb
[[ -f $deb ]] || { echo "build-deb.sh: no $deb after the build" >&2; exit 1; }
echo "build-deb.sh: $deb"
