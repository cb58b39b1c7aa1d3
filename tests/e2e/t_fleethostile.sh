#!/usr/bin/env bash
# t_fleethostile.sh 4|6 - hostile flow-sync traffic against a running
# agent (tests/e2e/flowsync_send.py, from another host of the test's own
# fleet network): one good datagram goes in; then the same one replayed, one
# signed with a wrong key, cut short, oversized, with a malformed record,
# 200 of random bytes, and well-signed flows this host cannot place (a VIP
# that is no service here, a backend not in that color): every one refused
# and counted under its reason, the flow table as it was, the agent alive;
# the next good datagram still goes in.
set -uo pipefail
# shellcheck disable=SC2034  # read by lib_fleet.sh
FLEET_HOSTS=2
# shellcheck source=tests/e2e/lib_fleet.sh
. "$(dirname "$0")/lib_fleet.sh"
fleet_begin "fleethostile/ipv${1:-4}" "${1:-4}"

fleet_up
fleet_sync_key
fleet_config "$WORK/desired.yaml" 0
fleet_bgx 1 apply -f "$WORK/desired.yaml" >/dev/null || fail "apply on lb1"
# shellcheck disable=SC2034  # read by the cleanup
FLEET_ATTACHED[1]=1
TO=$(fleet_sync_addr 1)
lb_agent_start 1 --sync-listen "$TO" --sync-key "$FLEET_SYNC_KEY" --listen 127.0.0.1:9477
for ((i = 0; i < 50; i++)); do
	[[ -n $(fleet_metric 1 bgxdp_fleet_sync_flows_sent_total) ]] && break
	sleep 0.1
done
((i < 50)) || fail "lb1's agent does not serve its metrics"
CLIENT=$(fleet_hp "$([[ $FAMILY == 4 ]] && echo 10.211.0.2 || echo fd00:b6:11::2)" 0)
CLIENT=${CLIENT%:0}

# send ARGS...: one datagram from lb2 to lb1's agent.
send() {
	in_lbn 2 python3 "$E2E_DIR/flowsync_send.py" --to "$TO" --key "$FLEET_SYNC_KEY" \
		--vip "$VIP_HP" --backend "$(backend_hp b1)" "$@" || fail "flowsync_send.py $*"
}
verdict() { fleet_metric 1 "bgxdp_fleet_sync_datagrams_received_total{verdict=\"$1\"}"; }
rejected() { fleet_metric 1 "bgxdp_fleet_sync_flows_rejected_total{reason=\"$1\"}"; }
live_flows() { BGX_QUIET=1 fleet_bgx 1 status -j | jq '.services[0].flows.blue + .services[0].flows.green'; }
# settle NAME VALUE: until a verdict counter reaches VALUE (datagrams are async).
settle() {
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(verdict "$1") == "$2" ]] && return 0
		sleep 0.05
	done
	fail "verdict $1: $(verdict "$1"), want $2"
}

# ---- one good datagram ------------------------------------------------------------------
send --sequence 1 --client "$CLIENT:50001" --save "$WORK/good.bin"
settle accepted 1
[[ $(fleet_metric 1 'bgxdp_fleet_sync_flows_received_total{outcome="inserted"}') == 1 ]] ||
	fail "the good flow was not inserted"
[[ $(live_flows) == 1 ]] || fail "flow table: $(live_flows) flows, want 1"
log "a good datagram: accepted, its flow in lb1's table"

# ---- hostile ones ------------------------------------------------------------------------
send --raw "$WORK/good.bin"
settle replayed 1
send --sequence 2 --client "$CLIENT:50002" --wrong-key
settle bad_mac 1
send --sequence 3 --client "$CLIENT:50003" --truncate 100
settle truncated 1
send --sequence 4 --client "$CLIENT:50004" --oversize
settle oversized 1
send --sequence 5 --client "$CLIENT:50005" --bad-record
settle bad_record 1
before=$(($(verdict bad_magic) + $(verdict truncated) + $(verdict bad_length) + $(verdict bad_header)))
send --garbage 200
for ((i = 0; i < 50; i++)); do
	after=$(($(verdict bad_magic) + $(verdict truncated) + $(verdict bad_length) + $(verdict bad_header)))
	((after - before == 200)) && break
	sleep 0.05
done
((after - before == 200)) || fail "200 random datagrams: $((after - before)) counted"
# well signed, but nothing this host can place
send --sequence 6 --client "$CLIENT:50006" --vip "$([[ $FAMILY == 4 ]] && echo 10.214.0.99:80 || echo '[fd00:b6:14::99]:80')"
send --sequence 7 --client "$CLIENT:50007" --color green
settle accepted 3
[[ $(rejected no_service) == 1 && $(rejected no_backend) == 1 ]] ||
	fail "unplaceable flows: no_service $(rejected no_service), no_backend $(rejected no_backend)"
[[ $(rejected datagram) -ge 1 ]] || fail "records of refused datagrams are not counted"
[[ $(live_flows) == 1 ]] || fail "flow table after the hostile datagrams: $(live_flows) flows, want 1"
kill -0 "${LB_AGENT_PID[1]}" 2>/dev/null || fail "the agent died"
log "replayed, wrong key, truncated, oversized, bad record, 200 random, unplaceable: all refused and counted, the table unchanged"

# ---- the next good one still goes in -------------------------------------------------------
send --sequence 8 --client "$CLIENT:50008"
settle accepted 4
[[ $(live_flows) == 2 ]] || fail "the next good datagram: $(live_flows) flows, want 2"
fleet_promtool 1
log "counted: $(for v in accepted replayed bad_mac truncated oversized bad_record bad_magic; do printf '%s %s  ' "$v" "$(verdict "$v")"; done)"
log "PASS"
