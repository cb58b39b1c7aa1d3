#!/usr/bin/env bash
# tests/cli/json.sh - every command in JSON mode (-j/--json), read by jq.
#
# For each command that prints: with -j its stdout is exactly one JSON value
# that jq parses, holds the keys the command's help names, and says what
# the text form says; with -j -p the same value, indented.  For each kind of
# failure: the exit status is the one the text mode gives (1 refused, 2 bad
# usage), stdout is empty and stderr is one JSON object {"error", "command",
# "exit"}.
set -uo pipefail
# shellcheck disable=SC2034  # read by lib.sh
CLI_NAME=json
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

need jq
cli_begin

# ok NAME JQ-FILTER ARGS...: bgxdp -j ARGS exits 0 and jq -e FILTER holds on stdout.
ok() {
	local name=$1 filter=$2 rc
	shift 2
	bgx -j "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	if ((rc != 0)); then
		failc "$name: exit $rc: $(head -c 300 "$WORK/err")"
		return
	fi
	if [[ $(jq -s length <"$WORK/out" 2>/dev/null) != 1 ]]; then
		failc "$name: stdout is not one JSON value: $(head -c 300 "$WORK/out")"
		return
	fi
	if ! jq -e "$filter" <"$WORK/out" >/dev/null; then
		failc "$name: jq -e '$filter' fails on $(head -c 400 "$WORK/out")"
		return
	fi
	pass "$name: $(head -c 120 "$WORK/out")"
}

# refused NAME EXIT ARGS...: bgxdp -j ARGS exits EXIT with a JSON error.
refused() {
	local name=$1 want=$2 rc
	shift 2
	bgx -j "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	if ((rc != want)) || [[ -s $WORK/out ]] || [[ $(wc -l <"$WORK/err") != 1 ]] ||
		! jq -e --argjson x "$want" '(.error | type == "string" and length > 0) and
			(.command | type == "string" or . == null) and .exit == $x' <"$WORK/err" >/dev/null; then
		failc "$name: exit $rc (want $want), stdout '$(head -c 100 "$WORK/out")', stderr '$(head -c 300 "$WORK/err")'"
		return
	fi
	pass "$name: exit $rc, $(cat "$WORK/err")"
}

ok "attach" '.interface == "d0" and .created == true and .ifindex > 0 and .upgrade == null' \
	attach "$IFACE" --mode generic --flows 1024
ok "service add" '.service == "web" and .vip == "10.0.0.1:80" and .proto == "tcp" and .preview == null' \
	service add web --vip 10.0.0.1:80
ok "service add (preview)" '.preview == "[fd00::2]:80" and .affinity == "client"' \
	service add web6 --vip '[fd00::1]:80' --preview '[fd00::2]:80' --affinity client
ok "backend add" '.action == "add" and .changed and .state == "up" and .in_ring == 1 and .color == "blue"' \
	backend add web blue 10.1.0.1:8080
ok "backend add green" '.in_ring == 1 and .color == "green"' backend add web green 10.2.0.1:8080
ok "backend add --weight" '.in_ring == 2' backend add web blue 10.1.0.2:8080 --weight 3
ok "backend add (IPv6)" '.backend == "[fd00::9]:80"' backend add web6 blue '[fd00::9]:80'
ok "backend add (IPv6, green)" '.in_ring == 1' backend add web6 green '[fd00::a]:80'
ok "set (IPv6)" '.share.green == 100' set green --service web6
ok "weight" '.share.green == 12.5 and .green_share_bp == 1250 and .rollback == false and .generation > 0' \
	weight green 12.5 --service web
ok "set" '.share.green == 100 and .share.blue == 0' set green --service web
ok "rollback" '.rollback == true and .green_share_bp == 1250' rollback --service web
ok "backend drain" '.action == "drain" and .state == "drain" and .in_ring == 1' \
	backend drain web blue 10.1.0.1:8080 --json
ok "backend drain again" '.changed == false' backend drain web blue 10.1.0.1:8080
ok "backend up" '.state == "up" and .changed and .in_ring == 2' backend up web blue 10.1.0.1:8080
ok "status" '.services | length == 2' status
ok "status --service" '.services[0].name == "web" and .services[0].green_share_bp == 1250 and
	(.services[0].backends.blue | length) == 2 and .services[0].flows.blue == 0' status --service web
ok "stats" '.services[0].colors.green.share_percent == 12.5 and (.passed | has("not_vip"))' \
	stats --interval 0
ok "metrics" '[.metrics[] | select(.name == "bgxdp_traffic_share_ratio" and .labels.service == "web"
	and .labels.color == "green")][0].value == 0.125' metrics
ok "upgrade --check" '.check == true and .layout_matches == true' upgrade --check
ok "upgrade" '.xdp.new > 0 and (.interfaces | length) == 1' upgrade
ok "backend del" '.action == "del" and .state == "deleted"' backend del web6 blue '[fd00::9]:80'
ok "service del" '.service == "web6" and .deleted' service del web6

# --pretty: the same value, indented
bgx -j status >"$WORK/compact" && bgx -j -p status >"$WORK/pretty"
if [[ $(wc -l <"$WORK/pretty") -gt 5 ]] && cmp -s <(jq -S . "$WORK/compact") <(jq -S . "$WORK/pretty"); then
	pass "status -j -p: the same value as -j, on $(wc -l <"$WORK/pretty") lines"
else
	failc "status -j -p differs from -j or is not indented"
fi

ok "health" '.service == "web" and .settings.kind == "http" and .settings.path == "/healthz" and
	.settings.interval_ms == 2000 and .agent_pid == null' health web --http /healthz --interval 2s
ok "history" '(.entries | length) > 0 and ([.entries[] | select(.what == "health" and .actor == "cli")] | length) == 1 and
	(.entries[0] | has("time") and has("uid") and has("command"))' history --service web
ok "status (health)" '.services[0].health_checks.kind == "http" and .agent.pid == null and
	(.services[0].backends.blue[0] | has("admin") and has("health") and has("in_ring") and has("open_flows"))' \
	status --service web
ok "rollout status (none)" '.rollouts == []' rollout status
ok "wait drained" '.drained == true and .open_flows == 0 and (.waited_for | startswith("web blue"))' \
	wait drained blue --service web --timeout 1s
refused "usage: bad steps" 2 rollout start green --service web --steps 50,10,100 --interval 2s
refused "refused: no agent" 1 rollout start green --service web --steps 10,100 --interval 2s
refused "usage: bad duration" 2 health web --interval 1d
refused "usage: bad color" 2 set purple --service web
refused "usage: unknown option" 2 status --nope
refused "usage: unknown command" 2 nosuch
refused "refused: no service" 1 set green --service nosuch
refused "refused: last up backend" 1 backend del web green 10.2.0.1:8080
refused "refused: no such backend" 1 backend del web blue '10.1.0.9:80'

ok "detach" '.interface == "d0" and .remaining == 0 and .instance_removed' detach "$IFACE"
refused "refused: no instance" 1 status
cli_summary
