#!/usr/bin/env bash
# t_rollout.sh 4|6 - a healthy green rolled out: `bgxdp rollout start green
# --steps 10,50,100 --interval 2s --wait` takes it through every step while
# clients connect at a steady rate, exits 0, no connection fails, the
# history lists every step with its figures, and the metrics follow.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "rollout/ipv${1:-4}" "${1:-4}"

topo_up
lb_setup
bgx health "$SERVICE" --interval 500ms --timeout 200ms || fail "bgxdp health"
agent_start

# refused, nothing changed: an interval below the health-check interval, a
# color without a healthy backend
out=$(BGX_QUIET=1 bgx rollout start green --steps 10,100 --interval 200ms 2>&1)
rc=$?
((rc == 2)) && [[ $out == *"below the health-check interval"* ]] || fail "interval 200ms: exit $rc, '$out'"
backend_kill g1
backend_kill g2
wait_health g1 down 3
wait_health g2 down 3
out=$(BGX_QUIET=1 bgx rollout start green --steps 10,100 --interval 2s 2>&1)
rc=$?
((rc == 1)) && [[ $out == *"no healthy backend"* ]] || fail "green all down: exit $rc, '$out'"
[[ $(green_share) == 0 && ! -e $STATE_DIR/rollout-$SERVICE.json ]] || fail "a refused start changed something"
log "refused: an interval below the checks' (exit 2), a green without healthy backend (exit 1)"
backend_start g1
backend_start g2
wait_health g1 up 3
wait_health g2 up 3

ratecheck_start load 100
e2e_sleep 1
t0=$(now_ms)
bgx rollout start green --steps 10,50,100 --interval 2s --min-samples 8 --wait
rc=$?
t1=$(now_ms)
((rc == 0)) || fail "rollout start --wait exited $rc, want 0"
[[ $(green_share) == 10000 ]] || fail "green share $(green_share) bp after the rollout, want 10000"
log "rollout 10 -> 50 -> 100 % done in $((t1 - t0)) ms, --wait exit 0"
e2e_sleep 1
ratecheck_stop load
failed=$(rc_count load 0 99999999999999 failed)
((failed == 0)) || fail "$failed connections failed during the rollout: $(rc_failures load 0 99999999999999)"
green=$(($(rc_count load "$t0" 99999999999999 ok "green g1") + $(rc_count load "$t0" 99999999999999 ok "green g2")))
log "$(rc_count load 0 99999999999999 all) connections during the rollout, 0 failed, $green to green"

python3 - "$STATE_DIR/history.jsonl" <<'PY' || fail "the history lacks a step of the rollout"
import json, sys
h = [json.loads(l) for l in open(sys.argv[1])]
r = [e for e in h if e["what"].startswith("rollout.")]
whats = [e["what"] for e in r]
assert whats == ["rollout.start", "rollout.advance", "rollout.advance", "rollout.succeed"], whats
assert r[0]["actor"] == "cli" and "rollout" in r[0]["command"], r[0]
for e in r[1:]:
    assert e["actor"] == "rollout", e
    checks = {c["check"]: c for c in e["detail"]["checks"]}
    assert checks["failure_ratio"]["verdict"] == "pass" and checks["failure_ratio"]["value"] == 0, checks
    assert "passed" in e["reason"], e
assert [e["after"] for e in r] == ["green 10.00 %", "green 50.00 %", "green 100.00 %", "green 100.00 %"], r
print("history: " + ", ".join("%s %s" % (e["what"], e["after"]) for e in r))
PY
[[ $(metric "bgxdp_rollout_phase{service=\"$SERVICE\",phase=\"succeeded\"}") == 1 ]] ||
	fail "bgxdp_rollout_phase{succeeded} is not 1"
[[ $(metric "bgxdp_rollout_weight{service=\"$SERVICE\",color=\"green\"}") == 1.0000 ]] ||
	fail "bgxdp_rollout_weight is not 1: $(agent_metrics | grep rollout_weight)"
bgx rollout status | grep -q "succeeded, step 3 of 3" || fail "rollout status does not say succeeded"
# a second rollout of green: already at 100 %
out=$(BGX_QUIET=1 bgx rollout start green --steps 50,100 --interval 2s 2>&1)
[[ $? == 1 && $out == *"already gets 100 %"* ]] || fail "a rollout of a color at 100 %: '$out'"
log "PASS"
