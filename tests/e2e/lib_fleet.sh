# shellcheck shell=bash
# tests/e2e/lib_fleet.sh - the fleet test network: several bgxdp hosts behind
# an ECMP router, a management network with a real etcd, and backends whose
# return route goes through the hosts.  Sourced by tests/e2e/t_fleet*.sh
# (after lib.sh's conventions: ID, WORK, PIDS, log/fail, the cleanup trap).
#
#   bgx-c-ID (client)         bgx-r-ID (router)            bgx-lbN-ID (hosts, N=1..FLEET_HOSTS)
#   c0 10.211.0.2   --veth--  rc 10.211.0.1
#      fd00:b6:11::2             fd00:b6:11::1
#                             rN 10.212.N.1     --veth--  f0 10.212.N.2 / fd00:b6:12:N::2
#                                fd00:b6:12:N::1           (bgxdp attaches here)
#                             VIP and backend-network routes: ECMP over
#                             every host that is up
#
#   bgx-sw-ID (switch: br0) --+-- lbN b0 10.213.0.N   / fd00:b6:13::N
#                             +-- bgx-b1-ID blue  .11 / ::11   default route: ECMP
#                             +-- bgx-b2-ID blue  .12 / ::12   over every host that
#                             +-- bgx-g1-ID green .21 / ::21   is up
#                             +-- bgx-g2-ID green .22 / ::22
#
#   bgx-etcd-ID (management: brm 10.215.0.100 / fd00:b6:15::100, etcd on :2379)
#                             +-- lbN m0 10.215.0.N / fd00:b6:15::N (etcd, flow sync)
#
# With FLEET_HASH=client, one more namespace: a return router on the
# backends' switch, bgx-rr-ID (rr0 10.213.0.254 / fd00:b6:13::fe), is the
# backends' default route and spreads their replies over the hosts that are
# up (see fleet_hash_setup).
#
# VIP: 10.214.0.10:80 / [fd00:b6:14::10]:80, on no interface.  The router
# and the backends hash multipath routes on the 5-tuple
# (fib_multipath_hash_policy=1), so connections from one client spread over
# the hosts, and a backend's replies may leave through another host than the
# one that forwarded the request (flow sync exists for that).  Plain
# multipath routes, as a router fed by BGP installs them: removing a host
# rehashes the others' flows too.
#
# A host "fails" (fleet_host_fail N) by leaving the router's VIP route (a
# BGP withdrawal) and the backends' default route; it keeps running.
# Each host's bgxdp has its own pin dir ($PIN_DIR/lbN: namespaces share
# bpffs) and state dir ($WORK/state-lbN).  Checksum offload is off on the
# client and backend veths, as in lib.sh.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FLEET_HOSTS=${FLEET_HOSTS:-3}
FLEET_NAME=fleet-$ID
FLEET_LB_IF=f0                  # where bgxdp attaches on each host
FLEET_SYNC_PORT=7946
FLEET_ETCD_V4=10.215.0.100
FLEET_ETCD_V6=fd00:b6:15::100
NS_R=bgx-r-$ID
NS_SW=bgx-sw-$ID
NS_ETCD=bgx-etcd-$ID
NS_RR=bgx-rr-$ID
# lib.sh's backends, at the fleet's addresses
B_V4=([b1]=10.213.0.11 [b2]=10.213.0.12 [g1]=10.213.0.21 [g2]=10.213.0.22)
B_V6=([b1]=fd00:b6:13::11 [b2]=fd00:b6:13::12 [g1]=fd00:b6:13::21 [g2]=fd00:b6:13::22)
declare -A FLEET_UP=()          # host N -> 1 while it is in the routes
declare -A FLEET_ATTACHED=()    # host N -> 1 while bgxdp is attached there
declare -A LB_AGENT_PID=()      # host N -> its agent, while it runs

ns_lb() { echo "bgx-lb$1-$ID"; }
fleet_hosts() { seq 1 "$FLEET_HOSTS"; }
# lib.sh's cleanup deletes every namespace listed here.
all_ns() {
	local n b
	echo "$NS_C $NS_R $NS_SW $NS_ETCD"
	[[ ${FLEET_HASH:-} == client ]] && echo "$NS_RR"
	for n in $(fleet_hosts); do ns_lb "$n"; done
	for b in "${BACKENDS[@]}"; do ns_of "$b"; done
}

