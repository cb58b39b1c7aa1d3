#!/usr/bin/env bash
# tests/ops/man.sh - the man pages (make man) against the binary's --help.
#
# - the pages are exactly those `bgxdp __man --list` names: bgxdp(8) and one
#   per command group, each command of `bgxdp --help` in exactly one;
# - `mandoc -Tlint` and `groff -ww` report nothing;
# - one source: every option and argument each command's --help lists, its
#   summary and its examples appear in its page, and every command and
#   global option of `bgxdp --help` in bgxdp(8);
# - the hidden commands are not in --help; an unknown page is refused;
# - the sanitized build renders byte-identical pages (ASan + UBSan run over
#   the real tables).
#
#   BGXDP=path (default build/bgxdp); BGXDP_SAN=path (default build/bgxdp-san)
set -uo pipefail
# shellcheck source=tests/ops/lib.sh
. "$(dirname "$0")/lib.sh"
ops_begin man
need mandoc
need groff
MAN_DIR=$BUILD_DIR/man/man8
ops_tmpdir TMP

# ---- the set of pages -------------------------------------------------------
mapfile -t pages < <("$BGXDP" __man --list)
((${#pages[@]} >= 2)) || fail "__man --list gave ${#pages[@]} pages"
[[ ${pages[0]} == bgxdp ]] || fail "first page is '${pages[0]}', not bgxdp"
diff <(printf '%s.8\n' "${pages[@]}" | sort) <(cd "$MAN_DIR" && ls -- *.8 | sort) ||
	fail "$MAN_DIR differs from 'bgxdp __man --list' (run make man)"

# Commands of `bgxdp --help` (the COMMANDS section: "  NAME   summary").
mapfile -t commands < <("$BGXDP" --help | awk '/^COMMANDS/ { on = 1; next }
	/^[A-Z]/ { on = 0 } on && NF { sub(/^  /, ""); split($0, p, /  +/); print p[1] }')
((${#commands[@]} > 5)) || fail "could not read the commands of bgxdp --help"
for c in "${commands[@]}"; do
	page=bgxdp-${c%% *}.8
	[[ -f $MAN_DIR/$page ]] || fail "command '$c' has no page $page"
done
pass "${#pages[@]} pages, ${#commands[@]} commands, each in its group's page"

# ---- lint ---------------------------------------------------------------------
out=$(mandoc -Tlint "$MAN_DIR"/*.8 2>&1) || fail "mandoc -Tlint:
$out"
[[ -z $out ]] || fail "mandoc -Tlint:
$out"
for f in "$MAN_DIR"/*.8; do
	out=$(groff -man -ww -z -Tutf8 "$f" 2>&1)
	[[ -z $out ]] || fail "groff -ww $(basename "$f"): $out"
done
# the lint is live: a stray control line is reported
printf '.TH X 8 2024-01-01 x x\n.SH NAME\nx \\- y\n.SH DESCRIPTION\n.bogus\n' >"$TMP/bad.8"
[[ -n $(mandoc -Tlint "$TMP/bad.8" 2>&1) ]] || fail "mandoc -Tlint did not catch a bad page"
pass "mandoc -Tlint and groff -ww: clean"

# ---- one source: --help and the pages say the same ----------------------------
text_of() { MANWIDTH=200 mandoc -Tascii -O width=200 "$MAN_DIR/$1.8" | col -bx; }
main=$(text_of bgxdp)
for c in "${commands[@]}"; do
	read -r -a cmd <<<"$c"
	help=$("$BGXDP" "${cmd[@]}" --help) || fail "bgxdp $c --help"
	page=$(text_of "bgxdp-${c%% *}")
	summary=$(sed -n '2s/^  bgxdp [^-]*- //p' <<<"$help")
	[[ $page == *"$summary"* ]] || fail "page of '$c' lacks its summary '$summary'"
	[[ $main == *"$summary"* ]] || fail "bgxdp(8) lacks '$c': $summary"
	# option heads ("  -h, --help", "  --mode native|generic|auto") and arguments
	while read -r opt; do
		[[ $page == *"$opt"* ]] || fail "page of '$c' lacks option $opt"
	done < <(awk '/^OPTIONS/ { on = 1; next } /^[A-Z]/ { on = 0 }
		on && /^  -/ { sub(/^  /, ""); print }' <<<"$help")
	while read -r arg; do
		[[ $page == *"$arg"* ]] || fail "page of '$c' lacks argument $arg"
	done < <(awk '/^ARGUMENTS/ { on = 1; next } /^[A-Z]/ { on = 0 }
		on && /^  [^ ]/ { sub(/^  /, ""); print }' <<<"$help")
	while read -r ex; do
		[[ $page == *"$ex"* ]] || fail "page of '$c' lacks example: $ex"
	done < <(awk '/^EXAMPLES/ { on = 1; next } /^[A-Z]/ { on = 0 }
		on && NF { sub(/^  /, ""); print }' <<<"$help")
done
for opt in --pin-dir --help --version BGXDP_PIN_DIR; do
	[[ $main == *"$opt"* ]] || fail "bgxdp(8) lacks $opt"
done
pass "every command's summary, options, arguments and examples are in its page"

# ---- hidden commands ----------------------------------------------------------
"$BGXDP" --help | grep -q '__' && fail "a hidden command shows in bgxdp --help"
"$BGXDP" __man no-such-page >/dev/null 2>"$TMP/err"
rc=$?
[[ $rc == 2 && $(cat "$TMP/err") == *"unknown page 'no-such-page'"* ]] ||
	fail "unknown page: exit $rc, $(cat "$TMP/err")"

# ---- the sanitized build renders the same -------------------------------------
SAN=${BGXDP_SAN:-$BUILD_DIR/bgxdp-san}
if [[ -x $SAN ]]; then
	for p in "${pages[@]}"; do
		SOURCE_DATE_EPOCH=0 "$SAN" __man "$p" >"$TMP/san.8" || fail "bgxdp-san __man $p"
		SOURCE_DATE_EPOCH=0 "$BGXDP" __man "$p" >"$TMP/plain.8"
		cmp -s "$TMP/san.8" "$TMP/plain.8" || fail "$p differs between bgxdp-san and bgxdp"
	done
	pass "bgxdp-san (ASan+UBSan) renders every page identically"
else
	log "no $SAN: sanitized rendering not checked"
fi
log "man pages: all checks passed"
