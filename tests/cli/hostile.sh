#!/usr/bin/env bash
# tests/cli/hostile.sh - every command with bad arguments, against a real instance.
#
# One row per case: expected exit status (1 failure, 2 usage), a regex the
# one stderr line must match (it names the bad argument or value), the
# command line.  For each row the binary under test (BGXDP, default the
# ASan+UBSan build) must:
#   - exit with exactly that status,
#   - print exactly one line on stderr, "bgxdp: ..." matching the regex,
#   - print nothing on stdout (a failed command has nothing to report),
#   - leave `bgxdp status --json` (all services) byte-identical,
#   - leave no sanitizer report (ASan/UBSan/LSan halt and log to $WORK/san).
# The instance: lib.sh cli_configure (web, one, web6) plus service api with
# no backends.
set -uo pipefail
# shellcheck disable=SC2034  # read by lib.sh
CLI_NAME=hostile
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

cli_begin
cli_configure
bgx service add api --vip 10.0.0.3:80 >/dev/null || die "service add api failed"

LONG33=$(printf 'n%.0s' {1..33})
LONG300=$(printf 'x%.0s' {1..300})
LONGVIP="$(printf '1%.0s' {1..5000}):80"
snapshot_base

# row EXIT REGEX ARGS...: bgxdp ARGS must fail that way, changing nothing.
row() { expect_fail "$1" "$2" bgx "${@:3}"; }

# --- weight: percentages -------------------------------------------------
row 2 "PERCENT '100\.001'"        weight green 100.001 --service web
row 2 "PERCENT '101'.*0\.\.100"   weight green 101 --service web
row 2 "PERCENT '-1'"              weight green -1 --service web
row 2 "PERCENT '10%%'"            weight green '10%%' --service web
row 2 "PERCENT '10%'"             weight green '10%' --service web
row 2 "PERCENT 'NaN'"             weight green NaN --service web
row 2 "PERCENT 'inf'"             weight green inf --service web
row 2 "PERCENT '0x10'"            weight green 0x10 --service web
row 2 "PERCENT ''"                weight green '' --service web
row 2 "PERCENT '1e2'"             weight green 1e2 --service web
row 2 "PERCENT ' 10'"             weight green ' 10' --service web
row 2 "PERCENT '10\.'"            weight green 10. --service web
row 2 "PERCENT '12\.345'"         weight green 12.345 --service web
row 2 "PERCENT '1\?0'"            weight green $'1\n0' --service web
row 2 "color.*'purple'"           weight purple 10 --service web
row 2 "missing argument PERCENT"  weight green --service web
row 2 "unexpected argument 'extra'" weight green 10 --service web extra
row 1 "no service named 'nosuch'" weight green 10 --service nosuch
row 1 "no service named 'we'"     weight green 10 --service we
row 1 "4 services configured.*--service" weight green 10
row 1 "(blue|green) would get 50\.00% .*'api' .*no up backend" weight green 50 --service api
row 1 "blue would get 100\.00% .*'api' .*no up backend" weight blue 100 --service api
row 2 "--service '$LONG33'.*1\.\.31" weight green 10 --service "$LONG33"
row 2 "--service ''"              weight green 10 --service ''
row 2 "option --service needs a value" weight green 10 --service
row 2 "option --service given more than once" weight green 10 --service web --service web

# --- set / rollback --------------------------------------------------------
row 1 "green would get 100\.00% .*'web6' but has no up backend" set green --service web6
row 1 "green would get 100\.00% .*'one' but has no up backend"  set green --service one
row 2 "color.*'purple'"           set purple --service web
row 2 "color.*'BLUE'"             set BLUE --service web
row 2 "unexpected argument 'blue'" set green blue --service web
row 2 "missing argument blue\|green" set --service web
row 1 "'one' has no earlier traffic split" rollback --service one
row 2 "unexpected argument 'extra'" rollback --service web extra
row 2 "unknown option '--force'"  rollback --service web --force

