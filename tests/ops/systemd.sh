#!/usr/bin/env bash
# tests/ops/systemd.sh - contrib/systemd/bgxdp.service, checked and run.
#
# 1. `systemd-analyze verify` of the unit as installed: no message at all.
# 2. `systemd-analyze security --offline`: the exposure score (a figure).
# 3. The unit under a real systemd: this machine's PID 1 is not systemd, so
#    the test boots one as PID 1 of its own PID, mount, cgroup and network
#    namespaces (a container of the host's root filesystem, with a private
#    /run and cgroup2), and starts the unit exactly as written, every
#    sandboxing and capability line included.  A drop-in replaces only what
#    the unit runs: attach + service + backends before (instead of `bgxdp
#    apply` of a file), the real `bgxdp agent`, and a share change on reload.
#    Checked: start waits for the agent's READY=1, the agent runs under the
#    unit's sandbox and capabilities (its state dir, its history, /metrics),
#    the pins are visible from outside the unit (the host's bpffs, not a
#    private mount), reload applies and the agent rereads (RELOADING=1,
#    READY=1), stop leaves the data plane attached, and two negative controls
#    (no ReadWritePaths for bpffs; no CAP_PERFMON) make the start fail, so
#    the test can tell.
#
#   BGXDP=path  binary under test (default build/bgxdp); root for part 3.
set -uo pipefail
# shellcheck source=tests/ops/lib.sh
. "$(dirname "$0")/lib.sh"
ops_begin systemd
need systemd-analyze

ops_tmpdir TMP

# ---- 1. verify ------------------------------------------------------------
make -s --no-print-directory -C "$REPO_DIR" BUILD="$BUILD" systemd-units \
	SYSTEMD_OUT="$TMP/unit" sbindir="$(dirname "$BGXDP")" >/dev/null ||
	fail "make systemd-units"
UNIT=$TMP/unit/bgxdp.service
[[ -d $BUILD_DIR/man/man8 ]] || fail "no man pages in $BUILD_DIR/man (make man)"
out=$(MANPATH=$BUILD_DIR/man systemd-analyze verify "$UNIT" 2>&1)
rc=$?
[[ $rc == 0 && -z $out ]] || fail "systemd-analyze verify (rc $rc): $out"
pass "systemd-analyze verify: clean"
# the check is live: a bad key is reported
sed 's/^NoNewPrivileges=yes/NoNewPrivilege=yes/' "$UNIT" >"$TMP/bad.service"
out=$(MANPATH=$BUILD_DIR/man systemd-analyze verify "$TMP/bad.service" 2>&1)
[[ $out == *"Unknown key"* ]] || fail "verify did not report a misspelt key: $out"

# ---- 2. exposure ----------------------------------------------------------
score=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null | grep 'Overall exposure')
log "systemd-analyze security: ${score#→ }"

# ---- 3. under a real systemd ------------------------------------------------
need_root "a systemd in namespaces"
for t in unshare nsenter ip findmnt; do need "$t"; done
CG_ROOT=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)
[[ -n $CG_ROOT ]] || skip "no cgroup2 mounted: cannot give a test systemd its cgroup"
[[ -x /lib/systemd/systemd ]] || skip "no /lib/systemd/systemd"
[[ -x $BGXDP-agent ]] || fail "no $BGXDP-agent next to $BGXDP (make)"

