#!/usr/bin/env bash
# t_ansible.sh 4|6 - contrib/ansible/deploy-idle.yml run for real:
# ansible-playbook (local connection) against this test's namespaces, the
# real bgxdp and a running agent.  The inventory: the bgxdp host runs a
# wrapper that is bgxdp in the switcher namespace with the test's pins and
# state; each backend is a host whose Python runs in the backend's namespace,
# and the check host's Python runs in the client namespace.  "Deploying" a
# version writes the file the backend's server answers GET /version from.
#   1. A split service (`bgxdp weight green 10`): the play stops before
#      deploying anything.
#   2. A green whose version page works but whose servers reset every other
#      request (under 100 new connections/s): the checks pass, the rollout
#      is aborted at the first step, the play fails saying so, the share is
#      back on blue, green got the version and blue nothing.
#   3. A healthy green: the play passes, green takes 100 %, the history shows
#      this rollout's steps, no client request failed during the play, and
#      the preview check reached a green server through the preview address.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/lib_agent.sh
. "$(dirname "$0")/lib_agent.sh"
e2e_begin "ansible/ipv${1:-4}" "${1:-4}"
need ansible-playbook
ANSIBLE_DIR=$REPO_DIR/contrib/ansible

# The preview address: on no interface, routed via the switcher like the
# VIP, so only bgxdp's preview path can answer it.
if [[ $FAMILY == 4 ]]; then PREVIEW=10.203.0.11; PREVIEW_HP=$PREVIEW:80
else PREVIEW=fd00:b6:3::11; PREVIEW_HP=[$PREVIEW]:80; fi
LB_SERVICE_ARGS="--preview $PREVIEW_HP"

# serve_version NAME [server.py options]: restart the backend's server so it
# answers GET /version from $WORK/version-NAME; bounded wait until it does.
serve_version() {
	local b=$1 i code=""
	shift
	backend_kill "$b"
	backend_start "$b" --version-file "$WORK/version-$b" "$@"
	for ((i = 0; i < 50; i++)); do
		code=$(in_c curl -gs -o /dev/null -w '%{http_code}' --max-time 1 "http://$(backend_hp "$b")/version")
		[[ $code == 200 || $code == 404 ]] && return 0
		e2e_sleep 0.1
	done
	fail "backend $b does not answer /version (last: '$code')"
}

# deployed: the backends a version was deployed to, and which, e.g. "g1=1.0.0".
deployed() {
	local b out=()
	for b in "${BACKENDS[@]}"; do
		[[ -e $WORK/version-$b ]] && out+=("$b=$(cat "$WORK/version-$b")")
	done
	echo "${out[*]}"
}

# ---- the inventory, the wrappers and the deploy tasks -------------------------
write_ansible_files() {
	local b ns c
	cat >"$WORK/bgxdp-lb" <<EOF
#!/bin/sh
# bgxdp in the switcher namespace of test $ID, with its pins and state
exec nsenter --net=/run/netns/$NS_LB env BGXDP_PIN_DIR=$PIN_DIR BGXDP_STATE_DIR=$STATE_DIR $BGXDP "\$@"
EOF
	for ns in c "${BACKENDS[@]}"; do
		cat >"$WORK/python-$ns" <<EOF
#!/bin/sh
# Ansible's modules for this host run in namespace $(ns_of "$ns")
exec ip netns exec $(ns_of "$ns") /usr/bin/python3 "\$@"
EOF
	done
	chmod +x "$WORK/bgxdp-lb" "$WORK"/python-*
	{
		echo "[bgxdp]"
		echo "lb1 bgxdp_bin=$WORK/bgxdp-lb"
		for c in blue green; do
			echo "[$c]"
			for b in "${BACKENDS[@]}"; do
				[[ ${B_COLOR[$b]} == "$c" ]] || continue
				echo "$b ansible_python_interpreter=$WORK/python-$b version_file=$WORK/version-$b"
			done
		done
		echo "[checks]"
		echo "client ansible_python_interpreter=$WORK/python-c"
		echo "[idle_servers]"
		echo "[all:vars]"
		echo "ansible_connection=local"
		echo "ansible_python_interpreter=/usr/bin/python3"
		echo "bgxdp_become=false"
	} >"$WORK/inventory.ini"
	# runs in the server's namespace: 127.0.0.1 is the server itself
	cat >"$WORK/deploy.yml" <<'EOF'
- name: Install the release (the server answers GET /version from this file)
  ansible.builtin.copy:
    content: "{{ app_version }}\n"
    dest: "{{ version_file }}"
- name: Wait until the server answers the new version
  ansible.builtin.uri:
    url: "http://127.0.0.1:8080/version"
    return_content: true
    timeout: 2
  register: served
  until: served.status == 200 and served.content == 'app ' ~ app_version ~ '\n'
  retries: 10
  delay: 1
EOF
}

