#!/usr/bin/env bash
# t_upgrade.sh 4|6 - `bgxdp upgrade` and `bgxdp attach IFACE --replace` swap
# in new programs under load without a gap:
#  - the load client (a new connection per request) and four keep-alive
#    connections run through 10 upgrades: 0 failed requests, 0 resets, and
#    every keep-alive connection is answered by one backend throughout;
#  - each upgrade changes the program ids on the XDP link, in the tc filter
#    and in the pins; the new programs use the very same maps; the config
#    (status --json) and the counters carry on;
#  - on a scratch instance whose pinned maps were doctored (value size,
#    type, size, a missing map, an extra map), the upgrade is refused with one
#    line naming the map and the difference, and nothing changes; an
#    upgrade that fails after swapping puts the old programs back;
#  - attach --fast-path writes the settings flag and the tx_ports devmap,
#    and refuses an unknown device before creating anything.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_reliability.sh
. "$(dirname "$0")/lib_reliability.sh"
e2e_begin "upgrade/ipv${1:-4}" "${1:-4}"
need bpftool

UPGRADES=${E2E_UPGRADES:-10}
KEEPALIVES=4
SCRATCH=$PIN_DIR-layout        # the doctored instance (see the end)
SCRATCH_IF=u0
scratch_cleanup() {
	[[ $SCRATCH == /sys/fs/bpf/bgxdp-e2e-*-layout && -e $SCRATCH ]] && rm -rf -- "$SCRATCH"
	return 0
}
trap 'rc=$?; scratch_cleanup; (exit $rc); e2e_cleanup' EXIT

topo_up
lb_setup
loadclient_build
bgx weight green 50 || fail "bgxdp weight green 50"

# keep-alive connections first, so they live through every upgrade
for ((k = 0; k < KEEPALIVES; k++)); do
	ip netns exec "$NS_C" python3 "$E2E_DIR/keepalive.py" --host "$VIP" --port 80 --interval 0.05 \
		--ready "$WORK/ka$k.ready" --stop "$WORK/ka.stop" --max-seconds 80 --tag "$TAG" \
		>"$WORK/ka$k.json" 2>"$WORK/keepalive$k.log" &
	ka[k]=$!; PIDS+=("${ka[k]}")
done
for ((k = 0; k < KEEPALIVES; k++)); do
	for ((i = 0; i < 100; i++)); do
		[[ -e $WORK/ka$k.ready ]] && break
		e2e_sleep 0.05
	done
	[[ -e $WORK/ka$k.ready ]] || fail "keep-alive client $k got no first answer"
	log "keep-alive $k: $(cat "$WORK/ka$k.ready")"
done

ip netns exec "$NS_C" "$LOADCLIENT" "$VIP_HP" -n 10000000 -d 120 -c 4 -t 3000 --tag "$TAG" \
	>"$WORK/load.json" 2>"$WORK/load.log" &
lc=$!; PIDS+=("$lc")
e2e_sleep 0.5
kill -0 "$lc" 2>/dev/null || fail "loadclient stopped early"

BGX_QUIET=1 bgx status --json >"$WORK/status-before.json" || fail "status --json"
flows_before=$(BGX_QUIET=1 bgx metrics | awk '/^bgxdp_flows_created_total/ { n += $2 } END { print n + 0 }')
maps_before=$(prog_map_ids "$(link_prog_id "$PIN_DIR" "$LB_IF")")
[[ -n $maps_before ]] || fail "cannot read the map ids of the XDP program"

for ((i = 1; i <= UPGRADES; i++)); do
	old_link=$(link_prog_id "$PIN_DIR" "$LB_IF") old_tc=$(tc_prog_id "$LB_IF")
	old_pin=$(pin_prog_id "$PIN_DIR" prog_xdp_ingress)
	# odd: bgxdp upgrade; even: bgxdp attach IFACE --replace (same swap)
	if ((i % 2)); then how=(upgrade); else how=(attach "$LB_IF" --replace); fi
	BGX_QUIET=1 bgx "${how[@]}" >"$WORK/upgrade.out" 2>"$WORK/upgrade.err" ||
		fail "upgrade $i (bgxdp ${how[*]}): $(cat "$WORK/upgrade.err")"
	new_link=$(link_prog_id "$PIN_DIR" "$LB_IF") new_tc=$(tc_prog_id "$LB_IF")
	new_pin=$(pin_prog_id "$PIN_DIR" prog_xdp_ingress)
	[[ -n $new_link && -n $new_tc && -n $old_tc ]] || fail "upgrade $i: cannot read program ids"
	[[ $new_link != "$old_link" && $new_tc != "$old_tc" && $new_pin != "$old_pin" ]] ||
		fail "upgrade $i: program ids did not change (xdp $old_link -> $new_link, tc $old_tc -> $new_tc, pin $old_pin -> $new_pin)"
	[[ $new_link == "$new_pin" ]] || fail "upgrade $i: link runs $new_link but the pin holds $new_pin"
	grep -q "xdp program $old_link -> $new_link, tc program $old_tc -> $new_tc" "$WORK/upgrade.out" ||
		fail "upgrade $i: output does not name the replaced programs: $(cat "$WORK/upgrade.out")"
	[[ $(prog_map_ids "$new_link") == "$maps_before" ]] ||
		fail "upgrade $i: the new XDP program uses other maps ($(prog_map_ids "$new_link"), before: $maps_before)"
	kill -0 "$lc" 2>/dev/null || fail "loadclient ended during upgrade $i"
	for ((k = 0; k < KEEPALIVES; k++)); do
		kill -0 "${ka[k]}" 2>/dev/null || fail "keep-alive $k ended during upgrade $i: $(cat "$WORK/ka$k.json")"
	done
	((i == 1)) && log "upgrade 1: $(head -n 1 "$WORK/upgrade.out")"
	e2e_sleep 0.2
