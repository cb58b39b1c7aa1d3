#!/usr/bin/env bash
# t_metrics.sh 4|6 - `bgxdp metrics` passes promtool and counts exactly what
# the client did; `bgxdp serve` answers /metrics, 404, 405, many concurrent
# scrapes, and stops cleanly on SIGTERM.  Green counters rise only after
# `bgxdp set green`.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "metrics/ipv${1:-4}" "${1:-4}"
need promtool

# metric NAME LABELS: the value of one sample of `bgxdp metrics`.
metric() {
	BGX_QUIET=1 bgx metrics | awk -v k="$1{$2}" '$1 == k { print $2 }'
}

topo_up
lb_setup
BGX_QUIET=1 bgx metrics >"$WORK/before.prom" || fail "bgxdp metrics"
promtool check metrics <"$WORK/before.prom" || fail "promtool check metrics rejects the exposition"
log "promtool check metrics: clean"

sel="service=\"$SERVICE\""
[[ $(metric bgxdp_packets_total "$sel,color=\"green\",direction=\"to_backend\"") == 0 ]] ||
	fail "green packets counted before any green traffic"
expect_color blue 10
blue_flows=$(metric bgxdp_flows_created_total "$sel,color=\"blue\"")
[[ $blue_flows == 10 ]] || fail "10 requests, but bgxdp_flows_created_total{blue} = $blue_flows"
[[ $(metric bgxdp_packets_total "$sel,color=\"green\",direction=\"to_backend\"") == 0 ]] ||
	fail "green packets counted while all traffic was blue"
replies=$(metric bgxdp_packets_total "$sel,color=\"blue\",direction=\"to_client\"")
((replies >= 30)) || fail "10 HTTP exchanges but only $replies reply packets counted"
log "10 requests: flows_created{blue}=10, reply packets{blue}=$replies, green 0"

bgx set green || fail "bgxdp set green"
expect_color green 7
green_flows=$(metric bgxdp_flows_created_total "$sel,color=\"green\"")
[[ $green_flows == 7 ]] || fail "7 requests after set green, but flows_created{green} = $green_flows"
[[ $(metric bgxdp_traffic_share_ratio "$sel,color=\"green\"") == 1 ]] || fail "green share is not 1 after set green"
[[ $(metric bgxdp_config_changes_total "$sel") -ge 2 ]] || fail "config changes not counted"
log "after set green: flows_created{green}=7, share{green}=1"

# stats: same counters, as JSON for scripts and as a table for people.
BGX_QUIET=1 bgx stats --json --interval 200 >"$WORK/stats.json" || fail "bgxdp stats --json"
python3 - "$WORK/stats.json" "$SERVICE" <<'PY' || fail "bgxdp stats --json disagrees with what the client did"
import json, sys
stats = json.load(open(sys.argv[1]))
web = next(s for s in stats["services"] if s["name"] == sys.argv[2])
assert web["colors"]["blue"]["flows_created"] == 10, web
assert web["colors"]["green"]["flows_created"] == 7, web
assert web["colors"]["green"]["share_percent"] == 100.0, web
assert stats["interval_seconds"] > 0.1, stats
PY
BGX_QUIET=1 bgx stats --interval 0 | grep -Eq "^$SERVICE +green +100\.00 " || fail "bgxdp stats table lacks the green row"
log "stats: JSON and table agree (blue 10 flows, green 7 flows)"
# --watch redraws in place until stopped: 3.5 s at 1 s gives at least 2 frames.
timeout -s INT 3.5 nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" \
	"$BGXDP" stats --watch 1 >"$WORK/watch.out"
frames=$(grep -c $'\e\[H\e\[2J' "$WORK/watch.out")
((frames >= 2)) || fail "bgxdp stats --watch 1 drew $frames frames in 3.5 s"
log "stats --watch 1: $frames frames redrawn in place, stopped by SIGINT"

# serve, inside the lb namespace, on its loopback.
port=$((20000 + RANDOM % 20000))
nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" \
	"$BGXDP" serve --listen "127.0.0.1:$port" >"$WORK/serve.log" 2>&1 &
serve_pid=$!
PIDS+=("$serve_pid")
url="http://127.0.0.1:$port"
for ((i = 0; i < 50; i++)); do
	in_lb curl -s -o /dev/null "$url/" && break
	sleep 0.1
