#!/bin/sh
# run.sh - run the per-packet benchmark (make bench calls this).
#   BENCH=path/to/bench  CSV=path/to/out.csv  extra args go to the binary
#   (-r runs, -n repeat, -f flows).
set -eu
BENCH=${BENCH:-build/bench}
CSV=${CSV:-build/bench.csv}
if [ "$(id -u)" != 0 ]; then
	echo "bench/run.sh: must run as root (BPF_PROG_TEST_RUN)" >&2
	exit 1
fi
if [ ! -x "$BENCH" ]; then
	echo "bench/run.sh: $BENCH not built; run 'make bench'" >&2
	exit 1
fi
exec "$BENCH" -o "$CSV" "$@"
