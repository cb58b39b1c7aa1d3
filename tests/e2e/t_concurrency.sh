#!/usr/bin/env bash
# t_concurrency.sh 4|6 - 2, then 8 `bgxdp` writer processes at once, each
# looping set / weight / backend drain / backend up on one service, while a
# load client opens a new connection per request through the VIP:
#  - every command exits 0, or 1 with one line 'bgxdp: ...' on stderr whose
#    reason is a legitimate refusal (a color would be left without an up
#    backend);
#  - no update is lost or doubled: the config generation advanced by exactly
#    the number of commands that published, and no two share commands
#    published the same generation;
#  - the final state is what the last applied commands say: the green share
#    of the share command that published the highest generation, and each
#    backend in the state its owner's last successful command left it (each
#    backend is toggled by one writer only, so its order is known); the
#    `changes` counter counts every applied share command;
#  - the state is whole (status = maps; live rings = up backends), no request
#    failed, and new connections then follow the final config.
# Commands serialize on the pin dir's flock; this is what proves it.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_reliability.sh
. "$(dirname "$0")/lib_reliability.sh"
e2e_begin "concurrency/ipv${1:-4}" "${1:-4}"
need bpftool

# commands per writer, for 2 and for 8 writers
declare -A PER_WRITER=([2]=${E2E_PER_WRITER_2:-40} [8]=${E2E_PER_WRITER_8:-15})
OWNED=(b2 g2 b1 g1)            # writer w < 4 toggles backend OWNED[w]; the rest only share

topo_up
lb_setup
loadclient_build
ip netns exec "$NS_C" "$LOADCLIENT" "$VIP_HP" -n 10000000 -d 150 -c 4 -t 3000 --tag "$TAG" \
	>"$WORK/load.json" 2>"$WORK/load.log" &
lc=$!; PIDS+=("$lc")
e2e_sleep 0.5
kill -0 "$lc" 2>/dev/null || fail "loadclient stopped early"

# writer W N: N random commands; one line per command in $WORK/writer.W:
# exit code <TAB> command <TAB> stdout <TAB> stderr (newlines as ' | ').
writer() {
	local w=$1 n=$2 i cmd rc out err pct own=""
	((w < ${#OWNED[@]})) && own=${OWNED[w]}
	for ((i = 0; i < n; i++)); do
		if [[ -n $own ]] && ((RANDOM % 2)); then
			if ((RANDOM % 2)); then cmd="backend drain"; else cmd="backend up"; fi
			cmd="$cmd $SERVICE ${B_COLOR[$own]} $(backend_hp "$own")"
		else
			case $((RANDOM % 4)) in
			0) cmd="set blue" ;;
			1) cmd="set green" ;;
			2) cmd="weight green $((RANDOM % 101))" ;;
			3) pct=$((RANDOM % 10001)); cmd="weight blue $((pct / 100)).$(printf '%02d' $((pct % 100)))" ;;
			esac
		fi
		# shellcheck disable=SC2086
		timeout 20 nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" "$BGXDP" $cmd \
			>"$WORK/w$w.out" 2>"$WORK/w$w.err"
		rc=$?
		out=$(paste -sd'|' "$WORK/w$w.out") err=$(paste -sd'|' "$WORK/w$w.err")
		printf '%s\t%s\t%s\t%s\t%s\n' "$rc" "$cmd" "$out" "$err" "$(wc -l <"$WORK/w$w.err")" >>"$WORK/writer.$w"
	done
}

