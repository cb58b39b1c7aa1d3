# shellcheck shell=bash
# bench/lib.sh - shared by the benchmark sections (forward.sh, flip.sh,
# http.sh): paths, statistics, the table + CSV output, namespaces and the
# cleanup trap.
#
# Environment (run.sh sets all of it; defaults let a section run alone):
#   BGXDP       the CLI under test            (default build/bgxdp)
#   BENCH_BUILD where the helpers were built  (default: BGXDP's directory)
#   CSV         the one CSV every section appends to (default build/bench.csv)
#   BENCH_QUICK 1 = tiny runs for a CI smoke test (whole bench < 60 s)

# shellcheck disable=SC2034  # XDPGEN, FLIPMAP, QUICK: used by the sections
BGXDP=$(realpath -m -- "${BGXDP:-build/bgxdp}")
BENCH_BUILD=$(realpath -m -- "${BENCH_BUILD:-$(dirname "$BGXDP")}")
XDPGEN=$BENCH_BUILD/bench-xdpgen
FLIPMAP=$BENCH_BUILD/bench-flipmap
CSV=$(realpath -m -- "${CSV:-build/bench.csv}")
QUICK=0
[[ ${BENCH_QUICK:-0} == 1 ]] && QUICK=1

B_NS=()          # namespaces this section made
B_PIDS=()        # processes it started
B_PINS=()        # bpffs dirs it made
B_TMP=""         # its temp dir
B_CLEANED=0

blog() { printf '# [%s %s] %s\n' "$(date +%T)" "$B_SECTION" "$*" >&2; }
bfail() { blog "FAIL: $*"; exit 1; }
bneed() {   # bneed TOOL DEBIAN-PACKAGE
	command -v "$1" >/dev/null 2>&1 ||
		bfail "missing '$1' (apt-get install $2, or scripts/install-deps.sh)"
}

# bench_begin SECTION: root check, trap, temp dir, bpffs.
bench_begin() {
	B_SECTION=$1
	((EUID == 0)) || bfail "must run as root"
	local t
	for t in ip nsenter timeout sysctl ethtool awk sort; do bneed "$t" "$t"; done
	[[ -x $BGXDP ]] || bfail "bgxdp not built: $BGXDP (make, or BGXDP=path)"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	B_TMP=$(mktemp -d "/tmp/bgxb-$B_SECTION-$$.XXXXXX") || bfail "mktemp"
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf || bfail "cannot mount bpffs at /sys/fs/bpf"
	fi
}

bench_cleanup() {
	local rc=$? p i ns d alive
	((B_CLEANED)) && return "$rc"
	B_CLEANED=1
	trap - EXIT INT TERM
	trap '' INT TERM
	for p in "${B_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for ((i = 0; i < 30; i++)); do
		alive=0
		for p in "${B_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		((alive)) || break
		sleep 0.1
	done
	for p in "${B_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	# Pins first: removing a pinned XDP link detaches its program.
	for d in "${B_PINS[@]}"; do
		[[ $d == /sys/fs/bpf/bgxb-* && -e $d ]] && rm -rf -- "$d"
	done
	for ns in "${B_NS[@]}"; do
		[[ -e /run/netns/$ns ]] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	[[ -n $B_TMP && $B_TMP == /tmp/bgxb-* ]] && rm -rf -- "$B_TMP"
	return "$rc"
}

# Sleep that INT/TERM interrupt at once.
bsleep() {
	sleep "$1" &
	wait $! 2>/dev/null || true
}

# ---- namespaces ---------------------------------------------------------
ns_add() {   # ns_add NAME: a namespace with lo up, no rp_filter, no DAD
	[[ -e /run/netns/$1 ]] && bfail "namespace $1 already exists"
	ip netns add "$1" || bfail "ip netns add $1"
	B_NS+=("$1")
	ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null || bfail "sysctl in $1"
	ip -n "$1" link set lo up
}
pin_add() {   # pin_add DIR: a bpffs dir of ours, removed on exit
	mkdir -p "$1" || bfail "mkdir $1"
	B_PINS+=("$1")
}
# Inside a namespace without remounting /sys (ip netns exec would hide
# /sys/fs/bpf, where the pins are).
nsx() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
mac_of() { ip -n "$1" -br link show dev "$2" | awk '{print $3}'; }

