#!/usr/bin/env bash
# tests/cli/transcript.sh - what every command prints, as a transcript.
#
# Runs a fixed script of commands (successes, refusals, help pages) against a
# fresh instance in a namespace of its own and prints, for each, the command,
# its exit status, stdout and stderr, with the values that change from run to
# run (ifindexes, times, program ids, the pin dir's PID, packets the kernel's
# own traffic on the test veth made pass) replaced by
# placeholders.  `--check` compares the transcript with
# tests/cli/transcript.expected and fails on any difference: the output of
# the commands is a contract scripts rely on, so a change to it must be a
# deliberate edit of that file (regenerate with `--update`).
set -uo pipefail
# shellcheck disable=SC2034  # read by lib.sh
CLI_NAME=transcript
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

EXPECTED=$CLI_DIR/transcript.expected
mode=${1:-print}

normalize() {
	sed -E -e "s#$PIN_DIR#PINDIR#g" -e "s#$BGXDP_STATE_DIR#STATEDIR#g" \
		-e 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z /TIME /' \
		-e 's/ifindex [0-9]+/ifindex N/g; s/"ifindex":[0-9]+/"ifindex":N/g' \
		-e 's/last change [0-9T:-]+Z/last change TIME/; s/"last_change_unix_ns":[0-9]+/"last_change_unix_ns":T/g' \
		-e 's/^(bgxdp_last_change_timestamp_seconds\{[^}]*\}) [0-9.e+]+$/\1 T/' \
		-e 's/^(bgxdp_build_info\{version=)"[^"]*"/\1"V"/' \
		-e 's/program [0-9]+ -> [0-9]+/program P -> P/g; s/(xdp|tc) [0-9]+ -> [0-9]+/\1 P -> P/g' \
		-e 's/"interval_seconds":[0-9.]+/"interval_seconds":S/' \
		-e 's/^(bgxdp_passed_packets_total\{[^}]*\}) [0-9]+$/\1 N/' \
		-e ':p; s/("passed":\{[^}]*"[a-z_]+":)[0-9]+/\1N/; tp'
}

# run ARGS...: one command of the transcript.
run() {
	local rc
	printf '$ bgxdp %s\n' "$*"
	bgx "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	normalize <"$WORK/out"
	sed 's/^/! /' "$WORK/err" | normalize
	printf '= %d\n\n' "$rc"
}

script() {
	local c
	run --help
	for c in attach detach upgrade "service add" "service del" "backend add" "backend del" \
		"backend drain" "backend up" "backend down" set weight rollback health "rollout start" \
		"rollout status" "rollout pause" "rollout resume" "rollout promote" "rollout abort" \
		"wait drained" status stats history metrics agent serve apply export save "fleet apply" "fleet status"; do
		# shellcheck disable=SC2086  # the group and its subcommand are two words
		run $c --help
	done
	run status
	run attach "$IFACE" --mode generic --flows 1024
	run attach "$IFACE" --mode generic
	run status
	run status --json
	run service add web --vip 10.0.0.1:80
	run service add web --vip 10.0.0.9:80
	run service add web6 --vip '[fd00::1]:80' --proto udp --preview '[fd00::2]:80' --affinity client
	run backend add web blue 10.1.0.1:8080
	run backend add web blue 10.1.0.2:8080 --weight 3
	run backend add web blue 10.1.0.2:8080
	run backend add web green 10.2.0.1:8080
	run backend add web green '[fd00::5]:80'
	run backend add web6 blue '[fd00:1::1]:8080'
	run backend add web6 green 10.2.0.1:8080
	run weight green 10
	run weight green 10 --service web
	run weight green 12.5 --service web
	run set green --service web
	run rollback --service web
	run rollback --service web
	run set green --service web6
	run weight blue 100 --service web6
	run backend drain web blue 10.1.0.1:8080
	run backend drain web blue 10.1.0.1:8080
	run backend down web blue 10.1.0.2:8080
	run backend up web blue 10.1.0.1:8080
	run backend del web blue 10.1.0.2:8080
	run backend del web blue 10.1.0.9:8080
	run backend down web6 blue '[fd00:1::1]:8080'
	run health web --http /healthz --expect 200-299 --interval 2s --timeout 300ms
	run health web --interval 1s --timeout 1s
	run health web --expect 200
	run health web --tcp --http /
	run health nosuch
	run health web6 --off
	run status
	run status --json
	run status --service web6 --json
	run status --service nosuch
	run stats --json --interval 0
	run stats --interval 0
	run metrics
	run upgrade --check
	run upgrade
	run service del web6
	run service del web6
	run rollout start green --service web --steps 10,50,100 --interval 2s
	run rollout start green --service web --steps 50,10,100 --interval 2s
	run rollout status
	run wait drained blue --service web --timeout 1s
	run history --service web6
	run history --since 0
	run -v weight green 20
	run weight green 0 -v
	run status
	run detach "$IFACE"
	run detach "$IFACE"
	run status
}

cli_begin
case $mode in
print) script ;;
--update) script >"$EXPECTED" && log "wrote $EXPECTED" ;;
--check)
	script >"$WORK/transcript"
	if diff -u "$EXPECTED" "$WORK/transcript"; then
		pass "every command's output, exit status and stderr as in tests/cli/transcript.expected"
	else
		failc "output differs from tests/cli/transcript.expected (diff above)"
	fi
	cli_summary ;;
*) die "usage: $0 [--check|--update]" ;;
esac