# --- service add / del -----------------------------------------------------
row 2 "NAME '$LONG33'.*1\.\.31"   service add "$LONG33" --vip 10.9.9.9:80
row 2 "NAME 'x{40}\.\.\.\(300 characters\)'" service add "$LONG300" --vip 10.9.9.9:80
row 2 "NAME ''"                   service add '' --vip 10.9.9.9:80
row 2 "NAME 'a\?b'.*0x0a"         service add $'a\nb' --vip 10.9.9.9:80
row 2 "NAME 'we/b'.*'/'"          service add we/b --vip 10.9.9.9:80
row 2 "--vip '300\.1\.1\.1:80'.*bad IPv4 address '300\.1\.1\.1'" service add x --vip 300.1.1.1:80
row 2 "--vip '10\.0\.0\.1:0'.*bad port '0'.*1\.\.65535" service add x --vip 10.0.0.1:0
row 2 "--vip '10\.0\.0\.1:65536'.*bad port '65536'" service add x --vip 10.0.0.1:65536
row 2 "--vip '10\.0\.0\.1:99999999999'.*bad port" service add x --vip 10.0.0.1:99999999999
row 2 "--vip '10\.0\.0\.1:\+80'.*bad port"  service add x --vip 10.0.0.1:+80
row 2 "--vip '\[fd00::1\]80'.*missing port"  service add x --vip '[fd00::1]80'
row 2 "--vip '10\.0\.0\.1'.*missing port"   service add x --vip 10.0.0.1
row 2 "--vip ':80'.*bad IPv4 address"        service add x --vip :80
row 2 "--vip '\[::1\]:'.*bad port ''"        service add x --vip '[::1]:'
row 2 "--vip '\[fd00::1'.*missing '\]'"      service add x --vip '[fd00::1'
row 2 "--vip 'fd00::1:80'.*bracketed"        service add x --vip fd00::1:80
row 2 "--vip '\[fe80::1%eth0\]:80'.*bad IPv6" service add x --vip '[fe80::1%eth0]:80'
row 2 "--vip '010\.0\.0\.1:80'.*bad IPv4"    service add x --vip 010.0.0.1:80
row 2 "--vip: empty address"                 service add x --vip ''
row 2 "--vip '1{40}\.\.\.\(5003 characters\)': bad IPv4 address"       service add x --vip "$LONGVIP"
row 2 "missing required option --vip"        service add x
row 2 "--proto: bad value 'sctp'"            service add x --vip 10.9.9.9:80 --proto sctp
row 2 "--affinity: bad value 'none'"         service add x --vip 10.9.9.9:80 --affinity none
row 2 "--preview '\[fd00::5\]:80'.*same address family" service add x --vip 10.9.9.9:80 --preview '[fd00::5]:80'
row 2 "--preview '10\.9\.9\.9:80' must differ"  service add x --vip 10.9.9.9:80 --preview 10.9.9.9:80
row 2 "unknown option '--bogus'"             service add x --vip 10.9.9.9:80 --bogus
row 1 "service 'web' already exists"         service add web --vip 10.9.9.9:80
row 1 "--vip 10\.0\.0\.1:80 \(tcp\) is already used" service add x --vip 10.0.0.1:80
row 1 "--preview 10\.0\.0\.2:53 \(udp\) is already used" service add x --vip 10.9.9.9:53 --proto udp --preview 10.0.0.2:53
row 1 "no service named 'nosuch'"            service del nosuch
row 2 "unexpected argument 'extra'"          service del web extra
row 2 "missing argument NAME"                service del
row 2 "service: unknown subcommand 'frob'"   service frob
row 2 "service: missing subcommand"          service