in_r() { ip netns exec "$NS_R" "$@"; }
in_lbn() { local n=$1; shift; ip netns exec "$(ns_lb "$n")" "$@"; }

# fleet_family 4|6: VIP, VIP_HP, VIP_URL and the etcd URL for the family.
fleet_family() {
	FAMILY=$1
	case $FAMILY in
	4) VIP=10.214.0.10; VIP_HP=$VIP:80; VIP_URL=http://$VIP:80/
	   FLEET_ETCD_URL=http://$FLEET_ETCD_V4:2379 ;;
	6) VIP=fd00:b6:14::10; VIP_HP=[$VIP]:80; VIP_URL=http://[$VIP]:80/
	   FLEET_ETCD_URL=http://[$FLEET_ETCD_V6]:2379 ;;
	*) fail "family must be 4 or 6, not '$FAMILY'" ;;
	esac
}

fleet_begin() {
	e2e_begin "$1" "$2"
	fleet_family "$2"
	need etcd
	need jq
	trap fleet_cleanup EXIT
}

# Detach bgxdp where the test attached it, then lib.sh's cleanup (processes,
# pins under $PIN_DIR, every namespace of all_ns, the work dir).
fleet_cleanup() {
	local rc=$? n
	((E2E_CLEANED)) && return 0
	for n in "${!FLEET_ATTACHED[@]}"; do
		[[ -e /run/netns/$(ns_lb "$n") ]] || continue
		timeout 10 nsenter --net="/run/netns/$(ns_lb "$n")" env BGXDP_PIN_DIR="$PIN_DIR/lb$n" \
			"$BGXDP" detach "$FLEET_LB_IF" >/dev/null 2>&1
	done
	(exit "$rc")
	e2e_cleanup
}

# ---- addresses ------------------------------------------------------------
# fleet_addr NET N: host N's address on NET (front|back|mgmt) for $FAMILY.
fleet_addr() {
	local net=$1 n=$2
	case $net/$FAMILY in
	front/4) echo "10.212.$n.2" ;;
	front/6) echo "fd00:b6:12:$n::2" ;;
	back/4) echo "10.213.0.$n" ;;
	back/6) echo "fd00:b6:13::$n" ;;
	mgmt/4) echo "10.215.0.$n" ;;
	mgmt/6) echo "fd00:b6:15::$n" ;;
	esac
}
# ADDR:PORT as bgxdp takes it ([v6]:port).
fleet_hp() { if [[ $FAMILY == 6 ]]; then echo "[$1]:$2"; else echo "$1:$2"; fi; }

# ---- building -------------------------------------------------------------
fleet_ns_add() {
	local ns=$1
	[[ -e /run/netns/$ns ]] && fail "namespace $ns already exists"
	ip netns add "$ns" || fail "ip netns add $ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 >/dev/null || fail "sysctl in $ns"
	ip -n "$ns" link set lo up
}

# fleet_veth NS_A IF_A NS_B IF_B: a veth pair, both ends up.
fleet_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || fail "veth $1/$2 - $3/$4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

fleet_forwarding() {
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1 >/dev/null ||
		fail "forwarding and multipath hashing in $1"
}

# How a connection's packets pick a host (FLEET_HASH):
#   5tuple  (default) the router hashes each packet's 5-tuple, and so does
#           each backend for its replies: a reply may leave through another
#           host than the one its request came through.
#   client  the router hashes only the client's address and port (source),
#           and the backends' replies go through a return router that hashes
#           only the client's address and port (destination) with the same
#           seed; Linux orders the fields before hashing, so both pick the
#           same host whenever both see the same hosts up: a connection's
#           replies go back through the host its requests came through.
#           bgxdp needs that for a handshake (the SYN-ACK is back long before
#           any flow sync could reach another host); flow sync keeps the
#           connection once it is established, whatever path it takes after.
#           (Both must be forwarding hops: Linux hashes a forwarded packet
#           and a locally sent one differently, so the backends cannot
#           spread their own replies symmetrically.)
FLEET_HASH=${FLEET_HASH:-5tuple}
FLEET_HASH_SEED=24301
FLEET_RR_V4=10.213.0.254
FLEET_RR_V6=fd00:b6:13::fe

