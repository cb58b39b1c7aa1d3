#!/usr/bin/env bash
# t_cleanup.sh 4|6 - a test killed with SIGTERM in the middle of a run
# (topology up, bgxdp attached, servers and load running) leaves nothing
# behind: no namespace, no pin dir, no process, no work dir.
# (run.sh also checks the same after every other test.)
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "cleanup/ipv${1:-4}" "${1:-4}"

bash "$E2E_DIR/t_hold.sh" "$FAMILY" >"$WORK/hold.log" 2>&1 &
child=$!; PIDS+=("$child")
cwork=/tmp/bgx-e2e-$child
for ((i = 0; i < 300; i++)); do
	[[ -e $cwork/ready ]] && break
	kill -0 "$child" 2>/dev/null || break
	e2e_sleep 0.1
done
[[ -e $cwork/ready ]] || { cat "$WORK/hold.log"; fail "held test $child never got ready"; }
cpins=$(cat "$cwork/ready")
if [[ $cpins == none ]]; then
	log "no bgxdp binary: checking the cleanup of topology and processes only"
else
	[[ -d $cpins ]] || fail "held test has no pin dir $cpins"
fi
nns=$(ip netns list | grep -c -- "-$child\b")
nprocs=$(pgrep -f -- "bgx-e2e-$child( |$)" | wc -l)
log "held test $child: $nns namespaces, $nprocs tagged processes, pins in $cpins; sending SIGTERM"

kill -TERM "$child"
for ((i = 0; i < 150; i++)); do
	kill -0 "$child" 2>/dev/null || break
	e2e_sleep 0.1
done
kill -0 "$child" 2>/dev/null && fail "held test $child still running 15 s after SIGTERM"
wait "$child"; log "held test exited with $?"

left=()
for ns in $(ip netns list | awk '{ print $1 }'); do
	[[ $ns == bgx-*-"$child" ]] && left+=("netns $ns")
done
[[ $cpins != none && -e $cpins ]] && left+=("pins $cpins")
for p in $(pgrep -f -- "bgx-e2e-$child( |$)"); do left+=("process $p"); done
[[ -e $cwork ]] && left+=("work dir $cwork")
if ((${#left[@]})); then
	# leave nothing behind ourselves either
	for ns in $(ip netns list | awk '{ print $1 }'); do
		[[ $ns == bgx-*-"$child" ]] || continue
		for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns"
	done
	[[ $cpins == /sys/fs/bpf/bgxdp-e2e-* ]] && rm -rf -- "$cpins"
	[[ $cwork == /tmp/bgx-e2e-* ]] && rm -rf -- "$cwork"
	cat "$WORK/hold.log"
	fail "left behind after SIGTERM: ${left[*]}"
fi
log "nothing left behind: namespaces, pins, processes and work dir all gone"
log "PASS"
