#!/usr/bin/env bash
# t_passive.sh 4|6 - what the data plane sees of the backends by itself.
#   - Resets: N new connections to a backend whose server is gone (its host
#     answers each SYN with a reset): the reset counters of green's backends
#     grow by exactly N.
#   - Handshake times: a server that accepts slowly (backlog 1, a pause
#     before each accept) answers some SYNs at once and the others only
#     after the client's SYN retransmissions (1 s, 3 s): every handshake of
#     bgxdp_backend_connect_seconds is either under 1 ms or above 1 s, and
#     there are some of each.  (Needs a data plane that times handshakes:
#     skipped, saying so, on one that does not.)
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "passive/ipv${1:-4}" "${1:-4}"
N=40

topo_up
lb_setup
bgx set green || fail "set green"
bgx backend drain "$SERVICE" green "$(backend_hp g2)" || fail "drain g2"
# the resets green's backends sent, summed over them
resets() {
	BGX_QUIET=1 bgx metrics | awk -v p="bgxdp_backend_resets_total{service=\"$SERVICE\",color=\"green\"," \
		'index($1, p) == 1 { n += $2 } END { print n + 0 }'
}

# 1. resets: every new connection to g1 is refused by its host
backend_kill g1
r0=$(resets)
for ((i = 0; i < N; i++)); do
	curl_vip >/dev/null 2>&1 && fail "a connection to g1 succeeded while its server is gone"
done
r1=$(resets)
((r1 - r0 == N)) || fail "green's reset counter grew by $((r1 - r0)) for $N refused connections"
log "$N connections refused by g1's host: bgxdp_backend_resets_total of green's backends +$((r1 - r0))"

# 2. handshake times of a slow server
# (the exposition read whole first: grep -q would stop reading early and,
# with pipefail, a writer's SIGPIPE would read as "not there")
exposition=$(BGX_QUIET=1 bgx metrics)
if ! grep -q '^bgxdp_backend_connect_seconds_bucket' <<<"$exposition"; then
	log "SKIP handshake times: this data plane does not time handshakes (no bgxdp_backend_connect_seconds)"
	log "PASS"
	exit 0
fi
backend_start g1 --backlog 1 --accept-delay 0.3
e2e_sleep 0.5
bucket() {
	BGX_QUIET=1 bgx metrics | awk -v s="bgxdp_backend_connect_seconds_bucket{service=\"$SERVICE\",color=\"green\",backend=\"$(backend_hp g1)\",le=\"$1\"}" '$1 == s { print $2 }'
}
c_fast0=$(bucket 0.001); c_1s0=$(bucket 1); c_3s0=$(bucket 3); c_inf0=$(bucket +Inf)
for ((i = 0; i < 12; i++)); do
	in_c curl -gsS --max-time 5 "$VIP_URL" >/dev/null 2>&1 &
	PIDS+=($!)
	sleep 0.02
done
e2e_sleep 5
fast=$(($(bucket 0.001) - c_fast0))
mid=$(($(bucket 1) - c_1s0 - fast))
total=$(($(bucket +Inf) - c_inf0))
late=$((total - fast - mid))
after1=$(($(bucket 3) - c_3s0 - $(bucket 1) + c_1s0))
((fast > 0 && late > 0 && mid == 0)) ||
	fail "handshake times of the slow server: $fast under 1 ms, $mid from 1 ms to 1 s, $late above 1 s, $total in all"
log "slow server: $fast handshakes under 1 ms, $late after one or two SYN retransmissions ($after1 from 1 s to 3 s, $((late - after1)) above 3 s), none between"
log "PASS"