# play NAME VERSION: run deploy-idle.yml (log $WORK/play-NAME.log); its exit code.
play() {
	local name=$1 version=$2 pid
	log "\$ ansible-playbook deploy-idle.yml -e app_version=$version (log play-$name.log)"
	ANSIBLE_CONFIG=$ANSIBLE_DIR/ansible.cfg ANSIBLE_HOME=$WORK/ansible \
	ANSIBLE_LOCAL_TEMP=$WORK/ansible/local ANSIBLE_REMOTE_TEMP=$WORK/ansible/remote \
	ANSIBLE_ASYNC_DIR=$WORK/ansible/async ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
		timeout 100 ansible-playbook -i "$WORK/inventory.ini" "$ANSIBLE_DIR/deploy-idle.yml" \
		-e app_version="$version" -e deploy_tasks="$WORK/deploy.yml" -e check_host=client \
		-e check_path=/version -e "check_body='app $version'" -e check_retries=3 \
		-e rollout_steps=10,50,100 -e rollout_interval=2s -e rollout_timeout=60 \
		-e '{"rollout_checks": ["--min-samples", "8"]}' >"$WORK/play-$name.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait "$pid"
}

# last_rollout: the history's rollout entries from
# the last rollout.start on, "WHAT AFTER" a line.
last_rollout() {
	python3 - "$STATE_DIR/history.jsonl" <<'PY'
import json, sys
r = [e for e in map(json.loads, open(sys.argv[1])) if e["what"].startswith("rollout.")]
starts = [i for i, e in enumerate(r) if e["what"] == "rollout.start"]
for e in r[starts[-1]:] if starts else []:
    print(e["what"], e.get("after", ""))
PY
}

# ---- setup ----------------------------------------------------------------------
topo_up
for b in "${BACKENDS[@]}"; do serve_version "$b"; done
lb_setup
bgx health "$SERVICE" --interval 500ms --timeout 200ms || fail "bgxdp health"
agent_start
for b in "${BACKENDS[@]}"; do wait_health "$b" up 3; done
write_ansible_files

# ---- 1. a split service --------------------------------------------------------------
bgx weight green 10 || fail "bgxdp weight green 10"
play split 1.0.0 && fail "the play passed on a split service"
grep -q "service $SERVICE is split (blue 90.0 %, green 10.0 %)" "$WORK/play-split.log" ||
	fail "no 'split' message in the play's output"
[[ -z $(deployed) ]] || fail "a split service got deployed to: $(deployed)"
log "split service (blue 90 %, green 10 %): the play stopped before deploying"
bgx set blue || fail "bgxdp set blue"

# ---- 2. a green that resets real requests: aborted -----------------------------------
serve_version g1 --reset
serve_version g2 --reset
wait_health g1 up 3
wait_health g2 up 3
ratecheck_start abortload 100
e2e_sleep 1
play abort 1.0.0
rc=$?
ratecheck_stop abortload
((rc != 0)) || fail "the play passed although green resets every request"
grep -q "rollout of green to $SERVICE aborted (bgxdp exit 1): new traffic is back on blue" \
	"$WORK/play-abort.log" || fail "no 'aborted' message in the play's output"
