# shellcheck shell=bash
# tests/e2e/lib_agent.sh - the agent, health checks and the history in e2e
# tests (sourced after lib.sh).
#
# The agent runs in the lb namespace (it checks the backends from there,
# as it would from the bgxdp host) with the test's pin dir and state dir,
# /metrics on 127.0.0.1:9477 of that namespace.  Its PID goes into PIDS, so
# the cleanup trap stops it like every other process of the test.

AGENT_PID=""
AGENT_LOG=$WORK/agent.log
AGENT_LISTEN=127.0.0.1:9477

# agent_start: start `bgxdp agent` and wait (bounded) until /metrics answers.
agent_start() {
	local i
	nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" BGXDP_STATE_DIR="$STATE_DIR" \
		"$BGXDP" agent --listen "$AGENT_LISTEN" >>"$AGENT_LOG" 2>&1 &
	AGENT_PID=$!
	PIDS+=("$AGENT_PID")
	for ((i = 0; i < 100; i++)); do
		if in_lb curl -fsS --max-time 1 "http://$AGENT_LISTEN/metrics" >/dev/null 2>&1; then
			log "agent up (pid $AGENT_PID)"
			return 0
		fi
		kill -0 "$AGENT_PID" 2>/dev/null || fail "the agent exited: $(tail -n 5 "$AGENT_LOG")"
		sleep 0.1
	done
	fail "the agent did not serve /metrics within 10 s"
}

# agent_stop [SIGNAL]: stop it (TERM by default, KILL for a crash), bounded.
agent_stop() {
	local sig=${1:-TERM} i
	[[ -n $AGENT_PID ]] || return 0
	kill -"$sig" "$AGENT_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$AGENT_PID" 2>/dev/null && fail "the agent did not stop on SIG$sig within 10 s"
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=""
}

agent_metrics() { in_lb curl -fsS --max-time 2 "http://$AGENT_LISTEN/metrics"; }

# status_json: `bgxdp status --json` of the test's service.
status_json() { BGX_QUIET=1 bgx status --json --service "$SERVICE"; }

# backend_field NAME FIELD: a field of the backend in status --json.
backend_field() {
	status_json | python3 -c '
import json, sys
s = json.load(sys.stdin)["services"][0]
for c in ("blue", "green"):
    for b in s["backends"][c]:
        if b["address"] == sys.argv[1]:
            v = b[sys.argv[2]]
            print(v if isinstance(v, str) else json.dumps(v))
' "$(backend_hp "$1")" "$2"
}

# now_ms: wall clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_health NAME STATE SECONDS: until the backend's health is STATE
# (bounded by the clock, not by a count of tries).
wait_health() {
	local b=$1 want=$2 deadline=$(($(now_ms) + $3 * 1000)) got=""
	while (($(now_ms) < deadline)); do
		got=$(backend_field "$b" health 2>/dev/null)
		[[ $got == "$want" ]] && return 0
		sleep 0.05
	done
	fail "backend $b: health '$got' after ${3}s, want '$want'"
}

# history_json: the history of the test's state dir as JSON lines.
history_lines() { cat "$STATE_DIR"/history.jsonl 2>/dev/null; }

# ratecheck_start NAME RATE: new connections to the VIP at RATE per second,
# logged to $WORK/NAME.jsonl until ratecheck_stop NAME.
ratecheck_start() {
	local name=$1 rate=$2
	rm -f "$WORK/$name.stop"
	ip netns exec "$NS_C" python3 -u "$E2E_DIR/ratecheck.py" --host "$VIP" --port 80 \
		--rate "$rate" --duration 300 --timeout 1 --out "$WORK/$name.jsonl" \
		--stop "$WORK/$name.stop" --tag "$TAG" >"$WORK/$name.summary" 2>"$WORK/$name.log" &
	declare -g "RC_PID_$name=$!"
	PIDS+=($!)
}

ratecheck_stop() {
	local name=$1 pidvar="RC_PID_$1" i
	touch "$WORK/$name.stop"
	for ((i = 0; i < 100; i++)); do
		kill -0 "${!pidvar}" 2>/dev/null || break
		sleep 0.1
	done
	wait "${!pidvar}" 2>/dev/null
	[[ -s $WORK/$name.jsonl ]] || fail "ratecheck $name wrote nothing: $(cat "$WORK/$name.log")"
}
