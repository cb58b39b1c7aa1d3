# shellcheck shell=bash
# tests/e2e/lib.sh - network-namespace topology and helpers for bgxdp e2e tests.
#
# Sourced by tests/e2e/t_*.sh and scripts/demo.sh.  The topology (docs/architecture.md,
# "Test topology"), all of it inside namespaces this process creates:
#
#   bgx-c-ID (client)            bgx-lb-ID (switcher)                 backends
#   c0 10.201.0.2      --veth--  l0 10.201.0.1   (bgxdp on l0)
#      fd00:b6:1::2                 fd00:b6:1::1
#                                br0 10.202.0.1 / fd00:b6:2::1 --+-- bgx-b1-ID  blue  .11 / ::11
#                                ip_forward=1 (v4 and v6)        +-- bgx-b2-ID  blue  .12 / ::12
#                                                                +-- bgx-g1-ID  green .21 / ::21
#                                                                +-- bgx-g2-ID  green .22 / ::22
#
# Each backend runs tests/e2e/server.py on port 8080 (answers "<color> <name>").
# The VIPs 10.203.0.10:80 and [fd00:b6:3::10]:80 are on no interface: the
# client routes 10.203.0.0/24 and fd00:b6:3::/64 via the lb.  Client and
# backend veths have tx checksum offload off, so every packet carries a full
# checksum and a wrong one is dropped by the receiver instead of hidden.
#
# ID is the PID of the test ($$), so several tests can run side by side.
# bgxdp runs in the lb netns via nsenter --net (ip netns exec would remount
# /sys and hide /sys/fs/bpf) with BGXDP_PIN_DIR=/sys/fs/bpf/bgxdp-e2e-ID.
# e2e_begin installs an EXIT/INT/TERM trap that kills what the test started,
# detaches, removes the pins, the namespaces and the work dir.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)

# The binary under test: BGXDP=path (relative to the current directory),
# default build/bgxdp of this repository.
if [[ -n ${BGXDP:-} ]]; then
	BGXDP=$(realpath -m -- "$BGXDP")
else
	BGXDP=$REPO_DIR/build/bgxdp
fi

ID=${E2E_ID:-$$}
TAG=bgx-e2e-$ID
NS_C=bgx-c-$ID
NS_LB=bgx-lb-$ID
BACKENDS=(b1 b2 g1 g2)
declare -A B_COLOR=([b1]=blue [b2]=blue [g1]=green [g2]=green)
declare -A B_V4=([b1]=10.202.0.11 [b2]=10.202.0.12 [g1]=10.202.0.21 [g2]=10.202.0.22)
declare -A B_V6=([b1]=fd00:b6:2::11 [b2]=fd00:b6:2::12 [g1]=fd00:b6:2::21 [g2]=fd00:b6:2::22)
B_PORT=8080
LB_IF=l0
C_IF=c0
SERVICE=web
PIN_DIR=/sys/fs/bpf/bgxdp-e2e-$ID
WORK=/tmp/$TAG

STATE_DIR=$WORK/state   # the state dir every bgxdp command and the agent use
PIDS=()          # processes this test started (killed by PID on exit)
declare -A B_PID=()   # backend name -> PID of its server
ATTACHED=0       # bgxdp attached on $LB_IF
E2E_NAME=e2e
E2E_CLEANED=0

ns_of() { echo "bgx-$1-$ID"; }
all_ns() { local b; echo "$NS_C $NS_LB"; for b in "${BACKENDS[@]}"; do ns_of "$b"; done; }

