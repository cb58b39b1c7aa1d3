#!/bin/bash
# run.sh - every benchmark section, one table each on stdout, all rows in
# ONE CSV (make bench calls this; make bench-plot draws the CSV).
#
#   BENCH=path/to/bench   per-packet binary            (default build/bench)
#   BGXDP=path/to/bgxdp   the CLI under test           (default: next to BENCH,
#                                                      i.e. build/bgxdp)
#   CSV=path/to/out.csv   section,row,unit,median,min,max,ratio,runs
#                                                      (default build/bench.csv)
#   BENCH_QUICK=1         tiny runs: a CI smoke test, whole run < 60 s
#   BENCH_SECTIONS="..."  a subset of: per-packet forward flip http flood
#   extra args go to the per-packet binary (-r runs, -n repeat, -f flows).
#
# Sections (each cleans up its own namespaces, processes and pins):
#   per-packet  bench/bench.c: BPF_PROG_TEST_RUN ns/packet vs an XDP_PASS floor
#   forward     bench/forward.sh: packets/s, iptables DNAT vs bgxdp (kernel, fast path)
#   flip        bench/flip.sh: set / config-word write / status, 0 vs 1e6 flows
#   http        bench/http.sh: wrk requests/s and p99, VIP vs direct
#   flood       bench/flood.sh: SYN flood during flips vs long-lived and new connections
# A failed section is reported and the others still run; the exit status
# is non-zero if any failed.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=${BENCH:-build/bench}
CSV=$(realpath -m -- "${CSV:-build/bench.csv}")
# the CLI next to the per-packet binary: build/bgxdp by default
BGXDP=$(realpath -m -- "${BGXDP:-$(dirname "$BENCH")/bgxdp}")
BENCH_BUILD=$(realpath -m -- "${BENCH_BUILD:-$(dirname "$BENCH")}")
SECTIONS=${BENCH_SECTIONS:-per-packet forward flip http flood}
export CSV BGXDP BENCH_BUILD BENCH_QUICK=${BENCH_QUICK:-0}

if [ "$(id -u)" != 0 ]; then
	echo "bench/run.sh: must run as root (BPF_PROG_TEST_RUN, namespaces, XDP)" >&2
	exit 1
fi
if [[ " $SECTIONS " == *" per-packet "* && ! -x $BENCH ]]; then
	echo "bench/run.sh: $BENCH not built; run 'make bench'" >&2
	exit 1
fi
mkdir -p "$(dirname "$CSV")"
echo "section,row,unit,median,min,max,ratio,runs" >"$CSV"

# bench.c writes its own CSV (row,median_ns,min_ns,max_ns,ratio_to_floor,
# runs,repeat; row quoted); its rows join the common one here.
per_packet() {
	local tmp rc line name rest med min max ratio runs
	tmp=$(mktemp /tmp/bgxb-perpacket.XXXXXX) || return 1
	local quick=()
	[ "$BENCH_QUICK" = 1 ] && quick=(-r 1 -n 20000 -f 20000)
	echo
	echo "## per-packet cost (bench/bench.c)"
	# its "# CSV: <temp file>" line would point at a file about to go
	timeout 600 "$BENCH" -o "$tmp" "${quick[@]}" "$@" | grep -v '^# CSV: '
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 0 ]; then
		while IFS= read -r line; do
			case $line in \"*) ;; *) continue ;; esac
			name=${line#\"}
			name=${name%%\",*}
			rest=${line#*\",}
			IFS=, read -r med min max ratio runs _ <<<"$rest"
			printf 'per-packet,"%s",ns,%s,%s,%s,%s,%s\n' "$name" "$med" "$min" "$max" \
				"$ratio" "$runs" >>"$CSV"
		done <"$tmp"
	fi
	rm -f -- "$tmp"
	return "$rc"
}

failed=()
timing=()
for s in $SECTIONS; do
	start=$(date +%s.%N)
	case $s in
	per-packet) per_packet "$@" ;;
	forward | flip | http | flood) "$HERE/$s.sh" ;;
	*) echo "bench/run.sh: unknown section '$s'" >&2; false ;;
	esac
	rc=$?
	took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	timing+=("$s: ${took} s")
	if [ "$rc" != 0 ]; then
		echo "bench/run.sh: section $s FAILED (exit $rc)" >&2
		failed+=("$s")
	fi
done

echo
for t in "${timing[@]}"; do echo "# section $t"; done
echo "# CSV: $CSV (make bench-plot draws it)"
if [ ${#failed[@]} -gt 0 ]; then
	echo "bench/run.sh: failed sections: ${failed[*]}" >&2
	exit 1
fi
