# bgxdp - make builds, make test tests.
#
# Everything generated goes to build/: the BPF object, its skeleton, the
# control-plane library (libbgxdp.a, from user/lib/), the bgxdp binary (the
# CLI front end user/cli/ and the agent user/agent/ over that library), and
# the test binaries (built with ASan + UBSan).

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m)
# libbpf's bpf_tracing.h names architectures the kernel's way.
BPF_ARCH := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(patsubst ppc64le,powerpc,$(patsubst s390x,s390,$(ARCH)))))
BUILD    ?= build
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

COMMON_CFLAGS := -std=gnu11 -g -Wall -Wextra -Werror -Wno-missing-field-initializers \
                 -Iinclude -Iuser/lib -Iuser/cli -Iuser/agent -I$(BUILD) -DBGXDP_VERSION='"$(VERSION)"'
CFLAGS   ?= -O2
SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Libraries of the agent (and of the tests, which link everything).
LDLIBS   := -lbpf -lelf -lz -lmicrohttpd -lpthread
# libcurl: HTTP health checks, PromQL queries and the etcd client of the
# agent; jansson: JSON (history, rollout state, Prometheus and etcd answers,
# apply plans, completion reading `status --json`); libsodium: flow-sync
# authentication and config digests; libyaml: the declarative config file.
LDLIBS   += -lcurl -ljansson -lsodium -lyaml
BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror -Iinclude -Ibpf \
              -I/usr/include/$(ARCH)-linux-gnu -D__TARGET_ARCH_$(BPF_ARCH)

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELETONS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
SHARED_HDRS := $(wildcard include/*.h)
BPF_HDRS   := $(wildcard bpf/*.h) $(SHARED_HDRS)
USER_HDRS  := $(wildcard user/*/*.h) $(SHARED_HDRS)
LIB_SRCS   := $(wildcard user/lib/*.c)
CLI_SRCS   := $(filter-out user/cli/main.c,$(wildcard user/cli/*.c))
AGENT_SRCS := $(filter-out user/agent/main.c,$(wildcard user/agent/*.c))
# The one file of user/agent/ the command links too: the Prometheus text of
# `bgxdp metrics` (no library of its own).
CLI_AGENT_SRCS := user/agent/prometheus.c
# Everything but the main()s: what the unit tests and fuzz harnesses link.
CORE_SRCS  := $(LIB_SRCS) $(CLI_SRCS) $(AGENT_SRCS)
objs        = $(patsubst user/%.c,$(BUILD)/$(1)/%.o,$(2))
LIB_OBJS   := $(call objs,obj,$(LIB_SRCS))
SAN_OBJS   := $(call objs,san,$(CORE_SRCS))
LIB_SAN_OBJS := $(call objs,san,$(LIB_SRCS))
# bgxdp: every command but the agent's; libbpf, libelf, jansson and libsodium
# linked in so that a flip starts almost as fast as a static program (zlib
# and libyaml stay shared: Debian wants the system's copy of those, and they
# are small).
CLI_OBJS   := $(call objs,obj,user/cli/main.c $(CLI_SRCS) $(CLI_AGENT_SRCS))
CLI_SAN_OBJS := $(call objs,san,user/cli/main.c $(CLI_SRCS) $(CLI_AGENT_SRCS)) $(BUILD)/libbgxdp-san.a
CLI_LDLIBS := -Wl,-Bstatic -lbpf -lelf -ljansson -lsodium -Wl,-Bdynamic -lyaml -lz
# bgxdp-agent: serve, agent, fleet (bgxdp runs it for them).
AGENT_OBJS := $(call objs,obj,user/agent/main.c $(CLI_SRCS) $(AGENT_SRCS))
AGENT_SAN_OBJS := $(call objs,san,user/agent/main.c $(CLI_SRCS) $(AGENT_SRCS)) $(BUILD)/libbgxdp-san.a
PROGRAMS   := $(BUILD)/bgxdp $(BUILD)/bgxdp-agent
SAN_PROGRAMS := $(BUILD)/bgxdp-san $(BUILD)/bgxdp-san-agent
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
KERNEL_TESTS := $(patsubst tests/kernel/%.c,$(BUILD)/tests/%,$(wildcard tests/kernel/test_*.c))
TEST_HELPERS := $(wildcard tests/kernel/helpers_*.c)

.SECONDARY:
.DELETE_ON_ERROR:
.PHONY: all test check unit kernel-test e2e tests clean install
all: $(PROGRAMS)

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

# --- data plane ------------------------------------------------------------
$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# --- control plane ---------------------------------------------------------
$(BUILD)/obj/%.o: user/%.c $(USER_HDRS) $(SKELETONS)
	@mkdir -p $(@D)
	$(CC) $(COMMON_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: user/%.c $(USER_HDRS) $(SKELETONS)
	@mkdir -p $(@D)
	$(CC) $(COMMON_CFLAGS) $(SAN_FLAGS) -c $< -o $@

# The control plane: every map write of every front end, test and bench.
$(BUILD)/libbgxdp.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libbgxdp-san.a: $(LIB_SAN_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bgxdp: $(CLI_OBJS) $(BUILD)/libbgxdp.a
	$(CC) $(CFLAGS) -o $@ $^ $(CLI_LDLIBS)

$(BUILD)/bgxdp-agent: $(AGENT_OBJS) $(BUILD)/libbgxdp.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# A sanitized bgxdp (and its agent), used by the CLI tests.
$(BUILD)/bgxdp-san: $(CLI_SAN_OBJS)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(CLI_LDLIBS)

$(BUILD)/bgxdp-san-agent: $(AGENT_SAN_OBJS)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

# --- tests -----------------------------------------------------------------
$(BUILD)/tests/test_%: tests/unit/test_%.c $(SAN_OBJS) $(USER_HDRS) | $(BUILD)/tests
	$(CC) $(COMMON_CFLAGS) $(SAN_FLAGS) -o $@ $< $(SAN_OBJS) $(LDLIBS) -lcmocka

# Kernel tests drive the data plane through the control-plane library.
$(BUILD)/tests/test_%: tests/kernel/test_%.c $(TEST_HELPERS) $(SKELETONS) $(USER_HDRS) $(LIB_SAN_OBJS) | $(BUILD)/tests
	$(CC) $(COMMON_CFLAGS) -Itests/kernel $(SAN_FLAGS) -o $@ $< $(TEST_HELPERS) $(LIB_SAN_OBJS) $(LDLIBS) -lcmocka -lpthread

tests: $(PROGRAMS) $(SAN_PROGRAMS) $(UNIT_TESTS) $(KERNEL_TESTS)

unit: $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do echo "== $$t"; $$t || rc=1; done; exit $$rc

kernel-test: $(KERNEL_TESTS)
	@rc=0; for t in $(KERNEL_TESTS); do echo "== $$t"; $$t || rc=1; done; exit $$rc

e2e: $(PROGRAMS) $(SAN_PROGRAMS)
	BGXDP=$(BUILD)/bgxdp tests/e2e/run.sh

# Everything, on a fresh machine: installs dependencies first.
test:
	scripts/test.sh

# Everything, dependencies already installed.
check: tests
	$(MAKE) unit
	$(MAKE) kernel-test
	$(MAKE) fuzz-ci
	$(MAKE) cli-test
	$(MAKE) fleet-test
	$(MAKE) doc-test
	$(MAKE) pkg-test
	$(MAKE) e2e

# --- benchmarks (bench/): per-packet cost with BPF_PROG_TEST_RUN ----------
.PHONY: bench
$(BUILD)/bench.bpf.o: bench/bench.bpf.c bpf/bgxdp.bpf.c $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench: bench/bench.c bench/bench_tables.c bench/bench.h $(BUILD)/bench.skel.h tests/kernel/helpers_frames.c $(USER_HDRS) $(BUILD)/libbgxdp.a
	$(CC) $(COMMON_CFLAGS) $(CFLAGS) -Itests/kernel -Ibench -o $@ bench/bench.c bench/bench_tables.c tests/kernel/helpers_frames.c $(BUILD)/libbgxdp.a $(LDLIBS)

bench:
	@if [ "$$(id -u)" != 0 ]; then echo "make bench: must run as root (BPF_PROG_TEST_RUN and BPF maps need CAP_BPF/CAP_SYS_ADMIN)" >&2; exit 1; fi
	$(MAKE) BUILD=$(BUILD) $(BUILD)/bench
	BENCH=$(BUILD)/bench CSV=$(BUILD)/bench.csv bench/run.sh


# Suites and measurements kept next to their sources.
-include tests/fuzz/fuzz.mk
-include tests/cli/cli.mk
-include bench/bench.mk
-include tests/fleet/fleet.mk
-include contrib/contrib.mk
-include tests/ops/ops.mk

clean:
	rm -rf $(BUILD)