done
log "$UPGRADES upgrades (bgxdp upgrade and attach --replace in turn): program ids changed every time, maps kept"
e2e_sleep 0.5

kill -TERM "$lc"
wait "$lc" || fail "loadclient exited with $?"
out=$(cat "$WORK/load.json")
log "loadclient: $out"
touch "$WORK/ka.stop"
for ((k = 0; k < KEEPALIVES; k++)); do
	wait "${ka[k]}"; rc=$?
	kout=$(cat "$WORK/ka$k.json")
	((rc == 0)) || fail "keep-alive $k broke or changed backend: $kout"
	log "keep-alive $k: $(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print("%d answers on one connection, all from %s" % (r["ok"], ", ".join(r["names"])))' "$kout")"
done
ok=$(json_num "$out" ok); failed=$(json_num "$out" failed); resets=$(json_num "$out" resets)
((ok > 0)) || fail "no successful request"
((failed == 0)) || fail "$failed failed requests (see load.log)"
((resets == 0)) || fail "$resets connection resets"
log "$ok requests, 0 failed, 0 resets through $UPGRADES upgrades; $KEEPALIVES keep-alive connections kept their backend"

BGX_QUIET=1 bgx status --json >"$WORK/status-after.json" || fail "status --json"
[[ $(status_config "$WORK/status-before.json") == "$(status_config "$WORK/status-after.json")" ]] ||
	fail "config changed across upgrades: $(status_config "$WORK/status-before.json") vs $(status_config "$WORK/status-after.json")"
flows_after=$(BGX_QUIET=1 bgx metrics | awk '/^bgxdp_flows_created_total/ { n += $2 } END { print n + 0 }')
((flows_after > flows_before)) || fail "flows_created_total went from $flows_before to $flows_after: counters were reset"
check_whole "$PIN_DIR" || fail "state after the upgrades"
log "config unchanged by the upgrades; flows_created_total $flows_before -> $flows_after (counters kept)"

# ---- layout changes are refused, on a scratch instance -----------------
scr() { timeout 20 nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$SCRATCH" "$BGXDP" "$@"; }
ip -n "$NS_LB" link add "$SCRATCH_IF" type veth peer name u1 || fail "scratch veth"
ip -n "$NS_LB" link set "$SCRATCH_IF" up
ip -n "$NS_LB" link set u1 up
# --fast-path: an unknown device is refused before anything is created; a
# known one lands in tx_ports (key = value = ifindex) with the settings flag.
scr attach "$SCRATCH_IF" --mode generic --fast-path u1,nope0 >/dev/null 2>"$WORK/fp.err" &&
	fail "attach --fast-path accepted an unknown device"
[[ $(cat "$WORK/fp.err") == "bgxdp: attach: --fast-path: no interface named 'nope0'" ]] ||
	fail "attach --fast-path u1,nope0: unexpected error '$(cat "$WORK/fp.err")'"
[[ -e $SCRATCH ]] && fail "a refused attach --fast-path left $SCRATCH behind"
scr attach "$SCRATCH_IF" --mode generic --flows 4096 --fast-path u1 >/dev/null || fail "scratch attach --fast-path u1"
u1_index=$(ip -n "$NS_LB" -o link show u1 | cut -d: -f1)
python3 - "$SCRATCH" "$u1_index" <<'PY' || fail "attach --fast-path u1 did not write the settings and tx_ports maps"
import json, subprocess, sys
pin, ifindex = sys.argv[1], int(sys.argv[2])
def dump(m):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", f"{pin}/{m}"],
                         check=True, capture_output=True, text=True).stdout
    return [(int.from_bytes(bytes(int(x, 16) for x in e["key"]), "little"),
             int.from_bytes(bytes(int(x, 16) for x in e["value"][:4]), "little")) for e in json.loads(out)]
assert dump("settings") == [(0, 1)], dump("settings")        # SETTINGS_FAST_PATH
assert dump("tx_ports") == [(ifindex, ifindex)], dump("tx_ports")
PY
log "attach --fast-path: unknown device refused with nothing created; u1 (ifindex $u1_index) in tx_ports, fast-path flag set"
scr service add scratch --vip 10.204.0.1:80 >/dev/null || fail "scratch service add"
scr upgrade --check >/dev/null || fail "upgrade --check refuses an instance with a 4096-entry flow table"

