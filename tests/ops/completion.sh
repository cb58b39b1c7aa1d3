#!/usr/bin/env bash
# tests/ops/completion.sh - contrib/bash-completion/bgxdp, as a shell uses it.
#
# 1. From the tables, no instance: the completion function (called the way
#    readline calls it: COMP_LINE, COMP_POINT, COMP_WORDS, COMP_CWORD)
#    offers every command of `bgxdp --help`, each group's subcommands, and
#    for every command exactly the options its --help lists; colors, enum
#    choices, --opt=value, interface lists.
# 2. Live: the test attaches bgxdp to a veth in a namespace it creates, adds
#    services and backends; completion offers those services, the backends
#    of the service and color typed, the attached interface; a missing
#    instance gives no names, quickly.
# 3. An interactive bash on a pseudo-terminal (tests/ops/interactive.py):
#    TAB completes a command and a live service name, TAB TAB lists them.
#
#   BGXDP=path (default build/bgxdp); root for parts 2 and 3 (BPF, netns).
set -uo pipefail
# shellcheck source=tests/ops/lib.sh
. "$(dirname "$0")/lib.sh"
ops_begin completion
need bash
need python3
COMPLETION=$REPO_DIR/contrib/bash-completion/bgxdp
ops_tmpdir BIN_DIR
oneline() { tr '\n' ' ' <<<"$1" | sed 's/ *$//'; }
ln -s "$BGXDP" "$BIN_DIR/bgxdp"         # completion runs the `bgxdp` on PATH
export PATH=$BIN_DIR:$PATH

