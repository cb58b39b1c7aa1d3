#!/bin/bash
# bench/flood.sh - a spoofed SYN flood at the highest rate this machine gives,
# during flips, with long-lived connections open: what it did to them, and
# the rate at which the VIP still serves real new connections.
#
#   bgxb-flood-PID-c             bgxb-flood-PID-lb (ip_forward=1)     bgxb-flood-PID-b
#   c0 10.251.0.2 --veth-- l0 10.251.0.1 | l1 10.252.0.1 --veth-- b0 10.252.0.2 (blue)
#                          (bgxdp on l0, --flows 65536,               10.252.0.3 (green)
#                           VIP 10.251.0.10:80)                       nginx :8080 on both
#
# One run: LONG keep-alive connections are opened on blue (half ask every
# 50 ms, half every IDLE_S seconds: idle in between); then, for SECS seconds,
# bench-synflood sends SYNs to the VIP as fast as it can from 16 spoofed
# addresses of the client subnet (every source port in turn), bgxdp flips
# green/blue every 0.5 s, and wrk opens one new connection per request
# through the VIP.  The same wrk run without flood and flips is the
# baseline.  Rows: SYNs sent and the rate, half-open entries displaced,
# long-lived connections reset or moved (goal 0), established entries lost
# (bgxdp_flows_lost_total; goal 0), new connections/s with the flood as a
# ratio of the baseline.  The lb has static neighbour entries for the
# spoofed sources (a MAC no interface has): the backends' SYN-ACKs to them
# die at the client veth, nothing leaves the namespaces.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_begin flood
bneed wrk wrk
bneed nginx nginx-light
bneed python3 python3
SYNFLOOD=$BENCH_BUILD/bench-synflood
KEEPALIVE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/e2e/keepalive.py
[[ -x $SYNFLOOD ]] || bfail "helper not built: $SYNFLOOD (make bench-helpers)"

if ((QUICK)); then RUNS=1 SECS=2 LONG=4 IDLE_S=1; else RUNS=${FLOOD_RUNS:-3} SECS=${FLOOD_SECS:-6} LONG=8 IDLE_S=3; fi
NS_C=bgxb-flood-$$-c NS_LB=bgxb-flood-$$-lb NS_B=bgxb-flood-$$-b
PIN=/sys/fs/bpf/bgxb-flood-$$
VIP=10.251.0.10 SINK_MAC=02:00:00:00:f1:00 SPOOFED=16