log() {
	if [[ -n ${E2E_PLAIN_LOG:-} ]]; then printf '   %s\n' "$*"  # the demo
	else printf '[%s %s] %s\n' "$(date +%T.%3N)" "$E2E_NAME" "$*"; fi
}
fail() { log "FAIL: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || fail "missing tool '$1' (run scripts/install-deps.sh)"; }

# ---- family ------------------------------------------------------------
# e2e_family 4|6 sets VIP (address), VIP_HP (ADDR:PORT as bgxdp takes it),
# VIP_URL, and backend_hp NAME / backend_url NAME.
e2e_family() {
	FAMILY=$1
	case $FAMILY in
	4) VIP=10.203.0.10; VIP_HP=$VIP:80; VIP_URL=http://$VIP:80/ ;;
	6) VIP=fd00:b6:3::10; VIP_HP=[$VIP]:80; VIP_URL=http://[$VIP]:80/ ;;
	*) fail "family must be 4 or 6, not '$FAMILY'" ;;
	esac
}
backend_addr() { if [[ $FAMILY == 4 ]]; then echo "${B_V4[$1]}"; else echo "${B_V6[$1]}"; fi; }
backend_hp() { if [[ $FAMILY == 4 ]]; then echo "${B_V4[$1]}:$B_PORT"; else echo "[${B_V6[$1]}]:$B_PORT"; fi; }
backend_url() { echo "http://$(backend_hp "$1")/"; }

# ---- begin / cleanup ----------------------------------------------------
e2e_begin() {
	E2E_NAME=$1
	e2e_family "$2"
	((EUID == 0)) || fail "must run as root"
	local t
	for t in ip tc nsenter ethtool curl python3 timeout sysctl; do need "$t"; done
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$WORK"
	e2e_bpffs
}

# bgxdp mounts bpffs itself, but the checks below look at the pin dir too.
e2e_bpffs() {
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf || fail "cannot mount bpffs at /sys/fs/bpf"
	fi
}

