#!/usr/bin/env bash
# tests/ops/deb.sh - the Debian package: build, lintian, install, run, remove.
#
# - `make deb` builds it in a copy of the tree: the tree is left as it was
#   (git status unchanged, nothing new outside $BUILD);
# - lintian: no error (warnings and overrides are printed);
# - contents: binary, every man page, completion, unit, example config;
#   Depends computed from the shared libraries (${shlibs:Depends});
# - dpkg -i on this machine: /usr/sbin/bgxdp --version is the package's
#   version, man(1) finds bgxdp(8), the unit runs /usr/sbin/bgxdp;
# - dpkg -r removes it (the example config stays, a conffile), --purge
#   removes that too.
# A machine that has a bgxdp package installed already, or a saved
# /etc/bgxdp/bgxdp.yaml, is left alone (the install part is skipped, and
# says so).
set -uo pipefail
# shellcheck source=tests/ops/lib.sh
. "$(dirname "$0")/lib.sh"
ops_begin deb
for t in dpkg-buildpackage dpkg-deb lintian git; do need "$t"; done

cd "$REPO_DIR" || fail "cd $REPO_DIR"
before=$(git status --porcelain 2>/dev/null)
make -s --no-print-directory BUILD="$BUILD" deb || fail "make deb"
after=$(git status --porcelain 2>/dev/null)
[[ $before == "$after" ]] || fail "make deb changed the tree:
$(diff <(echo "$before") <(echo "$after"))"
deb=$(ls "$BUILD_DIR"/deb/bgxdp_*.deb 2>/dev/null | head -n 1)
[[ -f $deb ]] || fail "no .deb in $BUILD_DIR/deb"
version=$(dpkg-deb -f "$deb" Version)
pass "built $(basename "$deb"); the tree is unchanged"

# ---- lintian --------------------------------------------------------------------------
changes=${deb%.deb}.changes
lintian --fail-on error --show-overrides "$changes" >"$BUILD_DIR/deb/lintian.txt" 2>&1
rc=$?
grep -v '^running with root' "$BUILD_DIR/deb/lintian.txt" | sed 's/^/   lintian: /'
((rc == 0)) || fail "lintian found errors (exit $rc)"
pass "lintian: no error ($(grep -c '^W:' "$BUILD_DIR/deb/lintian.txt") warnings, $(grep -c '^O:' "$BUILD_DIR/deb/lintian.txt") overridden)"

# ---- contents ----------------------------------------------------------------------------
contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\.||')
want=(/usr/sbin/bgxdp /usr/share/bash-completion/completions/bgxdp
	/lib/systemd/system/bgxdp.service /etc/bgxdp/bgxdp.yaml.example
	/usr/share/doc/bgxdp/copyright)
while read -r p; do want+=("/usr/share/man/man8/$p.8.gz"); done < <("$BGXDP" __man --list)
for f in "${want[@]}"; do
	grep -qx -- "$f" <<<"$contents" || fail "package lacks $f"
done
depends=$(dpkg-deb -f "$deb" Depends)
# the libraries whose functions bgxdp calls (libelf and zlib come through libbpf)
for lib in libc6 libbpf1 libjansson4 libmicrohttpd12 libcurl4 libsodium23; do
	[[ $depends == *"$lib "* || $depends == *"$lib," || $depends == *"$lib" ]] ||
		fail "Depends lacks $lib: $depends"
done
pass "contents as expected; Depends: $depends"

# ---- install and remove -------------------------------------------------------------------
need_root "dpkg -i"
if dpkg-query -W -f='${Status}' bgxdp 2>/dev/null | grep -q 'install ok'; then
	skip "a bgxdp package is installed on this machine already: not replacing it"
fi
# where systemd runs, installing starts bgxdp.service, which would apply it
[[ -e /etc/bgxdp/bgxdp.yaml ]] &&
	skip "/etc/bgxdp/bgxdp.yaml exists: installing the package would apply it"
ops_tmpdir TMP
on_exit "dpkg --purge bgxdp"
dpkg -i "$deb" >"$TMP/dpkg.log" 2>&1 || fail "dpkg -i: $(cat "$TMP/dpkg.log")"
[[ $(/usr/sbin/bgxdp --version) == "bgxdp $version" ]] ||
	fail "/usr/sbin/bgxdp --version says '$(/usr/sbin/bgxdp --version)', not 'bgxdp $version'"
[[ $(man -w bgxdp 2>/dev/null) == /usr/share/man/man8/bgxdp.8.gz ]] ||
	fail "man -w bgxdp: '$(man -w bgxdp 2>&1)'"
MANWIDTH=80 man bgxdp-service 2>/dev/null | grep -q 'bgxdp service add' || fail "man bgxdp-service"
grep -qx 'ExecStart=/usr/sbin/bgxdp agent' /lib/systemd/system/bgxdp.service ||
	fail "installed unit does not run /usr/sbin/bgxdp"
pass "dpkg -i: /usr/sbin/bgxdp --version = $version, man bgxdp works"

dpkg -r bgxdp >"$TMP/dpkg.log" 2>&1 || fail "dpkg -r: $(cat "$TMP/dpkg.log")"
[[ ! -e /usr/sbin/bgxdp && ! -e /usr/share/man/man8/bgxdp.8.gz ]] || fail "files left after dpkg -r"
[[ -e /etc/bgxdp/bgxdp.yaml.example ]] || fail "dpkg -r removed the conffile"
dpkg --purge bgxdp >"$TMP/dpkg.log" 2>&1 || fail "dpkg --purge: $(cat "$TMP/dpkg.log")"
[[ ! -e /etc/bgxdp/bgxdp.yaml.example ]] || fail "conffile left after --purge"
pass "dpkg -r removes the files, --purge the conffile"
log "deb: all checks passed"
