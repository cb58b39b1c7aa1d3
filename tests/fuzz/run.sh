#!/usr/bin/env bash
# tests/fuzz/run.sh - run the data-plane fuzzer and the libFuzzer harnesses
# (called by `make fuzz-ci` / `make fuzz`, see fuzz.mk).
#
#   run.sh [--seed N] [--frames N | --seconds S] [--harness-seconds S]
#          [--harness-seed N]
#
# Environment: FUZZ_DIR (binaries, default build/fuzz), FUZZ_HARNESSES
# (names, default: every $FUZZ_DIR/fuzz_* but fuzz_dp).
# Prints PASS/FAIL per case and "N passed, N failed"; exits 1 on any failure.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
CORPUS=tests/fuzz/corpus
seed=
limit=(--frames 200000)
harness_seconds=10
harness_seed=

while (($#)); do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--frames) limit=(--frames "$2"); shift 2 ;;
	--seconds) limit=(--seconds "$2"); shift 2 ;;
	--harness-seconds) harness_seconds=$2; shift 2 ;;
	--harness-seed) harness_seed=$2; shift 2 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

if ((EUID != 0)); then
	echo "FAIL fuzz: must run as root (BPF_PROG_TEST_RUN and BPF maps need CAP_BPF/CAP_SYS_ADMIN)" >&2
	exit 1
fi
if [[ -z ${FUZZ_HARNESSES:-} ]]; then
	FUZZ_HARNESSES=$(cd "$FUZZ_DIR" && ls fuzz_* | grep -v '^fuzz_dp$' | sed 's/^fuzz_//')
fi
# A fresh seed is printed so any run can be repeated with --seed.
[[ -n $seed ]] || seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
[[ -n $harness_seed ]] || harness_seed=$seed

passed=0
failed=0
result() {      # result PASS|FAIL name detail
	echo "$1 $2${3:+: $3}"
	if [[ $1 == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

mkdir -p "$FUZZ_DIR/crashes"
echo "== data plane: XDP + tc vs the model, seed $seed"
if "$FUZZ_DIR/fuzz_dp" --seed "$seed" "${limit[@]}" --crash-dir "$FUZZ_DIR/crashes"; then
	result PASS fuzz_dp "seed $seed"
else
	result FAIL fuzz_dp "seed $seed (frames saved in $FUZZ_DIR/crashes)"
fi

# Frames that once showed a difference, replayed on a fresh data plane.
for f in tests/fuzz/regressions/*.bin; do
	[[ -e $f ]] || continue
	if "$FUZZ_DIR/fuzz_dp" --replay "$f" >"$FUZZ_DIR/replay.log" 2>&1; then
		result PASS "replay $(basename "$f")"
	else
		grep -E '^FAIL' "$FUZZ_DIR/replay.log" | head -3
		result FAIL "replay $(basename "$f")"
	fi
done

for h in $FUZZ_HARNESSES; do
	bin=$FUZZ_DIR/fuzz_$h
	work=$FUZZ_DIR/work/$h
	log=$FUZZ_DIR/work/$h.log
	# New inputs go to the work dir; the committed corpus is only read.
	rm -rf "$work"
	mkdir -p "$work" "$CORPUS/$h"
	echo "== libFuzzer $h: corpus $CORPUS/$h ($(ls "$CORPUS/$h" | wc -l) inputs), ${harness_seconds}s, seed $harness_seed"
	args=(-seed="$harness_seed" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
	      -artifact_prefix="$FUZZ_DIR/crashes/$h-")
	if ((harness_seconds > 0)); then
		args+=(-max_total_time="$harness_seconds")
	else
		args+=(-runs=0)         # the corpus only
	fi
	if "$bin" "${args[@]}" "$work" "$CORPUS/$h" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		result PASS "fuzz_$h" "${execs:-?} execs, $cov"
	else
		grep -E 'invariant failed|ERROR|SUMMARY|Test unit written' "$log" | head -5
		result FAIL "fuzz_$h" "log $log, artifacts $FUZZ_DIR/crashes/$h-*"
	fi
done

echo "fuzz: $passed passed, $failed failed"
((failed == 0))
