#!/usr/bin/env bash
# scripts/test.sh - run every bgxdp test on a fresh Debian machine.
#
#   scripts/test.sh               as root (also: make test); with sudo: sudo scripts/test.sh
#
# Installs the dependencies (scripts/install-deps.sh), mounts bpffs at
# /sys/fs/bpf if needed, builds (make), then runs each suite of `make check`
# (unit tests, kernel tests, end-to-end tests) as its own make invocation so
# one failing suite does not hide the others.  Ends with one line
# "N passed, N failed" counting suites; exits non-zero if anything failed.
#
# Environment: BUILD=dir (default build) is passed to make; the e2e tests use
# $BUILD/bgxdp.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
REPO_DIR=$(pwd)

if ((EUID != 0)); then
	echo "scripts/test.sh must run as root: it installs packages, loads BPF programs" >&2
	echo "and creates network namespaces.  Run it in a root shell (su -), or: sudo scripts/test.sh" >&2
	exit 1
fi

BUILD=${BUILD:-build}
export BGXDP=$REPO_DIR/$BUILD/bgxdp
MAKE=(make --no-print-directory "BUILD=$BUILD")

passed=0
failed=0
results=()

# suite NAME COMMAND...: run one suite, record PASS/FAIL.
suite() {
	local name=$1
	shift
	echo
	echo "==== $name: ${SUITE_DESC:-$*}"
	local t0=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		results+=("PASS $name ($((SECONDS - t0))s)")
	else
		failed=$((failed + 1))
		results+=("FAIL $name ($((SECONDS - t0))s)")
	fi
	echo "${results[-1]}"
}

mount_bpffs() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

build() {
	"${MAKE[@]}" && "${MAKE[@]}" tests
}

# The suites `make check` runs: its `$(MAKE) TARGET` lines (so a suite added
# to the Makefile is picked up here); `make check` as one suite otherwise.
check_suites=$(awk '/^check:/ { in_check = 1; next }
	in_check && /^\t/ { if ($1 == "$(MAKE)" && NF == 2) print $2; next }
	in_check { exit }' Makefile 2>/dev/null)

# Setup: not a suite, but nothing can run without it.
echo "==== setup: dependencies and bpffs"
if ! bash scripts/install-deps.sh || ! mount_bpffs; then
	echo "FAIL setup (installing dependencies or mounting bpffs)"
	echo "0 passed, 1 failed"
	exit 1
fi

SUITE_DESC="${MAKE[*]} && ${MAKE[*]} tests" suite build build
if [[ -n $check_suites ]]; then
	for s in $check_suites; do
		suite "$s" "${MAKE[@]}" "$s"
	done
else
	suite check "${MAKE[@]}" check
fi

echo
echo "==== summary"
printf '%s\n' "${results[@]}"
echo "$passed passed, $failed failed"
((failed == 0))
