#!/usr/bin/env bash
# t_prometheus.sh 4|6 - a real Prometheus server (Debian's, on the lb
# namespace's loopback, temporary config and data dir) scrapes `bgxdp serve`
# every second during a flip.  Afterwards its HTTP API must show green
# packets only after `bgxdp set green`, and flows created per color equal to
# the requests the client made (tolerance 0: one request = one connection =
# one flow).
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "prometheus/ipv${1:-4}" "${1:-4}"
need prometheus

topo_up
lb_setup

serve_port=$((20000 + RANDOM % 10000))
prom_port=$((30000 + RANDOM % 10000))
nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" \
	"$BGXDP" serve --listen "127.0.0.1:$serve_port" >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: bgxdp
    static_configs:
      - targets: ['127.0.0.1:$serve_port']
YML
nsenter --net="/run/netns/$NS_LB" prometheus --config.file="$WORK/prometheus.yml" \
	--storage.tsdb.path="$WORK/prometheus-data" --web.listen-address="127.0.0.1:$prom_port" \
	>"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
api="http://127.0.0.1:$prom_port/api/v1"

# query EXPR [TIME]: the first value of an instant query, or "none".
query() {
	in_lb curl -s --max-time 3 "$api/query" --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} |
		python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "none")' 2>/dev/null || echo none
}

for ((i = 0; i < 60; i++)); do
	[[ $(query 'up{job="bgxdp"}') == 1 ]] && break
	sleep 0.5
done
[[ $(query 'up{job="bgxdp"}') == 1 ]] || fail "Prometheus never scraped bgxdp serve: $(tail -5 "$WORK/prometheus.log")"
log "Prometheus scrapes bgxdp serve every 1 s"

expect_color blue 20
sleep 2.5
flip_time=$(date +%s.%N)
bgx set green || fail "bgxdp set green"
sleep 1.5
expect_color green 30
sleep 3

sel="service=\"$SERVICE\""
before=$(query "bgxdp_packets_total{$sel,color=\"green\",direction=\"to_backend\"}" "$flip_time")
after=$(query "bgxdp_packets_total{$sel,color=\"green\",direction=\"to_backend\"}")
[[ $before == 0 ]] || fail "green packets at the flip time should be 0, Prometheus has $before"
[[ $after != none && $after != 0 ]] || fail "green packets did not rise after set green ($after)"
max_before=$(query "max_over_time(bgxdp_packets_total{$sel,color=\"green\",direction=\"to_backend\"}[1h])" "$flip_time")
[[ $max_before == 0 ]] || fail "green packets rose before set green (max $max_before)"
blue_flows=$(query "bgxdp_flows_created_total{$sel,color=\"blue\"}")
green_flows=$(query "bgxdp_flows_created_total{$sel,color=\"green\"}")
[[ $blue_flows == 20 && $green_flows == 30 ]] ||
	fail "client made 20 blue + 30 green requests; Prometheus counted flows blue=$blue_flows green=$green_flows"
share=$(query "bgxdp_traffic_share_ratio{$sel,color=\"green\"}")
[[ $share == 1 ]] || fail "traffic share of green in Prometheus is $share, want 1"
log "Prometheus: green packets 0 until the flip, $after after; flows blue=$blue_flows green=$green_flows (client: 20/30)"
log "PASS"
