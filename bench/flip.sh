#!/bin/bash
# bench/flip.sh - what a flip costs, with an empty flow table and with
# 1,000,000 live flows in it (design: "O(1) flip").
#
# One namespace bgxb-flip-PID with two veth pairs and two bgxdp instances
# (pin dirs .../empty and .../full), each attached on one veth with a
# 2,097,152-entry flow table, one service, a blue and a green backend.  The
# "full" one gets FLOWS live flows; the rows then take turns on the two
# instances, round by round, so both see the same machine load (this one is
# shared and noisy).  Rows, each at 0 flows and at FLOWS flows (ratio =
# FLOWS figure / 0-flow figure of the same run):
#   `bgxdp set green` wall time, as a script sees it (fork + exec + the
#       command), each one after an untimed `bgxdp set blue` so every timed
#       call is a real flip;
#   the config-word write alone: bpf_map_update_elem on the pinned
#       svc_config, and the mmap store bgxdp itself publishes with
#       (bench-flipmap, see bench/flipmap.c);
#   `bgxdp status` wall time (it counts live flows: reads the whole table);
#   the process floor: /bin/true timed the same way, what starting any
#   dynamically linked program costs a script on this machine.
# The flows are added with bpf_map_update_batch on the pinned `flows` map:
# other clients of the same VIP, half blue, half green, all live.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_begin flip
[[ -x $FLIPMAP ]] || bfail "helper not built: $FLIPMAP (make bench-helpers)"

if ((QUICK)); then
	ROUNDS=2 SETS=5 WORDS=50 STATUSES=1 FLOWS=20000 TABLE=65536
else   # per round and instance: 10 rounds -> 100 sets, 1000 writes, 10 status
	ROUNDS=10 SETS=10 WORDS=100 STATUSES=1 FLOWS=1000000 TABLE=2097152
fi
NS=bgxb-flip-$$
PIN=/sys/fs/bpf/bgxb-flip-$$
LIMIT_S=120           # every timing loop stops after this long, whatever its count
INSTANCES=(empty full)

ns_add "$NS"
pin_add "$PIN"
for inst in "${INSTANCES[@]}"; do
	dev=v-$inst
	ip -n "$NS" link add "$dev" type veth peer name "p-$inst" || bfail "veth"
	ip -n "$NS" link set "$dev" up
	ip -n "$NS" link set "p-$inst" up
	bgx "$NS" "$PIN/$inst" attach "$dev" --flows "$TABLE"
	bgx "$NS" "$PIN/$inst" service add flip --vip 10.251.0.1:80
	bgx "$NS" "$PIN/$inst" backend add flip blue 10.251.0.11:8080
	bgx "$NS" "$PIN/$inst" backend add flip green 10.251.0.21:8080
	bgx "$NS" "$PIN/$inst" set blue
done

# Wall time in ms of N runs of `bgxdp ARGS` (stdout discarded), each after
# an untimed `bgxdp PRE` unless PRE is "-".  bgxdp runs directly (not under
# timeout or nsenter, whose own exec would be timed) with the exported
# BGXDP_PIN_DIR; the loop is bounded by LIMIT_S instead.  $EPOCHREALTIME:
# bash's microsecond clock, no fork.
cli_times() {
	local n=$1 pre=$2 i t0 t1 deadline=$((SECONDS + LIMIT_S))
	shift 2
	for ((i = 0; i < n && SECONDS < deadline; i++)); do
		if [[ $pre != - ]]; then
			# shellcheck disable=SC2086
			"$BGXDP" $pre >/dev/null || bfail "bgxdp $pre"
		fi
		t0=$EPOCHREALTIME
		"$BGXDP" "$@" >/dev/null || bfail "bgxdp $*"
		t1=$EPOCHREALTIME
		echo "$t0 $t1"
	done | awk '{ printf "%.4f\n", ($2 - $1) * 1000 }'
}

# Wall time in ms of N runs of /bin/true, timed as cli_times times bgxdp:
# what any process costs a script here (fork, exec, the dynamic loader).
true_times() {
	local n=$1 i t0 t1
	for ((i = 0; i < n; i++)); do
		t0=$EPOCHREALTIME
		/bin/true
		t1=$EPOCHREALTIME
		echo "$t0 $t1"
	done | awk '{ printf "%.4f\n", ($2 - $1) * 1000 }'
}

