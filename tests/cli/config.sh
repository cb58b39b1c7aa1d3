#!/usr/bin/env bash
# tests/cli/config.sh - the instance as a file: export, apply, save, batch.
#
#   export | apply -f -        a no-op: no generation moves
#   drift, then apply          the commands' changes undone, back to the file
#   --dry-run                  prints the plan, changes nothing
#   bad files                  each refused with FILE:LINE:COL and a reason,
#                              nothing changed (status --json byte-identical)
#   save                       writes the file atomically; applying it later
#                              gives the state back
#   -b                         every line checked first; one refusal and
#                              nothing changes; else one change
# The instance: lib.sh cli_configure (web, one, web6).
set -uo pipefail
# shellcheck disable=SC2034  # read by lib.sh
CLI_NAME=config
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"

need jq
cli_begin
export BGXDP_STATE_DIR=$WORK/state
cli_configure

generations() { bgx status --json | jq -c '[.services[] | {(.name): .generation}] | add'; }
digest() { bgx -j export | jq -r .digest; }

# -- export | apply is a no-op
bgx export >"$WORK/base.yaml" || die "export failed"
gen0=$(generations)
out=$(bgx export | bgx apply -f - 2>&1)
if [[ $? == 0 && $out == *"no changes"* && $(generations) == "$gen0" ]]; then
	pass "export | apply -f -: no changes, generations $gen0 unchanged"
else
	failc "export | apply -f - changed something: $out; $(generations) vs $gen0"
fi

# -- the same bytes every time (canonical)
if cmp -s "$WORK/base.yaml" <(bgx export); then
	pass "export twice: byte-identical ($(wc -l <"$WORK/base.yaml") lines)"
else
	failc "two exports of the same state differ"
fi

# -- drift, dry run, apply back
bgx weight green 75 --service web >/dev/null && bgx backend drain web blue 10.1.0.1:8080 >/dev/null &&
	bgx backend add web green 10.2.0.9:8080 >/dev/null && bgx service del web6 >/dev/null ||
	die "drift commands failed"
drifted=$(digest)
plan=$(bgx apply -f "$WORK/base.yaml" --dry-run)
if [[ $(digest) == "$drifted" && $plan == *"~ share web green 75% -> 10%"* && $plan == *"+ service web6"* &&
	$plan == *"- backend web green 10.2.0.9:8080"* && $plan == *"dry run: nothing changed"* ]]; then
	pass "apply --dry-run: the plan ($(grep -c '^[-+~]' <<<"$plan") steps) and nothing changed"
else
	failc "apply --dry-run: $plan"
fi
web_gen=$(bgx status --json --service web | jq .services[0].generation)
out=$(bgx apply -f "$WORK/base.yaml")
if [[ $? == 0 && $(digest) == "$(bgx export --json | jq -r .digest)" ]] &&
	cmp -s "$WORK/base.yaml" <(bgx export); then
	pass "apply after drift: the state is the file's again ($(tail -1 <<<"$out"))"
else
	failc "apply after drift did not restore: $(diff "$WORK/base.yaml" <(bgx export) | head -5)"
fi
if [[ $(bgx status --json --service web | jq .services[0].generation) == $((web_gen + 1)) ]]; then
	pass "apply published service web with one generation (+1) for its 3 changes"
else
	failc "apply moved web's generation from $web_gen to $(bgx status --json --service web | jq .services[0].generation)"
fi

# -- bad files: FILE:LINE:COL, nothing changed
snapshot_base
bad() {
	local name=$1 want=$2 file=$WORK/$1.yaml
	cat >"$file"
	expect_fail 2 "^bgxdp: apply: ${file//./\\.}:$want" bgx apply -f "$file"
}
bad unknown-key "[0-9]+:3: unknown key 'bogus'" < <(sed 's/^- name: web$/- name: web\n  bogus: 1/' "$WORK/base.yaml")
bad wrong-type "[0-9]+:[0-9]+: .*weight" < <(sed 's/weight: 3/weight: "3"/' "$WORK/base.yaml")
bad bad-address "[0-9]+:[0-9]+: .*bad IPv4 address '10\.1\.0\.300'" < <(sed "s/10.1.0.2:8080/10.1.0.300:8080/" "$WORK/base.yaml")
bad unknown-color "[0-9]+:[0-9]+: .*(color|purple)" < <(sed "s/    blue:/    purple:/" "$WORK/base.yaml")
bad duplicate-backend "[0-9]+:[0-9]+: .*10\.1\.0\.1:8080.*(twice|duplicate|already)" < <(sed "s/- {address: '10.1.0.2:8080'/- {address: '10.1.0.1:8080'/" "$WORK/base.yaml")
bad syntax "3:[0-9]+: " < <(printf 'services:\n  - name: x\n    vip: [10.0.0.1:80\n')
bad share-range "[0-9]+:[0-9]+: .*101" < <(sed "s/share: {green: 10}/share: {green: 101}/" "$WORK/base.yaml")

# -- save: atomic, and what it saves comes back
bgx save -f "$WORK/etc/bgxdp.yaml" >/dev/null || die "save failed"
if cmp -s "$WORK/etc/bgxdp.yaml" <(bgx export) && [[ ! -e $WORK/etc/bgxdp.yaml.tmp.* ]]; then
	pass "save -f: the export, written whole (no temporary file left)"
else
	failc "save -f wrote something else"
fi
bgx weight green 50 --service web >/dev/null
bgx apply -f "$WORK/etc/bgxdp.yaml" >/dev/null &&
	[[ $(bgx status --json --service web | jq .services[0].green_share_bp) == 1000 ]] &&
	pass "apply of the saved file: green back to 10 %" || failc "apply of the saved file"

# -- batch: all or nothing
snapshot_base
printf 'backend add web green 10.2.0.5:8080\n# a comment\n\nweight green 20 --service nosuch\n' >"$WORK/b-bad"
expect_fail 1 "^bgxdp: batch: ${WORK//./\\.}/b-bad:4: weight: no service named 'nosuch'" bgx -b "$WORK/b-bad"
printf 'backend add web green 10.2.0.5:8080\nstatus\n' >"$WORK/b-bad2"
expect_fail 2 "b-bad2:2: status: cannot run in a batch" bgx -b "$WORK/b-bad2"
printf "backend add web green '10.2.0.5:8080\n" >"$WORK/b-bad3"
expect_fail 2 "b-bad3:1: unclosed quote" bgx -b "$WORK/b-bad3"
web_gen=$(bgx status --json --service web | jq .services[0].generation)
printf '%s\n' "backend add web green 10.2.0.5:8080 --weight 2" "backend drain web green 10.2.0.1:8080" \
	"weight green 30 --service web" "service add api --vip 10.0.0.3:80" "backend add api blue \"10.1.0.33:80\"" |
	bgx -b - >"$WORK/out" 2>&1
st=$(bgx status --json)
if [[ $(jq '.services[] | select(.name=="web") | .green_share_bp' <<<"$st") == 3000 &&
	$(jq -r '.services[] | select(.name=="web") | .backends.green[] | select(.address=="10.2.0.1:8080") | .state' <<<"$st") == drain &&
	$(jq '.services[] | select(.name=="api") | .backends.blue | length' <<<"$st") == 1 &&
	$(jq '.services[] | select(.name=="web") | .generation' <<<"$st") == $((web_gen + 1)) ]]; then
	pass "batch of 5 lines: one change, web published once ($(cat "$WORK/out"))"
else
	failc "batch: $(cat "$WORK/out"); $st"
fi
cli_summary