# bgx NS PINDIR ARGS...: bgxdp in NS with that instance, bounded in time.
# nginx_start NS "ADDR:PORT BODY" ...: one nginx in namespace NS, everything
# under the temp dir, one server per argument answering BODY to any GET;
# keep-alive connections live as long as a run (the long-lived ones idle).
nginx_start() {
	local ns=$1 server
	shift
	mkdir -p "$B_TMP/nginx"
	{
		cat <<EOF
worker_processes 1;
daemon off;
pid $B_TMP/nginx/nginx.pid;
error_log $B_TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $B_TMP/nginx/body;
	proxy_temp_path $B_TMP/nginx/proxy;
	fastcgi_temp_path $B_TMP/nginx/fastcgi;
	uwsgi_temp_path $B_TMP/nginx/uwsgi;
	scgi_temp_path $B_TMP/nginx/scgi;
	keepalive_requests 1000000;
	keepalive_timeout 600s;
EOF
		for server in "$@"; do
			printf '\tserver { listen %s backlog=4096; location / { return 200 "%s\\n"; } }\n' \
				"${server%% *}" "${server#* }"
		done
		echo "}"
	} >"$B_TMP/nginx/nginx.conf"
	ip netns exec "$ns" nginx -p "$B_TMP/nginx" -e "$B_TMP/nginx/error.log" \
		-c "$B_TMP/nginx/nginx.conf" >"$B_TMP/nginx/stdout.log" 2>&1 &
	B_PIDS+=($!)
}

bgx() {
	local ns=$1 pin=$2; shift 2
	timeout 30 nsenter --net="/run/netns/$ns" env BGXDP_PIN_DIR="$pin" "$BGXDP" "$@" \
		>>"$B_TMP/bgxdp.log" 2>&1 || {
		tail -n 3 "$B_TMP/bgxdp.log" >&2
		bfail "bgxdp $*"
	}
}
has_fast_path() { "$BGXDP" attach --help 2>/dev/null | grep -q -- '--fast-path'; }

# ---- statistics ---------------------------------------------------------
# Numbers on stdin (one per line) -> "median min max n".
stats() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "nan nan nan 0"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.6g %.6g %.6g %d\n", m, v[1], v[NR], NR
		}'
}

# ---- output: one table per section on stdout, rows appended to the CSV ----
# table_begin TITLE [NOTE...]
table_begin() {
	local n
	printf '\n## %s\n' "$1"
	shift
	for n in "$@"; do printf '# %s\n' "$n"; done
	printf '%-52s %12s %25s %-6s %9s %5s\n' "row" "median" "min-max" "unit" "ratio" "runs"
}

fmt() { awk -v x="$1" 'BEGIN { if (x + 0 >= 1000) printf "%.0f", x; else if (x + 0 >= 10) printf "%.1f", x; else printf "%.3g", x }'; }

# table_row ROW UNIT MEDIAN MIN MAX BASELINE_MEDIAN RUNS
# ratio = MEDIAN / BASELINE_MEDIAN (the section's same-run baseline).
table_row() {
	local row=$1 unit=$2 med=$3 min=$4 max=$5 base=$6 runs=$7 ratio
	ratio=$(awk -v m="$med" -v b="$base" 'BEGIN { if (b + 0 > 0) printf "%.3f", m / b; else print "nan" }')
	printf '%-52s %12s %25s %-6s %9s %5s\n' "$row" "$(fmt "$med")" \
		"$(fmt "$min")-$(fmt "$max")" "$unit" "$ratio" "$runs"
	printf '%s,"%s",%s,%s,%s,%s,%s,%s\n' "$B_SECTION" "$row" "$unit" "$med" "$min" \
		"$max" "$ratio" "$runs" >>"$CSV"
}

# table_na ROW WHY: a row that could not be measured in this build.
table_na() {
	printf '%-52s %s\n' "$1" "n/a ($2)"
	printf '%s,"%s",,,,,,0\n' "$B_SECTION" "$1" >>"$CSV"
}
