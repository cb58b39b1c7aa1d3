#!/usr/bin/env bash
# tests/ops/ansible.sh - contrib/ansible/deploy-idle.yml.
#
# 1. `ansible-playbook --syntax-check` with the shipped inventory.
# 2. The play's logic, against a stand-in for bgxdp (a fast test without
#    root; tests/e2e/t_ansible.sh runs the play against the real bgxdp, its
#    agent and real servers in namespaces, but only where root is; this one
#    also covers green live -> blue deployed, which that one does not):
#    a stub answers `status --json` with a given state and `rollout start`
#    with a given exit code, an HTTP server on 127.0.0.1 plays the idle
#    servers and the preview address, and the deploy tasks only leave a mark
#    per host.  Checked: blue live -> green's servers (only) get the new
#    version, green is checked through the preview, the rollout is started
#    for green with the configured steps, interval, checks, abort and
#    --wait, and the play passes; the same with rollout exit 1 -> the play
#    fails and says "aborted"; a split service -> the play stops before
#    deploying anything; green live -> blue is deployed, checked server by
#    server.
set -uo pipefail
# shellcheck source=tests/ops/lib.sh
. "$(dirname "$0")/lib.sh"
ops_begin ansible
need ansible-playbook
need python3
ANSIBLE_DIR=$REPO_DIR/contrib/ansible
ops_tmpdir TMP
export ANSIBLE_LOCAL_TEMP=$TMP/ansible-local ANSIBLE_REMOTE_TEMP=$TMP/ansible-remote
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0

# ---- 1. syntax --------------------------------------------------------------------
(cd "$ANSIBLE_DIR" && ansible-playbook -i inventory.ini --syntax-check deploy-idle.yml) \
	>"$TMP/syntax.log" 2>&1 || fail "syntax check: $(cat "$TMP/syntax.log")"
pass "ansible-playbook --syntax-check"

# ---- 2. the play against a stub ---------------------------------------------------------
mkdir -p "$TMP/www" "$TMP/marks"
echo "app 9.9.9" >"$TMP/www/health"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$TMP/www" >"$TMP/http.log" 2>&1 &
HTTP_PID=$!
on_exit "kill $HTTP_PID"
wait_for 10 grep -q 'Serving HTTP' "$TMP/http.log" || fail "http server did not start"
PORT=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$TMP/http.log" | head -n 1)
HP=127.0.0.1:$PORT

cat >"$TMP/bgxdp" <<'STUB'
#!/bin/bash
# stand-in for bgxdp: status from $STUB_DIR/status.json, rollout exits $STUB_DIR/rollout.rc
case "$1 $2" in
"status --service") cat "$STUB_DIR/status.json" ;;
"rollout start")
	echo "$*" >"$STUB_DIR/rollout.args"
	rc=$(cat "$STUB_DIR/rollout.rc")
	if ((rc == 1)); then echo "step 10 %: connection failure ratio 0.31 > 0.05: aborted"; fi
	exit "$rc" ;;
*) echo "stub: unexpected: $*" >&2; exit 2 ;;
esac
STUB
chmod +x "$TMP/bgxdp"
export STUB_DIR=$TMP

cat >"$TMP/inventory.ini" <<EOF
[bgxdp]
lb1 ansible_connection=local
[blue]
b1 ansible_connection=local
b2 ansible_connection=local
[green]
g1 ansible_connection=local
g2 ansible_connection=local
[idle_servers]
[all:vars]
ansible_python_interpreter=/usr/bin/python3
bgxdp_become=false
EOF
cat >"$TMP/deploy-mark.yml" <<EOF
- name: Leave a mark instead of deploying
  ansible.builtin.copy:
    content: "{{ app_version }}\n"
    dest: "$TMP/marks/{{ inventory_hostname }}"
EOF

# status SHARE_BLUE SHARE_GREEN: a service web with both colors on $HP
status() {
	cat >"$TMP/status.json" <<EOF
{"pin_dir":"/x","interfaces":[],"services":[{"name":"web","vip":"192.0.2.10:80","proto":"tcp",
"preview":"$HP","affinity":"flow","share":{"blue":$1,"green":$2},"green_share_bp":0,
"generation":3,"changes":1,"last_change_unix_ns":0,
"backends":{"blue":[{"address":"$HP","weight":1,"state":"up"}],
"green":[{"address":"$HP","weight":1,"state":"up"},{"address":"127.0.0.1:1","weight":1,"state":"drain"}]},
"flows":{"blue":0,"green":0}}]}
EOF
}

play() {   # ROLLOUT_RC: runs the play, output in $TMP/play.log
	echo "$1" >"$TMP/rollout.rc"
	rm -f "$TMP"/marks/* "$TMP/rollout.args"
	(cd "$ANSIBLE_DIR" && timeout 120 ansible-playbook -i "$TMP/inventory.ini" deploy-idle.yml \
		-e app_version=9.9.9 -e bgxdp_bin="$TMP/bgxdp" -e deploy_tasks="$TMP/deploy-mark.yml" \
		-e check_path=/health -e check_body="app 9.9.9" -e check_retries=1 \
		-e rollout_steps=10,50,100 -e rollout_interval=2s \
		-e '{"rollout_checks": ["--max-error-ratio-vs-stable", "2x"]}') >"$TMP/play.log" 2>&1
}
marks() { (cd "$TMP/marks" && ls | sort | xargs); }
ran() { grep -A3 "TASK \[$1\]" "$TMP/play.log" | grep -q '^ok:'; }

status 100.00 0.00
play 0 || fail "blue live, rollout exit 0: the play failed: $(tail -n 30 "$TMP/play.log")"
[[ $(marks) == "g1 g2" ]] || fail "deployed to [$(marks)], want the idle green servers g1 g2"
ran "Check green through the preview address" || fail "green was not checked through the preview address"
want="rollout start green --service web --steps 10,50,100 --interval 2s --max-error-ratio-vs-stable 2x --on-failure abort --wait"
[[ $(cat "$TMP/rollout.args") == "$want" ]] || fail "rollout args: $(cat "$TMP/rollout.args"), want: $want"
pass "blue live: green deployed and checked (preview), rollout started with --wait, play passed"

play 1 && fail "the play passed although the rollout was aborted (exit 1)"
grep -q "rollout of green to web aborted" "$TMP/play.log" || fail "no 'aborted' message: $(tail -n 20 "$TMP/play.log")"
pass "rollout exit 1: the play fails and says the rollout was aborted"

status 90.00 10.00
play 0 && fail "the play passed on a split service"
[[ -z $(marks) ]] || fail "a split service got deployed to: $(marks)"
grep -q "is split (blue 90.0 %, green 10.0 %)" "$TMP/play.log" || fail "no 'split' message"
pass "split service: the play stops before deploying"

status 0.00 100.00
play 0 || fail "green live: the play failed: $(tail -n 30 "$TMP/play.log")"
[[ $(marks) == "b1 b2" ]] || fail "deployed to [$(marks)], want b1 b2"
grep -q "the preview address reaches green only" "$TMP/play.log" || fail "no note that blue has no preview"
[[ $(cat "$TMP/rollout.args") == "rollout start blue "* ]] || fail "rollout args: $(cat "$TMP/rollout.args")"
pass "green live: blue deployed, checked server by server, rolled out"
log "ansible: all checks passed"
