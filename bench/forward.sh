#!/bin/bash
# bench/forward.sh - forwarding rate through the switcher, small UDP packets.
#
# One topology per row, all built first, then the rows take turns run by
# run (so drift on this shared machine hits every row alike):
#
#   bgxb-forward-PID-ROW-c          -ROW-lb (ip_forward=1)           -ROW-s
#   c0 10.231.0.2 ---veth--- l0 10.231.0.1 | l1 10.232.0.1 ---veth--- s0 10.232.0.2
#
# The client sends one 64-byte IPv4/UDP frame (no FCS) to VIP
# 10.231.0.1:5001, as fast as the kernel takes it (bench-xdpgen gen: in-kernel
# XDP live frames, see bench/xdpgen.c); the lb turns it into a packet for the
# sink 10.232.0.2:9, and the sink counts and drops it in XDP (bench-xdpgen
# sink), so neither end's stack is measured.  Rows:
#   iptables DNAT   no bgxdp; nat PREROUTING DNAT rule, the kernel forwards
#   bgxdp, kernel   bgxdp on l0 rewrites; the kernel stack forwards
#   bgxdp, fast     bgxdp on l0 --fast-path l1: XDP rewrites and redirects
# Each row has its own lb namespace, so conntrack (which the nat rule turns
# on for its namespace) never runs on the bgxdp rows.
#
# veth details that decide whether frames arrive at all:
# - c0 -> l0: a frame redirected out of c0 is handed to l0 with
#   ndo_xdp_xmit, which veth accepts only when l0 runs NAPI: with an XDP
#   program on l0 (bgxdp rows) or with GRO on (`ethtool -K l0 gro on`).  GRO
#   is turned on for every row so the three differ only in what they test
#   (plain UDP is not aggregated: GRO needs a UDP GRO socket or
#   rx-udp-gro-forwarding, both off).
# - l1 -> s0: the fast path redirects out of l1, which needs an XDP program
#   on s0: the sink's.  The kernel rows deliver skbs to s0; its XDP program
#   sees them as well, so all rows are counted at the same place (for an
#   skb, veth may copy it into a page first: a cost the kernel rows carry
#   at the sink and the fast path does not).
# - Everything runs in the sender's context: the frames are processed in
#   softirq on the generator's CPU, so a figure is what one core does for
#   generator + lb + sink together; the generator alone (c0 -> sink) does
#   ~0.8 Mpps here, well above what the lb rows reach.
# - The sink drops ARP too, so the lb gets a permanent neighbour entry for it
#   (bpf_fib_lookup in the fast path also needs a resolved neighbour).
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_begin forward
bneed iptables iptables
[[ -x $XDPGEN ]] || bfail "helper not built: $XDPGEN (make bench-helpers)"

if ((QUICK)); then RUNS=1 SECS=1 WARM=0.2; else RUNS=${FWD_RUNS:-5} SECS=${FWD_SECS:-3} WARM=0.5; fi
VIP=10.231.0.1 VPORT=5001 CLIENT=10.231.0.2 SINK=10.232.0.2 SPORT=9
PIN=/sys/fs/bpf/bgxb-forward-$$
pin_add "$PIN"
ROWS=(ipt kern fast)
declare -A LABEL=([ipt]="iptables DNAT (kernel forwards)"
	[kern]="bgxdp XDP rewrite, kernel forwards"
	[fast]="bgxdp XDP rewrite + fast path redirect")
declare -A ACTIVE=()

ns() { echo "bgxb-forward-$$-$1-$2"; }   # ns ROW c|lb|s

