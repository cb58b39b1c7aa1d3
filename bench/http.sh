#!/bin/bash
# bench/http.sh - HTTP requests/s and p99 latency through the VIP vs straight
# to the backend, same topology, same run.
#
#   bgxb-http-PID-c            bgxb-http-PID-lb (ip_forward=1)          bgxb-http-PID-b
#   c0 10.241.0.2 --veth-- l0 10.241.0.1 | l1 10.242.0.1 --veth-- b0 10.242.0.2
#      10.241.0.3 (source of the direct requests)
#                          (bgxdp on l0, VIP 10.241.0.1:80)           nginx :8080
#
# Both targets cross the lb: "direct" goes to 10.242.0.2:8080 (bgxdp sees it
# and passes it: not a VIP), "VIP" to 10.241.0.1:80, which bgxdp rewrites to
# the backend (and tc egress rewrites the replies back).  So the ratio is
# what bgxdp adds, not what one more hop costs.  The backend is nginx (one
# worker, `return 200`, no log, config generated in a temp dir), so the
# figure is not the server's.  wrk from the client, one thread; two load
# shapes: keep-alive (established flows) and one connection per request
# (Connection: close: every request is a new flow).  Targets take turns run
# by run.
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_begin http
bneed wrk wrk
bneed nginx nginx-light
bneed curl curl

if ((QUICK)); then RUNS=1 SECS=1; else RUNS=${HTTP_RUNS:-5} SECS=${HTTP_SECS:-3}; fi
CONNS=32
NS_C=bgxb-http-$$-c NS_LB=bgxb-http-$$-lb NS_B=bgxb-http-$$-b
PIN=/sys/fs/bpf/bgxb-http-$$
VIP_URL=http://10.241.0.1:80/ DIRECT_URL=http://10.242.0.2:8080/

ns_add "$NS_C"; ns_add "$NS_LB"; ns_add "$NS_B"
ip netns exec "$NS_LB" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || bfail "ip_forward"
ip -n "$NS_C" link add c0 type veth peer name l0 netns "$NS_LB" || bfail "veth c0-l0"
ip -n "$NS_LB" link add l1 type veth peer name b0 netns "$NS_B" || bfail "veth l1-b0"
ip -n "$NS_C" addr add 10.241.0.2/24 dev c0
ip -n "$NS_LB" addr add 10.241.0.1/24 dev l0
ip -n "$NS_LB" addr add 10.242.0.1/24 dev l1
ip -n "$NS_B" addr add 10.242.0.2/24 dev b0
ip -n "$NS_C" link set c0 up; ip -n "$NS_LB" link set l0 up
ip -n "$NS_LB" link set l1 up; ip -n "$NS_B" link set b0 up
# Direct requests leave from a second client address (route src), so the
# backend never sees the same client addr:port for a direct connection and
# for a VIP one.  From one address it would: the client may reuse a port
# for a direct connection while bgxdp still holds a VIP flow of that port
# (closing flows live 10 s), and tc egress, which cannot tell the two apart
# (same backend, client and ports), rewrites the direct replies' source to
# the VIP: those connections hang.
ip -n "$NS_C" addr add 10.241.0.3/24 dev c0
ip -n "$NS_C" route add 10.242.0.0/24 via 10.241.0.1 src 10.241.0.3
ip -n "$NS_B" route add default via 10.242.0.1
# one connection per request: let the client reuse its ports quickly
ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
	net.ipv4.ip_local_port_range="10000 65000" >/dev/null

nginx_start "$NS_B" "10.242.0.2:8080 ok"

pin_add "$PIN"
bgx "$NS_LB" "$PIN/bgxdp" attach l0
bgx "$NS_LB" "$PIN/bgxdp" service add web --vip 10.241.0.1:80
bgx "$NS_LB" "$PIN/bgxdp" backend add web blue 10.242.0.2:8080
bgx "$NS_LB" "$PIN/bgxdp" set blue

# Both targets answer before anything is timed (bounded: 50 x 0.1 s).
for url in "$DIRECT_URL" "$VIP_URL"; do
	ok=0
	for ((i = 0; i < 50; i++)); do
		body=$(ip netns exec "$NS_C" curl -sS --max-time 1 "$url" 2>&1) &&
			[[ $body == ok ]] && { ok=1; break; }
		bsleep 0.1
	done
	((ok)) || { cat "$B_TMP/nginx/error.log" >&2 2>/dev/null; bfail "no answer from $url: $body"; }
done

# run_wrk URL MODE -> "requests/s p99_ms"
run_wrk() {
	local url=$1 mode=$2 out hdr=()
	[[ $mode == close ]] && hdr=(-H "Connection: close")
	out=$(ip netns exec "$NS_C" timeout $((SECS + 20)) wrk -t1 -c"$CONNS" -d"${SECS}s" \
		--latency "${hdr[@]}" "$url" 2>&1) || bfail "wrk $url: $out"
	# errors would make the rate meaningless (timeouts count as done)
	if grep -q 'Non-2xx' <<<"$out"; then bfail "wrk $url ($mode): $out"; fi
	if grep -q 'Socket errors' <<<"$out"; then blog "$url ($mode): $(grep 'Socket errors' <<<"$out")"; fi
	awk '/Requests\/sec:/ { rps = $2 }
		$1 == "99%" {
			v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			ms = u == "us" ? v / 1000 : u == "ms" ? v : u == "s" ? v * 1000 : u == "m" ? v * 60000 : -1
		}
		END { printf "%s %s\n", rps, ms }' <<<"$out"
}

declare -A URL=([vip]=$VIP_URL [direct]=$DIRECT_URL)
for ((run = 1; run <= RUNS; run++)); do
	for mode in keepalive close; do
		for target in direct vip; do
			res=$(run_wrk "${URL[$target]}" "$mode") || exit 1
			read -r rps p99 <<<"$res"
			[[ -n $rps && -n $p99 && $p99 != -1 ]] || bfail "no figures from wrk ($mode $target)"
			blog "run $run $mode $target: $rps req/s, p99 $p99 ms"
			echo "$rps" >>"$B_TMP/rps.$mode.$target"
			echo "$p99" >>"$B_TMP/p99.$mode.$target"
		done
	done
done

table_begin "HTTP through the VIP vs straight to the backend (wrk -t1 -c$CONNS, nginx backend, both across the lb)" \
	"$RUNS run(s) of ${SECS} s per row, targets interleaved; ratio = VIP / direct (same run)" \
	"keep-alive: connections reused; close: one new connection (new flow) per request" \
	"shared 2-core machine (wrk, nginx and the lb share it): figures are noisy"
for mode in keepalive close; do
	for metric in rps p99; do
		unit=req/s; [[ $metric == p99 ]] && unit=ms
		name="requests/s"; [[ $metric == p99 ]] && name="p99 latency"
		read -r b_med b_min b_max b_n <<<"$(stats <"$B_TMP/$metric.$mode.direct")"
		read -r med min max n <<<"$(stats <"$B_TMP/$metric.$mode.vip")"
		table_row "$name, $mode, direct to backend" "$unit" "$b_med" "$b_min" "$b_max" "$b_med" "$b_n"
		table_row "$name, $mode, through VIP (bgxdp)" "$unit" "$med" "$min" "$max" "$b_med" "$n"
	done
done
