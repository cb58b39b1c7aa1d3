# tests/fleet/fleet.mk - the fleet suite (included by the Makefile).
#
#   make fleet-test    the etcd client against a real etcd (Debian's
#                      etcd-server) on loopback ports; TLS with certificates
#                      made by openssl.  No root needed.
#
# Each tests/fleet/test_*.c is a cmocka binary built with ASan + UBSan like
# the unit tests; tests/fleet/run.sh gives them a work dir, makes the TLS
# material and cleans up (etcd processes included) even when one fails.
FLEET_TESTS := $(patsubst tests/fleet/%.c,$(BUILD)/tests/fleet/%,$(wildcard tests/fleet/test_*.c))
FLEET_HELPERS := tests/fleet/etcd_server.c tests/fleet/etcd_server.h

.PHONY: fleet-test
$(BUILD)/tests/fleet/test_%: tests/fleet/test_%.c $(FLEET_HELPERS) $(SAN_OBJS) $(USER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(COMMON_CFLAGS) -Itests/fleet $(SAN_FLAGS) -o $@ $< tests/fleet/etcd_server.c \
		$(SAN_OBJS) $(LDLIBS) -lcmocka

tests: $(FLEET_TESTS)

fleet-test: $(FLEET_TESTS)
	FLEET_TESTS="$(FLEET_TESTS)" tests/fleet/run.sh

# A kernel test of the agent's flow-sync component (root; run by `make
# kernel-test` with the others): it links the agent's code, which the other
# kernel tests do not.
$(BUILD)/tests/test_fleet_sync: tests/kernel/test_fleet_sync.c $(TEST_HELPERS) $(SKELETONS) $(USER_HDRS) $(SAN_OBJS) | $(BUILD)/tests
	$(CC) $(COMMON_CFLAGS) -Itests/kernel $(SAN_FLAGS) -o $@ $< $(TEST_HELPERS) $(SAN_OBJS) $(LDLIBS) -lcmocka