# --- backend ---------------------------------------------------------------
row 1 "10\.1\.0\.1:8080 is already a blue backend of service 'web'" backend add web blue 10.1.0.1:8080
row 1 "10\.1\.0\.1:8080 is already a blue backend" backend add web blue 10.1.0.1:8080 --weight 5
row 1 "10\.1\.0\.1:8080 is a backend of service 'web' already" backend add api blue 10.1.0.1:8080
row 1 "\[fd00::9\]:80: address family differs .*'web'" backend add web blue '[fd00::9]:80'
row 1 "10\.1\.0\.9:8080: address family differs .*'web6'" backend add web6 blue 10.1.0.9:8080
row 2 "color: bad color 'purple'"            backend add web purple 10.1.0.9:8080
row 2 "--weight '0'.*1\.\.1000"              backend add web blue 10.1.0.9:8080 --weight 0
row 2 "--weight '1001'.*1\.\.1000"           backend add web blue 10.1.0.9:8080 --weight 1001
row 2 "--weight '-1'"                        backend add web blue 10.1.0.9:8080 --weight -1
row 2 "--weight '1\.5'"                      backend add web blue 10.1.0.9:8080 --weight 1.5
row 2 "--weight ''"                          backend add web blue 10.1.0.9:8080 --weight=
row 2 "--weight '99999999999999999999'"      backend add web blue 10.1.0.9:8080 --weight 99999999999999999999
row 2 "ADDR:PORT '10\.1\.0\.9:0'.*bad port"  backend add web blue 10.1.0.9:0
row 2 "ADDR:PORT '10\.1\.0\.9:65536'"        backend add web blue 10.1.0.9:65536
row 2 "ADDR:PORT '10\.1\.0\.256:80'"         backend add web blue 10.1.0.256:80
row 2 "NAME '$LONG33'"                       backend add "$LONG33" blue 10.1.0.9:8080
row 1 "no service named 'nosuch'"            backend add nosuch blue 10.1.0.9:8080
row 2 "missing argument ADDR:PORT"           backend add web blue
row 2 "unexpected argument 'extra'"          backend add web blue 10.1.0.9:8080 extra
row 1 "10\.1\.0\.3:53 is the last up blue backend of service 'one' and blue gets 100\.00%" backend del one blue 10.1.0.3:53
row 1 "10\.1\.0\.3:53 is the last up blue backend of service 'one'" backend down one blue 10.1.0.3:53
row 1 "10\.1\.0\.3:53 is the last up blue backend of service 'one'" backend drain one blue 10.1.0.3:53
row 1 "10\.2\.0\.1:8080 is the last up green backend of service 'web' and green gets 10\.00%" backend del web green 10.2.0.1:8080
row 1 "10\.2\.0\.1:8080 is the last up green backend" backend down web green 10.2.0.1:8080
row 1 "10\.2\.0\.1:8080 is the last up green backend" backend drain web green 10.2.0.1:8080
row 1 "\[fd00:1::1\]:8080 is the last up blue backend of service 'web6'" backend del web6 blue '[fd00:1::1]:8080'
row 1 "10\.1\.0\.99:8080 is not a blue backend of service 'web'" backend del web blue 10.1.0.99:8080
row 1 "10\.1\.0\.1:8080 is not a green backend of service 'web'" backend up web green 10.1.0.1:8080
row 1 "10\.1\.0\.99:8080 is not a blue backend" backend drain web blue 10.1.0.99:8080
row 2 "unknown option '--weight'"            backend del web blue 10.1.0.1:8080 --weight 2
row 2 "backend: unknown subcommand 'remove'" backend remove web blue 10.1.0.1:8080

# --- attach / detach -------------------------------------------------------
row 1 "d0 is already attached"               attach d0
row 1 "no interface named 'nosuchif0'"       attach nosuchif0
row 1 "no interface named '$LONG33'"         attach "$LONG33"
row 2 "--flows '5'.*1024\.\.67108864"        attach d0p --flows 5
row 2 "--flows '67108865'"                   attach d0p --flows 67108865
row 2 "--flows 'many'"                       attach d0p --flows many
row 2 "--mode: bad value 'turbo'"            attach d0p --mode turbo
row 2 "missing argument IFACE"               attach
row 1 "nosuchif0 is not attached"            detach nosuchif0
row 1 "d0p is not attached"                  detach d0p
row 2 "unexpected argument 'd0p'"            detach d0 d0p

# --- read-only commands ------------------------------------------------------
row 1 "no service named 'nosuch'"            status --service nosuch
row 2 "--service '$LONG33'"                  status --service "$LONG33"
row 2 "option --service given more than once" status --service web --service web
row 2 "unknown option '--yaml'"              status --yaml
row 2 "--watch '0'.*1\.\.3600"               stats --watch 0
row 2 "--watch '3601'"                       stats --watch 3601
row 2 "--watch '-1'"                         stats --watch -1
row 2 "--watch 'NaN'"                        stats --watch NaN
row 2 "--interval '60001'"                   stats --interval 60001
row 2 "unexpected argument 'extra'.*bgxdp metrics\)" metrics extra
row 2 "unknown option '--prom'"              metrics --prom
row 2 "--listen '1\.2\.3:80'.*bad IPv4"      serve --listen 1.2.3:80
row 2 "--listen '127\.0\.0\.1'.*missing port" serve --listen 127.0.0.1
row 2 "--listen '127\.0\.0\.1:0'.*bad port"  serve --listen 127.0.0.1:0
row 2 "--listen '\[::1\]:65536'"             serve --listen '[::1]:65536'
row 1 "cannot listen on 10\.9\.9\.9:9477"    serve --listen 10.9.9.9:9477

