#!/usr/bin/env bash
# t_wait_drained.sh 4|6 - knowing when the old color is empty.
#   - `bgxdp wait drained blue` after `bgxdp set green`, with two keep-alive
#     connections still open on blue: it waits, printing the count as it
#     falls, and returns 0 within a second of the last one closing; with a
#     --timeout shorter than the connections it exits 1.
#   - `bgxdp backend drain ... --wait`: the same for one backend.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "wait_drained/ipv${1:-4}" "${1:-4}"

topo_up
lb_setup
ka_start ka1 blue
ka_start ka2 blue
bgx set green || fail "set green"
expect_color green 3

# too short: exit 1, saying how many are left
out=$(BGX_QUIET=1 bgx wait drained blue --timeout 500ms 2>&1)
rc=$?
((rc == 1)) && [[ $out == *"still has 2 open flows"* ]] || fail "wait drained --timeout 500ms: exit $rc, '$out'"
log "wait drained blue --timeout 500ms: exit 1 ($(tail -n 1 <<<"$out"))"

BGX_QUIET=1 bgx wait drained blue --timeout 30s >"$WORK/wait.out" 2>&1 &
wpid=$!
PIDS+=("$wpid")
e2e_sleep 1
kill -0 "$wpid" 2>/dev/null || fail "wait drained returned with two connections open: $(cat "$WORK/wait.out")"
ka_stop ka1
e2e_sleep 1
kill -0 "$wpid" 2>/dev/null || fail "wait drained returned with one connection open: $(cat "$WORK/wait.out")"
t_last=$(now_ms)
ka_stop ka2
wait "$wpid"
rc=$?
t_done=$(now_ms)
((rc == 0)) || fail "wait drained exited $rc: $(cat "$WORK/wait.out")"
((t_done - t_last <= 1000)) || fail "wait drained returned $((t_done - t_last)) ms after the last connection closed"
grep -q "2 open flows" "$WORK/wait.out" && grep -q "1 open flow$" "$WORK/wait.out" ||
	fail "wait drained did not print the count as it fell: $(cat "$WORK/wait.out")"
log "wait drained blue: $(tr '\n' ';' <"$WORK/wait.out") returned $((t_done - t_last)) ms after the last connection closed"

# one backend
ka_start ka3 green
g=$KA_BACKEND
BGX_QUIET=1 bgx backend drain "$SERVICE" green "$(backend_hp "$g")" --wait --timeout 30s >"$WORK/drain.out" 2>&1 &
dpid=$!
PIDS+=("$dpid")
e2e_sleep 1
kill -0 "$dpid" 2>/dev/null || fail "backend drain --wait returned with a connection open: $(cat "$WORK/drain.out")"
[[ $(backend_field "$g" admin) == drain ]] || fail "$g is not drained"
t_last=$(now_ms)
ka_stop ka3
wait "$dpid"
rc=$?
((rc == 0 && $(now_ms) - t_last <= 1000)) || fail "backend drain --wait: exit $rc, $(cat "$WORK/drain.out")"
log "backend drain $g --wait: $(tr '\n' ';' <"$WORK/drain.out")"
log "PASS"
