#!/usr/bin/env bash
# tests/ops/install.sh - make install / make uninstall into a DESTDIR.
#
# - installs exactly the expected files (the list below, plus one man page
#   per `bgxdp __man --list` entry), with the expected modes;
# - the installed unit runs the installed binary; the installed binary runs,
#   the installed man pages are found by man(1);
# - PREFIX=/usr moves everything but /etc;
# - uninstall removes every installed file and keeps an operator's
#   /etc/bgxdp/bgxdp.yaml.
#
#   BGXDP=path (default build/bgxdp): the build make install copies.
set -uo pipefail
# shellcheck source=tests/ops/lib.sh
. "$(dirname "$0")/lib.sh"
ops_begin install
ops_tmpdir TMP
MAKE=(make -s --no-print-directory -C "$REPO_DIR" BUILD="$BUILD")

# The files of a default install (PREFIX=/usr/local), man pages aside.
EXPECTED=(
	/etc/bgxdp/bgxdp.yaml.example
	/usr/local/lib/systemd/system/bgxdp.service
	/usr/local/sbin/bgxdp
	/usr/local/sbin/bgxdp-agent
	/usr/local/share/bash-completion/completions/bgxdp
)
# Pages that exist today: a page must not vanish unnoticed.
KNOWN_PAGES=(bgxdp bgxdp-attach bgxdp-backend bgxdp-service bgxdp-set bgxdp-status)

files_in() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort); }

expected_list() {   # PREFIX
	local p
	for p in "${EXPECTED[@]}"; do echo "${p/#\/usr\/local/$1}"; done
	"$BGXDP" __man --list | sed "s|.*|$1/share/man/man8/&.8|"
}

# ---- default install ------------------------------------------------------------
D=$TMP/default
"${MAKE[@]}" install DESTDIR="$D" >/dev/null || fail "make install DESTDIR=$D"
diff <(expected_list /usr/local | sort) <(files_in "$D") >"$TMP/diff" ||
	fail "installed files differ from the expected list (< expected, > installed):
$(cat "$TMP/diff")"
for p in "${KNOWN_PAGES[@]}"; do
	[[ -f $D/usr/local/share/man/man8/$p.8 ]] || fail "man page $p.8 not installed"
done
while read -r f; do
	want=644
	[[ $f == */sbin/* ]] && want=755
	mode=$(stat -c %a "$D$f")
	[[ $mode == "$want" ]] || fail "$f has mode $mode, not $want"
done < <(files_in "$D")
pass "make install: $(files_in "$D" | wc -l) files, as listed, modes 755/644"

unit=$D/usr/local/lib/systemd/system/bgxdp.service
grep -qx 'ExecStart=/usr/local/sbin/bgxdp agent' "$unit" || fail "unit does not run /usr/local/sbin/bgxdp"
grep -qx 'ConditionPathExists=/etc/bgxdp/bgxdp.yaml' "$unit" || fail "unit does not read /etc/bgxdp/bgxdp.yaml"
! grep -q '@[A-Z]*@' "$unit" || fail "unit has unsubstituted @VARS@"
cmp -s "$D/usr/local/share/bash-completion/completions/bgxdp" "$REPO_DIR/contrib/bash-completion/bgxdp" ||
	fail "installed completion differs from contrib/bash-completion/bgxdp"
"$D/usr/local/sbin/bgxdp" --version | grep -q '^bgxdp ' || fail "installed bgxdp --version"
page=$(MANPATH=$D/usr/local/share/man man -w bgxdp-service 2>/dev/null)
[[ $page == "$D/usr/local/share/man/man8/bgxdp-service.8" ]] || fail "man -w bgxdp-service: '$page'"
pass "unit, completion, binary and man pages usable where installed"

# ---- uninstall ----------------------------------------------------------------------
echo "services: []" >"$D/etc/bgxdp/bgxdp.yaml"      # an operator's config
"${MAKE[@]}" uninstall DESTDIR="$D" >/dev/null || fail "make uninstall"
left=$(files_in "$D")
[[ $left == /etc/bgxdp/bgxdp.yaml ]] || fail "after uninstall, left: $(echo $left)"
pass "make uninstall: everything gone but the operator's bgxdp.yaml"

# ---- PREFIX=/usr ----------------------------------------------------------------------
D=$TMP/usr
"${MAKE[@]}" install DESTDIR="$D" PREFIX=/usr >/dev/null || fail "make install PREFIX=/usr"
diff <(expected_list /usr | sort) <(files_in "$D") >"$TMP/diff" ||
	fail "PREFIX=/usr: files differ:
$(cat "$TMP/diff")"
grep -qx 'ExecStart=/usr/sbin/bgxdp agent' "$D/usr/lib/systemd/system/bgxdp.service" ||
	fail "PREFIX=/usr: unit does not run /usr/sbin/bgxdp"
pass "PREFIX=/usr: same files under /usr, /etc unchanged"
log "install: all checks passed"