# --- health: durations, counts, paths, codes ---------------------------------
row 2 "--interval '0'"                    health web --interval 0
row 2 "--interval '1d'"                   health web --interval 1d
row 2 "--interval '50ms'.*100"            health web --interval 50ms
row 2 "--interval '2h'"                   health web --interval 2h
row 2 "--interval '-1s'"                  health web --interval -1s
row 2 "--timeout '5ms'"                   health web --timeout 5ms
row 2 "timeout 1s must be shorter than the interval \(1s\)" health web --timeout 1s
row 2 "timeout 2s must be shorter than the interval \(1s\)" health web --timeout 2s --interval 1s
row 2 "--rise '0'.*1\.\.100"               health web --rise 0
row 2 "--fall '101'.*1\.\.100"             health web --fall 101
row 2 "--fall 'two'"                      health web --fall two
row 2 "--port '0'"                        health web --port 0
row 2 "--port '65536'"                    health web --port 65536
row 2 "HTTP check path 'healthz' must start with '/'" health web --http healthz
row 2 "HTTP check path '/a b'"             health web --http '/a b'
row 2 "--http: path longer than 255"      health web --http "/$LONG300"
row 2 "--expect '600'"                    health web --http / --expect 600
row 2 "--expect '399-200'"                health web --http / --expect 399-200
row 2 "--expect '2xx'"                    health web --http / --expect 2xx
row 2 "--expect '200,'"                   health web --http / --expect 200,
row 2 "--expect needs --http"             health web --expect 200
row 2 "--tcp and --http"                  health web --tcp --http /
row 2 "--off takes no other check option" health web --off --http /
row 2 "fastinter 5s is out of range"      health web --fastinter 5s
row 1 "no service named 'nosuch'"         health nosuch
row 2 "missing argument NAME"             health
row 2 "--since '1d'"                      history --since 1d