# fleet_hash NS FIELDS: policy 3 (these fields only) with the shared seed.
fleet_hash() {
	ip netns exec "$1" sysctl -qw net.ipv4.fib_multipath_hash_policy=3 \
		net.ipv6.fib_multipath_hash_policy=3 net.ipv4.fib_multipath_hash_fields="$2" \
		net.ipv6.fib_multipath_hash_fields="$2" \
		net.ipv4.fib_multipath_hash_seed="$FLEET_HASH_SEED" >/dev/null ||
		fail "client-keyed multipath hashing in $1"
}

# The return router: forwards out of the interface it received on, so no
# redirects (sent or taken) may shortcut it.
fleet_build_return_router() {
	local b ns
	[[ $FLEET_HASH == client ]] || return 0
	fleet_forwarding "$NS_RR"
	ip netns exec "$NS_RR" sysctl -qw net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.default.send_redirects=0 >/dev/null || fail "redirects off in $NS_RR"
	fleet_veth "$NS_SW" s-rr "$NS_RR" rr0
	ip -n "$NS_SW" link set s-rr master br0
	ip -n "$NS_RR" addr add "$FLEET_RR_V4/24" dev rr0
	ip -n "$NS_RR" addr add "$FLEET_RR_V6/64" dev rr0 nodad
	for b in "${BACKENDS[@]}"; do
		ns=$(ns_of "$b")
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.accept_redirects=0 \
			net.ipv4.conf.eth0.accept_redirects=0 net.ipv6.conf.all.accept_redirects=0 \
			net.ipv6.conf.eth0.accept_redirects=0 >/dev/null || fail "redirects off in $ns"
	done
	fleet_hash "$NS_R" 0x0011                       # source address and port
	fleet_hash "$NS_RR" 0x0022                      # destination address and port
}

fleet_build_front() {
	local n
	fleet_veth "$NS_C" c0 "$NS_R" rc
	in_c ethtool -K c0 tx off >/dev/null 2>&1 || fail "ethtool -K c0 tx off"
	ip -n "$NS_C" addr add 10.211.0.2/24 dev c0
	ip -n "$NS_C" addr add fd00:b6:11::2/64 dev c0 nodad
	ip -n "$NS_C" route add default via 10.211.0.1
	ip -n "$NS_C" -6 route add default via fd00:b6:11::1
	ip -n "$NS_R" addr add 10.211.0.1/24 dev rc
	ip -n "$NS_R" addr add fd00:b6:11::1/64 dev rc nodad
	for n in $(fleet_hosts); do
		fleet_veth "$NS_R" "r$n" "$(ns_lb "$n")" f0
		ip -n "$NS_R" addr add "10.212.$n.1/24" dev "r$n"
		ip -n "$NS_R" addr add "fd00:b6:12:$n::1/64" dev "r$n" nodad
		ip -n "$(ns_lb "$n")" addr add "10.212.$n.2/24" dev f0
		ip -n "$(ns_lb "$n")" addr add "fd00:b6:12:$n::2/64" dev f0 nodad
		ip -n "$(ns_lb "$n")" route add default via "10.212.$n.1"
		ip -n "$(ns_lb "$n")" -6 route add default via "fd00:b6:12:$n::1"
	done
}

fleet_build_back() {
	local n b ns
	ip -n "$NS_SW" link add br0 type bridge stp_state 0 mcast_snooping 0 || fail "bridge br0"
	ip -n "$NS_SW" link set br0 up
	for n in $(fleet_hosts); do
		fleet_veth "$NS_SW" "s-lb$n" "$(ns_lb "$n")" b0
		ip -n "$NS_SW" link set "s-lb$n" master br0
		ip -n "$(ns_lb "$n")" addr add "10.213.0.$n/24" dev b0
		ip -n "$(ns_lb "$n")" addr add "fd00:b6:13::$n/64" dev b0 nodad
	done
	for b in "${BACKENDS[@]}"; do
		ns=$(ns_of "$b")
		fleet_veth "$NS_SW" "s-$b" "$ns" eth0
		ip -n "$NS_SW" link set "s-$b" master br0
		ip -n "$ns" addr add "${B_V4[$b]}/24" dev eth0
		ip -n "$ns" addr add "${B_V6[$b]}/64" dev eth0 nodad
		ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 ||
			fail "ethtool -K eth0 tx off ($b)"
	done
}

