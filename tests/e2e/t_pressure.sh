#!/usr/bin/env bash
# t_pressure.sh 4|6 - more flows than the flow table holds (attach --flows 1024).
#
#  1. An idle keep-alive connection whose entry the churn of new connections
#     (6x the table) evicts: its next request finds no entry, is counted in
#     flows_lost, and, with the config unchanged, is picked to the same
#     backend again: the connection survives.
#  2. Eight active keep-alive connections (a request every 50 ms) through
#     another 6x-the-table churn with a flip to green in the middle: the LRU
#     keeps entries that see traffic, so every one keeps its blue backend;
#     the churn itself has no failed request.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "pressure/ipv${1:-4}" "${1:-4}"

TABLE=1024
CHURN=$((6 * TABLE))
ACTIVE=8
LB_ATTACH_ARGS="--flows $TABLE"
topo_up
lb_setup
loadclient_build

# flows_lost of a color, from stats --json.
flows_lost() {
	BGX_QUIET=1 bgx stats --json --interval 0 | python3 -c '
import json, sys
doc = json.load(sys.stdin)
svc = next(s for s in doc["services"] if s["name"] == sys.argv[1])
print(svc["colors"][sys.argv[2]]["flows_lost"])' "$SERVICE" "$1"
}

# churn N: N new connections, 8 at a time; fails the test on any failure.
churn() {
	local out
	ip netns exec "$NS_C" "$LOADCLIENT" "$VIP_HP" -n "$1" -c 8 -d 60 -t 3000 --tag "$TAG" \
		>"$WORK/churn.json" 2>"$WORK/churn.log" || fail "churn loadclient exited with $?"
	out=$(cat "$WORK/churn.json")
	(($(json_num "$out" ok) == $1)) || fail "churn: not every request answered: $out"
	(($(json_num "$out" failed) == 0 && $(json_num "$out" resets) == 0)) ||
		fail "churn: failed requests or resets: $out"
	log "churn: $1 new connections, all answered"
}

# keepalive NAME ARGS...: start a keep-alive client in the background.
keepalive() {
	local name=$1; shift
	ip netns exec "$NS_C" python3 "$E2E_DIR/keepalive.py" --host "$VIP" --port 80 \
		--ready "$WORK/$name.ready" --stop "$WORK/$name.stop" --max-seconds 120 \
		--tag "$TAG" "$@" >"$WORK/$name.json" 2>"$WORK/$name.log" &
	PIDS+=("$!")
	eval "${name}_pid=$!"
}

wait_file() {
	local i
	for ((i = 0; i < 400; i++)); do
		[[ -e $1 ]] && return 0
		e2e_sleep 0.05
	done
	fail "timed out waiting for $1"
}

# ---- 1: idle connection evicted, same config: counted, survives ----------
keepalive idle --go-prefix "$WORK/idle.go" --expect-color blue
wait_file "$WORK/idle.ready"
log "idle connection open: $(cat "$WORK/idle.ready")"
lost_before=$(flows_lost blue)
churn "$CHURN"
touch "$WORK/idle.go.2"
wait_file "$WORK/idle.go.done.2"
lost_after=$(flows_lost blue)
touch "$WORK/idle.stop"
# shellcheck disable=SC2154  # set by keepalive()
wait "$idle_pid" || fail "idle connection broke or changed backend: $(cat "$WORK/idle.json")"
log "idle connection after the churn: $(cat "$WORK/idle.json")"
((lost_after > lost_before)) ||
	fail "flows_lost did not count the evicted idle flow (blue: $lost_before -> $lost_after)"
log "flows_lost{blue}: $lost_before -> $lost_after; the evicted connection kept its backend"

# ---- 2: active connections survive churn and a flip ----------------------
for ((k = 0; k < ACTIVE; k++)); do
	keepalive "active$k" --interval 0.05 --expect-color blue
done
for ((k = 0; k < ACTIVE; k++)); do wait_file "$WORK/active$k.ready"; done
log "$ACTIVE active connections open"
churn $((CHURN / 2))
BGX_QUIET=1 bgx set green >/dev/null || fail "bgxdp set green"
log "flipped to green in the middle of the churn"
churn $((CHURN / 2))
for ((k = 0; k < ACTIVE; k++)); do touch "$WORK/active$k.stop"; done
for ((k = 0; k < ACTIVE; k++)); do
	pid_var="active${k}_pid"
	wait "${!pid_var}" || fail "active connection $k broke or changed backend: $(cat "$WORK/active$k.json")"
done
log "all $ACTIVE active connections kept their blue backend through $CHURN new flows and a flip"
body=$(curl_vip) || fail "request after the churn failed"
[[ $body == "green "* ]] || fail "new connection answered '$body', want green"

# Memory per flow, from the kernel's own accounting of the flows map.
mem=$(bpftool map show pinned "$PIN_DIR/flows" 2>/dev/null | sed -n 's/.*memlock \([0-9]*\)B.*/\1/p')
[[ -n $mem ]] && log "flows map: $TABLE entries, memlock $mem bytes ($((mem / TABLE)) bytes per flow)"
log "PASS"
