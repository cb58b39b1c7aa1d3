# bench/bench.mk - helpers of the benchmark sections and `make bench-plot`.
# Included by the Makefile (-include bench/bench.mk).

BENCH_HELPERS := $(BUILD)/bench-xdpgen $(BUILD)/bench-flipmap $(BUILD)/bench-synflood

.PHONY: bench-helpers bench-plot

# `make bench` runs bench/run.sh, which needs these and the CLI.
bench: bench-helpers
bench-helpers: $(BENCH_HELPERS) $(PROGRAMS)

$(BUILD)/xdpgen.bpf.o: bench/xdpgen.bpf.c | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench-xdpgen: bench/xdpgen.c $(BUILD)/xdpgen.skel.h
	$(CC) $(COMMON_CFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)

# The SYN flood of bench/flood.sh (the e2e flood test's generator).
$(BUILD)/bench-synflood: tests/e2e/synflood.c | $(BUILD)
	$(CC) $(COMMON_CFLAGS) $(CFLAGS) -o $@ $<

$(BUILD)/bench-flipmap: bench/flipmap.c $(SHARED_HDRS) | $(BUILD)
	$(CC) $(COMMON_CFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)

# One PNG per section of the CSV that `make bench` wrote (build/bench-*.png),
# a panel per unit.
bench-plot:
	@test -s $(BUILD)/bench.csv || { echo "make bench-plot: no $(BUILD)/bench.csv; run 'make bench' first" >&2; exit 1; }
	@command -v gnuplot >/dev/null || { echo "make bench-plot: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
	gnuplot -e "csv='$(BUILD)/bench.csv'; outdir='$(BUILD)'" bench/plot.gp
