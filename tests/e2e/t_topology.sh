#!/usr/bin/env bash
# t_topology.sh 4|6 - the test topology itself, without bgxdp: every backend
# answers the client directly, checksum offload is off where it must be, and
# the VIP does not answer while nothing is attached.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "topology/ipv${1:-4}" "${1:-4}"

topo_up
for b in "${BACKENDS[@]}"; do
	body=$(curl_c "$(backend_url "$b")") || fail "backend $b unreachable"
	[[ $body == "${B_COLOR[$b]} $b" ]] || fail "backend $b answered '$body'"
done
log "all backends answer directly over IPv$FAMILY"

in_c ethtool -k "$C_IF" | grep -q '^tx-checksumming: off' || fail "tx checksum offload still on for $C_IF"
for b in "${BACKENDS[@]}"; do
	ip netns exec "$(ns_of "$b")" ethtool -k eth0 | grep -q '^tx-checksumming: off' ||
		fail "tx checksum offload still on for $b eth0"
done
log "tx checksum offload off on the client and backend veths"

[[ $(in_lb sysctl -n net.ipv4.ip_forward) == 1 && $(in_lb sysctl -n net.ipv6.conf.all.forwarding) == 1 ]] ||
	fail "forwarding not on in $NS_LB"

if body=$(CURL_TIMEOUT=2 curl_vip 2>/dev/null); then
	fail "VIP $VIP_URL answers without bgxdp: '$body'"
fi
log "VIP $VIP_URL does not answer without bgxdp"
log "PASS"
