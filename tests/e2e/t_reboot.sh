#!/usr/bin/env bash
# t_reboot.sh 4|6 - a configuration survives a reboot.
#
# The instance is configured by commands (a canary: green at 30 %, one blue
# backend drained), `bgxdp save` writes it, then the "reboot": everything of
# bgxdp goes (detach: no pin, no XDP program, no tc filter is left), and
# exactly what the systemd unit runs at boot (its ExecStartPre lines, from
# contrib/systemd/bgxdp.service.in with this build's paths) runs again.
# The state must be back (the same export, byte for byte) and traffic must
# flow as before: the drained backend gets no new flow, both colors serve.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "reboot/ipv${1:-4}" "${1:-4}"

UNIT=$REPO_DIR/contrib/systemd/bgxdp.service.in
ETC=$WORK/etc
export BGXDP_STATE_DIR=$WORK/state

# count_answers N: N new connections; prints "blue b1" ... one a line.
count_answers() {
	local i
	for ((i = 0; i < $1; i++)); do curl_vip || echo FAILED; echo; done | sed '/^$/d' | sort | uniq -c
}

topo_up
lb_setup
bgx weight green 30 || fail "bgxdp weight green 30"
bgx backend drain "$SERVICE" blue "$(backend_hp b1)" || fail "bgxdp backend drain"
mkdir -p "$ETC/bgxdp"
bgx save -f "$ETC/bgxdp/bgxdp.yaml" || fail "bgxdp save"
BGX_QUIET=1 bgx export >"$WORK/before.yaml" || fail "bgxdp export"
cmp -s "$ETC/bgxdp/bgxdp.yaml" "$WORK/before.yaml" || fail "the saved file is not the export"
log "saved: $(grep -c address "$ETC/bgxdp/bgxdp.yaml") backends, $(grep share "$ETC/bgxdp/bgxdp.yaml")"

# -- the reboot: nothing of bgxdp is left
bgx detach "$LB_IF" || fail "bgxdp detach"
ATTACHED=0
[[ -e $PIN_DIR ]] && fail "pin dir $PIN_DIR still there after the last detach"
ip -n "$NS_LB" link show "$LB_IF" | grep -q xdp && fail "an XDP program is left on $LB_IF"
tc -n "$NS_LB" filter show dev "$LB_IF" egress 2>/dev/null | grep -q . && fail "a tc egress filter is left"
curl_vip >/dev/null 2>&1 && fail "the VIP answers with bgxdp gone"
log "gone: no pin dir, no XDP program, no tc filter, the VIP silent"

# -- boot: the unit's ExecStartPre lines, with this build's paths
mapfile -t boot < <(sed -n 's/^ExecStartPre=//p' "$UNIT")
((${#boot[@]})) || fail "no ExecStartPre in $UNIT"
for line in "${boot[@]}"; do
	line=${line//@SBINDIR@/$(dirname "$BGXDP")}
	line=${line//@SYSCONFDIR@/$ETC}
	log "boot: $line"
	# shellcheck disable=SC2086  # the unit's command line, split as systemd does
	timeout 30 nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" $line ||
		fail "boot command failed: $line"
done
ATTACHED=1
BGX_QUIET=1 bgx export >"$WORK/after.yaml" || fail "bgxdp export after boot"
diff -u "$WORK/before.yaml" "$WORK/after.yaml" || fail "the state after boot differs from the saved one"
log "after boot: the export is byte-identical to the one before the reboot"

answers=$(count_answers 60)
log "60 new connections after boot:"$'\n'"$answers"
grep -q FAILED <<<"$answers" && fail "a request failed after boot"
grep -q "blue b1" <<<"$answers" && fail "the drained backend b1 got a new flow"
grep -q "blue b2" <<<"$answers" || fail "blue b2 got no flow"
grep -q "green" <<<"$answers" || fail "green got no flow at 30 %"
log "PASS"
