#!/usr/bin/env bash
# t_weight.sh 4|6 - `bgxdp weight green 10`, then 6000 new connections:
# green's share is 10 % +- 2 %, and no request fails.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "weight/ipv${1:-4}" "${1:-4}"

# 6000, not 3000: the binomial spread at 10 % (0.4 % at 6000) then stays far
# inside the +-2 % bound even for an unlucky set of ephemeral ports.
N=${E2E_WEIGHT_REQUESTS:-6000}
topo_up
lb_setup
loadclient_build
bgx weight green 10 || fail "bgxdp weight green 10"

log "loadclient: $N new connections to $VIP_HP"
ip netns exec "$NS_C" "$LOADCLIENT" "$VIP_HP" -n "$N" -c 4 -d 120 -t 3000 --tag "$TAG" \
	>"$WORK/load.json" 2>"$WORK/load.log" &
p=$!; PIDS+=("$p")
wait "$p" || fail "loadclient exited with $?"
out=$(cat "$WORK/load.json")
log "loadclient: $out"

ok=$(json_num "$out" ok); green=$(json_num "$out" green); blue=$(json_num "$out" blue)
failed=$(json_num "$out" failed); resets=$(json_num "$out" resets)
((ok >= 2000)) || fail "only $ok successful requests (want >= 2000)"
((failed == 0 && resets == 0)) || fail "$failed failed requests, $resets resets"
((green + blue == ok)) || fail "answers neither blue nor green: $((ok - green - blue))"
share=$(awk -v g="$green" -v t="$ok" 'BEGIN { printf "%.2f", 100 * g / t }')
log "green share $share % of $ok connections (green $green, blue $blue)"
awk -v s="$share" 'BEGIN { exit !(s >= 8 && s <= 12) }' ||
	fail "green share $share % is outside 10 % +- 2 %"
bgx status || fail "bgxdp status"
log "PASS"
