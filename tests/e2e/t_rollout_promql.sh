#!/usr/bin/env bash
# t_rollout_promql.sh 4|6 - a check only the application can answer, from a
# real Prometheus (Debian's, in the lb namespace) that scrapes the backends'
# own counter of answers (server.py's app_requests_total{code}).  Green's
# servers answer every request with HTTP 500: connections complete, so the
# L4 checks are clean, but the PromQL check on green's 500 rate fails and
# the rollout is aborted.  Refused before anything changes: a query the
# server cannot parse, and a Prometheus URL that is not http(s).
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "rollout_promql/ipv${1:-4}" "${1:-4}"
need prometheus

topo_up
for b in g1 g2; do
	backend_kill "$b"
	backend_start "$b" --fail-file "$WORK/green.fail"
done
lb_setup
prom_port=$((30000 + RANDOM % 10000))
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: green
    static_configs:
      - targets: ['$(backend_hp g1)', '$(backend_hp g2)']
YML
nsenter --net="/run/netns/$NS_LB" prometheus --config.file="$WORK/prometheus.yml" \
	--storage.tsdb.path="$WORK/prometheus-data" --web.listen-address="127.0.0.1:$prom_port" \
	>"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
PROM=http://127.0.0.1:$prom_port
for ((i = 0; i < 60; i++)); do
	n=$(in_lb curl -s --max-time 2 "$PROM/api/v1/query" --data-urlencode 'query=sum(up{job="green"})' |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' 2>/dev/null)
	[[ $n == 2 ]] && break
	sleep 0.5
done
[[ $n == 2 ]] || fail "Prometheus does not scrape both green servers: $(tail -5 "$WORK/prometheus.log")"
log "Prometheus scrapes green's servers every 1 s"
bgx health "$SERVICE" --interval 500ms --timeout 200ms || fail "bgxdp health"
agent_start
QUERY='sum(rate(app_requests_total{job="green",code="500"}[5s])) or vector(0)'

# bad input: refused, nothing changed
out=$(BGX_QUIET=1 bgx rollout start green --steps 10,100 --interval 2s --prometheus "$PROM" \
	--query 'sum(rate(' --max 1 2>&1)
rc=$?
((rc == 2)) && [[ $out == *"parse error"* ]] || fail "a query that does not parse: exit $rc, '$out'"
out=$(BGX_QUIET=1 bgx rollout start green --steps 10,100 --interval 2s --prometheus ftp://x \
	--query 'up' --max 1 2>&1)
rc=$?
((rc == 2)) && [[ $out == *"only http:// or https://"* ]] || fail "an ftp:// URL: exit $rc, '$out'"
[[ $(green_share) == 0 && ! -e $STATE_DIR/rollout-$SERVICE.json ]] || fail "a refused start changed something"
log "refused: a query Prometheus cannot parse (exit 2), an ftp:// URL (exit 2); nothing changed"

touch "$WORK/green.fail"
ratecheck_start load 100
e2e_sleep 1
bgx rollout start green --steps 10,50,100 --interval 4s --min-samples 10 --prometheus "$PROM" \
	--query "$QUERY" --max 0.5 --wait
rc=$?
ratecheck_stop load
((rc == 1)) || fail "rollout start --wait exited $rc for a green that answers 500, want 1"
[[ $(green_share) == 0 ]] || fail "green share $(green_share) bp after the abort, want 0"
abort=$(history_entry rollout.abort)
python3 - <<PY || fail "the abort is not the PromQL check's: $abort"
import json
e = json.loads('''$abort''')
checks = {c["check"]: c for c in e["detail"]["checks"]}
q = checks["promql:query1"]
assert q["verdict"] == "fail" and q["value"] > 0.5, q
assert checks["failure_ratio"]["verdict"] == "pass", checks["failure_ratio"]
print("abort: promql:query1 = %.2f > max 0.5 while failure_ratio = %g passed" % (q["value"], checks["failure_ratio"]["value"]))
PY
log "PASS"