PIN_DIR=/sys/fs/bpf/bgxdp-sd-$ID
STATE=bgxdp-sd-$ID
CG=$CG_ROOT/bgxdp-sd-$ID
SD_PID=""
mkdir -p "$TMP/units/bgxdp.service.d"
cp "$UNIT" "$TMP/units/"
cat >"$TMP/units/bgxdp-test.target" <<EOF
[Unit]
Description=bgxdp unit test (empty: the test starts bgxdp.service itself)
DefaultDependencies=no
EOF
# Only what the unit runs is replaced; every other line is the shipped one.
cat >"$TMP/units/bgxdp.service.d/test.conf" <<EOF
[Unit]
DefaultDependencies=no
ConditionPathExists=
[Service]
Environment=BGXDP_PIN_DIR=$PIN_DIR BGXDP_STATE_DIR=/var/lib/$STATE
StateDirectory=
StateDirectory=$STATE
ExecStartPre=
ExecStartPre=/run/bgxdp-test/bgxdp attach v0 --mode generic
ExecStartPre=/run/bgxdp-test/bgxdp service add web --vip 10.211.0.10:80
ExecStartPre=/run/bgxdp-test/bgxdp backend add web blue 10.211.0.11:80
ExecStartPre=/run/bgxdp-test/bgxdp backend add web green 10.211.0.21:80
ExecStart=
ExecStart=/run/bgxdp-test/bgxdp agent
ExecReload=
ExecReload=/run/bgxdp-test/bgxdp weight green 10
ExecReload=/bin/kill -HUP \$MAINPID
Restart=no
# no journald in the test systemd: keep what the unit prints
StandardOutput=append:/run/bgxdp-test/unit.log
StandardError=append:/run/bgxdp-test/unit.log
EOF
# Inside the new namespaces: private /run (binaries copied there, out of
# reach of ProtectHome), a cgroup2 of our own, then systemd as PID 1.
cat >"$TMP/boot.sh" <<EOF
#!/bin/bash
set -e
mount --make-rslave /
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/systemd/system /run/lock /run/bgxdp-test
cp "$BGXDP" "$BGXDP-agent" /run/bgxdp-test/
cp -r "$TMP/units/." /run/systemd/system/
umount -l /sys/fs/cgroup 2>/dev/null || true
mount -t cgroup2 cgroup2 /sys/fs/cgroup
exec env container=bgxdp-test /lib/systemd/systemd --system --unit=bgxdp-test.target \
	--log-target=console --show-status=no
EOF
chmod +x "$TMP/boot.sh"

sd_cleanup() {
	[[ -n $SD_PID ]] && kill -KILL "$SD_PID" 2>/dev/null      # PID 1 of the namespace: all go
	[[ -n ${LAUNCHER:-} ]] && wait "$LAUNCHER" 2>/dev/null
	[[ -d $CG ]] && find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null
	[[ $PIN_DIR == /sys/fs/bpf/bgxdp-sd-* ]] && rm -rf -- "$PIN_DIR"
	[[ -d /var/lib/$STATE ]] && rm -rf -- "/var/lib/$STATE"
}
on_exit sd_cleanup

mkdir "$CG" || fail "cannot create cgroup $CG"
(
	echo "$BASHPID" >"$CG/cgroup.procs" &&
		exec unshare --fork --pid --mount --uts --ipc --net --cgroup --mount-proc "$TMP/boot.sh"
) >"$TMP/systemd.log" 2>&1 &
LAUNCHER=$!     # the subshell execs unshare, whose child becomes systemd
wait_for 10 pgrep -P "$LAUNCHER" -x systemd >/dev/null ||
	fail "systemd did not start: $(cat "$TMP/systemd.log")"
SD_PID=$(pgrep -P "$LAUNCHER" -x systemd)
in_sd() { nsenter -t "$SD_PID" -m -n -p "$@"; }   # -p: systemd trusts only peers it can see
sd_up() { [[ $(in_sd systemctl is-system-running 2>/dev/null) == @(running|degraded) ]]; }
wait_for 20 sd_up || fail "test systemd not running: $(in_sd systemctl is-system-running 2>&1)"
log "systemd $(in_sd systemctl --version | head -n 1 | cut -d' ' -f2) runs as PID 1 of its namespaces (host pid $SD_PID)"

in_sd ip link set lo up && in_sd ip link add v0 type veth peer name v1 && in_sd ip link set v0 up &&
	in_sd ip link set v1 up ||
	fail "veth in the test namespace"

state() { in_sd systemctl show bgxdp.service -p ActiveState --value; }
show_failure() {
	in_sd systemctl status bgxdp.service --no-pager -l 2>&1 | tail -n 15
	echo "---- what the unit printed"
	in_sd tail -n 20 /run/bgxdp-test/unit.log
}

timeout 30 nsenter -t "$SD_PID" -m -n -p systemctl start bgxdp.service || {
	show_failure
	fail "systemctl start bgxdp (the hardening broke attach, or READY=1 never came)"
}
[[ $(state) == active ]] || fail "bgxdp.service is $(state) after start"
status_text=$(in_sd systemctl show bgxdp.service -p StatusText --value)
[[ $status_text == "serving http://127.0.0.1:9477/metrics" ]] ||
	fail "StatusText '$status_text': the agent's READY/STATUS not received"
