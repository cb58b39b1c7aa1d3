#!/usr/bin/env bash
# tests/e2e/run.sh - run the bgxdp end-to-end tests (network namespaces).
#
#   sudo tests/e2e/run.sh                 # every test, IPv4 and IPv6
#   sudo tests/e2e/run.sh flip weight     # some tests
#   sudo tests/e2e/run.sh flip/ipv6       # one test, one family
#
# Environment:
#   BGXDP=path        binary under test (default build/bgxdp)
#   E2E_FAMILIES      "4 6" (default)
#   E2E_TIMEOUT       seconds per test before it is stopped (default 180)
#   E2E_VERBOSE=1     print every test's log, not only the failing ones
#   E2E_XDP_MODE      passed to `bgxdp attach --mode` (default: bgxdp's own)
#
# Each test runs as its own process (tests/e2e/t_NAME.sh FAMILY) with its own
# namespaces, servers and pin dir, named after its PID.  After each test this
# script checks that nothing of it is left (namespaces, pins, processes, work
# dir); anything left makes the test fail and is removed here.
# Prints PASS/FAIL per test and a final "N passed, N failed" line; exits
# non-zero when a test failed.
set -uo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
TESTS=(topology flip weight longlived flipload detach metrics prometheus pressure flood concurrency crash upgrade reboot cleanup fleetnet health health_checks failover history passive rollout rollout_abort rollout_promql rollout_inconclusive rollout_verbs ansible wait_drained fleet fleethostile fleetsync fleetlag)
FAMILIES=${E2E_FAMILIES:-4 6}
TIMEOUT=${E2E_TIMEOUT:-180}

if ((EUID != 0)); then
	echo "run.sh: the e2e tests create network namespaces and attach XDP: run as root" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
BGXDP=$(realpath -m -- "${BGXDP:-$REPO_DIR/build/bgxdp}")
export BGXDP
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf || { echo "run.sh: cannot mount bpffs" >&2; exit 1; }
fi

# Which tests: arguments are NAME or NAME/ipv4|ipv6.
selected=()
for t in "${TESTS[@]}"; do
	for f in $FAMILIES; do
		name=$t/ipv$f
		if (($# == 0)); then selected+=("$name"); continue; fi
		for a in "$@"; do
			[[ $a == "$t" || $a == "$name" ]] && selected+=("$name")
		done
	done
done
if ((${#selected[@]} == 0)); then
	echo "run.sh: no test matches '$*'; tests: ${TESTS[*]} (append /ipv4 or /ipv6)" >&2
	exit 2
fi

RUN_DIR=$(mktemp -d /tmp/bgx-e2e-run.XXXXXX)
current=""
on_exit() {
	# stop a test still running (we were interrupted); its trap cleans up
	if [[ -n $current ]] && kill -0 "$current" 2>/dev/null; then
		kill -TERM "$current" 2>/dev/null
		for ((i = 0; i < 100; i++)); do kill -0 "$current" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$current" 2>/dev/null
	fi
	rm -rf -- "$RUN_DIR"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The load client, built once for all tests.
export LOADCLIENT=$RUN_DIR/loadclient
if ! gcc -O2 -Wall -Wextra -Werror -pthread -o "$LOADCLIENT" "$E2E_DIR/loadclient.c"; then
	echo "run.sh: cannot build tests/e2e/loadclient.c" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

echo "e2e: bgxdp binary $BGXDP$([[ -x $BGXDP ]] || echo ' (MISSING: tests needing it will fail)')"
echo "e2e: kernel $(uname -r), ${#selected[@]} tests"

# leftovers PID: what test PID left behind, removed here.  Prints a list.
leftovers() {
	local id=$1 ns p out=()
	for ns in $(ip netns list | awk '{ print $1 }'); do
		[[ $ns == bgx-*-"$id" ]] || continue
		out+=("netns:$ns")
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	if [[ -e /sys/fs/bpf/bgxdp-e2e-$id ]]; then
		out+=("pins:/sys/fs/bpf/bgxdp-e2e-$id")
		rm -rf -- "/sys/fs/bpf/bgxdp-e2e-$id"
	fi
	for p in $(pgrep -f -- "bgx-e2e-$id( |$)"); do
		out+=("process:$p")
		kill -KILL "$p" 2>/dev/null
	done
	if [[ -e /tmp/bgx-e2e-$id ]]; then
		out+=("workdir:/tmp/bgx-e2e-$id")
		rm -rf -- "/tmp/bgx-e2e-$id"
	fi
	echo "${out[*]}"
}

passed=0
failed=0
for name in "${selected[@]}"; do
	t=${name%/*}
	fam=${name#*/ipv}
	log=$RUN_DIR/${t}-$fam.log
	start=$(date +%s.%N)
	bash "$E2E_DIR/t_$t.sh" "$fam" >"$log" 2>&1 </dev/null &
	current=$!
	# bounded wait: TERM after $TIMEOUT s (the test's trap cleans up), KILL 15 s later
	timed_out=0
	for ((i = 0; i < TIMEOUT * 10; i++)); do
		kill -0 "$current" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$current" 2>/dev/null; then
		timed_out=1
		kill -TERM "$current" 2>/dev/null
		for ((i = 0; i < 150; i++)); do kill -0 "$current" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$current" 2>/dev/null
	fi
	wait "$current"
	rc=$?
	id=$current
	current=""
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	left=$(leftovers "$id")

	why=""
	((timed_out)) && why="timed out after ${TIMEOUT}s"
	((rc != 0)) && [[ -z $why ]] && why="exit $rc"
	[[ -n $left ]] && why="${why:+$why; }left behind: $left"
	if [[ -z $why ]]; then
		passed=$((passed + 1))
		echo "PASS $name (${secs}s)"
		if [[ ${E2E_VERBOSE:-0} == 1 ]]; then sed 's/^/    /' "$log"; fi
	else
		failed=$((failed + 1))
		echo "FAIL $name (${secs}s): $why"
		sed 's/^/    /' "$log"
	fi
	# the figures worth seeing, when the log was not printed already
	if [[ ${E2E_VERBOSE:-0} != 1 && -z $why ]]; then
		grep -hE '^\[[^]]*\] (green share|[0-9]+ flips|[0-9]+ requests, 0 failed|keep-alive client:|fleet apply ->|flow sync o|sync lag|lb1 fails)' "$log" |
			sed 's/^/    /'
	fi
done

echo "$passed passed, $failed failed"
((failed == 0))
