#!/usr/bin/env bash
# tests/fleet/run.sh - run the fleet test binaries (called by `make
# fleet-test`, see fleet.mk).
#
#   FLEET_TESTS="build/tests/fleet/test_a ..." tests/fleet/run.sh
#
# Gives the tests a work dir (FLEET_TEST_DIR) where each etcd they start
# keeps its data, log and pid file, and TLS material (FLEET_TLS_DIR: a CA,
# a server certificate for 127.0.0.1, a client certificate, and a second CA
# that signed nothing of it) made with openssl.  The trap kills every etcd
# still listed and removes the work dir, whatever happened.  Each binary is
# bounded in time.  Prints PASS/FAIL per binary and "N passed, N failed".
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
TIMEOUT=${FLEET_TIMEOUT:-300}

if ! command -v etcd >/dev/null 2>&1; then
	echo "FAIL fleet: etcd not found (Debian package etcd-server; run scripts/install-deps.sh)" >&2
	exit 1
fi
if [[ -z ${FLEET_TESTS:-} ]]; then
	FLEET_TESTS=$(ls build/tests/fleet/test_* 2>/dev/null)
fi

WORK=$(mktemp -d /tmp/bgx-fleet.XXXXXX)
cleanup() {
	local f
	for f in "$WORK"/etcd-*.pid; do
		[[ -e $f ]] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# make_tls DIR: CA, server (127.0.0.1) and client certificates, and a CA
# that signed none of them.  EC P-256, valid for 2 days.
make_tls() {
	local d=$1 ext
	mkdir -p "$d" && chmod 700 "$d" || return 1
	ext=$d/ext.cnf
	(
		cd "$d" || exit 1
		ca() {
			openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout "$1.key" -out "$1.crt" -days 2 -subj "/CN=bgxdp test $1"
		}
		leaf() {   # leaf NAME CN EXTENSIONS
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout "$1.key" -out "$1.csr" -subj "/CN=$2" &&
			printf '%s\n' "$3" >"$ext" &&
			openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out "$1.crt" -days 2 -extfile "$ext"
		}
		ca ca && ca other-ca &&
		# clientAuth too: etcd's gateway dials etcd itself with this certificate
		leaf server 127.0.0.1 "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth" &&
		leaf client root "extendedKeyUsage=clientAuth"
	) >"$d/openssl.log" 2>&1
}

export FLEET_TEST_DIR=$WORK
if ! command -v openssl >/dev/null 2>&1; then
	echo "note: openssl not found: the TLS tests are skipped"
elif make_tls "$WORK/tls"; then
	export FLEET_TLS_DIR=$WORK/tls
else
	echo "note: making certificates failed: the TLS tests are skipped"
	sed 's/^/    /' "$WORK/tls/openssl.log"
fi

passed=0
failed=0
for t in $FLEET_TESTS; do
	echo "== $t"
	if timeout -k 10 "$TIMEOUT" "$t"; then
		passed=$((passed + 1))
		echo "PASS $(basename "$t")"
	else
		failed=$((failed + 1))
		echo "FAIL $(basename "$t")"
		for log in "$WORK"/etcd.*/etcd.log; do
			[[ -e $log ]] && { echo "---- $log (last 10 lines)"; tail -n 10 "$log"; }
		done
	fi
done
echo "fleet: $passed passed, $failed failed"
((failed == 0))
