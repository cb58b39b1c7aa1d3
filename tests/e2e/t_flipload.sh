#!/usr/bin/env bash
# t_flipload.sh 4|6 - the load client (a new connection per request) runs
# while 100 flips blue<->green happen: no failed request, no reset, and both
# colors served requests.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "flipload/ipv${1:-4}" "${1:-4}"

FLIPS=${E2E_FLIPS:-100}
topo_up
lb_setup
loadclient_build

ip netns exec "$NS_C" "$LOADCLIENT" "$VIP_HP" -n 10000000 -d 120 -c 4 -t 3000 --tag "$TAG" \
	>"$WORK/load.json" 2>"$WORK/load.log" &
lc=$!; PIDS+=("$lc")
e2e_sleep 0.5
kill -0 "$lc" 2>/dev/null || fail "loadclient stopped early"

color=blue
t0=$(date +%s.%N)
for ((i = 1; i <= FLIPS; i++)); do
	if [[ $color == blue ]]; then color=green; else color=blue; fi
	BGX_QUIET=1 bgx set "$color" >/dev/null || fail "flip $i: bgxdp set $color"
	e2e_sleep 0.05
done
t1=$(date +%s.%N)
kill -0 "$lc" 2>/dev/null || fail "loadclient was not running for all flips"
log "$FLIPS flips in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s under load"
e2e_sleep 0.5
kill -TERM "$lc"
wait "$lc" || fail "loadclient exited with $?"
out=$(cat "$WORK/load.json")
log "loadclient: $out"

ok=$(json_num "$out" ok); green=$(json_num "$out" green); blue=$(json_num "$out" blue)
failed=$(json_num "$out" failed); resets=$(json_num "$out" resets)
((ok > 0)) || fail "no successful request"
((failed == 0)) || fail "$failed failed requests (see load.log)"
((resets == 0)) || fail "$resets connection resets"
((blue > 0 && green > 0)) || fail "both colors must serve: blue $blue, green $green"
log "$ok requests, 0 failed, 0 resets, blue $blue, green $green"
log "PASS"
