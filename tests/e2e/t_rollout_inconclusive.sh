#!/usr/bin/env bash
# t_rollout_inconclusive.sh 4|6 - too little traffic is inconclusive, never
# a pass: with fewer new flows than --min-samples, the first step is
# extended (--max-extensions 2), then the rollout pauses with the reason;
# it is not promoted, and --wait --timeout gives up with exit 1.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "rollout_inconclusive/ipv${1:-4}" "${1:-4}"

topo_up
lb_setup
bgx health "$SERVICE" --interval 500ms --timeout 200ms || fail "bgxdp health"
agent_start
ratecheck_start load 10      # 1 new green flow a second at 10 %: far below 100
bgx rollout start green --steps 10,50,100 --interval 1s --min-samples 100 --max-extensions 2 \
	--wait --timeout 6s
rc=$?
ratecheck_stop load
((rc == 1)) || fail "rollout start --wait --timeout 6s exited $rc, want 1 (paused, not done)"
[[ $(green_share) == 1000 ]] || fail "green share $(green_share) bp, want 1000 (held at the first step)"
python3 - "$STATE_DIR/history.jsonl" <<'PY' || fail "the history does not show extend, extend, pause"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
r = [e for e in r if e["what"].startswith("rollout.")]
whats = [e["what"] for e in r]
assert whats == ["rollout.start", "rollout.extend", "rollout.extend", "rollout.pause"], whats
assert "inconclusive" in r[-1]["reason"] and "< min 100" in r[-1]["reason"], r[-1]["reason"]
assert all(e["after"] == "green 10.00 %" for e in r), [e["after"] for e in r]
print("history:", " -> ".join(e["what"] for e in r), "|", r[-1]["reason"])
PY
bgx rollout status | grep -q "paused, step 1 of 3" || fail "rollout status does not say paused at step 1"
bgx rollout abort || fail "rollout abort"
[[ $(green_share) == 0 ]] || fail "green share $(green_share) bp after abort, want 0"
log "PASS"
