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
		--rate "$rate" --duration 300 --timeout 3 --out "$WORK/$name.jsonl" \
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

# rc_count NAME FROM_MS TO_MS ok|failed|fresh|pinned|all|done_failed|inflight_failed
# [BODY]: requests of ratecheck NAME started in [FROM_MS, TO_MS) (Unix ms)
# that answered (ok; with BODY: with that body, e.g. "green g1"), failed, or
# all of them.  done_failed: those that failed and had ended before TO_MS;
# inflight_failed: those that failed and were still running at TO_MS (a
# request in flight when a server is killed fails with it).
# A failed connection from a client port whose earlier connection had
# failed too is "pinned": it found the flow entry its predecessor left (the
# data plane keeps a flow whose SYN a backend answered with a reset, and
# Linux soon hands the port out again), not a new pick; "fresh" failures
# are the others.
rc_count() {
	python3 - "$WORK/$1.jsonl" "$2" "$3" "$4" "${5:-}" <<'PY'
import json, sys
path, lo, hi, what, body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
n, failed_ports = 0, set()
for line in open(path):
    r = json.loads(line)
    pinned = not r["ok"] and r.get("port") in failed_ports
    if not r["ok"] and r.get("port"):
        failed_ports.add(r["port"])
    if not lo <= r["t"] * 1000 < hi:
        continue
    if what == "all" or (what == "failed" and not r["ok"]) or \
       (what == "fresh" and not r["ok"] and not pinned) or (what == "pinned" and pinned) or \
       (what == "ok" and r["ok"] and (not body or r.get("name") == body)) or \
       (what == "done_failed" and not r["ok"] and r["t"] * 1000 + r["ms"] < hi) or \
       (what == "inflight_failed" and not r["ok"] and r["t"] * 1000 + r["ms"] >= hi):
        n += 1
print(n)
PY
}

# rc_last_failure NAME: Unix ms of the start of the last failed request, 0 if none.
rc_last_failure() {
	python3 - "$WORK/$1.jsonl" <<'PY'
import json, sys
last = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if not r["ok"]:
        last = max(last, int(r["t"] * 1000))
print(last)
PY
}

# history_ms WHAT [TEXT]: Unix ms of the last history entry WHAT (whose
# reason contains TEXT), 0 if none.
history_ms() {
	python3 - "$STATE_DIR/history.jsonl" "$1" "${2:-}" <<'PY'
import json, sys
last = 0
try:
    for line in open(sys.argv[1]):
        e = json.loads(line)
        if e["what"] == sys.argv[2] and sys.argv[3] in e.get("reason", ""):
            last = e["time_ns"] // 1000000
except FileNotFoundError:
    pass
print(last)
PY
}

# wait_history WHAT TEXT SECONDS: until the history has such an entry.
wait_history() {
	local deadline=$(($(now_ms) + $3 * 1000))
	while (($(now_ms) < deadline)); do
		(($(history_ms "$1" "$2") > 0)) && return 0
		sleep 0.05
	done
	fail "no history entry '$1' with '$2' within ${3}s"
}

# metric SAMPLE: the value of one sample of the agent's /metrics, given as
# written there (name{labels}), or "" when it is not there.
metric() { agent_metrics | awk -v s="$1" '$1 == s { print $2 }'; }

# ka_start NAME COLOR: one keep-alive connection to the VIP (a request every
# 50 ms) that must stay on its first backend, of COLOR; sets KA_BACKEND to
# that backend's name.  (Not in a $(...): its PID must reach PIDS.)
ka_start() {
	local name=$1 color=$2 i pid
	ip netns exec "$NS_C" python3 "$E2E_DIR/keepalive.py" --host "$VIP" --port 80 --interval 0.05 \
		--expect-color "$color" --ready "$WORK/$name.ready" --stop "$WORK/$name.stop" \
		--max-seconds 170 --tag "$TAG" >"$WORK/$name.json" 2>"$WORK/$name.log" &
	pid=$!
	PIDS+=("$pid")
	declare -g "KA_PID_$name=$pid"
	for ((i = 0; i < 100; i++)); do
		[[ -e $WORK/$name.ready ]] && break
		kill -0 "$pid" 2>/dev/null || break
		e2e_sleep 0.05
	done
	[[ -e $WORK/$name.ready ]] || fail "keep-alive client $name did not get its first answer"
	KA_BACKEND=$(sed -n "s/.*answered '$color \(.*\)'.*/\1/p" "$WORK/$name.ready")
}

# ka_check NAME: still running (no request failed so far).
ka_check() {
	local pidvar="KA_PID_$1"
	kill -0 "${!pidvar}" 2>/dev/null || fail "keep-alive client $1 ended: $(cat "$WORK/$1.json")"
}

# ka_stop NAME: stop it; every request must have been answered by one backend.
ka_stop() {
	local pidvar="KA_PID_$1" rc
	touch "$WORK/$1.stop"
	wait "${!pidvar}"
	rc=$?
	((rc == 0)) || fail "keep-alive client $1: $(cat "$WORK/$1.json")"
	log "keep-alive $1: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%d requests on one connection to %s, 0 failed" % (r["ok"], list(r["names"])[0]))' "$WORK/$1.json")"
}

# live_rings: a digest of the Maglev rings the data plane uses now for the
# first service (id 0), read with bpftool: equal digests, same rings.
live_rings() {
	local word w c buf idx out=""
	word=$(bpftool -j map lookup pinned "$PIN_DIR/svc_config" key 0 0 0 0 |
		python3 -c 'import json,sys; v=json.load(sys.stdin)["value"]; print(int.from_bytes(bytes(int(x,16) for x in v),"little"))') ||
		fail "cannot read svc_config"
	for c in 0 1; do
		buf=$(((word >> (16 + c)) & 1))
		idx=$(((c * 2) + buf))
		# the value only: the same ring may sit in the other buffer now
		out+=$(bpftool -j map lookup pinned "$PIN_DIR/maglev_rings" key "$idx" 0 0 0 |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])' | sha256sum)
	done
	sha256sum <<<"$out" | cut -c1-16
}

# rc_failures NAME FROM_MS TO_MS: the first three failed requests in the
# window, for a failure message.
rc_failures() {
	python3 - "$WORK/$1.jsonl" "$2" "$3" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if not r["ok"] and int(sys.argv[2]) <= r["t"] * 1000 < int(sys.argv[3]):
        out.append("%.3f port %s %s" % (r["t"], r.get("port"), r.get("err")))
print("; ".join(out[:3]))
PY
}

# instance_metric SAMPLE: one sample of `bgxdp metrics` (no agent needed).
instance_metric() { BGX_QUIET=1 bgx metrics | awk -v s="$1" '$1 == s { print $2 }'; }

# flows_created COLOR: new flows the data plane gave the color so far.
flows_created() { instance_metric "bgxdp_flows_created_total{service=\"$SERVICE\",color=\"$1\"}"; }

# green_share: the live green share, basis points.
green_share() { status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["services"][0]["green_share_bp"])'; }

# history_entry WHAT: the last history entry WHAT, as JSON ("" if none).
history_entry() {
	python3 - "$STATE_DIR/history.jsonl" "$1" <<'PY'
import json, sys
last = ""
for line in open(sys.argv[1]):
    if json.loads(line)["what"] == sys.argv[2]:
        last = line.strip()
print(last)
PY
}
