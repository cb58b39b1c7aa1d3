#!/usr/bin/env bash
# t_fleetsync.sh 4|6 - no connection breaks when a host fails right after a
# flip, because every host holds every live flow (flow sync).
#
# Two hosts (tests/e2e/lib_fleet.sh, replies hashed on the client so they
# come back through the host that carried the request).  With flow sync:
#   keep-alive connections (ACTIVE sending every 50 ms, IDLE waiting 10 s
#   between requests) are established through lb1 alone, on blue; lb2 holds
#   them too; lb2 joins the ECMP route; `set green` goes through etcd
#   (fleet apply); lb1 leaves the ECMP route and the return path.  Every
#   connection keeps answering from its blue backend through lb2: 0 failed
#   requests, 0 resets, no lost flow on lb2; new connections go to green.
# The same without flow sync, as a contrast (printed, not a pass condition):
#   lb2 picks the moved connections again under the new split and their
#   green backends reset them.
set -uo pipefail
# shellcheck disable=SC2034  # read by lib_fleet.sh
FLEET_HOSTS=2
# shellcheck disable=SC2034
FLEET_HASH=client
# shellcheck source=tests/e2e/lib_fleet.sh
. "$(dirname "$0")/lib_fleet.sh"
fleet_begin "fleetsync/ipv${1:-4}" "${1:-4}"
ACTIVE=${FLEETSYNC_ACTIVE:-6}
IDLE=${FLEETSYNC_IDLE:-4}
IDLE_S=10

fleet_up
fleet_config "$WORK/blue.yaml" 0
fleet_config "$WORK/green.yaml" 100

# agents SYNC: (re)start both agents, with flow sync (on) or without (off).
agents() {
	local n
	for n in 1 2; do
		[[ -n ${LB_AGENT_PID[$n]:-} ]] && lb_agent_kill "$n"
		if [[ $1 == on ]]; then lb_agent_sync "$n"; else lb_agent_config "$n"; fi
	done
	fleet_wait_up 2 10
}

# clients TAG: ACTIVE + IDLE keep-alive connections, each expecting one
# blue backend; waits until each has its first answer.
clients() {
	local k interval i
	CLIENT_PIDS=()
	for ((k = 0; k < ACTIVE + IDLE; k++)); do
		interval=0.05
		((k >= ACTIVE)) && interval=$IDLE_S
		ip netns exec "$NS_C" python3 -u "$E2E_DIR/keepalive.py" --host "$VIP" --port 80 \
			--interval "$interval" --expect-color blue --ready "$WORK/$1-ready-$k" \
			--stop "$WORK/$1-stop" --max-seconds 60 >"$WORK/$1-client-$k.json" 2>&1 &
		CLIENT_PIDS+=($!)
		PIDS+=($!)
	done
	for ((i = 0; i < 100; i++)); do
		[[ $(ls "$WORK/$1"-ready-* 2>/dev/null | wc -l) == $((ACTIVE + IDLE)) ]] && return 0
		sleep 0.1
	done
	fail "$1: not every keep-alive connection got its first answer"
}

# finish TAG: stop the clients, count FAILED connections (and RESET among
# them, ACTIVE_FAILED/IDLE_FAILED), check each answer came from one backend.
finish() {
	local k f
	touch "$WORK/$1-stop"
	for f in "${CLIENT_PIDS[@]}"; do wait "$f" 2>/dev/null; done
	FAILED=0 RESET=0 ACTIVE_FAILED=0 IDLE_FAILED=0 REQUESTS=0
	for ((k = 0; k < ACTIVE + IDLE; k++)); do
		f=$WORK/$1-client-$k.json
		REQUESTS=$((REQUESTS + $(jq -r '.requests // 0' "$f" 2>/dev/null || echo 0)))
		jq -e '.pass' "$f" >/dev/null 2>&1 && continue
		FAILED=$((FAILED + 1))
		((k < ACTIVE)) && ACTIVE_FAILED=$((ACTIVE_FAILED + 1)) || IDLE_FAILED=$((IDLE_FAILED + 1))
		grep -qiE 'reset|RemoteDisconnected|Broken' "$f" && RESET=$((RESET + 1))
		echo "    $1 connection $k: $(jq -c '{requests, errors, names, first_error}' "$f" 2>/dev/null || cat "$f")"
	done
}

# scenario SYNC TAG: the whole failover; sets the counts of finish and NEW_GREEN.
scenario() {
	local started i body
	agents "$1"
	fleet_route_only 1
	fleet_ctl apply -f "$WORK/blue.yaml" --wait 20s >/dev/null || fail "$2: fleet apply blue"
	# shellcheck disable=SC2034  # read by the cleanup
	FLEET_ATTACHED[1]=1 FLEET_ATTACHED[2]=1
	started=$SECONDS
	clients "$2"
	if [[ $1 == on ]]; then
		for ((i = 0; i < 50; i++)); do
			(($(BGX_QUIET=1 fleet_bgx 2 status -j | jq '.services[0].flows.blue') >= ACTIVE + IDLE)) && break
			sleep 0.1
		done
		((i < 50)) || fail "$2: lb2 does not hold the $((ACTIVE + IDLE)) connections of lb1"
	fi
	fleet_host_restore 2
	fleet_ctl apply -f "$WORK/green.yaml" --wait 10s >/dev/null || fail "$2: fleet apply green"
	fleet_host_fail 1
	NEW_GREEN=0
	for ((i = 0; i < 20; i++)); do
		body=$(curl_vip) && [[ $body == "green "* ]] && NEW_GREEN=$((NEW_GREEN + 1))
	done
	# every idle connection makes a request after lb1 left
	while ((SECONDS - started < IDLE_S + 3)); do e2e_sleep 0.5; done
	finish "$2"
}

# ---- with flow sync -------------------------------------------------------------------------
scenario on sync
lost=$(fleet_metric 2 'bgxdp_flows_lost_total{service="web",color="blue"}')
resets=$(fleet_metric 2 'bgxdp_backend_resets_total{service="web",color="blue"}')
((FAILED == 0)) || fail "flow sync on: $FAILED of $((ACTIVE + IDLE)) keep-alive connections failed ($RESET reset)"
((NEW_GREEN == 20)) || fail "flow sync on: $NEW_GREEN of 20 new connections went to green"
[[ ${lost:-0} == 0 ]] || fail "flow sync on: lb2 counted $lost lost blue flows"
[[ ${resets:-0} == 0 ]] || fail "flow sync on: blue backends sent $resets resets through lb2"
log "flow sync on: $((ACTIVE + IDLE)) keep-alive connections ($ACTIVE every 50 ms, $IDLE idle ${IDLE_S} s) made through lb1 on blue; set green through etcd; lb1 out: 0 failed of $REQUESTS requests, 0 resets, each on its blue backend through lb2; 20/20 new connections green"

# ---- the contrast: without it ---------------------------------------------------------------
scenario off nosync
log "flow sync off (contrast): $FAILED of $((ACTIVE + IDLE)) keep-alive connections failed after lb1 went out ($RESET reset; $ACTIVE_FAILED of $ACTIVE active, $IDLE_FAILED of $IDLE idle); $NEW_GREEN/20 new connections green"
log "PASS"
