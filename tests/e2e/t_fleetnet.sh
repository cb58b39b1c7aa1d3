#!/usr/bin/env bash
# t_fleetnet.sh 4|6 - the fleet test network itself, without bgxdp
# (tests/e2e/lib_fleet.sh): etcd answers every host over the management
# network, every backend answers every host, the router's ECMP route spreads
# a client's connections over the hosts and the backends' return route
# spreads over them too, and a failed host gets nothing until it is back.
#
# To see where connections land without bgxdp, each host serves the VIP
# itself for this test (the VIP on its loopback, an HTTP server answering
# "blue lbN"); the answers and each host's accepted-connection counter
# (/proc/net/snmp Tcp PassiveOpens, per namespace) must agree.
set -uo pipefail
# shellcheck source=tests/e2e/lib_fleet.sh
. "$(dirname "$0")/lib_fleet.sh"
fleet_begin "fleetnet/ipv${1:-4}" "${1:-4}"
CONNS=60

fleet_up

# ---- etcd from every host ------------------------------------------------------
for n in $(fleet_hosts); do
	key=$(printf 'fleetnet/lb%s' "$n" | base64)
	val=$(printf '%s' "$n" | base64)
	fleet_etcd_call "$n" /v3/kv/put "{\"key\":\"$key\",\"value\":\"$val\"}" >/dev/null ||
		fail "lb$n cannot put into etcd at $FLEET_ETCD_URL"
done
for n in $(fleet_hosts); do
	answer=$(fleet_etcd_call "$n" /v3/kv/range \
		"{\"key\":\"$(printf fleetnet/ | base64)\",\"range_end\":\"$(printf fleetnet0 | base64)\"}") ||
		fail "lb$n cannot read etcd"
	count=$(jq -r '.count // "0"' <<<"$answer")
	[[ $count == "$FLEET_HOSTS" ]] || fail "lb$n reads $count keys under fleetnet/, want $FLEET_HOSTS"
done
log "etcd at $FLEET_ETCD_URL: every host wrote a key and reads all $FLEET_HOSTS"

# ---- each host serves the VIP, for this test only ---------------------------------
plen=32; [[ $FAMILY == 6 ]] && plen=128
for n in $(fleet_hosts); do
	ip -n "$(ns_lb "$n")" addr add "$VIP/$plen" dev lo || fail "VIP on lb$n"
	in_lbn "$n" python3 -u "$E2E_DIR/server.py" --color blue --name "lb$n" --port 80 --tag "$TAG" \
		>"$WORK/server-lb$n.log" 2>&1 &
	PIDS+=($!)
done
for n in $(fleet_hosts); do
	for ((i = 0; i < 100; i++)); do
		[[ $(in_lbn "$n" curl -gsS --max-time 1 "$VIP_URL" 2>/dev/null) == "blue lb$n" ]] && break
		sleep 0.1
	done
	((i < 100)) || fail "lb$n does not serve $VIP_URL itself"
done

# spread CONNS: CONNS new connections from the client; sets GOT[$n] (answers)
# and OPENED[n] (the host's PassiveOpens delta), checks they agree.
declare -A GOT OPENED
spread() {
	local i body n before=()
	for n in $(fleet_hosts); do GOT[$n]=0; before[n]=$(fleet_passive_opens "$n"); done
	for ((i = 0; i < $1; i++)); do
		body=$(curl_vip) || fail "connection $((i + 1))/$1 to $VIP_URL failed"
		[[ $body =~ ^blue\ lb([0-9]+)$ ]] || fail "connection $((i + 1)): answer '$body'"
		GOT[${BASH_REMATCH[1]}]=$((GOT[${BASH_REMATCH[1]}] + 1))
	done
	for n in $(fleet_hosts); do
		OPENED[$n]=$(($(fleet_passive_opens "$n") - before[n]))
		((OPENED[$n] == GOT[$n])) ||
			fail "lb$n answered ${GOT[$n]} connections but accepted ${OPENED[$n]}"
	done
	log "$1 connections: $(for n in $(fleet_hosts); do printf 'lb%s %s  ' "$n" "${GOT[$n]}"; done)"
}

# Bin(60, 1/3) < 5 for a host: p ~ 1e-5
spread "$CONNS"
for n in $(fleet_hosts); do
	((GOT[$n] >= 5)) || fail "ECMP gave lb$n only ${GOT[$n]} of $CONNS connections"
done
log "ECMP spreads the client's connections over all $FLEET_HOSTS hosts"

# ---- the backends' return route goes through the hosts ------------------------------
# A server on the client; each backend opens connections to it.
ip netns exec "$NS_C" python3 -u "$E2E_DIR/server.py" --color blue --name client --port 8081 \
	--tag "$TAG" >"$WORK/server-client.log" 2>&1 &
PIDS+=($!)
CLIENT_URL=$(if [[ $FAMILY == 4 ]]; then echo http://10.211.0.2:8081/; else echo "http://[fd00:b6:11::2]:8081/"; fi)
for ((i = 0; i < 100; i++)); do
	in_c curl -gsS --max-time 1 "$CLIENT_URL" >/dev/null 2>&1 && break
	sleep 0.1
done
((i < 100)) || fail "the client's own server does not answer"

# returns: 10 connections from each backend to the client; sets FWD[$n], the
# packets each host forwarded meanwhile.
declare -A FWD
returns() {
	local b i n before=()
	for n in $(fleet_hosts); do before[n]=$(fleet_forwarded "$n"); done
	for b in "${BACKENDS[@]}"; do
		for ((i = 0; i < 10; i++)); do
			ip netns exec "$(ns_of "$b")" curl -gsS --max-time 2 "$CLIENT_URL" >/dev/null ||
				fail "backend $b cannot reach the client at $CLIENT_URL"
		done
	done
	for n in $(fleet_hosts); do FWD[$n]=$(($(fleet_forwarded "$n") - before[n])); done
	log "backends -> client, packets forwarded: $(for n in $(fleet_hosts); do printf 'lb%s %s  ' "$n" "${FWD[$n]}"; done)"
}
returns
for n in $(fleet_hosts); do
	((FWD[$n] > 0)) || fail "no return traffic went through lb$n"
done
log "the backends' return route spreads over all $FLEET_HOSTS hosts"

# ---- a host fails, then comes back ------------------------------------------------------
fleet_host_fail 1
spread "$CONNS"
((GOT[1] == 0)) || fail "failed host lb1 still got ${GOT[1]} connections"
returns
((FWD[1] == 0)) || fail "failed host lb1 still forwarded ${FWD[1]} return packets"
for n in $(fleet_hosts); do
	((n == 1 || GOT[$n] >= 5)) || fail "lb$n got only ${GOT[$n]} of $CONNS with lb1 out"
done
log "lb1 out: its connections and return traffic moved to the other hosts"

fleet_host_restore 1
spread "$CONNS"
((GOT[1] >= 5)) || fail "restored host lb1 got only ${GOT[1]} of $CONNS connections"
returns
((FWD[1] > 0)) || fail "restored host lb1 forwards no return traffic"
log "lb1 back: it takes connections and return traffic again"
log "PASS"
