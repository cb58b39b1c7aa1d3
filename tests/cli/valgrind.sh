#!/usr/bin/env bash
# tests/cli/valgrind.sh - the main commands under valgrind memcheck.
#
# Runs the normal (non-sanitized) build, BGXDP_PLAIN (default build/bgxdp),
# through a whole life cycle - attach, service add, backend add/drain/up/
# down/del, set, weight, rollback, status [--json], stats --json, metrics, a
# short serve with one scrape, service del, detach - each under
#   valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
#            --error-exitcode=99
# Every command must exit 0 (the refused one 1) with no memcheck error and no
# definitely or indirectly lost bytes.  valgrind.supp suppresses only four
# false positives of valgrind's bpf() wrapper on libbpf's short bpf_attr
# (explained there), never a leak.
set -uo pipefail
# shellcheck disable=SC2034  # read by lib.sh
CLI_NAME=valgrind
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
need valgrind
need curl
PLAIN=${BGXDP_PLAIN:-$REPO_DIR/build/bgxdp}
PLAIN=$(realpath -m -- "$PLAIN")
[[ -x $PLAIN ]] || die "no binary $PLAIN"
BGXDP=$PLAIN         # for lib.sh's cleanup and helpers

cli_begin
# shellcheck disable=SC2054  # the commas are valgrind's
VG=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99
	--suppressions="$CLI_DIR/valgrind.supp")
NCMD=0

# vg ARGS...: one bgxdp command under memcheck; log in $WORK/vg.N
vg() {
	local log=$WORK/vg.$NCMD rc
	NCMD=$((NCMD + 1))
	timeout 120 nsenter --net="/run/netns/$NS" "${VG[@]}" --log-file="$log" \
		"$PLAIN" --pin-dir "$PIN_DIR" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	check_log "$log" "$rc" "$*"
}

# check_log LOG RC WHAT: exit 0 and a clean memcheck log
check_log() {
	local log=$1 rc=$2 what=$3 errs
	errs=$(grep -c '^==[0-9]*== [A-Z]' "$log")
	if ((rc == 0)) && ! grep -qE 'definitely lost: [1-9]|indirectly lost: [1-9]|Invalid |uninitialised|Mismatched' "$log" &&
		((errs == 0)); then
		pass "valgrind bgxdp $what: exit 0, 0 errors, 0 definite/indirect leaks"
	else
		failc "valgrind bgxdp $what: exit $rc ($(head -c 300 "$WORK/err"))"
		sed 's/^/    /' "$log" | head -40
	fi
}

vg attach "$IFACE" --mode generic --flows 1024
vg service add web --vip 10.0.0.1:80 --preview 10.0.0.1:8080
vg service add web6 --vip '[fd00::1]:80' --proto udp
vg backend add web blue 10.1.0.1:8080
vg backend add web blue 10.1.0.2:8080 --weight 2
vg backend add web green 10.2.0.1:8080
vg backend add web6 blue '[fd00:1::1]:53'
vg backend drain web blue 10.1.0.2:8080
vg backend up web blue 10.1.0.2:8080
vg backend down web blue 10.1.0.2:8080
vg backend del web blue 10.1.0.2:8080
vg weight green 12.5 --service web
vg set green --service web
vg rollback --service web
# the read-only commands side by side (they change nothing; saves CI time)
ro_pids=()
ro_cmds=("status" "status --json" "status --service web6 --json" "stats --json" "metrics")
for i in "${!ro_cmds[@]}"; do
	# shellcheck disable=SC2086
	(timeout 120 nsenter --net="/run/netns/$NS" "${VG[@]}" --log-file="$WORK/vg.ro$i" \
		"$PLAIN" --pin-dir "$PIN_DIR" ${ro_cmds[$i]} >/dev/null 2>"$WORK/err.ro$i"
	 echo $? >"$WORK/rc.ro$i") &
	ro_pids+=($!)
done
for p in "${ro_pids[@]}"; do wait "$p"; done
for i in "${!ro_cmds[@]}"; do
	NCMD=$((NCMD + 1))
	check_log "$WORK/vg.ro$i" "$(cat "$WORK/rc.ro$i")" "${ro_cmds[$i]}"
done
# a failing command frees what it allocated too
timeout 120 nsenter --net="/run/netns/$NS" "${VG[@]}" --log-file="$WORK/vg.fail" \
	"$PLAIN" --pin-dir "$PIN_DIR" backend del web green 10.2.0.1:8080 >/dev/null 2>&1
rc=$?
NCMD=$((NCMD + 1))
check_log "$WORK/vg.fail" "$((rc == 1 ? 0 : rc))" "backend del (refused, exit 1)"

# serve: one scrape, then SIGTERM
timeout 120 nsenter --net="/run/netns/$NS" "${VG[@]}" --log-file="$WORK/vg.serve" \
	"$PLAIN" --pin-dir "$PIN_DIR" serve --listen 127.0.0.1:19477 >"$WORK/serve.out" 2>&1 &
SERVE=$!
CLI_PIDS+=("$SERVE")
for _ in $(seq 150); do grep -q serving "$WORK/serve.out" 2>/dev/null && break; sleep 0.2; done
code=$(nsenter --net="/run/netns/$NS" curl -s -o "$WORK/scrape" -w '%{http_code}' --max-time 20 http://127.0.0.1:19477/metrics)
[[ $code == 200 ]] && grep -q '^bgxdp_build_info' "$WORK/scrape" || failc "serve scrape under valgrind: HTTP $code"
kill -TERM "$SERVE"
wait "$SERVE"
rc=$?
CLI_PIDS=()
NCMD=$((NCMD + 1))
check_log "$WORK/vg.serve" "$rc" "serve (one scrape, SIGTERM)"

vg service del web6
vg detach "$IFACE"
log "$NCMD commands under memcheck"
cli_summary