in_sd curl -fsS --max-time 2 http://127.0.0.1:9477/metrics | grep -q '^bgxdp_backend_health_checks_total\|^# TYPE bgxdp_backend_health_checks_total' ||
	fail "the agent's /metrics lack its own families"
grep -q '"what":"agent.start"' "/var/lib/$STATE/history.jsonl" 2>/dev/null ||
	fail "the agent wrote no history in its state dir /var/lib/$STATE"
pass "start: attach under the unit's sandbox and capabilities, the agent's READY=1 received (Type=notify), its /metrics and state dir work"

[[ -e $PIN_DIR/prog_xdp_ingress ]] || fail "no pins at $PIN_DIR on the host: bpffs was private to the unit"
json=$(BGXDP_PIN_DIR=$PIN_DIR "$BGXDP" status --json) || fail "status from the host"
[[ $json == *'"name":"web"'* ]] || fail "host status lacks service web: $json"
in_sd ip -d link show v0 | grep -q 'prog/xdp' || fail "no XDP program on v0"
pass "pins in the host's bpffs, XDP program on v0"

timeout 30 nsenter -t "$SD_PID" -m -n -p systemctl reload bgxdp.service || fail "systemctl reload"
json=$(BGXDP_PIN_DIR=$PIN_DIR "$BGXDP" status --json)
[[ $json == *'"green_share_bp":1000'* ]] || fail "reload did not apply (green 10 %): $json"
[[ $(state) == active ]] || fail "bgxdp.service is $(state) after reload (the agent's RELOADING=1/READY=1)"
pass "reload: ExecReload applied, the agent reread its settings and stayed ready"

timeout 30 nsenter -t "$SD_PID" -m -n -p systemctl stop bgxdp.service || fail "systemctl stop"
[[ $(state) == inactive ]] || fail "bgxdp.service is $(state) after stop"
in_sd ip -d link show v0 | grep -q 'prog/xdp' || fail "stop removed the XDP program"
[[ -e $PIN_DIR/prog_xdp_ingress ]] || fail "stop removed the pins"
grep -q '"what":"agent.stop"' "/var/lib/$STATE/history.jsonl" || fail "no agent.stop in the history"
pass "stop: agent stopped (STOPPING=1, history), data plane still attached"

in_sd env BGXDP_PIN_DIR="$PIN_DIR" "$BGXDP" detach v0 >/dev/null || fail "detach after stop"
[[ ! -e $PIN_DIR ]] || fail "pins left after detach"

# Negative controls: the test notices a unit that cannot attach.
negative() {
	local what=$1 conf=$2 why=$3
	printf '[Service]\n%s\n' "$conf" >"$TMP/neg.conf"
	in_sd truncate -s 0 /run/bgxdp-test/unit.log
	in_sd mkdir -p /run/systemd/system/bgxdp.service.d
	in_sd cp "$TMP/neg.conf" /run/systemd/system/bgxdp.service.d/zz-negative.conf
	in_sd systemctl daemon-reload
	if timeout 30 nsenter -t "$SD_PID" -m -n -p systemctl start bgxdp.service 2>/dev/null; then
		fail "the unit started $what"
	fi
	in_sd grep -q "$why" /run/bgxdp-test/unit.log ||
		fail "start $what failed, but not with '$why': $(in_sd cat /run/bgxdp-test/unit.log)"
	in_sd systemctl reset-failed bgxdp.service
	in_sd rm -f /run/systemd/system/bgxdp.service.d/zz-negative.conf
	in_sd systemctl daemon-reload
	rm -rf -- "$PIN_DIR"
	pass "start fails $what (as it must)"
}
negative "without ReadWritePaths=/sys/fs/bpf" "ReadWritePaths=" "Read-only file system"
negative "without CAP_PERFMON" "CapabilityBoundingSet=~CAP_PERFMON" "cannot load the BPF programs"
# why the unit lists read-only paths instead: if this ever starts, a newer
# systemd lets ReadWritePaths= reopen bpffs and the unit can use it
negative "with ProtectKernelTunables=yes" "ProtectKernelTunables=yes" "Read-only file system"
log "systemd unit: all checks passed"