# --- rollouts, verify, wait drained -----------------------------------------------
row 2 "--steps must rise strictly"        rollout start green --service web --steps 50,10,100 --interval 2s
row 2 "--steps: \"120\" is not a percentage" rollout start green --service web --steps 10,120 --interval 2s
row 2 "the last step must be 100"         rollout start green --service web --steps 10,50 --interval 2s
row 2 "--interval '50ms'"                 rollout start green --service web --steps 10,100 --interval 50ms
row 2 "missing required option --steps"   rollout start green --service web --interval 2s
row 2 "only http:// or https://"          rollout start green --service web --steps 10,100 --interval 2s --prometheus ftp://x --query up --max 1
row 2 "--query 'up' needs --max V or --min V" rollout start green --service web --steps 10,100 --interval 2s --prometheus http://x --query up
row 2 "--max 1: no --query before it"     rollout start green --service web --steps 10,100 --interval 2s --max 1
row 2 "--query needs --prometheus URL"    rollout start green --service web --steps 10,100 --interval 2s --query up --max 1
row 2 "--max-failure-ratio 2: accepted 0 to 1" rollout start green --service web --steps 10,100 --interval 2s --max-failure-ratio 2
row 2 "--max-error-ratio-vs-stable"       rollout start green --service web --steps 10,100 --interval 2s --max-error-ratio-vs-stable 0.5x
row 2 "--pause-at 30.00: not one of the steps" rollout start green --service web --steps 10,100 --interval 2s --pause-at 30
row 1 "no agent runs on state dir"        rollout start green --service web --steps 10,100 --interval 2s
row 1 "no service named 'nosuch'"         rollout start green --service nosuch --steps 10,100 --interval 2s
row 2 "--verify '50ms'"                   set green --service web --verify 50ms
row 1 "no agent runs on state dir"        set green --service web --verify 5s
row 1 "no rollout in"                     rollout pause
row 2 "color.*'purple'"                   wait drained purple --service web
row 2 "--timeout '0'"                     wait drained blue --service web --timeout 0
row 1 "no service named 'nosuch'"         wait drained blue --service nosuch
row 2 "--since 'soon'"                    history --since soon
# --- fleet (etcd on a port nobody listens to: nothing can be written) ----------------
ETCD=http://127.0.0.1:1
printf 'services:\n  - name: web\n    vip: 10.9.0.1\n' >"$WORK/bad-fleet.yaml"
printf 'services: []\n' >"$WORK/fleet.yaml"
printf 'secret\n' >"$WORK/password" && chmod 644 "$WORK/password"
row 2 "missing required option --etcd"       fleet status --fleet web
row 2 "missing required option --fleet"      fleet status --etcd "$ETCD"
row 2 "--fleet 'a/b': bad character '/'"   fleet status --etcd "$ETCD" --fleet a/b
row 2 "etcd endpoint 'ftp://x'.*http://HOST:PORT" fleet status --etcd ftp://x --fleet web
row 2 "--etcd-timeout '50ms'"                fleet status --etcd "$ETCD" --fleet web --etcd-timeout 50ms
row 2 "--etcd-user and --etcd-password-file go together" fleet status --etcd "$ETCD" --fleet web --etcd-user root
row 2 "--etcd-password-file '.*': mode 0644 lets others in" fleet status --etcd "$ETCD" --fleet web --etcd-user root --etcd-password-file "$WORK/password"
row 2 "etcd client certificate and key: give both or neither" fleet status --etcd "$ETCD" --fleet web --etcd-cert "$WORK/fleet.yaml"
row 1 "no endpoint answered"                 fleet status --etcd "$ETCD" --fleet web
row 2 "missing required option --file"       fleet apply --etcd "$ETCD" --fleet web
row 2 "bad-fleet\.yaml:3:10: vip '10\.9\.0\.1': missing port" fleet apply -f "$WORK/bad-fleet.yaml" --etcd "$ETCD" --fleet web
row 1 "no endpoint answered"                 fleet apply -f "$WORK/fleet.yaml" --etcd "$ETCD" --fleet web
# the agent's fleet options: what goes together is checked when parsed, the
# rest (files, addresses) before anything starts
(umask 077 && printf '%064d\n' 7 >"$WORK/sync.key" && printf 'abc\n' >"$WORK/short.key")
cp "$WORK/sync.key" "$WORK/open.key" && chmod 644 "$WORK/open.key"
PEERS33=$(seq -s, -f '127.0.0.1:%g' 7001 7033)
row 2 "--fleet needs --etcd URL"             agent --fleet web
row 2 "--etcd needs --fleet NAME"            agent --etcd "$ETCD"
row 2 "--etcd-ca needs --etcd URL --fleet NAME" agent --etcd-ca "$WORK/fleet.yaml"
row 2 "--etcd-password-file needs --etcd URL" agent --etcd-password-file "$WORK/password"
row 2 "--sync-peer needs --sync-key FILE"    agent --sync-peer 127.0.0.1:7946
row 2 "--sync-listen needs --sync-key FILE"  agent --sync-listen 127.0.0.1:7946 --etcd "$ETCD" --fleet web
row 2 "--sync-key needs --sync-listen ADDR:PORT or --sync-peer" agent --sync-key "$WORK/sync.key"
row 2 "--host-name needs --etcd URL --fleet NAME or flow sync" agent --host-name lb1
row 2 "--sync-peer: empty"                   agent --sync-key "$WORK/sync.key" --sync-peer ,
row 2 "--fleet 'a/b': bad character '/'"     agent --etcd "$ETCD" --fleet a/b
row 2 "etcd endpoint 'ftp://x'.*http://HOST:PORT" agent --etcd ftp://x --fleet web
row 2 "--etcd-password-file '.*': mode 0644 lets others in" agent --etcd "$ETCD" --fleet web --etcd-user root --etcd-password-file "$WORK/password"
row 2 "etcd client certificate and key: give both or neither" agent --etcd "$ETCD" --fleet web --etcd-key "$WORK/sync.key"
row 2 "sync key '.*nokey': No such file"     agent --sync-key "$WORK/nokey" --sync-listen 127.0.0.1:7946
row 2 "sync key '.*open\.key': mode 0644 lets group or others in" agent --sync-key "$WORK/open.key" --sync-listen 127.0.0.1:7946
row 2 "sync key '.*short\.key': expected 64 hex digits" agent --sync-key "$WORK/short.key" --sync-peer 127.0.0.1:7946
row 2 "--sync-peer 'nothost:1': expected ADDR:PORT" agent --sync-key "$WORK/sync.key" --sync-peer 127.0.0.1:7946,nothost:1
row 2 "--sync-listen '127\.0\.0\.1': expected ADDR:PORT" agent --sync-key "$WORK/sync.key" --sync-listen 127.0.0.1
row 2 "--sync-peer: at most 32 peers"        agent --sync-key "$WORK/sync.key" --sync-peer "$PEERS33"
row 2 "--host-name 'a/b': expected 1 to 63"  agent --host-name a/b --sync-key "$WORK/sync.key" --sync-peer 127.0.0.1:7946
row 2 "--sync-flush '0'"                     agent --sync-flush 0 --sync-key "$WORK/sync.key" --sync-peer 127.0.0.1:7946