grep -A2 'TASK \[Check green through the preview address\]' "$WORK/play-abort.log" | grep -q '^ok:' ||
	fail "the play did not get as far as its checks: the abort was not the rollout's"
[[ $(green_share) == 0 ]] || fail "green share $(green_share) bp after the aborted play, want 0"
[[ $(deployed) == "g1=1.0.0 g2=1.0.0" ]] || fail "deployed: '$(deployed)', want green only (g1=1.0.0 g2=1.0.0)"
steps=$(last_rollout | xargs)
[[ $steps == "rollout.start green 10.00 % rollout.abort green 0.00 %" ]] ||
	fail "history of the aborted rollout: '$steps'"
log "green resets: checks passed, rollout aborted, the play failed saying so; share back on blue, deployed: $(deployed)"
log "history: $steps"

# ---- 3. a healthy green: rolled out ---------------------------------------------------
rm -f "$WORK/version-g1" "$WORK/version-g2"
serve_version g1
serve_version g2
wait_health g1 up 3
wait_health g2 up 3
declare -A log_lines=()
for b in "${BACKENDS[@]}"; do log_lines[$b]=$(wc -l <"$WORK/server-$b.log"); done
ratecheck_start load 100
e2e_sleep 1
t0=$(now_ms)
play rollout 2.0.0 || fail "the play failed on a healthy green: $(tail -n 15 "$WORK/play-rollout.log")"
t1=$(now_ms)
e2e_sleep 1
ratecheck_stop load
log "play passed in $((t1 - t0)) ms"
share=$(status_json | python3 -c 'import json,sys; s=json.load(sys.stdin)["services"][0]["share"]; print(float(s["blue"]), float(s["green"]))')
[[ $share == "0.0 100.0" ]] || fail "status --json share (blue green): $share, want 0.0 100.0"
[[ $(deployed) == "g1=2.0.0 g2=2.0.0" ]] || fail "deployed: '$(deployed)', want g1=2.0.0 g2=2.0.0"
steps=$(last_rollout | xargs)
[[ $steps == "rollout.start green 10.00 % rollout.advance green 50.00 % rollout.advance green 100.00 % rollout.succeed green 100.00 %" ]] ||
	fail "history of the rollout: '$steps'"
log "history: $steps"
# both loads in one file, so a port that failed on the resetting green and
# was reused here (its flow entry still points at that flow) counts as
# pinned, as in the health and rollout_abort suites; every other failure fails
start=$(head -n 1 "$WORK/load.jsonl" | python3 -c 'import json, sys; print(int(json.load(sys.stdin)["t"] * 1000))')
cat "$WORK/abortload.jsonl" "$WORK/load.jsonl" >"$WORK/both.jsonl"
failed=$(rc_count both "$start" 99999999999999 fresh)
pinned=$(rc_count both "$start" 99999999999999 pinned)
((failed == 0)) || fail "$failed connections failed during the play: $(rc_failures both "$start" 99999999999999)"
green=$(($(rc_count load "$t0" 99999999999999 ok "green g1") + $(rc_count load "$t0" 99999999999999 ok "green g2")))
((green > 0)) || fail "no request reached green during the rollout"
log "$(rc_count load 0 99999999999999 all) requests, 0 failed ($pinned more on a reused port of the aborted run), $green to green, while the play ran"
# the preview check: a green server was asked for the preview address
# (which is on no interface: only bgxdp's preview path delivers it), never
# a blue one
host_re="Host: \[?${PREVIEW//./\\.}\]?(:80)?$"
previewed=()
for b in "${BACKENDS[@]}"; do
	tail -n +$((log_lines[$b] + 1)) "$WORK/server-$b.log" | grep -qE "$host_re" && previewed+=("$b")
done
[[ ${#previewed[@]} -gt 0 && ${previewed[*]} != *b* ]] ||
	fail "the play's requests for the preview address $PREVIEW_HP reached [${previewed[*]}], want green servers only"
log "the preview check reached ${previewed[*]} through $PREVIEW_HP"
log "PASS"
