#!/usr/bin/env bash
# t_health.sh 4|6 - a green backend dies while clients open new connections
# to green at a steady rate: it leaves the ring within fall x interval +
# timeout of its death (defaults: 2 x 1 s + 500 ms), the connections that
# failed meanwhile are counted, and after it 0 of >= 1000 new connections
# fail.  Restarted, it is back within rise x interval + 1 s and gets new
# flows again.  Prints the detection time, the failed connections in that
# window and the recovery time.
#   Then passive suspicion: with checks only every 10 s (fastinter 250 ms),
# g1 killed again is out of the ring within 1.5 s (active checks alone could
# take up to fall 2 x 10 s + timeout): the resets its host sends to the
# clients' SYNs get it checked at once, and the agent says so.  (Needs a
# data plane with passive signals: skipped, saying so, without.)
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "health/ipv${1:-4}" "${1:-4}"
RATE=100

topo_up
lb_setup
bgx health "$SERVICE" || fail "bgxdp health"
agent_start
bgx set green || fail "bgxdp set green"
expect_color green 4

ratecheck_start load "$RATE"
e2e_sleep 2
t_kill=$(now_ms)
backend_kill g1
log "killed g1's server (its host answers SYNs with resets)"
wait_health g1 down 5
t_down=$(history_ms health.down "$(backend_hp g1)")
((t_down > 0)) || fail "no health.down entry for g1 in the history"
detect=$((t_down - t_kill))
((detect <= 2500)) || fail "g1 left the ring ${detect} ms after it died (limit: fall 2 x interval 1 s + timeout 500 ms)"

# >= 1000 new connections after it left the ring, none may fail
e2e_sleep $((1000 / RATE + 2))
t_restart=$(now_ms)
backend_start g1
wait_health g1 up 4
t_up=$(history_ms health.up "$(backend_hp g1)")
recover=$((t_up - t_restart))
((recover <= 3000)) || fail "g1 back ${recover} ms after its restart (limit: rise 2 x interval 1 s + 1 s)"
e2e_sleep 2
ratecheck_stop load

# a request still running when g1 died belongs to the detection window
before=$(rc_count load 0 "$t_kill" done_failed)
inflight=$(rc_count load 0 "$t_kill" inflight_failed)
window_all=$(rc_count load "$t_kill" "$t_down" all)
window_failed=$(($(rc_count load "$t_kill" "$t_down" failed) + inflight))
# a connection started just before the byte was written may still have
# been picked with the old ring: give the ring write 100 ms
after_all=$(rc_count load $((t_down + 100)) "$t_restart" all)
after_failed=$(rc_count load $((t_down + 100)) "$t_restart" fresh)
pinned=$(rc_count load $((t_down + 100)) "$t_restart" pinned)
back=$(rc_count load "$t_up" 99999999999999 ok "green g1")
((before == 0)) || fail "$before connections failed before g1 died: $(rc_failures load 0 "$t_kill")"
((after_all >= 1000)) || fail "only $after_all connections after detection (want >= 1000)"
((after_failed == 0)) ||
	fail "$after_failed of $after_all connections failed after g1 left the ring: $(rc_failures load $((t_down + 100)) "$t_restart")"
((back > 0)) || fail "g1 got no new flow after it came back"
log "detection: g1 out of the ring ${detect} ms after it died (limit 2500 ms); $window_failed of $window_all new connections failed in that window"
log "after detection: $after_all new connections, 0 failed ($pinned more failed on a client port whose refused SYN's flow entry still pointed at g1); recovery: back ${recover} ms after its restart (limit 3000 ms), then $back new flows to g1"

# the metrics count the checks that failed
n=$(metric "bgxdp_backend_health_checks_total{service=\"$SERVICE\",color=\"green\",backend=\"$(backend_hp g1)\",result=\"refused\"}")
((${n:-0} >= 2)) || fail "metrics: g1's refused checks '$n', want >= 2"

# 2. passive suspicion
if ! grep -q '^bgxdp_backend_resets_total' <<<"$(BGX_QUIET=1 bgx metrics)"; then
	log "SKIP passive suspicion: this data plane has no per-backend reset counters"
	log "PASS"
	exit 0
fi
bgx health "$SERVICE" --interval 10s --timeout 200ms --fastinter 250ms || fail "bgxdp health --interval 10s"
e2e_sleep 1.5
ratecheck_start load2 "$RATE"
e2e_sleep 2
t_kill2=$(now_ms)
backend_kill g1
log "killed g1's server again (checks every 10 s now)"
wait_health g1 down 5
t_down2=$(history_ms health.down "$(backend_hp g1)")
detect2=$((t_down2 - t_kill2))
((t_down2 > t_kill2 && detect2 <= 1500)) ||
	fail "with checks every 10 s, g1 left the ring ${detect2} ms after it died (limit with passive suspicion: 1.5 s)"
grep -F "$SERVICE green $(backend_hp g1) suspected: " "$AGENT_LOG" | grep -q " resets from it" ||
	fail "the agent did not say it suspected g1 from its resets: $(tail -n 5 "$AGENT_LOG")"
e2e_sleep 1
ratecheck_stop load2
window2_all=$(rc_count load2 "$t_kill2" "$t_down2" all)
window2_failed=$(rc_count load2 "$t_kill2" "$t_down2" failed)
# both runs in one file, so a port pinned to g1 in the first (its refused
# SYN's half-open entry lives 30 s) counts as pinned in the second too
cat "$WORK/load.jsonl" "$WORK/load2.jsonl" >"$WORK/both.jsonl"
after2_failed=$(rc_count both $((t_down2 + 100)) 99999999999999 fresh)
pinned2=$(rc_count both $((t_down2 + 100)) 99999999999999 pinned)
((after2_failed == 0)) ||
	fail "$after2_failed connections failed after g1 left the ring (passive): $(rc_failures both $((t_down2 + 100)) 99999999999999)"
log "passive suspicion (interval 10 s, fastinter 250 ms): g1 out of the ring ${detect2} ms after it died (limit 1500 ms); $window2_failed of $window2_all new connections failed in that window, 0 after it ($pinned2 pinned)"
log "PASS"
