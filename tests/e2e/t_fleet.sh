#!/usr/bin/env bash
# t_fleet.sh 4|6 - one desired state for every host, through etcd
# (tests/e2e/lib_fleet.sh: 3 hosts behind an ECMP router, a real etcd):
#
# 1. Every host's agent watches the fleet; `fleet apply` of the first
#    revision makes each one attach bgxdp to its own f0 and configure it;
#    the VIP answers through every host.
# 2. FLEET_CHANGES changes of the split, each `fleet apply --wait`: the time
#    from the write to "every host applied it" (p50, p99, max: printed);
#    new connections end on the color of the last one.
# 3. A host whose agent is down: `fleet status` names it (exit 1) and it
#    keeps serving its last state; a revision applied meanwhile reaches it
#    when its agent is back.
# 4. etcd stopped: every host keeps its state (traffic, instance), its
#    agent says so (bgxdp_fleet_etcd_up 0) and `fleet status` fails; an agent
#    stopped during the outage is named stale once etcd is back; then all
#    catch up.
set -uo pipefail
FLEET_HASH=client
# shellcheck source=tests/e2e/lib_fleet.sh
. "$(dirname "$0")/lib_fleet.sh"
fleet_begin "fleet/ipv${1:-4}" "${1:-4}"
FLEET_CHANGES=${FLEET_CHANGES:-50}

fleet_up
for n in $(fleet_hosts); do lb_agent_config "$n"; done
fleet_wait_up "$FLEET_HOSTS" 10

# ---- 1. the first revision creates every instance ----------------------------------
fleet_config "$WORK/desired.yaml" 0
fleet_ctl apply -f "$WORK/desired.yaml" --wait 20s || fail "first fleet apply"
for n in $(fleet_hosts); do
	# shellcheck disable=SC2034  # read by the cleanup
	FLEET_ATTACHED[$n]=1
	fleet_bgx "$n" status >/dev/null || fail "lb$n has no instance after the first revision"
done
fleet_ctl status >"$WORK/status.txt" || { cat "$WORK/status.txt"; fail "not in sync after revision 1"; }
fleet_expect_color blue 20
log "revision 1 attached bgxdp on all $FLEET_HOSTS hosts; 20/20 new connections answered blue"

# ---- 2. propagation -------------------------------------------------------------------
: >"$WORK/times"
for ((i = 1; i <= FLEET_CHANGES; i++)); do
	green=$(((i * 37) % 101))
	((i == FLEET_CHANGES)) && green=100
	fleet_config "$WORK/desired.yaml" "$green"
	res=$(fleet_ctl apply -f "$WORK/desired.yaml" --wait 10s -j) ||
		fail "change $i (green $green%): $res"
	jq -e '.stored and .wait.hosts_up == '"$FLEET_HOSTS" <<<"$res" >/dev/null ||
		fail "change $i: $res"
	jq -r '.wait.seconds' <<<"$res" >>"$WORK/times"
done
p50=$(percentile 50 "$WORK/times"); p99=$(percentile 99 "$WORK/times"); max=$(percentile 100 "$WORK/times")
log "fleet apply -> all $FLEET_HOSTS hosts in sync over $FLEET_CHANGES changes: p50 $(awk -v v="$p50" 'BEGIN { printf "%.1f", v * 1000 }') ms, p99 $(awk -v v="$p99" 'BEGIN { printf "%.1f", v * 1000 }') ms, max $(awk -v v="$max" 'BEGIN { printf "%.1f", v * 1000 }') ms"
fleet_expect_color green 20
for n in $(fleet_hosts); do
	[[ $(fleet_metric "$n" bgxdp_fleet_applied_revision) == $((FLEET_CHANGES + 1)) ]] ||
		fail "lb$n: bgxdp_fleet_applied_revision is not $((FLEET_CHANGES + 1))"
	[[ $(fleet_metric "$n" bgxdp_fleet_in_sync) == 1 ]] || fail "lb$n: bgxdp_fleet_in_sync is not 1"
done
fleet_promtool 1

# ---- 3. a host down catches up ---------------------------------------------------------
lb_agent_kill 3
fleet_config "$WORK/desired.yaml" 0
res=$(fleet_ctl apply -f "$WORK/desired.yaml" --wait 10s -j) || fail "apply with lb3 down: $res"
jq -e '.wait.hosts_up == 2 and .wait.hosts_down == 1' <<<"$res" >/dev/null || fail "with lb3 down: $res"
rev=$(jq -r .revision <<<"$res")
fleet_ctl status -j >"$WORK/status.json" && fail "fleet status exits 0 with lb3 down"
jq -e '.stale == ["lb'"3"'"] and (.hosts[] | select(.host == "lb3") | .up == false and .applied_revision == '"$((rev - 1))"')' \
	"$WORK/status.json" >/dev/null || fail "fleet status with lb3 down: $(cat "$WORK/status.json")"
BGX_QUIET=1 fleet_bgx 3 status -j | jq -e '.services[0].green_share_bp == 10000' >/dev/null ||
	fail "lb3 changed without its agent"
log "lb3's agent down: fleet status names it stale (exit 1), lb3 keeps its last state"
lb_agent_config 3
fleet_wait_in_sync 10
BGX_QUIET=1 fleet_bgx 3 status -j | jq -e '.services[0].green_share_bp == 0' >/dev/null ||
	fail "lb3 did not catch up with revision $rev"
fleet_expect_color blue 20
log "lb3's agent back: it applied revision $rev, the fleet is in sync"

# ---- 4. etcd stopped ---------------------------------------------------------------------
kill -TERM "$FLEET_ETCD_PID"
wait "$FLEET_ETCD_PID" 2>/dev/null
for n in $(fleet_hosts); do
	for ((i = 0; i < 50; i++)); do
		[[ $(fleet_metric "$n" bgxdp_fleet_etcd_up) == 0 ]] && break
		sleep 0.1
	done
	((i < 50)) || fail "lb$n's agent does not say etcd is unreachable"
	grep -q "etcd unreachable" "$WORK/agent-lb$n.log" || fail "lb$n's agent logs nothing of the outage"
done
fleet_ctl status >"$WORK/status.txt" 2>&1 && fail "fleet status exits 0 without etcd"
grep -q "no endpoint answered" "$WORK/status.txt" || fail "fleet status without etcd: $(cat "$WORK/status.txt")"
fleet_expect_color blue 20
log "etcd stopped: every agent says so (bgxdp_fleet_etcd_up 0), traffic keeps revision $rev"
lb_agent_kill 2
fleet_etcd_start
for ((i = 0; i < 300; i++)); do
	fleet_ctl status -j >"$WORK/status.json" 2>/dev/null
	jq -e '.stale == ["lb2"]' "$WORK/status.json" >/dev/null 2>&1 && break
	sleep 0.1
done
((i < 300)) || fail "etcd back: fleet status does not name lb2 alone: $(cat "$WORK/status.json")"
for n in 1 3; do
	[[ $(fleet_metric "$n" bgxdp_fleet_etcd_up) == 1 ]] || fail "lb$n's agent does not see etcd again"
done
log "etcd back: lb1 and lb3 in sync again, fleet status names lb2 (its agent stopped during the outage)"
lb_agent_config 2
fleet_wait_in_sync 10
fleet_expect_color blue 20
log "PASS"