fleet_build_mgmt() {
	local n
	ip -n "$NS_ETCD" link add brm type bridge stp_state 0 mcast_snooping 0 || fail "bridge brm"
	ip -n "$NS_ETCD" addr add "$FLEET_ETCD_V4/24" dev brm
	ip -n "$NS_ETCD" addr add "$FLEET_ETCD_V6/64" dev brm nodad
	ip -n "$NS_ETCD" link set brm up
	for n in $(fleet_hosts); do
		fleet_veth "$NS_ETCD" "m-lb$n" "$(ns_lb "$n")" m0
		ip -n "$NS_ETCD" link set "m-lb$n" master brm
		ip -n "$(ns_lb "$n")" addr add "10.215.0.$n/24" dev m0
		ip -n "$(ns_lb "$n")" addr add "fd00:b6:15::$n/64" dev m0 nodad
	done
}

# ---- routes: which hosts are up --------------------------------------------
# fleet_nexthops ARRAY GATEWAY...: ARRAY=(nexthop via G ...) for ip route.
fleet_nexthops() {
	local -n out=$1
	local g
	shift
	out=()
	for g in "$@"; do out+=(nexthop via "$g"); done
}

# Rewrite the router's routes (the VIP, and the backend network for
# traffic to backend addresses) and the backends' default routes from
# FLEET_UP, both families.  No host up: the routes go.
fleet_routes_apply() {
	local n b dst up4=() up6=() back4=() back6=() nh=()
	for n in $(fleet_hosts); do
		((${FLEET_UP[$n]:-0})) || continue
		up4+=("10.212.$n.2")
		up6+=("fd00:b6:12:$n::2")
		back4+=("10.213.0.$n")
		back6+=("fd00:b6:13::$n")
	done
	for dst in 10.214.0.10/32 10.213.0.0/24; do ip -n "$NS_R" route del "$dst" 2>/dev/null; done
	for dst in fd00:b6:14::10/128 fd00:b6:13::/64; do ip -n "$NS_R" -6 route del "$dst" 2>/dev/null; done
	for b in "${BACKENDS[@]}"; do
		ip -n "$(ns_of "$b")" route del default 2>/dev/null
		ip -n "$(ns_of "$b")" -6 route del default 2>/dev/null
	done
	((${#up4[@]})) || return 0
	fleet_nexthops nh "${up4[@]}"
	for dst in 10.214.0.10/32 10.213.0.0/24; do
		ip -n "$NS_R" route add "$dst" "${nh[@]}" || fail "router route $dst over ${up4[*]}"
	done
	fleet_nexthops nh "${up6[@]}"
	for dst in fd00:b6:14::10/128 fd00:b6:13::/64; do
		ip -n "$NS_R" -6 route add "$dst" "${nh[@]}" || fail "router route $dst over ${up6[*]}"
	done
	if [[ $FLEET_HASH == client ]]; then
		fleet_return_routes
		return 0
	fi
	for b in "${BACKENDS[@]}"; do
		fleet_nexthops nh "${back4[@]}"
		ip -n "$(ns_of "$b")" route add default "${nh[@]}" ||
			fail "IPv4 default route of $b over ${back4[*]}"
		fleet_nexthops nh "${back6[@]}"
		ip -n "$(ns_of "$b")" -6 route add default "${nh[@]}" ||
			fail "IPv6 default route of $b over ${back6[*]}"
	done
}

# FLEET_HASH=client: the backends' default route is the return router,
# whose routes to the clients spread over the hosts that are up.
fleet_return_routes() {
	local b n back4=() back6=() nh=()
	for n in $(fleet_hosts); do
		((${FLEET_UP[$n]:-0})) || continue
		back4+=("10.213.0.$n")
		back6+=("fd00:b6:13::$n")
	done
	for b in "${BACKENDS[@]}"; do
		ip -n "$(ns_of "$b")" route add default via "$FLEET_RR_V4" ||
			fail "IPv4 default route of $b"
		ip -n "$(ns_of "$b")" -6 route add default via "$FLEET_RR_V6" ||
			fail "IPv6 default route of $b"
	done
	ip -n "$NS_RR" route del 10.211.0.0/24 2>/dev/null
	ip -n "$NS_RR" -6 route del fd00:b6:11::/64 2>/dev/null
	fleet_nexthops nh "${back4[@]}"
	ip -n "$NS_RR" route add 10.211.0.0/24 "${nh[@]}" ||
		fail "return router: route to the client over ${back4[*]}"
	fleet_nexthops nh "${back6[@]}"
	ip -n "$NS_RR" -6 route add fd00:b6:11::/64 "${nh[@]}" ||
		fail "return router: route to the client over ${back6[*]}"
}

fleet_host_fail() {
	[[ ${FLEET_UP[$1]:-0} == 1 ]] || fail "fleet_host_fail $1: host is not up"
	FLEET_UP[$1]=0
	fleet_routes_apply
	log "host lb$1 out of the ECMP route and the backends' return routes"
}

fleet_host_restore() {
	[[ ${FLEET_UP[$1]:-0} == 0 ]] || fail "fleet_host_restore $1: host is up"
	FLEET_UP[$1]=1
	fleet_routes_apply
	log "host lb$1 back in the ECMP route and the backends' return routes"
}

# ---- etcd on the management network ------------------------------------------
fleet_etcd_start() {
	local i
	mkdir -p "$WORK/etcd" && chmod 700 "$WORK/etcd"
	ip netns exec "$NS_ETCD" etcd --name "$FLEET_NAME" --data-dir "$WORK/etcd/data" \
		--listen-client-urls "http://$FLEET_ETCD_V4:2379,http://[$FLEET_ETCD_V6]:2379" \
		--advertise-client-urls "http://$FLEET_ETCD_V4:2379" \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster "$FLEET_NAME=http://127.0.0.1:2380" \
		>"$WORK/etcd.log" 2>&1 &
	FLEET_ETCD_PID=$!
	PIDS+=("$FLEET_ETCD_PID")
	for ((i = 0; i < 150; i++)); do
		fleet_etcd_call 1 /v3/kv/range '{"key":"AA=="}' >/dev/null 2>&1 && return 0
		kill -0 "$FLEET_ETCD_PID" 2>/dev/null || fail "etcd exited (see $WORK/etcd.log)"
		sleep 0.1
	done
	fail "etcd did not answer within 15 s"
}

# fleet_etcd_call N PATH JSON: a gateway call from host N; prints the answer.
fleet_etcd_call() {
	in_lbn "$1" curl -gsS --max-time 3 -X POST "$FLEET_ETCD_URL$2" -d "$3"
}

# ---- servers ------------------------------------------------------------------
fleet_servers_start() {
	local b
	for b in "${BACKENDS[@]}"; do
		ip netns exec "$(ns_of "$b")" python3 -u "$E2E_DIR/server.py" \
			--color "${B_COLOR[$b]}" --name "$b" --port "$B_PORT" --tag "$TAG" \
			>"$WORK/server-$b.log" 2>&1 &
		PIDS+=($!)
	done
}

# Every backend answers every host directly (bounded: 100 x 0.1 s each).
fleet_wait_backends() {
	local n b i body ok url
	for n in $(fleet_hosts); do
		for b in "${BACKENDS[@]}"; do
			url=$(backend_url "$b")
			ok=0
			for ((i = 0; i < 100; i++)); do
				body=$(in_lbn "$n" curl -gsS --max-time 1 "$url" 2>/dev/null) && { ok=1; break; }
				sleep 0.1
			done
			((ok)) || fail "backend $b not reachable from lb$n at $url"
			[[ $body == "${B_COLOR[$b]} $b" ]] || fail "backend $b answered lb$n with '$body'"
		done
	done
}

fleet_wait_dad() {
	local ns i
	for ns in $(all_ns); do
		for ((i = 0; i < 50; i++)); do
			[[ -z $(ip -n "$ns" -6 addr show tentative 2>/dev/null) ]] && break
			sleep 0.1
		done
	done
}

# fleet_up: the whole network, backends serving, etcd answering, every host up.
fleet_up() {
	local ns n
	log "building the fleet network: $FLEET_HOSTS hosts (id $ID)"
	for ns in $(all_ns); do fleet_ns_add "$ns"; done
	fleet_forwarding "$NS_R"
	for n in $(fleet_hosts); do fleet_forwarding "$(ns_lb "$n")"; done
	for b in "${BACKENDS[@]}"; do fleet_forwarding "$(ns_of "$b")"; done
	fleet_build_front
	fleet_build_back
	fleet_build_return_router
	fleet_build_mgmt
	for n in $(fleet_hosts); do FLEET_UP[$n]=1; done
	fleet_routes_apply
	fleet_wait_dad
	fleet_servers_start
	fleet_etcd_start
	fleet_wait_backends
	log "fleet network up: etcd at $FLEET_ETCD_URL, 4 backends answer every host over IPv$FAMILY ($FLEET_HASH hashing)"
}

# ---- bgxdp on a host -------------------------------------------------------------
# fleet_bgx N ARGS...: bgxdp on host N with its own pin and state dirs.
fleet_bgx() {
	local n=$1
	shift
	[[ -x $BGXDP ]] || fail "bgxdp binary not found: $BGXDP"
	[[ -n ${BGX_QUIET:-} ]] || log "lb$n\$ bgxdp $*"
	mkdir -p "$WORK/state-lb$n"
	timeout 20 nsenter --net="/run/netns/$(ns_lb "$n")" env BGXDP_PIN_DIR="$PIN_DIR/lb$n" \
		BGXDP_STATE_DIR="$WORK/state-lb$n" "$BGXDP" "$@"
}

fleet_attach() {
	fleet_bgx "$1" attach "$FLEET_LB_IF" ${E2E_XDP_MODE:+--mode "$E2E_XDP_MODE"} ||
		fail "bgxdp attach on lb$1"
	FLEET_ATTACHED[$1]=1
}

# The shared flow-sync key ($WORK/sync.key, 0600, 64 hex digits).
fleet_sync_key() {
	FLEET_SYNC_KEY=$WORK/sync.key
	[[ -e $FLEET_SYNC_KEY ]] && return 0
	(umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$FLEET_SYNC_KEY") ||
		fail "cannot write $FLEET_SYNC_KEY"
}

# Host N's flow-sync address on the management network, and the
# --sync-peer options naming every other host.
fleet_sync_addr() { fleet_hp "$(fleet_addr mgmt "$1")" "$FLEET_SYNC_PORT"; }
fleet_sync_peers() {
	local n m
	n=$1
	for m in $(fleet_hosts); do
		((m == n)) || printf -- '--sync-peer %s ' "$(fleet_sync_addr "$m")"
	done
}

# fleet_sync_peer_list N: the other hosts' sync addresses, comma-separated
# (one --sync-peer naming them all; fleet_sync_peers repeats the option).
fleet_sync_peer_list() {
	local m list=()
	for m in $(fleet_hosts); do ((m == $1)) || list+=("$(fleet_sync_addr "$m")"); done
	(IFS=,; echo "${list[*]}")
}

# lb_agent_sync N ARGS...: host N's agent with etcd and flow sync.
lb_agent_sync() {
	fleet_sync_key
	# shellcheck disable=SC2046  # fleet_sync_peers: words, on purpose
	lb_agent_config "$1" --sync-listen "$(fleet_sync_addr "$1")" \
		$(fleet_sync_peers "$1") --sync-key "$FLEET_SYNC_KEY" "${@:2}"
}

# fleet_route_only N: the router and the return path send everything
# through host N alone (the others stay running, out of the routes).
fleet_route_only() {
	local m
	for m in $(fleet_hosts); do FLEET_UP[$m]=$((m == $1)); done
	fleet_routes_apply
}

# lb_agent_start N ARGS...: host N's agent in the background (killed by
# the cleanup), named lbN in the fleet; its log is $WORK/agent-lbN.log.
# lb_agent_config N ARGS...: the same with this test's etcd and fleet.
# `bgxdp agent` with the given fleet options: health checks, rollouts and
# the fleet in one process, its pid the agent's (bgxdp execs its agent
# program).
lb_agent_start() {
	local n=$1
	shift
	mkdir -p "$WORK/state-lb$n"
	nsenter --net="/run/netns/$(ns_lb "$n")" env BGXDP_PIN_DIR="$PIN_DIR/lb$n" \
		BGXDP_STATE_DIR="$WORK/state-lb$n" "$BGXDP" agent --host-name "lb$n" "$@" \
		>>"$WORK/agent-lb$n.log" 2>&1 &
	PIDS+=($!)
	LB_AGENT_PID[$n]=$!
}

lb_agent_config() {
	lb_agent_start "$1" --etcd "$FLEET_ETCD_URL" --fleet "$FLEET_NAME" "${@:2}"
}

# lb_agent_kill N [SIGNAL]: stop host N's agent (default TERM), wait for it.
lb_agent_kill() {
	local pid=${LB_AGENT_PID[$1]:-} i
	[[ -n $pid ]] || fail "no agent started on lb$1"
	kill "-${2:-TERM}" "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && fail "the agent on lb$1 (pid $pid) did not stop within 10 s"
	wait "$pid" 2>/dev/null
	unset "LB_AGENT_PID[$1]"
}

# ---- counters, per namespace -------------------------------------------------------
# fleet_snmp NS TABLE FIELD: a counter of /proc/net/snmp (Tcp, Ip, ...) there.
fleet_snmp() {
	# shellcheck disable=SC2016  # awk's own $fields
	ip netns exec "$1" awk -v t="$2:" -v f="$3" '
		$1 == t && !n { for (i = 2; i <= NF; i++) col[$i] = i; n = 1; next }
		$1 == t && n { print $col[f]; exit }' /proc/net/snmp
}
# Connections accepted by host N (both families share the TCP counters).
fleet_passive_opens() { fleet_snmp "$(ns_lb "$1")" Tcp PassiveOpens; }
# Packets host N forwarded for $FAMILY.
fleet_forwarded() {
	if [[ $FAMILY == 4 ]]; then
		fleet_snmp "$(ns_lb "$1")" Ip ForwDatagrams
	else
		# shellcheck disable=SC2016
		ip netns exec "$(ns_lb "$1")" awk '$1 == "Ip6OutForwDatagrams" { print $2 }' /proc/net/snmp6
	fi
}

# ---- the fleet's desired state -----------------------------------------------------
# fleet_config FILE GREEN_PERCENT: the desired state of every host: bgxdp on
# f0, the web service on the VIP with the 4 backends of $FAMILY.
fleet_config() {
	local b c
	{
		echo "interfaces:"
		echo "  - {name: $FLEET_LB_IF${E2E_XDP_MODE:+, mode: $E2E_XDP_MODE}}"
		echo "services:"
		echo "  - name: $SERVICE"
		echo "    vip: \"$VIP_HP\""
		echo "    share: {green: $2}"
		echo "    backends:"
		for c in blue green; do
			echo "      $c:"
			for b in "${BACKENDS[@]}"; do
				[[ ${B_COLOR[$b]} == "$c" ]] && echo "        - \"$(backend_hp "$b")\""
			done
		done
	} >"$1"
}

# fleet_ctl SUBCOMMAND ARGS...: `bgxdp fleet SUBCOMMAND` on this test's etcd
# and fleet, from host 1 (over the management network).
fleet_ctl() {
	BGX_QUIET=1 fleet_bgx 1 fleet "$1" --etcd "$FLEET_ETCD_URL" --fleet "$FLEET_NAME" "${@:2}"
}

# fleet_metric N NAME: the value of a metric (first sample) of host N's agent.
fleet_metric() {
	in_lbn "$1" curl -sS --max-time 2 http://127.0.0.1:9477/metrics 2>/dev/null |
		awk -v m="$2" '$1 == m || index($1, m "{") == 1 { print $2; exit }'
}

# fleet_promtool N: host N's agent serves what promtool accepts.
fleet_promtool() {
	need promtool
	in_lbn "$1" curl -sS --max-time 2 http://127.0.0.1:9477/metrics >"$WORK/metrics-lb$1.prom" ||
		fail "lb$1's agent serves no metrics"
	promtool check metrics <"$WORK/metrics-lb$1.prom" ||
		fail "promtool check metrics rejects lb$1's agent's metrics"
}

# fleet_wait_in_sync SECONDS: until `fleet status` says every host is in sync.
fleet_wait_in_sync() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		fleet_ctl status -j >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fleet_ctl status
	fail "the fleet is not in sync after $1 s"
}

# fleet_wait_up N SECONDS: until N agents report to etcd (their status is up).
fleet_wait_up() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		{ fleet_ctl status -j 2>/dev/null || true; } |
			jq -e "[.hosts[] | select(.up)] | length == $1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "$1 agents did not report to etcd within $2 s"
}

# fleet_expect_color COLOR N: N new connections through the router, all COLOR.
fleet_expect_color() {
	local i body
	for ((i = 0; i < $2; i++)); do
		body=$(curl_vip) || fail "request $((i + 1))/$2 to $VIP_URL failed"
		[[ $body == "$1 "* ]] || fail "request $((i + 1))/$2: want $1, got '$body'"
	done
}

# percentile P FILE: the P-th percentile (nearest rank) of the numbers in FILE.
percentile() {
	sort -g "$2" | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; print v[i] }'
}
