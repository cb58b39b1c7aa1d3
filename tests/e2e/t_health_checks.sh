#!/usr/bin/env bash
# t_health_checks.sh 4|6 - what takes a backend out, and what does not.
#   - HTTP checks (--http /healthz): a backend answering 500 on the check
#     path leaves the ring; one whose host black-holes SYNs (a packet filter
#     in its namespace) leaves it too (the checks time out); with both green
#     backends out, green fails over to blue; back when they pass again.
#   - A keep-alive connection to a backend that goes down is not touched
#     (the default): every request on it is answered, by that backend.
#   - Admin states beat health: a drained or maintained backend that
#     passes its checks stays out of the ring; `backend up` brings it back.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "health_checks/ipv${1:-4}" "${1:-4}"
need iptables
need ip6tables

topo_up
for b in "${BACKENDS[@]}"; do
	backend_kill "$b"
	backend_start "$b" --health-path /healthz --health-fail-file "$WORK/$b.unwell"
done
topo_wait
lb_setup
bgx health "$SERVICE" --http /healthz --expect 200 --interval 500ms --timeout 200ms ||
	fail "bgxdp health --http"
agent_start
bgx set green || fail "bgxdp set green"
wait_health g1 up 3
wait_health g2 up 3

# a keep-alive connection to one green backend, before anything fails
ka_start ka green
ka=$KA_BACKEND
log "keep-alive connection to green $ka"

# 1. HTTP 500 on the check path
touch "$WORK/g1.unwell"
t0=$(now_ms)
wait_health g1 down 3
log "g1 answers 500 on /healthz: out of the ring after $(($(now_ms) - t0)) ms"
[[ $(backend_field g1 in_ring) == false ]] || fail "g1 is down but still in the ring"
status_json | grep -q '"result":"bad_status"' || fail "status does not show g1's last check as bad_status"
expect_color green 10
for ((i = 0; i < 20; i++)); do
	[[ $(curl_vip) == "green g2" ]] || fail "a new connection went elsewhere than g2 while g1 is down"
done
log "20/20 new connections to g2"

# 2. SYNs black-holed by the backend's own packet filter
ipt=iptables
[[ $FAMILY == 6 ]] && ipt=ip6tables
ip netns exec "$(ns_of g2)" "$ipt" -I INPUT -p tcp --dport "$B_PORT" --syn -j DROP ||
	fail "$ipt in g2"
t0=$(now_ms)
wait_health g2 down 3
log "g2 drops SYNs: out of the ring after $(($(now_ms) - t0)) ms (checks time out)"
status_json | grep -q '"result":"timeout"' || fail "status does not show g2's last check as timeout"
# both green backends out: green's new flows go to blue
[[ $(status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["failover"]["green"])') == True ]] ||
	fail "status --json does not say green fails over"
bgx status | grep -q "FAILOVER: every green backend" || fail "status does not say FAILOVER"
expect_color blue 10
ka_check ka
log "keep-alive connection to $ka still answered"

ip netns exec "$(ns_of g2)" "$ipt" -D INPUT -p tcp --dport "$B_PORT" --syn -j DROP
rm -f "$WORK/g1.unwell"
wait_health g1 up 4
wait_health g2 up 4
expect_color green 10
log "both back: new flows to green again"
ka_stop ka

# 3. admin states beat a passing check
for admin in drain down; do
	bgx backend "$admin" "$SERVICE" green "$(backend_hp g1)" || fail "backend $admin g1"
	e2e_sleep 1.2
	[[ $(backend_field g1 health) == up ]] || fail "g1 ($admin) no longer checked up"
	[[ $(backend_field g1 in_ring) == false ]] || fail "g1 passes its checks while $admin: it must stay out"
	for ((i = 0; i < 20; i++)); do
		[[ $(curl_vip) == "green g2" ]] || fail "a new connection reached g1 while it is $admin"
	done
	bgx backend up "$SERVICE" green "$(backend_hp g1)" || fail "backend up g1"
	[[ $(backend_field g1 in_ring) == true ]] || fail "g1 up and healthy but not in the ring"
	log "$admin beats health: g1 passes its checks and stays out; 20/20 new connections to g2"
done
log "PASS"