# What a refused upgrade must leave alone: the programs on the link, in the
# pins and in the tc filter, and which map each map pin holds.
snapshot() {
	local m
	echo "link $(link_prog_id "$SCRATCH" "$SCRATCH_IF") pins $(pin_prog_id "$SCRATCH" prog_xdp_ingress)" \
		"$(pin_prog_id "$SCRATCH" prog_tc_egress) tc $(tc_prog_id "$SCRATCH_IF")"
	for m in services svc_config backends maglev_rings flows backend_services settings tx_ports \
		color_counters backend_counters passed_counters svc_meta; do
		echo "$m $(pin_map_id "$SCRATCH" "$m")"
	done
}
# refused DOCTOR UNDO MESSAGE: after DOCTOR, `upgrade` and `attach --replace`
# both fail with exactly MESSAGE and change nothing; UNDO restores the pins.
refused() {
	local doctor=$1 undo=$2 want=$3 before after err cmd
	before=$(snapshot)
	[[ $before =~ ^link\ [0-9]+\ pins\ [0-9]+\ [0-9]+\ tc\ [0-9]+ && $before != *" "$'\n'* ]] ||
		fail "cannot read the scratch instance's ids: $before"
	eval "$doctor" || fail "cannot doctor the scratch instance: $doctor"
	for cmd in "upgrade" "attach $SCRATCH_IF --replace"; do
		# shellcheck disable=SC2086
		scr $cmd >/dev/null 2>"$WORK/refused.err" && fail "'$cmd' accepted a changed map layout ($doctor)"
		err=$(cat "$WORK/refused.err")
		[[ $err == "bgxdp: ${cmd%% *}: $want" ]] || fail "'$cmd': want one line 'bgxdp: ${cmd%% *}: $want', got '$err'"
	done
	eval "$undo" || fail "cannot restore the scratch instance: $undo"
	after=$(snapshot)
	[[ $before == "$after" ]] || fail "a refused upgrade changed something: $before / $after"
	log "refused: $err"
}
hint="detach and attach again to start a new instance"
scr status --json >"$WORK/scratch-before.json" || fail "scratch status --json"
# The original map is moved aside (not removed: a map no program uses would
# be freed) and a same-named map of another layout pinned in its place.
swap_in() { echo "mv $SCRATCH/$1 $SCRATCH/$1_orig && bpftool map create $SCRATCH/$1 $2 name $1"; }
swap_out() { echo "rm $SCRATCH/$1 && mv $SCRATCH/$1_orig $SCRATCH/$1"; }
refused "$(swap_in flows 'type lru_hash key 40 value 40 entries 4096')" "$(swap_out flows)" \
	"map 'flows' value size is 40 in the pinned instance, 32 in this build: $hint"
refused "$(swap_in settings 'type hash key 4 value 8 entries 1')" "$(swap_out settings)" \
	"map 'settings' type is hash in the pinned instance, array in this build: $hint"
refused "$(swap_in services 'type hash key 20 value 8 entries 64')" "$(swap_out services)" \
	"map 'services' max_entries is 64 in the pinned instance, 32 in this build: $hint"
refused "mv $SCRATCH/settings $SCRATCH/settings_old" "mv $SCRATCH/settings_old $SCRATCH/settings" \
	"map 'settings' is in this build but not in the pinned instance $SCRATCH: $hint"
refused "bpftool map create $SCRATCH/legacy type array key 4 value 8 entries 4 name legacy" \
	"rm $SCRATCH/legacy" \
	"map 'legacy' is pinned in the instance $SCRATCH but this build has no such map: $hint"
# A failure after the programs were swapped in (here: the new program
# cannot be pinned, a directory is in the way) puts every interface back.
before=$(snapshot)
mkdir "$SCRATCH/prog_xdp_ingress_new" || fail "mkdir in the scratch pin dir"
scr upgrade >/dev/null 2>"$WORK/rollback.err" && fail "upgrade succeeded although it cannot pin the new program"
[[ $(wc -l <"$WORK/rollback.err") == 1 && $(cat "$WORK/rollback.err") == "bgxdp: upgrade: cannot pin $SCRATCH/prog_xdp_ingress_new: "* ]] ||
	fail "upgrade that cannot pin: unexpected error '$(cat "$WORK/rollback.err")'"
rmdir "$SCRATCH/prog_xdp_ingress_new"
[[ $(snapshot) == "$before" ]] || fail "a failed upgrade left the interface on other programs: $before / $(snapshot)"
log "an upgrade failing after the swap rolled back: $(cat "$WORK/rollback.err")"
scr status --json >"$WORK/scratch-after.json" || fail "scratch status --json"
[[ $(status_config "$WORK/scratch-before.json") == "$(status_config "$WORK/scratch-after.json")" ]] ||
	fail "refused upgrades changed the scratch instance's config"
scr upgrade >/dev/null || fail "the restored scratch instance does not upgrade"
scr detach "$SCRATCH_IF" >/dev/null || fail "scratch detach"
log "5 layout changes refused with one line each, nothing changed; the restored instance upgrades"
log "PASS"