# --- global ------------------------------------------------------------------
row 2 "unknown command 'frobnicate'"         frobnicate
row 2 "missing command"
row 2 "option --pin-dir needs a value"       status --pin-dir
row 2 "option --pin-dir needs a value \\(DIR\\)" --pin-dir
row 2 "unknown option '--bogus'"             --bogus status
row 2 "--pin-dir: empty directory name"      status --pin-dir ''
row 2 "pin dir 'relative/dir' is not an absolute path" status --pin-dir relative/dir
row 1 "no bgxdp instance at /sys/fs/bpf/bgxcli-$ID-none" status --pin-dir "/sys/fs/bpf/bgxcli-$ID-none"
row 1 "unsafe pin dir /tmp: /tmp is writable by group or others" status --pin-dir /tmp
row 1 "pin dir $PIN_DIR/svc_config is not a directory" status --pin-dir "$PIN_DIR/svc_config"
mkdir -m 0700 "/sys/fs/bpf/bgxcli-$ID-empty"
row 1 "no bgxdp instance at /sys/fs/bpf/bgxcli-$ID-empty" weight green 10 --pin-dir "/sys/fs/bpf/bgxcli-$ID-empty"
rmdir "/sys/fs/bpf/bgxcli-$ID-empty"
row 1 "pin dir $WORK/pins is not on a bpf filesystem" attach d0p --pin-dir "$WORK/pins"
[[ -e $WORK/pins ]] && failc "attach --pin-dir $WORK/pins left the directory behind"
# a new instance inside another's pin dir, or in a dir holding anything else,
# would be swept away by (or sweep away) a last detach
row 1 "pin dir $PIN_DIR/nested is inside the pin dir of another instance \\($PIN_DIR\\)" attach d0p --pin-dir "$PIN_DIR/nested"
[[ -e $PIN_DIR/nested ]] && failc "attach --pin-dir $PIN_DIR/nested left the directory behind"
FULL=/sys/fs/bpf/bgxcli-$ID-full
mkdir -m 0700 "$FULL" && mkdir "$FULL/other-tool"
row 1 "pin dir $FULL holds 1 entry but no bgxdp instance; a new instance needs an empty directory" attach d0p --pin-dir "$FULL"
[[ $(ls -A "$FULL") == other-tool ]] || failc "attach --pin-dir $FULL changed it: $(ls -A "$FULL")"
rm -rf "$FULL"

# --- limits: all 16 service slots in use ---------------------------------------
for i in $(seq 5 16); do
	bgx service add "s$i" --vip "10.0.1.$i:80" >/dev/null || die "service add s$i failed"
done
snapshot_base
row 1 "all 16 service slots are in use"      service add s17 --vip 10.0.1.17:80
row 1 "16 services configured: say which one with --service NAME" set blue

# --- rollback to a split whose color has lost its backends since --------------
{ bgx set green --service web && bgx backend del web blue 10.1.0.1:8080 &&
  bgx backend del web blue 10.1.0.2:8080; } >/dev/null || die "setting up the rollback case failed"
snapshot_base
row 1 "blue would get 90\.00% of new flows of service 'web' but has no up backend" rollback --service web
row 1 "blue would get 100\.00% of new flows of service 'web' but has no up backend" set blue --service web

log "$ROWS rows"
cli_summary
