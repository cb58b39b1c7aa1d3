#!/usr/bin/env bash
# t_hold.sh 4|6 - helper of t_cleanup.sh, not a test by itself: builds the
# topology, attaches bgxdp, starts a load client, writes $WORK/ready, then
# waits (at most 60 s) for t_cleanup.sh to kill it with SIGTERM.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "hold/ipv${1:-4}" "${1:-4}"

topo_up
target=$(backend_hp b1)
if [[ -x $BGXDP ]]; then
	lb_setup
	target=$VIP_HP
else
	PIN_DIR=none      # no bgxdp binary yet: hold the topology only
fi
loadclient_build
ip netns exec "$NS_C" "$LOADCLIENT" "$target" -n 10000000 -d 60 -c 1 --tag "$TAG" >"$WORK/load.json" 2>"$WORK/load.log" &
PIDS+=($!)
echo "$PIN_DIR" >"$WORK/ready"
log "holding; waiting for SIGTERM"
e2e_sleep 60
fail "nobody stopped me within 60 s"
