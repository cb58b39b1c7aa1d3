#!/usr/bin/env bash
# t_longlived.sh 4|6 - one keep-alive connection opened while blue is active
# does a request every 50 ms through 20 flips blue<->green (one every ~0.3 s)
# and keeps getting answers from the same blue backend, with no error;
# meanwhile every new connection follows the flips.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "longlived/ipv${1:-4}" "${1:-4}"

FLIPS=20
topo_up
lb_setup

ip netns exec "$NS_C" python3 "$E2E_DIR/keepalive.py" --host "$VIP" --port 80 --interval 0.05 \
	--expect-color blue --ready "$WORK/ka.ready" --stop "$WORK/ka.stop" \
	--max-seconds 60 --tag "$TAG" >"$WORK/ka.json" 2>"$WORK/keepalive.log" &
ka=$!; PIDS+=("$ka")
for ((i = 0; i < 100; i++)); do
	[[ -e $WORK/ka.ready ]] && break
	kill -0 "$ka" 2>/dev/null || break
	e2e_sleep 0.05
done
[[ -e $WORK/ka.ready ]] || fail "keep-alive client did not get its first answer"
log "keep-alive connection open: $(cat "$WORK/ka.ready")"

color=blue
for ((i = 1; i <= FLIPS; i++)); do
	if [[ $color == blue ]]; then color=green; else color=blue; fi
	BGX_QUIET=1 bgx set "$color" >/dev/null || fail "flip $i: bgxdp set $color"
	body=$(curl_vip) || fail "flip $i: new connection failed"
	[[ $body == "$color "* ]] || fail "flip $i: new connection answered '$body', want $color"
	kill -0 "$ka" 2>/dev/null || fail "keep-alive client ended during flip $i: $(cat "$WORK/ka.json")"
	e2e_sleep 0.3
done
log "$FLIPS flips done, each followed by a new connection answering the new color"

touch "$WORK/ka.stop"
wait "$ka"; rc=$?
out=$(cat "$WORK/ka.json")
log "keep-alive client: $out"
((rc == 0)) || fail "keep-alive connection broke or changed backend (exit $rc)"
log "PASS"