live_flows() {
	BGXDP_PIN_DIR=$1 "$BGXDP" status --json |
		sed -n 's/.*"flows":{"blue":\([0-9]*\),"green":\([0-9]*\)}.*/\1 \2/p' |
		awk '{ print $1 + $2 }'
}

# flips INSTANCE: one round of the flip rows on that instance.
flips() {
	local inst=$1
	export BGXDP_PIN_DIR=$PIN/$inst
	cli_times "$SETS" "set blue" set green >>"$B_TMP/set.$inst" || exit 1
	true_times "$SETS" >>"$B_TMP/true.$inst"
	timeout 60 "$FLIPMAP" update "$PIN/$inst" "$WORDS" >>"$B_TMP/update.$inst" ||
		bfail "bench-flipmap update"
	timeout 60 "$FLIPMAP" store "$PIN/$inst" "$WORDS" >>"$B_TMP/store.$inst" ||
		bfail "bench-flipmap store"
}
# statuses INSTANCE: one round of the status row.  Its own loop, after the
# flips: a status of the full table takes seconds of CPU and memory
# traffic, which skewed whatever was timed right after it.
statuses() {
	export BGXDP_PIN_DIR=$PIN/$1
	cli_times "$STATUSES" - status >>"$B_TMP/status.$1" || exit 1
}

t=$SECONDS
timeout 120 "$FLIPMAP" fill "$PIN/full" "$FLOWS" || bfail "filling $FLOWS flows"
live=$(live_flows "$PIN/full")
empty=$(live_flows "$PIN/empty")
blog "filled $FLOWS flows in $((SECONDS - t)) s; bgxdp status counts $live live flows (other instance: $empty)"
# An LRU table may evict a few on insert; far fewer means the rows below
# would not measure what they say.
((live >= FLOWS * 99 / 100 && empty == 0)) ||
	bfail "bgxdp status counts $live and $empty live flows after adding $FLOWS to one instance"
t=$SECONDS
for ((round = 0; round < ROUNDS; round++)); do
	for inst in "${INSTANCES[@]}"; do flips "$inst"; done
done
for ((round = 0; round < ROUNDS; round++)); do
	for inst in "${INSTANCES[@]}"; do statuses "$inst"; done
done
timeout 10 "$FLIPMAP" clock "$((WORDS * ROUNDS))" >"$B_TMP/clock" || bfail "bench-flipmap clock"
blog "$ROUNDS rounds measured in $((SECONDS - t)) s"

k=$(awk -v n="$FLOWS" 'BEGIN { if (n >= 1000000) printf "%gM", n / 1e6; else printf "%gk", n / 1e3 }')
table_begin "flip cost, 0 vs $k live flows (flow tables of $TABLE entries)" \
	"two instances, one empty, one with $live live flows (bgxdp status), measured in turns, $ROUNDS rounds" \
	"ratio = figure with $k flows / figure with 0 flows (same run); shared 2-core machine: figures are noisy"
rows=("set|\`bgxdp set green\` wall time|ms"
	"update|config word: bpf_map_update_elem|ns"
	"store|config word: mmap store (what bgxdp does)|ns"
	"status|\`bgxdp status\` wall time|ms")
for r in "${rows[@]}"; do
	IFS='|' read -r key label unit <<<"$r"
	read -r b_med b_min b_max b_n <<<"$(stats <"$B_TMP/$key.empty")"
	read -r med min max n <<<"$(stats <"$B_TMP/$key.full")"
	table_row "$label, 0 flows" "$unit" "$b_med" "$b_min" "$b_max" "$b_med" "$b_n"
	table_row "$label, $k flows" "$unit" "$med" "$min" "$max" "$b_med" "$n"
done
cat "$B_TMP"/true.* >"$B_TMP/true"
read -r med min max n <<<"$(stats <"$B_TMP/true")"
table_row "process floor: \`/bin/true\` wall time, same loop" ms "$med" "$min" "$max" "$med" "$n"
read -r med min max n <<<"$(stats <"$B_TMP/clock")"
table_row "timer floor: two back-to-back clock reads" ns "$med" "$min" "$max" "$med" "$n"