e2e_cleanup() {
	local rc=$?
	((E2E_CLEANED)) && return 0
	E2E_CLEANED=1
	trap - EXIT INT TERM
	trap '' INT TERM          # cleanup itself is not interrupted
	local p i ns
	# 1. our processes, by PID: TERM, wait up to 3 s, then KILL
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for ((i = 0; i < 30; i++)); do
		local alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		((alive)) || break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	# 2. detach (best effort; deleting the namespace removes the iface anyway)
	if ((ATTACHED)) && [[ -x $BGXDP ]] && [[ -e /run/netns/$NS_LB ]]; then
		timeout 10 nsenter --net="/run/netns/$NS_LB" \
			env BGXDP_PIN_DIR="$PIN_DIR" "$BGXDP" detach "$LB_IF" >/dev/null 2>&1
	fi
	# 3. pins (only ever our own dir)
	if [[ $PIN_DIR == /sys/fs/bpf/bgxdp-e2e-* && -e $PIN_DIR ]]; then
		rm -rf -- "$PIN_DIR"
	fi
	# 4. anything still running inside our namespaces, then the namespaces
	for ns in $(all_ns); do
		[[ -e /run/netns/$ns ]] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	# 5. work dir (logs shown first when the test failed; the state dir's
	#    history too)
	if ((rc != 0)) && [[ -s $STATE_DIR/history.jsonl ]]; then
		echo "---- history (last 20 entries)"
		tail -n 20 "$STATE_DIR/history.jsonl"
	fi
	if ((rc != 0)) && [[ -d $WORK ]]; then
		local f
		for f in "$WORK"/*.log; do
			(($(wc -l <"$f") > 1)) || continue   # only the "listening" line
			echo "---- $(basename "$f") (last 20 lines)"
			tail -n 20 "$f"
		done
	fi
	[[ -n ${E2E_KEEP_WORK:-} ]] && return "$rc"
	[[ $WORK == /tmp/bgx-e2e-* ]] && rm -rf -- "$WORK"
	return "$rc"
}

# Sleep that a TERM/INT interrupts at once (bash runs traps only between
# commands, and `wait` is interruptible).
e2e_sleep() {
	sleep "$1" &
	local p=$!
	wait "$p" 2>/dev/null || true
}

# ---- running things ----------------------------------------------------
# (Never background these functions: `in_c cmd &` makes $! a subshell, not
# cmd.  Background processes are started with `ip netns exec` directly, which
# execs, so $! is the process itself and goes into PIDS.)
in_c() { ip netns exec "$NS_C" "$@"; }
in_lb() { ip netns exec "$NS_LB" "$@"; }

# bgxdp in the lb netns, with our pin dir; echoes the command, bounded in time.
bgx() {
	[[ -x $BGXDP ]] || fail "bgxdp binary not found: $BGXDP (build it with make, or set BGXDP=path)"
	[[ -n ${BGX_QUIET:-} ]] || log "\$ bgxdp $*"
	timeout 20 nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" \
		BGXDP_STATE_DIR="$STATE_DIR" "$BGXDP" "$@"
}

# One HTTP GET from the client; prints the body.  Non-zero on any failure.
curl_c() { in_c curl -gsS --max-time "${CURL_TIMEOUT:-2}" --connect-timeout "${CURL_TIMEOUT:-2}" "$1"; }
curl_vip() { curl_c "$VIP_URL"; }

# ---- topology ----------------------------------------------------------
topo_up() {
	local b ns
	log "building topology (id $ID)"
	for ns in $(all_ns); do
		[[ -e /run/netns/$ns ]] && fail "namespace $ns already exists"
		ip netns add "$ns" || fail "ip netns add $ns"
	done
	# sysctls first, so new interfaces inherit "no DAD"
	for ns in $(all_ns); do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 >/dev/null || fail "sysctl in $ns"
		ip -n "$ns" link set lo up
	done
	in_lb sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null ||
		fail "enable forwarding in $NS_LB"

	# client <-> lb
	ip -n "$NS_C" link add "$C_IF" type veth peer name "$LB_IF" netns "$NS_LB" ||
		fail "veth client-lb"
	ip -n "$NS_C" addr add 10.201.0.2/24 dev "$C_IF"
	ip -n "$NS_C" addr add fd00:b6:1::2/64 dev "$C_IF" nodad
	ip -n "$NS_LB" addr add 10.201.0.1/24 dev "$LB_IF"
	ip -n "$NS_LB" addr add fd00:b6:1::1/64 dev "$LB_IF" nodad
	in_c ethtool -K "$C_IF" tx off >/dev/null 2>&1 || fail "ethtool -K $C_IF tx off"
	ip -n "$NS_C" link set "$C_IF" up
	ip -n "$NS_LB" link set "$LB_IF" up
	ip -n "$NS_C" route add 10.202.0.0/24 via 10.201.0.1
	ip -n "$NS_C" route add 10.203.0.0/24 via 10.201.0.1
	ip -n "$NS_C" -6 route add fd00:b6:2::/64 via fd00:b6:1::1
	ip -n "$NS_C" -6 route add fd00:b6:3::/64 via fd00:b6:1::1

	# lb bridge <-> backends
	ip -n "$NS_LB" link add br0 type bridge stp_state 0 mcast_snooping 0 || fail "bridge"
	ip -n "$NS_LB" addr add 10.202.0.1/24 dev br0
	ip -n "$NS_LB" addr add fd00:b6:2::1/64 dev br0 nodad
	ip -n "$NS_LB" link set br0 up
	for b in "${BACKENDS[@]}"; do
		ns=$(ns_of "$b")
		ip -n "$NS_LB" link add "v$b" type veth peer name eth0 netns "$ns" || fail "veth $b"
		ip -n "$NS_LB" link set "v$b" master br0
		ip -n "$NS_LB" link set "v$b" up
		ip -n "$ns" addr add "${B_V4[$b]}/24" dev eth0
		ip -n "$ns" addr add "${B_V6[$b]}/64" dev eth0 nodad
		ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 || fail "ethtool -K eth0 tx off ($b)"
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add default via 10.202.0.1
		ip -n "$ns" -6 route add default via fd00:b6:2::1
	done

	# one HTTP server per backend
	for b in "${BACKENDS[@]}"; do backend_start "$b"; done

	topo_wait
}

# backend_start NAME [server.py options]: (re)start the backend's HTTP server.
backend_start() {
	local b=$1
	shift
	ip netns exec "$(ns_of "$b")" python3 -u "$E2E_DIR/server.py" \
		--color "${B_COLOR[$b]}" --name "$b" --port "$B_PORT" --tag "$TAG" "$@" \
		>>"$WORK/server-$b.log" 2>&1 &
	B_PID[$b]=$!
	PIDS+=($!)
}

# backend_kill NAME: kill -9 the backend's server (its host answers RST).
backend_kill() {
	kill -KILL "${B_PID[$1]}" 2>/dev/null
	wait "${B_PID[$1]}" 2>/dev/null
	return 0
}

# Wait until no address is tentative and every backend answers the client
# directly over IPv4 and IPv6 (bounded: 100 tries x 0.1 s per backend).
topo_wait() {
	local ns b i url body ok
	for ns in $(all_ns); do
		for ((i = 0; i < 50; i++)); do
			[[ -z $(ip -n "$ns" -6 addr show tentative 2>/dev/null) ]] && break
			sleep 0.1
		done
	done
	for b in "${BACKENDS[@]}"; do
		for url in "http://${B_V4[$b]}:$B_PORT/" "http://[${B_V6[$b]}]:$B_PORT/"; do
			ok=0
			for ((i = 0; i < 100; i++)); do
				body=$(CURL_TIMEOUT=1 curl_c "$url" 2>/dev/null) && { ok=1; break; }
				sleep 0.1
			done
			((ok)) || fail "backend $b not reachable at $url"
			[[ $body == "${B_COLOR[$b]} $b" ]] || fail "backend $b at $url answered '$body'"
		done
	done
	log "topology up: 4 backends answer directly over IPv4 and IPv6"
}

# ---- bgxdp setup ---------------------------------------------------------
# Attach on the client-facing veth, one service with 2 blue + 2 green
# backends for the current family, all new flows to blue.  LB_ATTACH_ARGS
# and LB_SERVICE_ARGS add options to `attach` and `service add`.
lb_setup() {
	local b
	# shellcheck disable=SC2086  # LB_ATTACH_ARGS: extra attach options, split
	bgx attach "$LB_IF" ${E2E_XDP_MODE:+--mode "$E2E_XDP_MODE"} ${LB_ATTACH_ARGS:-} ||
		fail "bgxdp attach $LB_IF"
	ATTACHED=1
	# shellcheck disable=SC2086  # LB_SERVICE_ARGS: extra service options, e.g. --preview
	bgx service add "$SERVICE" --vip "$VIP_HP" ${LB_SERVICE_ARGS:-} || fail "bgxdp service add"
	for b in "${BACKENDS[@]}"; do
		bgx backend add "$SERVICE" "${B_COLOR[$b]}" "$(backend_hp "$b")" ||
			fail "bgxdp backend add $b"
	done
	bgx set blue || fail "bgxdp set blue"
}

# expect_color COLOR N: N requests, each on a new connection, all answer COLOR.
expect_color() {
	local color=$1 n=$2 i body
	for ((i = 0; i < n; i++)); do
		body=$(curl_vip) || fail "request $((i + 1))/$n to $VIP_URL failed"
		[[ $body == "$color "* ]] || fail "request $((i + 1))/$n to $VIP_URL: want $color, got '$body'"
	done
	log "$n/$n requests to $VIP_URL answered $color (last: $body)"
}

# ---- load client -----------------------------------------------------------
# Uses $LOADCLIENT if set (run.sh builds it once), else builds it here.
loadclient_build() {
	if [[ -n ${LOADCLIENT:-} && -x $LOADCLIENT ]]; then return 0; fi
	need gcc
	LOADCLIENT=$WORK/loadclient
	gcc -O2 -Wall -Wextra -Werror -pthread -o "$LOADCLIENT" "$E2E_DIR/loadclient.c" ||
		fail "cannot build loadclient"
}

# json_num JSON KEY: a numeric field of the load client's JSON line.
json_num() {
	local v
	v=$(sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" <<<"$1")
	echo "${v:-0}"
}
