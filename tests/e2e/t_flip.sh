#!/usr/bin/env bash
# t_flip.sh 4|6 - requests to the VIP answer blue; after `bgxdp set green`,
# new requests answer green.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "flip/ipv${1:-4}" "${1:-4}"

topo_up
lb_setup
expect_color blue 5
bgx set green || fail "bgxdp set green"
expect_color green 5
bgx status || fail "bgxdp status"
# status --json: what scripts read - shares, backends, live flows per color.
BGX_QUIET=1 bgx status --json >"$WORK/status.json" || fail "bgxdp status --json"
python3 - "$WORK/status.json" "$SERVICE" <<'PY' || fail "bgxdp status --json does not show the flip: $(cat "$WORK/status.json")"
import json, sys
status = json.load(open(sys.argv[1]))
web = next(s for s in status["services"] if s["name"] == sys.argv[2])
assert web["share"] == {"blue": 0.0, "green": 100.0}, web["share"]
assert len(web["backends"]["blue"]) == 2 and len(web["backends"]["green"]) == 2, web["backends"]
assert all(b["state"] == "up" for c in ("blue", "green") for b in web["backends"][c]), web["backends"]
# 5 requests per color, one connection each; all still live (TCP closing lasts 10 s).
assert web["flows"] == {"blue": 5, "green": 5}, web["flows"]
assert len(status["interfaces"]) == 1, status["interfaces"]
PY
log "status --json: share green 100, 2+2 backends up, live flows blue 5 green 5"

# service del takes the service's flow entries with it: a later service in
# the same slot must not inherit them.
flow_entries() { bpftool -j map dump pinned "$PIN_DIR/flows" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
n=$(flow_entries)
((n == 10)) || fail "flow table holds $n entries before service del, want 10"
BGX_QUIET=1 bgx service del "$SERVICE" >/dev/null || fail "bgxdp service del"
n=$(flow_entries)
((n == 0)) || fail "flow table holds $n entries after service del, want 0"
curl_vip >/dev/null 2>&1 && fail "the VIP still answers after service del"
log "service del: 10 flow entries -> 0, the VIP no longer answers"
log "PASS"
