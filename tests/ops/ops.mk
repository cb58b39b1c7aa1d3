# tests/ops/ops.mk - operations suites (included by the Makefile).
#
#   make doc-test   man pages (lint, the same as --help), bash completion
#                   (tables, live names, an interactive bash), the systemd
#                   unit (verify; run under a real systemd), the Ansible
#                   playbook (syntax, and its logic against a stub bgxdp)
#   make pkg-test   make install / uninstall into a DESTDIR (file list), the
#                   .deb (build, lintian, dpkg -i, run, dpkg -r)
# Root for the parts that load BPF, make namespaces or install packages.
# Each script runs even if one before it failed; the target fails if any did.
.PHONY: doc-test pkg-test

doc-test: $(BUILD)/bgxdp $(BUILD)/bgxdp-agent $(BUILD)/bgxdp-san man
	@rc=0; for s in man completion systemd ansible; do \
		echo "== tests/ops/$$s.sh"; \
		BUILD=$(BUILD) BGXDP=$(BUILD)/bgxdp tests/ops/$$s.sh || rc=1; \
	done; exit $$rc

pkg-test: $(BUILD)/bgxdp man
	@rc=0; for s in install deb; do \
		echo "== tests/ops/$$s.sh"; \
		BUILD=$(BUILD) BGXDP=$(BUILD)/bgxdp tests/ops/$$s.sh || rc=1; \
	done; exit $$rc
