#!/usr/bin/env bash
# t_rollout_verbs.sh 4|6 - a rollout commanded from another shell while it
# runs, and an agent killed under it.
#   - pause holds the share past its interval; resume goes on; promote
#     moves to the next step at once; promote --full ends it at 100 %.
#   - kill -9 of the agent mid-rollout: the share stays what was published
#     (read every 20 ms meanwhile: always one of the rollout's shares, never
#     anything else); the restarted agent resumes the rollout.  A share
#     changed by hand while no agent ran: the restarted agent holds it.
#   - with no agent, the verbs still work (under the agent's lock).
#   - abort goes back to the share from before the rollout.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "rollout_verbs/ipv${1:-4}" "${1:-4}"

phase() { BGX_QUIET=1 bgx rollout status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rollouts"][0]["phase"])'; }
want() { [[ $(green_share) == "$1" && $(phase) == "$2" ]] || fail "$3: green share $(green_share) bp, phase $(phase); want $1, $2"; }

topo_up
lb_setup
bgx health "$SERVICE" --interval 500ms --timeout 200ms || fail "bgxdp health"
agent_start
ratecheck_start load 50
bgx rollout start green --steps 10,20,50,100 --interval 3s --min-samples 5 || fail "rollout start"
want 1000 running "after start"
out=$(BGX_QUIET=1 bgx rollout start green --steps 50,100 --interval 3s 2>&1)
rc=$?
((rc == 1)) && [[ $out == *"already has a rollout"* ]] || fail "a second rollout: exit $rc, '$out'"
want 1000 running "after a refused second start"

bgx rollout pause || fail "rollout pause"
e2e_sleep 4
want 1000 paused "paused for longer than the interval"
bgx rollout resume || fail "rollout resume"
want 1000 running "after resume"
bgx rollout promote || fail "rollout promote"
want 2000 running "after promote"
log "pause held 10 % past the interval; resume; promote -> 20 % at once"

# kill -9 of the agent mid-rollout, the share read every 20 ms meanwhile
( while :; do green_share; sleep 0.02; done ) >"$WORK/shares" 2>/dev/null &
spid=$!
PIDS+=("$spid")
agent_stop KILL
e2e_sleep 1
want 2000 running "with the agent gone"
agent_start
e2e_sleep 4
kill "$spid"
wait "$spid" 2>/dev/null
bad=$(grep -cvxE '1000|2000|5000|10000' "$WORK/shares")
((bad == 0)) || fail "$bad share reads were not a share of the rollout: $(grep -vxE '1000|2000|5000|10000' "$WORK/shares" | head -3)"
[[ -n $(history_entry rollout.recover) ]] || fail "the restarted agent did not resume the rollout"
s=$(green_share)
((s == 5000 || s == 10000)) || fail "the resumed rollout did not go on: green share $s bp"
log "agent killed -9 at 20 %: $(wc -l <"$WORK/shares") share reads, all one of the rollout's; restarted, it resumed ($s bp)"

bgx rollout promote --full || fail "rollout promote --full"
want 10000 succeeded "after promote --full"
log "promote --full: 100 %, succeeded"

# a share changed by hand while no agent ran: held, not overwritten
bgx rollout start blue --steps 50,100 --interval 3s --min-samples 5 || fail "rollout start blue"
want 5000 running "a rollout of blue"
agent_stop KILL
bgx weight green 70 || fail "weight green 70"
agent_start
e2e_sleep 0.5
want 7000 paused "a share changed by hand, agent restarted"
[[ -n $(history_entry rollout.hold) ]] || fail "no rollout.hold in the history"
log "share changed by hand while no agent ran: the restarted agent holds (paused)"

# no agent: the verbs work on their own; abort goes back to the start's share
agent_stop TERM
bgx rollout abort || fail "rollout abort without an agent"
want 10000 aborted "abort without an agent"
[[ $(history_entry rollout.abort) == *'"actor":"cli"'* ]] || fail "abort not in the history as the cli's"
ratecheck_stop load
failed=$(rc_count load 0 99999999999999 failed)
((failed == 0)) || fail "$failed connections failed: $(rc_failures load 0 99999999999999)"
log "abort with no agent running: back to green 100 % (the split before the rollout of blue); $(rc_count load 0 99999999999999 all) connections, 0 failed"
log "PASS"