# verify BEFORE_JSON AFTER_JSON WRITERS: the checks above, on the logs.
verify() {
	python3 - "$@" "$WORK" "$SERVICE" <<'PY'
import json, re, sys

before_f, after_f, writers, work, service = sys.argv[1:6]
writers = int(writers)
owned = ["b2", "g2", "b1", "g1"]
svc = lambda f: next(s for s in json.load(open(f))["services"] if s["name"] == service)
before, after = svc(before_f), svc(after_f)

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

published = 0
share_gens = {}            # generation -> green share bp
applied_share = 0
last_state = {}            # backend address -> state after its owner's last success
counts = {"applied": 0, "noop": 0, "refused": 0}
for w in range(writers):
    for line in open(f"{work}/writer.{w}"):
        rc, cmd, out, err, errlines = line.rstrip("\n").split("\t")
        if rc == "1":
            if errlines != "1" or not err.startswith("bgxdp: "):
                fail(f"writer {w}: '{cmd}' failed without exactly one 'bgxdp: ' line: {err!r}")
            if "has no up backend" not in err and "is the last up" not in err:
                fail(f"writer {w}: '{cmd}' failed for a reason a concurrent writer must not cause: {err}")
            counts["refused"] += 1
            continue
        if rc != "0":
            fail(f"writer {w}: '{cmd}' exited {rc}: {err}")
        if err:
            fail(f"writer {w}: '{cmd}' succeeded but wrote to stderr: {err}")
        words = cmd.split()
        if words[0] in ("set", "weight"):
            m = re.search(r"green ([0-9.]+)% of new flows \(generation (\d+)\)", out)
            if not m:
                fail(f"writer {w}: '{cmd}' printed {out!r}")
            gen, bp = int(m.group(2)), round(float(m.group(1)) * 100)
            if gen in share_gens:
                fail(f"generation {gen} published twice (lost update): '{cmd}'")
            share_gens[gen] = bp
            published += 1
            applied_share += 1
            counts["applied"] += 1
        else:
            target = "drain" if words[1] == "drain" else "up"
            last_state[words[4]] = target
            if "is already" in out:
                counts["noop"] += 1
            else:
                published += 1
                counts["applied"] += 1

g0, g1 = before["generation"], after["generation"]
if g1 - g0 != published:
    fail(f"generation went {g0} -> {g1} (+{g1 - g0}) but {published} commands published")
if any(not g0 < g <= g1 for g in share_gens):
    fail(f"share generations {sorted(share_gens)} outside ({g0}, {g1}]")
want_bp = share_gens[max(share_gens)] if share_gens else before["green_share_bp"]
if after["green_share_bp"] != want_bp:
    fail(f"green share is {after['green_share_bp']} bp, the last applied share command set {want_bp}")
if after["changes"] - before["changes"] != applied_share:
    fail(f"changes went {before['changes']} -> {after['changes']}, {applied_share} share commands applied")
states = {b["address"]: b["state"] for c in ("blue", "green") for b in after["backends"][c]}
for addr, want in last_state.items():
    if states.get(addr) != want:
        fail(f"backend {addr} is {states.get(addr)}, its writer's last command left it {want}")
print(f"{writers} writers: {counts['applied']} commands applied, {counts['noop']} no-ops, "
      f"{counts['refused']} refused cleanly; generation {g0} -> {g1}; final green share "
      f"{want_bp / 100:.2f}%")
PY
}

total_applied=0
for W in 2 8; do
	rm -f "$WORK"/writer.*
	BGX_QUIET=1 bgx status --json >"$WORK/before.json" || fail "status --json"
	writers=()
	for ((w = 0; w < W; w++)); do
		: >"$WORK/writer.$w"
		writer "$w" "${PER_WRITER[$W]}" &
		writers+=($!); PIDS+=($!)
	done
	for p in "${writers[@]}"; do wait "$p"; done
	kill -0 "$lc" 2>/dev/null || fail "loadclient ended while $W writers ran"
	BGX_QUIET=1 bgx status --json >"$WORK/after.json" || fail "status --json"
	res=$(verify "$WORK/before.json" "$WORK/after.json" "$W") || fail "$W writers: ${res#FAIL: }"
	log "$res"
	check_whole "$PIN_DIR" || fail "state after $W writers"
done

kill -TERM "$lc"
wait "$lc" || fail "loadclient exited with $?"
out=$(cat "$WORK/load.json")
log "loadclient: $out"
ok=$(json_num "$out" ok); failed=$(json_num "$out" failed); resets=$(json_num "$out" resets)
other=$(json_num "$out" other_color)
((ok > 0)) || fail "no successful request"
((failed == 0)) || fail "$failed failed requests (see load.log)"
((resets == 0)) || fail "$resets connection resets"
((other == 0)) || fail "$other answers from no known backend"
log "$ok requests, 0 failed, 0 resets while 2 and 8 writers ran"

# New connections follow the final config: only up backends of a color
# that has a share answer.
BGX_QUIET=1 bgx status --json >"$WORK/final.json" || fail "status --json"
allowed=$(python3 - "$WORK/final.json" "$SERVICE" <<'PY'
import json, sys
s = next(s for s in json.load(open(sys.argv[1]))["services"] if s["name"] == sys.argv[2])
print(" ".join(b["address"] for c in ("blue", "green") if s["share"][c]
               for b in s["backends"][c] if b["state"] == "up"))
PY
)
for ((i = 0; i < 20; i++)); do
	body=$(curl_vip) || fail "request $i after the writers failed"
	name=${body#* }
	[[ " $allowed " == *" $(backend_hp "$name") "* ]] ||
		fail "new connection answered by $body, but the final config allows only: $allowed"
done
log "20 new connections answered only by backends the final config allows ($allowed)"
log "PASS"