ns_add "$NS_C"; ns_add "$NS_LB"; ns_add "$NS_B"
ip netns exec "$NS_LB" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || bfail "ip_forward"
ip -n "$NS_C" link add c0 type veth peer name l0 netns "$NS_LB" || bfail "veth c0-l0"
ip -n "$NS_LB" link add l1 type veth peer name b0 netns "$NS_B" || bfail "veth l1-b0"
ip -n "$NS_C" addr add 10.251.0.2/24 dev c0
ip -n "$NS_LB" addr add 10.251.0.1/24 dev l0
ip -n "$NS_LB" addr add 10.252.0.1/24 dev l1
ip -n "$NS_B" addr add 10.252.0.2/24 dev b0
ip -n "$NS_B" addr add 10.252.0.3/24 dev b0
for d in "$NS_C c0" "$NS_LB l0" "$NS_LB l1" "$NS_B b0"; do
	# shellcheck disable=SC2086
	ip -n ${d% *} link set ${d#* } up || bfail "link up $d"
done
ip -n "$NS_C" route add 10.251.0.0/24 dev c0 2>/dev/null
ip -n "$NS_C" route add "$VIP/32" via 10.251.0.1
ip -n "$NS_B" route add default via 10.252.0.1
ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
	net.ipv4.ip_local_port_range="10000 65000" >/dev/null
for ((i = 0; i < SPOOFED; i++)); do
	ip -n "$NS_LB" neigh replace "10.251.0.$((200 + i))" lladdr "$SINK_MAC" dev l0 nud permanent ||
		bfail "neighbour entry for a spoofed source"
done

nginx_start "$NS_B" "10.252.0.2:8080 blue nginx" "10.252.0.3:8080 green nginx"

pin_add "$PIN"
# 65536: room for every real connection wrk opens in a run (up to ~11k/s
# before the flood), so that only the flood could evict a long-lived
# flow; the flood still sends 10-15 times that many SYNs.
bgx "$NS_LB" "$PIN/bgxdp" attach l0 --flows 65536
bgx "$NS_LB" "$PIN/bgxdp" service add web --vip "$VIP:80"
bgx "$NS_LB" "$PIN/bgxdp" backend add web blue 10.252.0.2:8080
bgx "$NS_LB" "$PIN/bgxdp" backend add web green 10.252.0.3:8080
bgx "$NS_LB" "$PIN/bgxdp" set blue
for ((i = 0; i < 50; i++)); do
	ip netns exec "$NS_C" curl -s --max-time 1 "http://$VIP/" >/dev/null && break
	bsleep 0.1
done

# metric NAME COLOR: a counter of `bgxdp metrics`, summed over... one color.
metric() {
	nsx "$NS_LB" env BGXDP_PIN_DIR="$PIN/bgxdp" "$BGXDP" metrics 2>/dev/null |
		awk -v k="$1{service=\"web\",color=\"$2\"}" '$1 == k { v = $2 } END { print v + 0 }'
}

# new_conns SECONDS -> "requests/s socket-errors", one new connection per
# request (errors: connect, read, write and timeout errors summed)
new_conns() {
	local out
	out=$(ip netns exec "$NS_C" timeout $(($1 + 20)) wrk -t1 -c16 -d"${1}s" \
		-H "Connection: close" "http://$VIP/" 2>&1) || bfail "wrk: $out"
	awk '/Requests\/sec:/ { rps = $2 }
		/Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
		END { printf "%s %d\n", rps, err }' <<<"$out"
}

# established CLIENT_PORT: is the VIP flow of 10.251.0.2:PORT in `flows`?
established() {
	local p=$1 key
	key="0a fb 00 02 $(printf '00 %.0s' {1..12})0a fb 00 0a $(printf '00 %.0s' {1..12})"
	key+="$(printf '%02x %02x' $((p >> 8)) $((p & 255))) 00 50 06 04 00 00"
	# shellcheck disable=SC2086  # the key is bytes, one word each
	bpftool map lookup pinned "$PIN/bgxdp/flows" key hex $key >/dev/null 2>&1
}

one_run() {
	local run=$1 k pids=() flipper out sent rps lost0 lost1 ev0 ev1 broken=0 resets
	bgx "$NS_LB" "$PIN/bgxdp" set blue
	for ((k = 0; k < LONG; k++)); do
		local interval=0.05
		((k % 2)) && interval=$IDLE_S
		ip netns exec "$NS_C" python3 "$KEEPALIVE" --host "$VIP" --port 80 \
			--interval "$interval" --expect-color blue --max-seconds $((SECS + 60)) \
			--timeout 15 \
			--ready "$B_TMP/ka$run.$k.ready" --stop "$B_TMP/ka$run.$k.stop" \
			>"$B_TMP/ka$run.$k.json" 2>/dev/null &
		pids+=($!)
		B_PIDS+=($!)
	done
	for ((k = 0; k < LONG; k++)); do
		for ((i = 0; i < 100; i++)); do [[ -e $B_TMP/ka$run.$k.ready ]] && break; bsleep 0.05; done
	done
	lost0=$(metric bgxdp_flows_lost_total blue)
	ev0=$(($(metric bgxdp_flows_halfopen_evicted_total blue) + $(metric bgxdp_flows_halfopen_evicted_total green)))
	(
		c=green
		for ((i = 0; i < SECS * 2; i++)); do
			nsx "$NS_LB" env BGXDP_PIN_DIR="$PIN/bgxdp" "$BGXDP" set "$c" >/dev/null 2>&1
			[[ $c == green ]] && c=blue || c=green
			sleep 0.5
		done
	) &
	flipper=$!
	B_PIDS+=("$flipper")
	nsx "$NS_C" timeout $((SECS + 10)) "$SYNFLOOD" -i c0 -m "$(mac_of "$NS_LB" l0)" \
		-s 10.251.0.200 -n "$SPOOFED" -d "$VIP" -p 80 -t "$SECS" -r 100000000 \
		>"$B_TMP/flood$run.out" 2>&1 &
	B_PIDS+=($!)
	local flood=$!
	read -r rps errors <<<"$(new_conns "$SECS")"
	wait "$flood" || bfail "synflood: $(cat "$B_TMP/flood$run.out")"
	wait "$flipper"
	out=$(cat "$B_TMP/flood$run.out")
	sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
	gone=0
	for ((k = 0; k < LONG; k++)); do
		port=$(sed -n 's/^[^ ]* port \([0-9]*\) answered.*/\1/p' "$B_TMP/ka$run.$k.ready" 2>/dev/null)
		[[ -n $port ]] && ! established "$port" && gone=$((gone + 1))
	done
	bsleep "$IDLE_S"                # every idle connection speaks again
	for ((k = 0; k < LONG; k++)); do touch "$B_TMP/ka$run.$k.stop"; done
	for ((k = 0; k < LONG; k++)); do
		wait "${pids[$k]}" && continue
		broken=$((broken + 1))
		blog "long-lived $k: $(cat "$B_TMP/ka$run.$k.json")"
	done
	# reset: the backend (or the other color's) said RST; moved: answered
	# by green; the rest timed out (the machine dropped what it could not
	# carry, TCP did not recover within 15 s)
	resets=$(cat "$B_TMP"/ka"$run".*.json | grep -c 'Reset\|reset\|"green nginx"')
	lost1=$(metric bgxdp_flows_lost_total blue)
	ev1=$(($(metric bgxdp_flows_halfopen_evicted_total blue) + $(metric bgxdp_flows_halfopen_evicted_total green)))
	blog "run $run: $out; new connections $rps/s, $errors socket errors; $broken of $LONG long-lived broken ($resets reset or moved)," \
		"$gone established entries gone; lost (all flows) $((lost1 - lost0)); displaced $((ev1 - ev0))"
	awk -v s="$sent" -v t="$SECS" 'BEGIN { printf "%.0f\n", s / t }' >>"$B_TMP/pps"
	echo "$((ev1 - ev0))" >>"$B_TMP/displaced"
	echo "$resets" >>"$B_TMP/resets"
	echo "$broken" >>"$B_TMP/broken"
	echo "$gone" >>"$B_TMP/gone"
	echo "$((lost1 - lost0))" >>"$B_TMP/lost"
	echo "$rps" >>"$B_TMP/rps.flood"
	echo "$errors" >>"$B_TMP/errors.flood"
	awk -v r="$rps" -v t="$SECS" 'BEGIN { printf "%.0f\n", r * t }' >>"$B_TMP/attempted.flood"
}

for ((run = 1; run <= RUNS; run++)); do
	read -r rps errors <<<"$(new_conns "$SECS")"
	echo "$rps" >>"$B_TMP/rps.base"
	one_run "$run"
done

table_begin "SYN flood during flips, $LONG long-lived connections (half idle ${IDLE_S} s between requests), attach --flows 65536" \
	"$RUNS run(s): ${SECS} s of spoofed SYNs from $SPOOFED client-subnet addresses as fast as bench-synflood sends, a flip every 0.5 s" \
	"ratio: new connections/s during the flood / without it (same run); long-lived counts: to the number of long-lived connections;" \
	"failures and lost packets: to the new connections made during the flood"
read -r med min max n <<<"$(stats <"$B_TMP/pps")"
table_row "spoofed SYNs sent per second" pps "$med" "$min" "$max" "$med" "$n"
read -r med min max n <<<"$(stats <"$B_TMP/displaced")"
table_row "half-open entries displaced by the flood" entries "$med" "$min" "$max" "$med" "$n"
read -r med min max n <<<"$(stats <"$B_TMP/resets")"
table_row "long-lived connections reset or moved (goal 0)" conns "$med" "$min" "$max" "$LONG" "$n"
read -r med min max n <<<"$(stats <"$B_TMP/broken")"
table_row "long-lived connections with any error (timeouts too)" conns "$med" "$min" "$max" "$LONG" "$n"
read -r med min max n <<<"$(stats <"$B_TMP/gone")"
table_row "their established entries evicted (goal 0)" flows "$med" "$min" "$max" "$LONG" "$n"
read -r b_med b_min b_max b_n <<<"$(stats <"$B_TMP/rps.base")"
table_row "new connections/s through the VIP, no flood" req/s "$b_med" "$b_min" "$b_max" "$b_med" "$b_n"
read -r med min max n <<<"$(stats <"$B_TMP/rps.flood")"
table_row "new connections/s through the VIP, flood + flips" req/s "$med" "$min" "$max" "$b_med" "$n"
read -r a_med _ <<<"$(stats <"$B_TMP/attempted.flood")"
read -r med min max n <<<"$(stats <"$B_TMP/errors.flood")"
table_row "new connections failed during the flood (wrk errors)" conns "$med" "$min" "$max" "$a_med" "$n"
read -r med min max n <<<"$(stats <"$B_TMP/lost")"
table_row "TCP packets of any flow that found no entry (flows_lost{blue})" pkts "$med" "$min" "$max" "$a_med" "$n"
