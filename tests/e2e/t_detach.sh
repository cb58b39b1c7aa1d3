#!/usr/bin/env bash
# t_detach.sh 4|6 - after `bgxdp detach`, traffic straight to the backends
# still works, the VIP no longer answers, the pin dir is gone and the iface
# has no XDP program and no bgxdp tc filter.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "detach/ipv${1:-4}" "${1:-4}"

topo_up
lb_setup
expect_color blue 3
ip -n "$NS_LB" link show "$LB_IF" | grep -q 'xdp' || fail "no XDP program on $LB_IF after attach"

bgx detach "$LB_IF" || fail "bgxdp detach $LB_IF"
# shellcheck disable=SC2034 # read by e2e_cleanup
ATTACHED=0

for b in "${BACKENDS[@]}"; do
	body=$(curl_c "$(backend_url "$b")") || fail "backend $b unreachable after detach"
	[[ $body == "${B_COLOR[$b]} $b" ]] || fail "backend $b answered '$body' after detach"
done
log "all backends still answer directly"

t0=$(date +%s.%N)
if body=$(CURL_TIMEOUT=2 curl_vip 2>/dev/null); then
	fail "VIP still answers after detach: '$body'"
fi
log "VIP no longer answers (curl gave up after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s)"

[[ -e $PIN_DIR ]] && fail "pin dir $PIN_DIR still there: $(find "$PIN_DIR" -mindepth 1 -maxdepth 1 -printf '%f ')"
log "pin dir $PIN_DIR is gone"
link=$(ip -n "$NS_LB" link show "$LB_IF")
grep -q xdp <<<"$link" && fail "XDP program still on $LB_IF: $link"
filters=$(tc -n "$NS_LB" filter show dev "$LB_IF" egress 2>/dev/null)
[[ -z $filters ]] || fail "tc egress filter still on $LB_IF: $filters"
log "no XDP program and no tc egress filter on $LB_IF"
log "PASS"
