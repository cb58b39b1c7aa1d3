#!/usr/bin/env bash
# t_crash.sh 4|6 - kill -9 never hurts traffic or leaves a half-made config.
# Under load (a new connection per request):
#  - `bgxdp serve` is killed with SIGKILL 3 times and restarted: the
#    restarted serve answers /metrics at once and its counters continue
#    (no reset: they live in the pinned maps);
#  - 40 config commands (backend del/add, weight, set) are each killed with
#    SIGKILL 0-20 ms after they start, i.e. often half-way: afterwards the
#    next command works at once (the kernel dropped the dead holder's flock),
#    and the state is whole: status agrees with the maps, and each color's
#    live Maglev ring holds exactly its up backends;
#  - the load client sees 0 failed requests and 0 resets throughout, and new
#    connections follow the config that status shows.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_reliability.sh
. "$(dirname "$0")/lib_reliability.sh"
e2e_begin "crash/ipv${1:-4}" "${1:-4}"
need bpftool

SERVE_KILLS=3
CMD_KILLS=${E2E_CMD_KILLS:-40}
CHECK_EVERY=${E2E_CHECK_EVERY:-10}   # kills between two full state checks
LISTEN=127.0.0.1:9477          # inside our lb netns, so no clash

topo_up
lb_setup
loadclient_build
bgx weight green 50 || fail "bgxdp weight green 50"

ip netns exec "$NS_C" "$LOADCLIENT" "$VIP_HP" -n 10000000 -d 300 -c 4 -t 3000 --tag "$TAG" \
	>"$WORK/load.json" 2>"$WORK/load.log" &
lc=$!; PIDS+=("$lc")
e2e_sleep 0.5
kill -0 "$lc" 2>/dev/null || fail "loadclient stopped early"

# ---- bgxdp serve, killed and restarted ------------------------------------
serve_start() {
	nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" \
		"$BGXDP" serve --listen "$LISTEN" >>"$WORK/serve.log" 2>&1 &
	serve_pid=$!; PIDS+=("$serve_pid")
	local i
	for ((i = 0; i < 100; i++)); do
		in_lb curl -s -o /dev/null --max-time 1 "http://$LISTEN/" && return 0
		kill -0 "$serve_pid" 2>/dev/null || break
		e2e_sleep 0.05
	done
	fail "bgxdp serve did not answer after (re)start: $(tail -n 3 "$WORK/serve.log")"
}
# scrape: "flows_created_total changes_total" summed, from the running serve.
scrape() {
	in_lb curl -sf --max-time 5 "http://$LISTEN/metrics" |
		awk '/^bgxdp_flows_created_total/ { f += $2 } /^bgxdp_config_changes_total/ { c += $2 }
		     END { printf "%d %d\n", f, c }'
}
serve_start
for ((k = 1; k <= SERVE_KILLS; k++)); do
	read -r flows1 changes1 < <(scrape) || fail "scrape before kill $k"
	# mid-scrape, to make it as rude as it gets
	in_lb curl -s -o /dev/null --max-time 2 "http://$LISTEN/metrics" &
	kill -KILL "$serve_pid"
	wait "$serve_pid" 2>/dev/null
	kill -0 "$lc" 2>/dev/null || fail "loadclient ended when serve was killed"
	serve_start
	read -r flows2 changes2 < <(scrape) || fail "scrape after restart $k"
	((flows2 >= flows1 && flows1 > 0)) ||
		fail "serve restart $k: flows_created_total went from $flows1 to $flows2 (reset?)"
	((changes2 == changes1)) || fail "serve restart $k: config_changes_total went from $changes1 to $changes2"
	log "serve kill -9 #$k: restarted; flows_created_total $flows1 -> $flows2, config_changes_total $changes2 kept"
done
kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null

# ---- config commands, killed mid-change -----------------------------------
b2=$(backend_hp b2) g2=$(backend_hp g2)
cmds=("backend del $SERVICE blue $b2" "backend add $SERVICE blue $b2"
	"backend del $SERVICE green $g2" "backend add $SERVICE green $g2"
	"set blue" "set green" "weight green PCT" "weight blue PCT")
killed=0 finished=0 refused=0
for ((k = 1; k <= CMD_KILLS; k++)); do
	cmd=${cmds[RANDOM % ${#cmds[@]}]}
	cmd=${cmd/PCT/$((RANDOM % 101))}
	# shellcheck disable=SC2086
	nsenter --net="/run/netns/$NS_LB" env BGXDP_PIN_DIR="$PIN_DIR" "$BGXDP" $cmd \
		>"$WORK/cmd.out" 2>"$WORK/cmd.err" &
	p=$!
	sleep "0.0$(printf '%02d' $((RANDOM % 21)))"
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null; rc=$?
	case $rc in
	137) killed=$((killed + 1)) ;;
	0) finished=$((finished + 1)) ;;
	1)  # a clean refusal: add of a present / del of an absent backend
		[[ $(wc -l <"$WORK/cmd.err") == 1 && $(cat "$WORK/cmd.err") == "bgxdp: "* ]] ||
			fail "'bgxdp $cmd' failed without one error line: $(cat "$WORK/cmd.err")"
		refused=$((refused + 1)) ;;
	*) fail "'bgxdp $cmd' exited $rc: $(cat "$WORK/cmd.err")" ;;
	esac
	# the next writer must get the lock at once: a dead holder's flock is gone
	t0=$(date +%s%N)
	BGX_QUIET=1 bgx weight green "$((RANDOM % 101))" >/dev/null 2>"$WORK/next.err" ||
		fail "after killing '$cmd': the next command failed: $(cat "$WORK/next.err")"
	t1=$(date +%s%N)
	(((t1 - t0) < 10000000000)) || fail "after killing '$cmd': the next command waited $(((t1 - t0) / 1000000)) ms"
	if ((k % CHECK_EVERY == 0)); then
		check_whole "$PIN_DIR" || fail "state after $k kills (last: '$cmd', exit $rc)"
	fi
	kill -0 "$lc" 2>/dev/null || fail "loadclient ended during command kill $k"
done
check_whole "$PIN_DIR" || fail "state after the kills"
log "$CMD_KILLS commands started, $killed killed by SIGKILL mid-run, $finished finished first, $refused refused cleanly; state whole after every $CHECK_EVERY"

# ---- the data plane follows what status says ------------------------------
BGX_QUIET=1 bgx backend add "$SERVICE" blue "$b2" >/dev/null 2>&1
BGX_QUIET=1 bgx backend add "$SERVICE" green "$g2" >/dev/null 2>&1
bgx set green || fail "bgxdp set green after the kills"
check_whole "$PIN_DIR" || fail "state after set green"
expect_color green 10
bgx set blue || fail "bgxdp set blue after the kills"
expect_color blue 10

kill -TERM "$lc"
wait "$lc" || fail "loadclient exited with $?"
out=$(cat "$WORK/load.json")
log "loadclient: $out"
ok=$(json_num "$out" ok); failed=$(json_num "$out" failed); resets=$(json_num "$out" resets)
((ok > 0)) || fail "no successful request"
((failed == 0)) || fail "$failed failed requests (see load.log)"
((resets == 0)) || fail "$resets connection resets"
log "$ok requests, 0 failed, 0 resets through $SERVE_KILLS serve kills and $killed command kills"
log "PASS"
