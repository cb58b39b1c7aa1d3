# tests/fuzz/fuzz.mk - differential packet fuzzing and libFuzzer harnesses.
#
#   make fuzz-ci     bounded and deterministic (CI): FUZZ_CI_FRAMES frames
#                    through XDP and tc against the model (fixed seed), then
#                    every libFuzzer harness over its committed corpus and
#                    for FUZZ_CI_HARNESS_SECONDS each.  Root (BPF_PROG_TEST_RUN).
#   make fuzz        as long as asked: FUZZ_SECONDS=N (default 60) or
#                    FUZZ_FRAMES=N, FUZZ_SEED=N to repeat a run; then each
#                    harness for FUZZ_HARNESS_SECONDS (default 10; 0: only
#                    its corpus).
#
# Binaries go to $(BUILD)/fuzz/, failing frames and libFuzzer artifacts to
# $(BUILD)/fuzz/crashes/.  See tests/fuzz/README.md.

FUZZ_DIR        := $(BUILD)/fuzz
FUZZ_DP_SRCS    := tests/fuzz/fuzz_dp.c tests/fuzz/dp_check.c tests/fuzz/model.c \
                   tests/fuzz/model_table.c tests/fuzz/model_parse.c tests/fuzz/gen.c \
                   tests/fuzz/config.c tests/fuzz/config_values.c tests/fuzz/config_read.c
FUZZ_DP_HDRS    := tests/fuzz/model.h tests/fuzz/model_parse.h tests/fuzz/gen.h \
                   tests/fuzz/fuzz_config.h tests/fuzz/config_values.h tests/fuzz/dp.h
FUZZ_HARNESSES  := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_dp.c,$(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_BINS       := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_HARNESSES))
# libFuzzer needs clang; the control-plane sources are rebuilt with
# coverage (fuzzer-no-link) and ASan + UBSan for the harnesses.
FUZZ_SAN        := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_OBJS       := $(patsubst user/%.c,$(FUZZ_DIR)/obj/%.o,$(CORE_SRCS))

FUZZ_SECONDS    ?= 60
FUZZ_FRAMES     ?=
FUZZ_SEED       ?=
FUZZ_HARNESS_SECONDS ?= 10
FUZZ_CI_SEED    ?= 4242
FUZZ_CI_FRAMES  ?= 200000
FUZZ_CI_HARNESS_SECONDS ?= 8

.PHONY: fuzz fuzz-ci fuzz-build

$(FUZZ_DIR) $(FUZZ_DIR)/obj:
	mkdir -p $@

# The data-plane fuzzer: host compiler, ASan + UBSan like every test; its
# configurations are made by the control-plane library.
$(FUZZ_DIR)/fuzz_dp: $(FUZZ_DP_SRCS) $(FUZZ_DP_HDRS) $(SKELETONS) $(USER_HDRS) $(LIB_SAN_OBJS) | $(FUZZ_DIR)
	$(CC) $(COMMON_CFLAGS) -Itests/fuzz $(SAN_FLAGS) -o $@ $(FUZZ_DP_SRCS) $(LIB_SAN_OBJS) $(LDLIBS)

$(FUZZ_DIR)/obj/%.o: user/%.c $(USER_HDRS) $(SKELETONS) | $(FUZZ_DIR)/obj
	@mkdir -p $(@D)
	$(CLANG) $(COMMON_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_OBJS) $(USER_HDRS) | $(FUZZ_DIR)
	$(CLANG) $(COMMON_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

# The config harness runs plans through the unit tests' simulator.
$(FUZZ_DIR)/fuzz_config: tests/unit/plan_sim.h

fuzz-build: $(FUZZ_DIR)/fuzz_dp $(FUZZ_BINS)

fuzz-ci: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_HARNESSES="$(FUZZ_HARNESSES)" \
	tests/fuzz/run.sh --seed $(FUZZ_CI_SEED) --frames $(FUZZ_CI_FRAMES) \
		--harness-seconds $(FUZZ_CI_HARNESS_SECONDS) --harness-seed $(FUZZ_CI_SEED)

fuzz: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) FUZZ_HARNESSES="$(FUZZ_HARNESSES)" \
	tests/fuzz/run.sh $(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) \
		$(if $(FUZZ_FRAMES),--frames $(FUZZ_FRAMES),--seconds $(FUZZ_SECONDS)) \
		--harness-seconds $(FUZZ_HARNESS_SECONDS)
