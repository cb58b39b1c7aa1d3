#!/usr/bin/env bash
# t_failover.sh 4|6 - a whole color fails, then both.
#   - Both green backends die while green gets every new flow: once the
#     checks see it, green's new flows go to blue, and 0 new connections
#     fail after that; status, the bgxdp_color_failover metric and the
#     history say "failover".  Green back: new flows return to green.
#   - Every backend of both colors dies: health would leave the service
#     with nothing, so it is ignored (fail open): the live rings are the
#     same as before anything failed, and status says so.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "failover/ipv${1:-4}" "${1:-4}"
RATE=100

topo_up
lb_setup
bgx health "$SERVICE" --interval 500ms --timeout 200ms || fail "bgxdp health"
agent_start
bgx set green || fail "bgxdp set green"
expect_color green 4
rings_before=$(live_rings)

# 1. green fails: failover to blue
ratecheck_start load "$RATE"
e2e_sleep 1
t_kill=$(now_ms)
backend_kill g1
backend_kill g2
wait_history failover.on "green" 5
t_fo=$(history_ms failover.on)
log "green's backends killed: failover to blue $((t_fo - t_kill)) ms later"
[[ $(status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["failover"]["green"])') == True ]] ||
	fail "status --json does not show green's failover"
bgx status | grep -q "FAILOVER: every green backend fails its health checks: green's new flows go to blue" ||
	fail "status does not say FAILOVER"
[[ $(metric "bgxdp_color_failover{service=\"$SERVICE\",color=\"green\"}") == 1 ]] ||
	fail "bgxdp_color_failover{green} is not 1"
e2e_sleep 3
t_restart=$(now_ms)
backend_start g1
backend_start g2
wait_history failover.off "" 5
t_back=$(history_ms failover.off)
e2e_sleep 2
ratecheck_stop load
[[ $(metric "bgxdp_color_failover{service=\"$SERVICE\",color=\"green\"}") == 0 ]] ||
	fail "bgxdp_color_failover{green} is not 0 after green came back"

window=$(rc_count load "$t_kill" "$t_fo" failed)
during=$(rc_count load $((t_fo + 100)) "$t_restart" all)
during_failed=$(rc_count load $((t_fo + 100)) "$t_restart" fresh)
pinned=$(rc_count load $((t_fo + 100)) "$t_restart" pinned)
during_blue=$(($(rc_count load $((t_fo + 100)) "$t_restart" ok "blue b1") +
	       $(rc_count load $((t_fo + 100)) "$t_restart" ok "blue b2")))
after_green=$(($(rc_count load $((t_back + 100)) 99999999999999 ok "green g1") +
	       $(rc_count load $((t_back + 100)) 99999999999999 ok "green g2")))
after_failed=$(rc_count load $((t_back + 100)) 99999999999999 fresh)
((during_failed == 0)) ||
	fail "$during_failed of $during new connections failed during the failover: $(rc_failures load $((t_fo + 100)) "$t_restart"); $(BGX_QUIET=1 bgx metrics | grep -E '^bgxdp_(passed_packets|backend_resets|flows_created|flows_lost)' | tr '\n' ' ')"
((during_blue + pinned == during)) || fail "only $during_blue of $during new connections went to blue during the failover"
((after_green > 0 && after_failed == 0)) || fail "after green came back: $after_green to green, $after_failed failed"
log "failover: $window connections failed before detection, then $during to blue with 0 failed ($pinned on a reused client port whose refused SYN's flow still pointed at green); green back $((t_back - t_restart)) ms after its restart, then $after_green new flows to green, 0 failed"

# 2. every backend of both colors fails: fail open
backend_kill g1
backend_kill g2
wait_history failover.on "green" 5
backend_kill b1
backend_kill b2
wait_history health.ignored "" 5
status_json | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
assert s["health_ignored"], s
for c in ("blue", "green"):
    for b in s["backends"][c]:
        assert b["health"] == "down" and b["in_ring"], b
' || fail "status --json does not show every backend down and in the ring (fail open)"
bgx status | grep -q "HEALTH IGNORED" || fail "status does not say HEALTH IGNORED"
[[ $(metric "bgxdp_health_ignored{service=\"$SERVICE\"}") == 1 ]] || fail "bgxdp_health_ignored is not 1"
rings_now=$(live_rings)
[[ $rings_now == "$rings_before" ]] || fail "rings differ from before the failures ($rings_now, was $rings_before)"
log "both colors down: health ignored (fail open), live rings as before the failures ($rings_now)"

for b in "${BACKENDS[@]}"; do backend_start "$b"; done
wait_history health.counted "" 5
wait_health g1 up 5
wait_health g2 up 5
expect_color green 5
log "PASS"
