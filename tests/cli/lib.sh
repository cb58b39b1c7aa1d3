# shellcheck shell=bash
# tests/cli/lib.sh - a small real bgxdp instance for the CLI suites.
#
# cli_begin creates, all owned by this process (ID = $$):
#   netns bgxcli-ID with a veth pair d0/d0p (up); bgxdp attaches to d0,
#   pin dir /sys/fs/bpf/bgxcli-ID,
#   work dir /tmp/bgxcli-ID (and the state dir in it, $BGXDP_STATE_DIR),
# and an EXIT trap that detaches, removes the pins, the netns and the work dir
# and kills the processes listed in CLI_PIDS.  bgxdp runs in the netns via
# nsenter --net (ip netns exec would remount /sys and hide /sys/fs/bpf).
#
# BGXDP (default build/bgxdp-san of this repository) is the binary under test.

CLI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$CLI_DIR/../.." && pwd)
if [[ -n ${BGXDP:-} ]]; then BGXDP=$(realpath -m -- "$BGXDP"); else BGXDP=$REPO_DIR/build/bgxdp-san; fi

ID=$$
NS=bgxcli-$ID
IFACE=d0
PIN_DIR=/sys/fs/bpf/bgxcli-$ID
WORK=/tmp/bgxcli-$ID
CLI_PIDS=()
CLI_NAME=${CLI_NAME:-cli}
PASSED=0
FAILED=0

# The history and stored settings of the commands the suites run stay in
# the work dir, never in the machine's /var/lib/bgxdp.
export BGXDP_STATE_DIR=$WORK/state

# Sanitizer reports go to files in $WORK/san (checked by san_clean) and
# exit with codes no bgxdp path uses, so they can never pass as exit 1.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:exitcode=86:log_path=$WORK/san/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=$WORK/san/ubsan"

log() { printf '[%s %s] %s\n' "$(date +%T)" "$CLI_NAME" "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'PASS %s\n' "$*"; }
failc() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
die() { log "FATAL: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "missing tool '$1' (run scripts/install-deps.sh)"; }

# bgx ARGS...: bgxdp in the test netns with the test pin dir.
bgx() { timeout 20 nsenter --net="/run/netns/$NS" "$BGXDP" --pin-dir "$PIN_DIR" "$@"; }

cli_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	trap '' INT TERM
	local p
	for p in "${CLI_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${CLI_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [[ -d $PIN_DIR ]]; then
		# the normal build if given, so a sanitizer cannot stop the cleanup
		timeout 10 nsenter --net="/run/netns/$NS" "${BGXDP_PLAIN:-$BGXDP}" --pin-dir "$PIN_DIR" \
			detach "$IFACE" >/dev/null 2>&1
		[[ $PIN_DIR == /sys/fs/bpf/bgxcli-* ]] && rm -rf -- "$PIN_DIR"
	fi
	# extra pin dirs a suite made (unsafe, full, ...): /sys/fs/bpf/bgxcli-ID-*
	for p in /sys/fs/bpf/bgxcli-"$ID"-*; do
		[[ -e $p ]] && rm -rf -- "$p"
	done
	ip netns del "$NS" 2>/dev/null
	[[ $WORK == /tmp/bgxcli-* ]] && rm -rf -- "$WORK"
	exit "$rc"
}

cli_begin() {
	((EUID == 0)) || die "must run as root (BPF, network namespaces)"
	for t in ip nsenter timeout; do need "$t"; done
	[[ -x $BGXDP ]] || die "no binary $BGXDP (make $BGXDP)"
	trap cli_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs"
	mkdir -p "$WORK/san"
	chmod 1777 "$WORK/san"     # sanitizer logs of runs as an unprivileged user too
	ip netns add "$NS" || die "cannot create netns $NS"
	# a veth pair with both ends in the netns (this kernel has no dummy module)
	ip -n "$NS" link add "$IFACE" type veth peer name "${IFACE}p" || die "cannot create veth $IFACE"
	ip -n "$NS" link set lo up
	ip -n "$NS" link set "$IFACE" up
	ip -n "$NS" link set "${IFACE}p" up
}

# The configuration every suite starts from:
#   web  10.0.0.1:80 tcp, blue 10.1.0.1:8080 10.1.0.2:8080, green 10.2.0.1:8080, 10 % green
#   one  10.0.0.2:53 udp, blue 10.1.0.3:53 only (the last up backend of a live color)
#   web6 [fd00::1]:80 tcp, blue [fd00:1::1]:8080 only, no green backends
cli_configure() {
	bgx attach "$IFACE" --mode generic --flows 1024 >/dev/null || die "attach failed"
	bgx service add web --vip 10.0.0.1:80 >/dev/null &&
	bgx backend add web blue 10.1.0.1:8080 >/dev/null &&
	bgx backend add web blue 10.1.0.2:8080 --weight 3 >/dev/null &&
	bgx backend add web green 10.2.0.1:8080 >/dev/null &&
	bgx weight green 10 --service web >/dev/null &&
	bgx service add one --vip 10.0.0.2:53 --proto udp >/dev/null &&
	bgx backend add one blue 10.1.0.3:53 >/dev/null &&
	bgx service add web6 --vip '[fd00::1]:80' >/dev/null &&
	bgx backend add web6 blue '[fd00:1::1]:8080' >/dev/null || die "configuration failed"
}

# Sanitizer reports written so far (none expected).
san_clean() {
	local f
	for f in "$WORK"/san/*; do
		[[ -e $f ]] || continue
		log "sanitizer report $f:"
		sed 's/^/    /' "$f" | head -40
		return 1
	done
	return 0
}

# The status every failing command must leave byte-identical.
BASE=
ROWS=0
snapshot_base() {
	BASE=$WORK/status.base
	bgx status --json >"$BASE" || die "status --json failed"
}

# expect_fail EXIT REGEX RUNNER ARGS...: RUNNER ARGS (e.g. bgx weight ...)
# exits EXIT, prints exactly one line "bgxdp: ..." matching REGEX on stderr
# and nothing on stdout, leaves status --json (as root) equal to $BASE and
# no sanitizer report.
expect_fail() {
	local want=$1 re=$2 rc lines shown line
	local why=()
	shift 2
	ROWS=$((ROWS + 1))
	printf -v shown '%q ' "$@"
	shown=${shown#bgx }
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	lines=$(wc -l <"$WORK/err")
	((rc == want)) || why+=("exit $rc, want $want")
	[[ $lines == 1 && $(tail -c1 "$WORK/err" | od -An -c | tr -d ' ') == '\n' ]] ||
		why+=("$lines lines on stderr")
	line=$(head -n1 "$WORK/err")
	[[ $line =~ ^bgxdp:\  ]] || why+=("stderr does not start with 'bgxdp: '")
	[[ $line =~ $re ]] || why+=("stderr does not match /$re/")
	[[ -s $WORK/out ]] && why+=("stdout not empty: $(head -c 200 "$WORK/out")")
	bgx status --json >"$WORK/status.now" 2>&1 || why+=("status --json failed after")
	cmp -s "$BASE" "$WORK/status.now" || why+=("status --json changed")
	san_clean || why+=("sanitizer report")
	rm -f "$WORK"/san/*
	if ((${#why[@]})); then
		failc "$shown-> ${why[*]}"
		sed 's/^/    stderr: /' "$WORK/err" | head -5
	else
		pass "$shown-> $rc: $line"
	fi
}

cli_summary() {
	log "$PASSED passed, $FAILED failed"
	((FAILED == 0))
}