# complete LINE: the candidates for the end of LINE, one a line (sorted).
complete_line() {
	bash --norc --noprofile -c '
		. "$1"
		COMP_LINE=$2
		COMP_POINT=${#2}
		read -r -a COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_bgxdp bgxdp "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]-}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$1" | sed '/^$/d' | sort
}

expect() {
	local line=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	got=$(complete_line "$line")
	[[ $got == "$want" ]] || fail "completing '$line': want [$(oneline "$want")], got [$(oneline "$got")]"
}

# ---- 1. from the tables -----------------------------------------------------
mapfile -t commands < <("$BGXDP" --help | awk '/^COMMANDS/ { on = 1; next }
	/^[A-Z]/ { on = 0 } on && NF { sub(/^  /, ""); split($0, p, /  +/); print p[1] }')
((${#commands[@]} > 5)) || fail "could not read the commands of bgxdp --help"
mapfile -t groups < <(printf '%s\n' "${commands[@]}" | cut -d' ' -f1 | sort -u)
expect "bgxdp " "${groups[@]}"
for g in "${groups[@]}"; do
	mapfile -t subs < <(printf '%s\n' "${commands[@]}" | awk -v g="$g" '$1 == g && NF == 2 { print $2 }')
	((${#subs[@]})) && expect "bgxdp $g " "${subs[@]}"
done
for c in "${commands[@]}"; do
	read -r -a cmd <<<"$c"
	mapfile -t opts < <("$BGXDP" "${cmd[@]}" --help | awk '/^OPTIONS/ { on = 1; next } /^[A-Z]/ { on = 0 }
		on && /^  -/ { for (i = 1; i <= NF; i++) if ($i ~ /^--/) { sub(/,$/, "", $i); print $i } }')
	expect "bgxdp $c --" "${opts[@]}"
done
pass "commands, subcommands and every command's options, as --help lists them"

expect "bgxdp set " blue green
expect "bgxdp weight g" green
expect "bgxdp attach eth0 --mode " native generic auto
expect "bgxdp service add web --proto=" tcp udp
expect "bgxdp service add web --proto=u" udp
expect "bgxdp service add web --vip 10.0.0.1:80 --affinity " flow client
mapfile -t ifs < <(ip -o link show | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print "lo," $2 }')
expect "bgxdp attach lo --fast-path lo," "${ifs[@]}"
expect "bgxdp service add " ""                  # a new name: nothing to offer
expect "bgxdp --pin-dir /nonexistent-$ID service del " ""
pass "colors, choices, --opt=value, interface lists, new names"

# ---- 2. live names ----------------------------------------------------------------
need_root "BPF and a network namespace"
for t in ip nsenter timeout; do need "$t"; done
NS=bgx-cmp-$ID
PIN_DIR=/sys/fs/bpf/bgxdp-cmp-$ID
ATTACHED=0
cleanup_live() {
	((ATTACHED)) && timeout 10 nsenter --net="/run/netns/$NS" \
		env BGXDP_PIN_DIR="$PIN_DIR" "$BGXDP" detach v0
	[[ $PIN_DIR == /sys/fs/bpf/bgxdp-cmp-* ]] && rm -rf -- "$PIN_DIR"
	[[ -e /run/netns/$NS ]] && ip netns del "$NS"
}
on_exit cleanup_live
ip netns add "$NS" || fail "ip netns add $NS"
ip -n "$NS" link add v0 type veth peer name v1 || fail "veth"
ip -n "$NS" link set v0 up && ip -n "$NS" link set v1 up
bgx() { timeout 20 nsenter --net="/run/netns/$NS" env BGXDP_PIN_DIR="$PIN_DIR" "$BGXDP" "$@" >/dev/null; }
bgx attach v0 --mode generic || fail "attach"
ATTACHED=1
bgx service add shop --vip 10.212.0.10:80 || fail "service add shop"
bgx service add api --vip 10.212.0.20:80 || fail "service add api"
bgx backend add shop blue 10.212.1.11:8080 || fail "backend add"
bgx backend add shop blue 10.212.1.12:8080 || fail "backend add"
bgx backend add shop green 10.212.2.21:8080 || fail "backend add"

in_ns() { nsenter --net="/run/netns/$NS" env BGXDP_PIN_DIR="$PIN_DIR" PATH="$PATH" "$@"; }
expect_live() {
	local line=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort)
	got=$(in_ns bash -c "$(declare -f complete_line); COMPLETION='$COMPLETION' complete_line \"\$1\"" _ "$line")
	[[ $got == "$want" ]] || fail "completing '$line' (live): want [$(oneline "$want")], got [$(oneline "$got")]"
}
expect_live "bgxdp service del " shop api
expect_live "bgxdp service del s" shop
expect_live "bgxdp status --service " shop api
expect_live "bgxdp set green --service=a" api   # readline keeps "--service="
expect_live "bgxdp backend drain shop blue " 10.212.1.11:8080 10.212.1.12:8080
expect_live "bgxdp backend down shop green 10" 10.212.2.21:8080
expect_live "bgxdp backend up shop " blue green
expect_live "bgxdp detach " v0
# the pin dir typed on the line, not the environment's
got=$(BGXDP_PIN_DIR=/nonexistent-$ID complete_line "bgxdp --pin-dir $PIN_DIR service del ")
[[ $(oneline "$got") == "api shop" ]] || fail "--pin-dir on the line not used: [$got]"
# no instance: no names, and no wait
t0=$SECONDS
got=$(BGXDP_PIN_DIR=/sys/fs/bpf/bgxdp-none-$ID complete_line "bgxdp service del ")
[[ -z $got ]] || fail "names without an instance: $got"
((SECONDS - t0 <= 3)) || fail "completion without an instance took $((SECONDS - t0)) s"
pass "live services, backends per service and color, attached interfaces"

# the completion code and its status child under ASan + UBSan, on live data
SAN=${BGXDP_SAN:-$BUILD_DIR/bgxdp-san}
if [[ -x $SAN ]]; then
	out=$(in_ns "$SAN" __complete backend drain shop blue '' 2>"$BIN_DIR/san.err")
	rc=$?
	[[ $rc == 0 && ! -s $BIN_DIR/san.err ]] || fail "bgxdp-san __complete: exit $rc: $(cat "$BIN_DIR/san.err")"
	[[ $(oneline "$out") == "words 10.212.1.11:8080 10.212.1.12:8080" ]] || fail "bgxdp-san __complete: $out"
	pass "bgxdp-san (ASan+UBSan) completes live backends cleanly"
fi

# ---- 3. an interactive bash ---------------------------------------------------
interactive() {
	in_ns timeout 20 python3 "$OPS_DIR/interactive.py" --source "$COMPLETION" "$@"
}
interactive --type 'bgxdp backend dr\t' --expect 'bgxdp backend drain ' ||
	fail "TAB did not complete 'backend dr'"
interactive --type 'bgxdp service del sh\t' --expect 'bgxdp service del shop ' ||
	fail "TAB did not complete the live service 'shop'"
interactive --type 'bgxdp set green --service \t\t' --expect 'api\s+shop' ||
	fail "TAB TAB did not list the live services"
pass "interactive bash: TAB completes commands and live service names"
log "completion: all checks passed"
