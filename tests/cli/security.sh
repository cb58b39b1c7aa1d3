#!/usr/bin/env bash
# tests/cli/security.sh - pin permissions, pin dir trust, unprivileged
# callers, the read-only HTTP endpoint, and packets that try to change config.
#
#  1. pins: an attach under umask 000 still makes the pin dir 0700 and every
#     pin (maps, programs, link) 0600, owned by root.
#  2. pin dir trust: a pin dir (or an ancestor without the sticky bit)
#     writable by group/others, or owned by another uid, is refused with one
#     line naming the directory and the fix; nothing is created or attached.
#  3. unprivileged: uid 65534 with no capabilities gets "needs CAP_BPF and
#     CAP_NET_ADMIN" from every command that changes state, and a
#     "permission denied ... run bgxdp as root" from the read-only ones; with
#     only some capabilities, the message names what is missing.  status
#     --json (as root) is byte-identical before and after.
#  4. serve: binds 127.0.0.1:9477 by default (ss), GET /metrics works, POST,
#     PUT, DELETE, PATCH get 405, no request changes status --json.
#  5. packets: frames to the VIPs, to the pin-dir-ish ports, truncated and
#     random ones, sent into the attached interface, create flows (they did
#     reach XDP) but change no configuration.
set -uo pipefail
# shellcheck disable=SC2034  # read by lib.sh
CLI_NAME=security
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
need setpriv
need ss
need curl
need jq
[[ -x /usr/bin/python3 ]] || die "missing /usr/bin/python3 (run scripts/install-deps.sh)"

cli_begin

# --- 1. pin modes ------------------------------------------------------------
mkdir -m 0755 "$PIN_DIR"      # an existing, world-readable dir: attach makes it 0700
(umask 000; bgx attach "$IFACE" --mode generic --flows 1024 >/dev/null) || die "attach failed"
bgx service add web --vip 10.0.0.1:80 >/dev/null &&
bgx backend add web blue 10.1.0.1:8080 >/dev/null &&
bgx backend add web green 10.2.0.1:8080 >/dev/null &&
bgx weight green 25 >/dev/null || die "configuration failed"
mode=$(stat -c '%a %U' "$PIN_DIR")
if [[ $mode == "700 root" ]]; then
	pass "pin dir $PIN_DIR: mode 0700, owner root (it was 0755 before the attach)"
else
	failc "pin dir $PIN_DIR: '$mode', want '700 root'"
