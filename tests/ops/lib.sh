# shellcheck shell=bash
# tests/ops/lib.sh - helpers for the operations tests (man pages, completion,
# systemd unit, install, .deb, Ansible).  Sourced by tests/ops/*.sh.
#
# Conventions as in tests/e2e: names carry the test's PID ($$), every wait
# is bounded, and ops_begin installs an EXIT/INT/TERM trap that runs the
# cleanups the test registered (last first), also when it fails.

OPS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$OPS_DIR/../.." && pwd)
BUILD=${BUILD:-build}
BUILD_DIR=$(realpath -m -- "$REPO_DIR/$BUILD")
if [[ -n ${BGXDP:-} ]]; then
	BGXDP=$(realpath -m -- "$BGXDP")
else
	BGXDP=$BUILD_DIR/bgxdp
fi
ID=$$
OPS_NAME=ops
OPS_CLEANUPS=()

log() { printf '[%s %s] %s\n' "$(date +%T)" "$OPS_NAME" "$*"; }
fail() { log "FAIL: $*"; exit 1; }
pass() { log "ok: $*"; }
# A skip says why, and passes: the machine cannot run the check.
skip() { log "SKIP: $*"; exit 0; }
need() { command -v "$1" >/dev/null 2>&1 || fail "missing tool '$1' (run scripts/install-deps.sh)"; }
need_root() { ((EUID == 0)) || skip "needs root ($*)"; }

# on_exit CMD...: run CMD (one string, eval-ed) when the test ends.
on_exit() { OPS_CLEANUPS+=("$*"); }

ops_cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	trap '' INT TERM
	for ((i = ${#OPS_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${OPS_CLEANUPS[i]}" >/dev/null 2>&1
	done
	return "$rc"
}

ops_begin() {
	OPS_NAME=$1
	trap ops_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	[[ -x $BGXDP ]] || fail "bgxdp binary not found: $BGXDP (make, or BGXDP=path)"
}

# ops_tmpdir VAR: a private temp dir in $VAR, removed at the end.  (Not
# VAR=$(...): the cleanup must be registered in this shell.)
ops_tmpdir() {
	local d
	d=$(mktemp -d "/tmp/bgx-ops-$OPS_NAME-$ID.XXXXXX") || fail "mktemp"
	on_exit "rm -rf -- '$d'"
	printf -v "$1" '%s' "$d"
}

# wait_for SECONDS CMD...: until CMD succeeds, at most SECONDS (0.1 s steps).
wait_for() {
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
