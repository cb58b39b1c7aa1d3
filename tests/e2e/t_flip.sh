#!/usr/bin/env bash
# t_flip.sh 4|6 - requests to the VIP answer blue; after `bgxdp set green`,
# new requests answer green.
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_begin "flip/ipv${1:-4}" "${1:-4}"

topo_up
lb_setup
expect_color blue 5
bgx set green || fail "bgxdp set green"
expect_color green 5
bgx status || fail "bgxdp status"
log "PASS"