topo_up() {
	local row=$1 c lb s
	c=$(ns "$row" c) lb=$(ns "$row" lb) s=$(ns "$row" s)
	ns_add "$c"; ns_add "$lb"; ns_add "$s"
	ip netns exec "$lb" sysctl -qw net.ipv4.ip_forward=1 >/dev/null || bfail "ip_forward in $lb"
	ip -n "$c" link add c0 type veth peer name l0 netns "$lb" || bfail "veth c0-l0"
	ip -n "$lb" link add l1 type veth peer name s0 netns "$s" || bfail "veth l1-s0"
	ip -n "$c" addr add "$CLIENT/24" dev c0
	ip -n "$lb" addr add "$VIP/24" dev l0
	ip -n "$lb" addr add 10.232.0.1/24 dev l1
	ip -n "$s" addr add "$SINK/24" dev s0
	for d in "$c c0" "$lb l0" "$lb l1" "$s s0"; do
		# shellcheck disable=SC2086
		ip -n ${d% *} link set ${d#* } up || bfail "link up $d"
	done
	nsx "$lb" ethtool -K l0 gro on >/dev/null || bfail "ethtool -K l0 gro on ($lb)"
	ip -n "$s" route add default via 10.232.0.1
	ip -n "$lb" neigh replace "$SINK" lladdr "$(mac_of "$s" s0)" dev l1 nud permanent ||
		bfail "neighbour entry for the sink"
	pin_add "$PIN/sink-$row"
	nsx "$s" "$XDPGEN" sink s0 "$PIN/sink-$row" || bfail "sink on s0 ($s)"

	case $row in
	ipt)
		ip netns exec "$lb" iptables -t nat -A PREROUTING -d "$VIP" -p udp --dport "$VPORT" \
			-j DNAT --to-destination "$SINK:$SPORT" || bfail "iptables DNAT rule"
		;;
	kern | fast)
		local fp=()
		[[ $row == fast ]] && fp=(--fast-path l1)
		pin_add "$PIN/bgxdp-$row"
		bgx "$lb" "$PIN/bgxdp-$row" attach l0 "${fp[@]}"
		bgx "$lb" "$PIN/bgxdp-$row" service add fwd --vip "$VIP:$VPORT" --proto udp
		bgx "$lb" "$PIN/bgxdp-$row" backend add fwd blue "$SINK:$SPORT"
		bgx "$lb" "$PIN/bgxdp-$row" set blue
		;;
	esac
	ACTIVE[$row]=1
}

# gen ROW: one generator run; prints its line (sent_pps= recv_pps= sent=
# recv= seconds=) and logs it.
gen() {
	local row=$1 out
	out=$(timeout $((${SECS%.*} + 30)) nsenter --net="/run/netns/$(ns "$row" c)" \
		"$XDPGEN" gen -i c0 -m "$(mac_of "$(ns "$row" lb)" l0)" -s "$CLIENT" -d "$VIP" \
		-p 40000 -P "$VPORT" -t "$SECS" -w "$WARM" -c "$PIN/sink-$row" 2>&1) ||
		bfail "generator ($row): $out"
	blog "$row: $out"
	echo "$out"
}
field() { sed -n "s/.*\<$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
# Datagrams the lb's IP stack forwarded so far.
stack_forwarded() {
	# shellcheck disable=SC2016  # awk's own $i
	ip netns exec "$(ns "$1" lb)" awk '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["ForwDatagrams"] }' /proc/net/snmp
}

# Before any run, a short one proves each row does what its label says:
# the sink gets the VIP traffic (else nothing is forwarded, e.g. a rule
# that does not match), through the IP stack for the kernel rows and not
# through it for the fast path.
check_row() {
	local row=$1 out recv f0 f1
	f0=$(stack_forwarded "$row")
	out=$(SECS=0.3 WARM=0 gen "$row") || exit 1
	f1=$(stack_forwarded "$row")
	recv=$(field recv "$out")
	((${recv:-0} > 300)) || bfail "$row: the sink counted ${recv:-0} packets in 0.3 s; nothing is forwarded"
	if [[ $row == fast ]]; then
		((f1 - f0 < recv / 100)) ||
			bfail "$row: the IP stack forwarded $((f1 - f0)) of $recv packets: no fast path"
	else
		((f1 - f0 >= recv * 9 / 10)) ||
			bfail "$row: the IP stack forwarded only $((f1 - f0)) of $recv packets"
	fi
}

for row in "${ROWS[@]}"; do
	if [[ $row == fast ]] && ! has_fast_path; then
		continue
	fi
	topo_up "$row"
	check_row "$row"
done

for ((run = 1; run <= RUNS; run++)); do
	for row in "${ROWS[@]}"; do
		[[ -n ${ACTIVE[$row]:-} ]] || continue
		out=$(gen "$row") || exit 1
		field recv_pps "$out" >>"$B_TMP/$row.samples"
	done
done

table_begin "forwarding rate, 64-byte UDP frames, one flow, client -> lb -> sink (veth, namespaces)" \
	"packets/s counted at the sink over ${SECS} s after ${WARM} s warm-up; $RUNS run(s) per row, rows interleaved" \
	"ratio = median / iptables DNAT median (same run); shared 2-core machine: figures are noisy"
read -r base_med _ <<<"$(stats <"$B_TMP/ipt.samples")"
for row in "${ROWS[@]}"; do
	if [[ -z ${ACTIVE[$row]:-} ]]; then
		table_na "${LABEL[$row]}" "no fast path in this build"
		continue
	fi
	read -r med min max n <<<"$(stats <"$B_TMP/$row.samples")"
	table_row "${LABEL[$row]}" pps "$med" "$min" "$max" "$base_med" "$n"
done
