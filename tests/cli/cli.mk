# tests/cli/cli.mk - CLI reliability and security suites (included by the Makefile).
#
#   make cli-test      (root: BPF, network namespaces, setpriv)
#
# hostile.sh  - every command with bad arguments, ASan+UBSan build
# security.sh - pin modes, pin dir trust, unprivileged callers, serve, packets
# valgrind.sh - the main commands under valgrind memcheck, normal build
# transcript.sh - every command's output against tests/cli/transcript.expected
# json.sh     - every command in JSON mode, read by jq; errors as JSON
# config.sh   - export, apply, save and batch: round trips, bad files, all or nothing
# Each suite runs even if one before it failed; the target fails if any did.
.PHONY: cli-test
cli-test: $(PROGRAMS) $(SAN_PROGRAMS)
	@rc=0; for s in hostile security valgrind transcript json config; do \
		echo "== tests/cli/$$s.sh"; \
		BGXDP=$(BUILD)/bgxdp-san BGXDP_PLAIN=$(BUILD)/bgxdp tests/cli/$$s.sh $$( [ $$s = transcript ] && echo --check) || rc=1; \
	done; exit $$rc
