#!/usr/bin/env bash
# install-deps.sh - install every Debian package bgxdp needs to build and test.
#
# Idempotent and quiet: when every package is already installed it does not
# touch apt at all and prints nothing; otherwise it runs `apt-get update` and
# `apt-get install -y` for the missing ones and prints one line.  apt's output
# is only shown when something fails.  Needs root when something is missing.
set -euo pipefail

# One package per line: what it is for.
PACKAGES=(
	make            # build driver
	gcc             # userspace bgxdp, unit tests, e2e load client
	libc6-dev       # C headers (also pulls linux-libc-dev: asm/, linux/ for BPF)
	pkg-config      # library flags
	clang           # compiles the BPF programs (-target bpf)
	llvm            # llvm-strip / llvm-objdump for BPF objects
	libclang-rt-14-dev # libFuzzer runtime (clang -fsanitize=fuzzer) for tests/fuzz
	libbpf-dev      # libbpf: loading, pinning, skeletons
	libelf-dev      # libbpf dependency (ELF parsing)
	zlib1g-dev      # libbpf dependency
	bpftool         # skeleton generation, map/prog inspection
	libcmocka-dev   # unit and kernel tests
	libmicrohttpd-dev # HTTP server of `bgxdp serve` (/metrics)
	libcurl4-openssl-dev # libcurl: health checks, PromQL queries, etcd's JSON gateway (agent)
	libjansson-dev  # jansson: JSON of the history, rollout state, Prometheus and etcd answers, plans
	libsodium-dev   # flow-sync message authentication (HMAC), base64, config digests
	etcd-server     # a real etcd for the fleet tests
	openssl         # TLS certificates for the etcd TLS tests
	libyaml-dev     # declarative config files: parser with line/column marks, emitter
	prometheus      # promtool, to check the metrics exposition in tests
	iproute2        # ip netns / veth / bridge / tc for the e2e topology
	ethtool         # disable checksum offload on test veths
	curl            # real HTTP client in e2e tests and the demo
	python3         # e2e HTTP backends and keep-alive client
	iptables        # DNAT baseline in the benchmarks
	hping3          # the IPv4 SYN flood of tests/e2e/t_flood.sh
	procps          # sysctl, pgrep
	util-linux      # nsenter, mount, mountpoint
	coreutils       # timeout
	valgrind        # memcheck run of the main commands (tests/cli)
	jq              # JSON checks in the CLI tests
	wrk             # HTTP load in the benchmarks
	nginx-light     # fast HTTP backend in the benchmarks
	gnuplot-nox     # make bench-plot
	mandoc          # mandoc -Tlint of the generated man pages (make doc-test)
	groff-base      # groff -ww: the man pages as man(1) renders them
	man-db          # man -w / lexgrog: installed pages are found (make pkg-test)
	bsdextrautils   # col: man pages as plain text in the tests
	bash-completion # the completion framework contrib/bash-completion/bgxdp plugs into
	systemd         # systemd-analyze verify, and a systemd to run the unit under in a test
	ansible-core    # ansible-playbook: contrib/ansible syntax and logic tests
	debhelper       # make deb: dh, debhelper-compat 13
	dpkg-dev        # make deb: dpkg-buildpackage, dpkg-architecture
	lintian         # the .deb checked by Debian's own rules (make pkg-test)
)

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if ((EUID != 0)); then
	echo "install-deps.sh: missing packages: ${missing[*]}" >&2
	echo "install-deps.sh: run it as root to install them (as root: $0; with sudo: sudo $0)" >&2
	exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
log=$(mktemp /tmp/bgxdp-install-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update >"$log" 2>&1 ||
   ! apt-get install -y "${missing[@]}" >>"$log" 2>&1; then
	cat "$log" >&2
	echo "install-deps.sh: apt-get failed (output above)" >&2
	exit 1
fi

# Check that every package really is there now.
for p in "${missing[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	if [[ $status != installed ]]; then
		echo "install-deps.sh: $p still not installed" >&2
		exit 1
	fi
done