done
code() { in_lb curl -s -o /dev/null -w '%{http_code}' "$@"; }
[[ $(code "$url/metrics") == 200 ]] || fail "GET /metrics did not answer 200"
[[ $(code "$url/") == 200 ]] || fail "GET / did not answer 200"
[[ $(code "$url/nope") == 404 ]] || fail "GET /nope did not answer 404"
[[ $(code -X POST "$url/metrics") == 405 ]] || fail "POST /metrics did not answer 405"
in_lb curl -s -D "$WORK/headers" "$url/metrics" -o "$WORK/served.prom"
grep -qi '^content-type: text/plain; version=0.0.4' "$WORK/headers" || fail "wrong Content-Type"
promtool check metrics <"$WORK/served.prom" || fail "promtool rejects what serve returns"
grep -q "^bgxdp_flows_created_total{$sel,color=\"green\"} 7$" "$WORK/served.prom" ||
	fail "serve and metrics disagree"

# 20 concurrent scrapers for 10 s (at most 400 scrapes each): every scrape
# answered, and serve's memory flat (RSS after the run within 2 MiB of the
# RSS after a warm-up).
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$serve_pid/status"; }
for ((i = 0; i < 20; i++)); do code "$url/metrics" >/dev/null; done
rss_before=$(rss_kib)
scrapers=()
for ((s = 0; s < 20; s++)); do
	(
		ok=0 total=0 end=$((SECONDS + 10))
		while ((SECONDS < end && total < 400)); do
			((total++))
			[[ $(code --max-time 5 "$url/metrics") == 200 ]] && ((ok++))
		done
		echo "$ok $total" >"$WORK/scraper.$s"
	) &
	scrapers+=($!)
	PIDS+=($!)
done
for p in "${scrapers[@]}"; do wait "$p"; done
answered=0 scrapes=0
for ((s = 0; s < 20; s++)); do
	read -r ok total <"$WORK/scraper.$s" || fail "scraper $s reported nothing"
	answered=$((answered + ok)) scrapes=$((scrapes + total))
done
rss_after=$(rss_kib)
((scrapes > 0 && answered == scrapes)) || fail "concurrent scrapes: $answered of $scrapes answered 200"
((rss_after - rss_before < 2048)) || fail "serve memory grew from $rss_before KiB to $rss_after KiB over $scrapes scrapes"
log "20 scrapers x 10 s: $answered/$scrapes scrapes answered 200; serve RSS $rss_before -> $rss_after KiB"
log "serve: 200 for / and /metrics, 404 elsewhere, 405 for POST"

# SIGTERM stops it cleanly; traffic does not care.
kill -TERM "$serve_pid"
for ((i = 0; i < 50; i++)); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$serve_pid" 2>/dev/null && fail "serve still running 5 s after SIGTERM"
wait "$serve_pid"
rc=$?
[[ $rc == 0 ]] || fail "serve exited $rc on SIGTERM: $(cat "$WORK/serve.log")"
expect_color green 3
# A serve killed with SIGKILL mid-scrape leaves the data plane as it was.
nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" \
	"$BGXDP" serve --listen "127.0.0.1:$port" >"$WORK/serve2.log" 2>&1 &
serve_pid=$!
PIDS+=("$serve_pid")
for ((i = 0; i < 50; i++)); do in_lb curl -s -o /dev/null "$url/" && break; sleep 0.1; done
in_lb curl -s -o /dev/null --max-time 2 "$url/metrics" &
kill -KILL "$serve_pid"
wait "$serve_pid" 2>/dev/null
expect_color green 3

# The agent's /metrics: the instance's exposition and the agent's families
# (health checks, rollouts: a verified flip makes one), promtool clean; every
# metric the Grafana dashboard queries is in it.
bgx health "$SERVICE" --interval 500ms --timeout 200ms >/dev/null || fail "bgxdp health"
agent_start
bgx set blue --verify 1s --min-samples 3 >/dev/null || fail "set blue --verify 1s"
expect_color blue 5
BGX_QUIET=1 bgx rollout status --watch --timeout 10s >/dev/null || fail "the verified flip did not succeed"
agent_metrics >"$WORK/agent.prom" || fail "the agent's /metrics"
promtool check metrics <"$WORK/agent.prom" || fail "promtool check metrics rejects the agent's exposition"
dashboard="$E2E_DIR/../../contrib/grafana/bgxdp.json"
for name in $(grep -o 'bgxdp_[a-z_]*' "$dashboard" | sort -u); do
	grep -q "^# TYPE $name " "$WORK/agent.prom" || fail "dashboard queries $name, which the agent does not export"
done
log "the agent's /metrics: promtool clean; every metric of contrib/grafana/bgxdp.json is exported"
log "PASS"
