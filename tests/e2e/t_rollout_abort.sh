#!/usr/bin/env bash
# t_rollout_abort.sh 4|6 - a bad green: its servers read each request and
# then reset the connection (SO_LINGER 0), so TCP health checks still pass.
#   - `rollout start green --steps 10,50,100 --interval 2s --wait` is aborted
#     at the first step: the share is back to 0 within one interval + 1 s of
#     the first reset a client saw, --wait exits 1, no request to blue fails
#     during the whole test, and the history names the check and its figure.
#   - The same green under `set green --verify 5s --wait`: flipped back
#     within the window, exit 1.
# Prints the time from the first failure to the share back at 0, and the
# failed requests per color.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "rollout_abort/ipv${1:-4}" "${1:-4}"
INTERVAL_MS=2000

topo_up
for b in g1 g2; do
	backend_kill "$b"
	backend_start "$b" --reset
done
lb_setup
bgx health "$SERVICE" --interval 500ms --timeout 200ms || fail "bgxdp health"
agent_start
wait_health g1 up 3
blue0=$(flows_created blue)
green0=$(flows_created green)

# 1. the rollout
ratecheck_start load 100
e2e_sleep 1
t0=$(now_ms)
bgx rollout start green --steps 10,50,100 --interval 2s --min-samples 10 --wait
rc=$?
((rc == 1)) || fail "rollout start --wait exited $rc for a green that resets, want 1"
[[ $(green_share) == 0 ]] || fail "green share $(green_share) bp after the abort, want 0"
t_abort=$(history_ms rollout.abort)
e2e_sleep 1
ratecheck_stop load
first=$(python3 - "$WORK/load.jsonl" "$t0" <<'PY'
import json, sys
t = [r["t"] * 1000 for r in map(json.loads, open(sys.argv[1])) if not r["ok"] and r["t"] * 1000 >= int(sys.argv[2])]
print(int(min(t)) if t else 0)
PY
)
((first > 0)) || fail "no client saw a reset: the test did not send traffic to green"
delay=$((t_abort - first))
((delay <= INTERVAL_MS + 1000)) || fail "share back to 0 ${delay} ms after the first reset (limit: interval + 1 s)"
blue_ok=$(($(rc_count load 0 99999999999999 ok "blue b1") + $(rc_count load 0 99999999999999 ok "blue b2")))
# a request from a client port whose earlier connection green reset finds
# that flow's entry (a backend's reset does not close it) and goes to green
# again without being a new flow: counted apart (pinned)
failed=$(rc_count load 0 99999999999999 fresh)
pinned=$(rc_count load 0 99999999999999 pinned)
blue_new=$(($(flows_created blue) - blue0))
green_new=$(($(flows_created green) - green0))
((blue_ok == blue_new)) || fail "blue: $blue_new new flows but $blue_ok requests answered: some failed"
((failed == green_new)) || fail "$failed requests failed on a new flow but green got $green_new new flows"
log "aborted at the first step: share back to 0 ${delay} ms after the first reset (limit $((INTERVAL_MS + 1000)) ms)"
log "requests: blue $blue_new, 0 failed; green $green_new, $failed failed (reset by the servers); $pinned more reset on a port still pinned to green"
abort=$(history_entry rollout.abort)
python3 - <<PY || fail "history's abort does not name the check and its figure: $abort"
import json
e = json.loads('''$abort''')
assert e["actor"] == "rollout" and "aborted at step 1 of 3" in e["reason"], e
assert "failure ratio" in e["reason"] and "resets" in e["reason"], e["reason"]
c = [c for c in e["detail"]["checks"] if c["check"] == "failure_ratio"][0]
assert c["verdict"] == "fail" and c["value"] > 0.05 and c["limit"] == 0.05, c
print("history:", e["reason"])
PY

# 2. the same green, flipped with --verify
bgx set green --verify 5s --min-samples 10 --wait &
vpid=$!
PIDS+=("$vpid")
e2e_sleep 0.3
for ((i = 0; i < 40; i++)); do curl_vip >/dev/null 2>&1; done
wait "$vpid"
rc=$?
((rc == 1)) || fail "set green --verify 5s --wait exited $rc, want 1"
[[ $(green_share) == 0 ]] || fail "green share $(green_share) bp after a failed verification, want 0"
t_start=$(history_ms verify.start)
t_back=$(history_ms verify.abort)
((t_back > t_start && t_back - t_start <= 5000)) || fail "flipped back $((t_back - t_start)) ms after the flip (window 5 s)"
log "set green --verify 5s: flipped back $((t_back - t_start)) ms after the flip, exit 1"
log "PASS"