fi
npins=0
bad=()
for f in "$PIN_DIR"/*; do
	npins=$((npins + 1))
	m=$(stat -c '%a %U' "$f")
	[[ $m == "600 root" ]] || bad+=("$(basename "$f")=$m")
done
# 12 maps, 2 programs, 1 link
if ((npins >= 15 && ${#bad[@]} == 0)); then
	pass "all $npins pins (maps, programs, link) mode 0600 owner root after an attach under umask 000"
else
	failc "pins: $npins found, not 0600 root: ${bad[*]}"
fi
snapshot_base

# --- 2. pin dir trust -----------------------------------------------------------
UNSAFE=/sys/fs/bpf/bgxcli-$ID-unsafe
mkdir -p "$UNSAFE"
unsafe_attach() { expect_fail 1 "$1" bgx attach "${IFACE}p" --mode generic --pin-dir "$2"; }
no_xdp_on_peer() {
	if ip -n "$NS" link show "${IFACE}p" | grep -q xdp; then
		failc "$1: XDP got attached to ${IFACE}p"
	elif [[ -n $(ls -A "$2" 2>/dev/null) ]]; then
		failc "$1: something was created in $2: $(ls -A "$2")"
	else
		pass "$1: nothing attached, nothing created"
	fi
}
for m in 0777 0770 0702 1777; do
	chmod "$m" "$UNSAFE"
	unsafe_attach "unsafe pin dir $UNSAFE: $UNSAFE is writable by group or others \\(mode $m; fix: 'chmod go-w $UNSAFE'" "$UNSAFE"
	no_xdp_on_peer "pin dir mode $m" "$UNSAFE"
done
chmod 0700 "$UNSAFE"
chown 65534 "$UNSAFE"
unsafe_attach "unsafe pin dir $UNSAFE: $UNSAFE is owned by uid 65534, not by root or you \\(fix: 'chown root $UNSAFE'" "$UNSAFE"
no_xdp_on_peer "pin dir owned by uid 65534" "$UNSAFE"
chown 0 "$UNSAFE"
chmod 0777 "$UNSAFE"           # a parent without the sticky bit
unsafe_attach "unsafe pin dir $UNSAFE/inst: $UNSAFE is writable by group or others \\(mode 0777" "$UNSAFE/inst"
no_xdp_on_peer "parent of the pin dir mode 0777" "$UNSAFE"
chmod 1777 "$UNSAFE"           # a sticky parent is fine, like /sys/fs/bpf
if out=$(bgx attach "${IFACE}p" --mode generic --flows 1024 --pin-dir "$UNSAFE/inst" 2>&1) &&
	[[ $(stat -c %a "$UNSAFE/inst") == 700 ]]; then
	pass "pin dir under a sticky mode 1777 parent: accepted, created 0700"
else
	failc "pin dir under a sticky 1777 parent: $out"
fi
bgx detach "${IFACE}p" --pin-dir "$UNSAFE/inst" >/dev/null 2>&1
rm -rf "$UNSAFE"

# the live instance's own dir opened up: every command refuses it
with_dir_mode() { local m=$1 rc; shift; chmod "$m" "$PIN_DIR"; bgx "$@"; rc=$?; chmod 0700 "$PIN_DIR"; return $rc; }
for cmd in "status --service web" "weight green 50" "backend down web blue 10.1.0.1:8080" "service del web" "metrics"; do
	# shellcheck disable=SC2086
	expect_fail 1 "unsafe pin dir $PIN_DIR: $PIN_DIR is writable by group or others \\(mode 0770" \
		with_dir_mode 0770 $cmd
done

# --- 3. unprivileged callers ----------------------------------------------------
# nobody: no capabilities at all (inheritable, ambient, bounding irrelevant:
# a non-root exec gets an empty effective set)
as_nobody() {
	timeout 20 nsenter --net="/run/netns/$NS" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$BGXDP" --pin-dir "$PIN_DIR" "$@"
}
# nobody with some capabilities (ambient, so they survive the exec)
as_nobody_with() {
	local caps=$1
	shift
	timeout 20 nsenter --net="/run/netns/$NS" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps="-all,$caps" --ambient-caps="-all,$caps" \
		"$BGXDP" --pin-dir "$PIN_DIR" "$@"
}
NEEDS="needs CAP_BPF and CAP_NET_ADMIN \\(this process has neither; run it as root\\)"
while IFS= read -r cmd; do
	# shellcheck disable=SC2086
	expect_fail 1 "$NEEDS" as_nobody $cmd
done <<'CMDS'
attach d0p --mode generic
detach d0
service add api --vip 10.0.0.3:80
service del web
backend add web blue 10.1.0.9:8080
backend del web blue 10.1.0.1:8080
backend drain web blue 10.1.0.1:8080
backend down web blue 10.1.0.1:8080
backend up web blue 10.1.0.1:8080
set green
weight green 50
rollback
CMDS
DENIED="cannot open pin dir $PIN_DIR: permission denied \\(owned by uid 0, mode 0700: the pins are root-only; run bgxdp as root\\)"
for cmd in "status" "status --service web" "stats --interval 0" "metrics" "serve --listen 127.0.0.1:19477"; do
	# shellcheck disable=SC2086
	expect_fail 1 "$DENIED" as_nobody $cmd
done
expect_fail 1 "needs CAP_BPF and CAP_NET_ADMIN \\(this process has CAP_NET_ADMIN but not CAP_BPF" \
	as_nobody_with +net_admin weight green 50
expect_fail 1 "needs CAP_BPF and CAP_NET_ADMIN \\(this process has CAP_BPF but not CAP_NET_ADMIN" \
	as_nobody_with +bpf weight green 50
# both capabilities but not the uid that owns the pins: what is really missing
expect_fail 1 "$DENIED" as_nobody_with +bpf,+net_admin weight green 50
# help and usage errors need nothing
if as_nobody weight --help >/dev/null 2>&1; then pass "nobody: weight --help works"; else failc "nobody: weight --help fails"; fi

# --- 4. serve --------------------------------------------------------------------
SERVE_OUT=$WORK/serve.out
nsenter --net="/run/netns/$NS" "$BGXDP" --pin-dir "$PIN_DIR" serve >"$SERVE_OUT" 2>"$WORK/serve.err" &
SERVE_PID=$!
CLI_PIDS+=("$SERVE_PID")
for _ in $(seq 50); do grep -q serving "$SERVE_OUT" 2>/dev/null && break; sleep 0.1; done
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
listeners=$(in_ns ss -Htlnp | grep "pid=$SERVE_PID," | awk '{print $4}' | sort -u | tr '\n' ' ')
if [[ $listeners == "127.0.0.1:9477 " ]]; then
	pass "serve binds 127.0.0.1:9477 by default and nothing else (ss: $listeners)"
else
	failc "serve listens on '$listeners', want only 127.0.0.1:9477"
fi
URL=http://127.0.0.1:9477
code() { in_ns curl -s -o "$WORK/body" -w '%{http_code}' --max-time 5 "$@"; }
c=$(code "$URL/metrics")
if [[ $c == 200 ]] && grep -q '^bgxdp_traffic_share_ratio{service="web",color="green"} 0.25' "$WORK/body"; then
	pass "serve: GET /metrics -> 200 with the live shares"
else
	failc "serve: GET /metrics -> $c"
fi
nreq=0
for method in POST PUT DELETE PATCH; do
	for path in / /metrics /set /weight; do
		nreq=$((nreq + 1))
		c=$(code -X "$method" -d 'service=web&color=green&percent=100' "$URL$path")
		[[ $c == 405 ]] || failc "serve: $method $path -> $c, want 405"
	done
done
for path in '/set?color=green' '/weight?color=green&percent=100' '/rollback' '/metrics?set=green'; do
	nreq=$((nreq + 1))
	c=$(code "$URL$path")
	[[ $c == 404 || $c == 200 ]] || failc "serve: GET $path -> $c"
done
bgx status --json >"$WORK/status.now" 2>&1
if cmp -s "$BASE" "$WORK/status.now"; then
	pass "serve: $nreq POST/PUT/DELETE/PATCH (405) and GET requests changed nothing in status --json"
else
	failc "serve: requests changed status --json"
fi
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
rc=$?
CLI_PIDS=()
if ((rc == 0)) && san_clean; then pass "serve: SIGTERM -> exit 0, no sanitizer report"; else failc "serve: exit $rc"; fi
rm -f "$WORK"/san/*

# --- 5. packets cannot change configuration -----------------------------------
mac_of() { ip -n "$NS" -j link show "$1" | jq -r '.[0].address'; }
nsenter --net="/run/netns/$NS" /usr/bin/python3 "$CLI_DIR/packets.py" "${IFACE}p" \
	"$(mac_of "${IFACE}p")" "$(mac_of "$IFACE")" >"$WORK/packets.out" 2>&1 ||
	die "packet sender failed: $(cat "$WORK/packets.out")"
config_of() { jq -S 'del(.services[].flows)' "$1"; }
bgx status --json >"$WORK/status.now" 2>&1
# New flows: a SYN or a first datagram is recorded half-open (it reaches
# `flows`, which status counts, only once it proves real), so count the
# flows created.
flows=$(bgx metrics | awk '/^bgxdp_flows_created_total/ { n += $2 } END { print n + 0 }')
if [[ "$(config_of "$BASE")" == "$(config_of "$WORK/status.now")" ]] && ((flows > 0)); then
	pass "packets: $(cat "$WORK/packets.out") reached XDP ($flows flows created) and changed no configuration"
else
	failc "packets: configuration changed, or no flow created ($flows created): $(diff <(config_of "$BASE") <(config_of "$WORK/status.now") | head -5)"
fi

cli_summary
