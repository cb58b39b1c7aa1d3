#!/usr/bin/env bash
# t_history.sh 4|6 - the change history, and the agent's life.
#   - Every change of the run is in `bgxdp history` with its actor: the
#     commands (actor cli, uid, command line), health transitions (health),
#     the agent's starts and stops (agent); --service, --since and --json.
#   - One agent per state dir: a second one is refused and told who holds it.
#   - kill -9 of the agent while clients connect at a steady rate: traffic is
#     not affected (a backend its checks took out stays out); the restarted
#     agent resumes from the data plane (and brings the backend back once
#     it passes).  SIGHUP rereads the settings.
#   - The history survives agent restarts and the detach of the instance.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "history/ipv${1:-4}" "${1:-4}"

topo_up
lb_setup
bgx health "$SERVICE" --interval 500ms --timeout 200ms || fail "bgxdp health"
agent_start
first_agent=$AGENT_PID

# one agent per state dir
out=$(BGX_QUIET=1 bgx agent --listen 127.0.0.1:9478 2>&1)
rc=$?
((rc == 1)) && [[ $out == *"held by pid $first_agent"* ]] ||
	fail "a second agent on the same state dir: exit $rc, '$out' (want exit 1 naming pid $first_agent)"
log "a second agent is refused: $out"

bgx backend drain "$SERVICE" blue "$(backend_hp b2)" || fail "drain"
bgx backend up "$SERVICE" blue "$(backend_hp b2)" || fail "up"
bgx weight green 10 || fail "weight"
bgx set green || fail "set green"
backend_kill g1
wait_health g1 down 4

# kill -9 of the agent under load: nothing changes for traffic
ratecheck_start load 50
e2e_sleep 1
agent_stop KILL
t0=$(now_ms)
e2e_sleep 3
[[ $(backend_field g1 health) == down && $(backend_field g1 in_ring) == false ]] ||
	fail "g1 did not stay out of the ring while no agent runs"
bgx status | grep -q "NO AGENT RUNNING" || fail "status does not say that no agent runs"
agent_start
backend_start g1
wait_health g1 up 4
t1=$(now_ms)
e2e_sleep 1
ratecheck_stop load
failed=$(rc_count load 0 99999999999999 failed)
n=$(rc_count load "$t0" "$t1" all)
((failed == 0)) || fail "$failed new connections failed around the agent's kill -9: $(rc_failures load 0 99999999999999)"
log "agent killed -9 under load: $n new connections while it was gone and coming back, 0 failed; the restarted agent brought g1 back"

# SIGHUP: settings reread (a longer interval shows in the checks' cadence)
bgx health "$SERVICE" --interval 2s --timeout 200ms >/dev/null || fail "bgxdp health --interval 2s"
kill -HUP "$AGENT_PID"
e2e_sleep 0.5
kill -0 "$AGENT_PID" || fail "the agent died on SIGHUP"
agent_stop TERM
agent_start

bgx detach "$LB_IF" || fail "detach"
ATTACHED=0

# the history, after all that
bgx history >"$WORK/history.txt" || fail "bgxdp history"
cat "$WORK/history.txt"
BGX_QUIET=1 bgx history --json >"$WORK/history.json" || fail "bgxdp history --json"
python3 - "$WORK/history.json" "$first_agent" <<'PY' || fail "the history misses changes (see above)"
import json, sys
h = json.load(open(sys.argv[1]))["entries"]
def have(actor, what, n=1, **kw):
    got = [e for e in h if e["actor"] == actor and e["what"] == what and
           all(e.get(k) == v for k, v in kw.items())]
    assert len(got) >= n, "want %d x %s %s %s, got %d" % (n, actor, what, kw, len(got))
    return got
have("cli", "attach")
have("cli", "service.add", service="web")
have("cli", "backend.add", 4, service="web")
have("cli", "set", 2, service="web")
have("cli", "health", 2, service="web")
have("cli", "backend.drain", service="web")
have("cli", "backend.up", service="web")
have("cli", "weight", service="web", after="green 10.00 %")
have("cli", "detach")
have("agent", "agent.start", 3)
have("agent", "agent.stop", 1)
have("health", "health.down", service="web")
have("health", "health.up", service="web")
for e in h:
    assert e["uid"] == 0 and e["time_ns"] > 0, e
    if e["actor"] == "cli":
        assert e["command"][0].endswith("bgxdp") and len(e["command"]) > 1, e
assert [e["time_ns"] for e in h] == sorted(e["time_ns"] for e in h), "not oldest first"
print("history: %d entries, every change with its actor" % len(h))
PY
grep -q "health.down" "$WORK/history.txt" || fail "text history lacks health.down"
n_web=$(BGX_QUIET=1 bgx history --service "$SERVICE" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
n_recent=$(BGX_QUIET=1 bgx history --since 1h --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
n_none=$(BGX_QUIET=1 bgx history --service nosuch --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
((n_web > 5 && n_recent > n_web && n_none == 0)) ||
	fail "history filters: --service web $n_web, --since 1h $n_recent, --service nosuch $n_none"
log "history --service web: $n_web entries, --since 1h: $n_recent, --service nosuch: 0"
log "PASS"
