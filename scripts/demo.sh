#!/usr/bin/env bash
# scripts/demo.sh - see bgxdp flip live traffic from blue to green.
#
#   scripts/demo.sh             as root (DEMO_FAMILY=6 for the same over IPv6);
#                               with sudo: sudo scripts/demo.sh
#
# Installs the dependencies, builds bgxdp, builds a small network of
# namespaces (a client, a switcher running bgxdp, two blue and two green HTTP
# backends), sends requests to the service address, flips to green, sends
# them again, shows `bgxdp status`, and removes everything it made, also when
# interrupted.  Nothing outside those namespaces is touched.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
if ((EUID != 0)); then
	echo "scripts/demo.sh must run as root (it installs packages, loads BPF programs" >&2
	echo "and creates network namespaces).  Run it in a root shell (su -), or: sudo scripts/demo.sh" >&2
	exit 1
fi

bold=""; plain=""
if [[ -t 1 ]]; then bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true); fi
step() { echo; echo "${bold}==> $*${plain}"; }

step "1. Installing dependencies (Debian packages; nothing to do if present)"
bash scripts/install-deps.sh || exit 1
echo "ok"

BUILD=${BUILD:-build}
step "2. Building bgxdp (make BUILD=$BUILD)"
buildlog=$(mktemp /tmp/bgxdp-demo-build.XXXXXX)
if ! make --no-print-directory "BUILD=$BUILD" >"$buildlog" 2>&1; then
	cat "$buildlog"
	rm -f "$buildlog"
	echo "build failed (output above)" >&2
	exit 1
fi
rm -f "$buildlog"
echo "ok: $BUILD/bgxdp"

export BGXDP=$PWD/$BUILD/bgxdp
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
E2E_PLAIN_LOG=1
e2e_begin demo "${DEMO_FAMILY:-4}"      # from here on, exit/Ctrl-C cleans up

step "3. Building the network (namespaces only)"
topo_up
cat <<EOF
   client ($NS_C)
      |  sends to the service address $VIP_HP (on no interface)
   switcher ($NS_LB): bgxdp on $LB_IF rewrites the destination
      |
      +-- blue  b1 $(backend_hp b1)    blue  b2 $(backend_hp b2)
      +-- green g1 $(backend_hp g1)    green g2 $(backend_hp g2)
   Each backend is an HTTP server answering "<color> <name>".
EOF

step "4. Attaching bgxdp and configuring the service"
lb_setup

requests() {
	local i body
	for ((i = 1; i <= 4; i++)); do
		if body=$(curl_vip 2>&1); then
			echo "   curl $VIP_URL  ->  $body"
		else
			echo "   curl $VIP_URL  ->  FAILED: $body"
		fi
	done
}

step "5. Requests to the service: blue is live"
requests

step "6. Flip: every new connection goes to green"
bgx set green || fail "bgxdp set green"
requests

step "7. bgxdp status"
bgx status

step "8. Cleaning up (detach, pins, namespaces, servers)"
e2e_cleanup
echo "done: nothing of the demo is left."
