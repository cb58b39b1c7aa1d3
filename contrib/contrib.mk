# contrib/contrib.mk - man pages, install and the Debian package
# (included by the Makefile).
#
#   make man          $(BUILD)/man/man8/*.8: one page per command group and
#                     bgxdp(8), rendered by the binary from its command
#                     tables (`bgxdp __man`), so a new command brings its page
#   make install      the two programs (bgxdp, bgxdp-agent), man pages, bash completion, systemd unit and
#                     an example config; PREFIX (/usr/local), DESTDIR, and the
#                     directories below can be set on the command line
#   make uninstall    removes what install put there (not /etc/bgxdp/bgxdp.yaml)
#   make deb          $(BUILD)/deb/bgxdp_*.deb, see scripts/build-deb.sh

PREFIX         ?= /usr/local
sbindir        ?= $(PREFIX)/sbin
datarootdir    ?= $(PREFIX)/share
mandir         ?= $(datarootdir)/man
bashcompdir    ?= $(datarootdir)/bash-completion/completions
# systemd reads /usr/local/lib/systemd/system too; Debian packages use /lib.
systemdunitdir ?= $(PREFIX)/lib/systemd/system
# The unit reads /etc/bgxdp/bgxdp.yaml whatever the PREFIX.
sysconfdir     ?= /etc
SYSTEMD_OUT    ?= $(BUILD)/systemd

.PHONY: man systemd-units install uninstall deb

man: $(BUILD)/man/.stamp

# Dated by the last commit (or $SOURCE_DATE_EPOCH), not by the build.
$(BUILD)/man/.stamp: $(BUILD)/bgxdp
	rm -rf $(BUILD)/man && mkdir -p $(BUILD)/man/man8
	export SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)}; \
	for p in $$($(BUILD)/bgxdp __man --list); do \
		$(BUILD)/bgxdp __man $$p >$(BUILD)/man/man8/$$p.8.tmp && \
		mv $(BUILD)/man/man8/$$p.8.tmp $(BUILD)/man/man8/$$p.8 || exit 1; \
	done
	touch $@

# Units with this install's paths (regenerated every time: cheap, and the
# paths differ between a local install and the package).
systemd-units:
	@mkdir -p $(SYSTEMD_OUT)
	@for f in contrib/systemd/*.service.in; do \
		sed -e 's|@SBINDIR@|$(sbindir)|g' -e 's|@SYSCONFDIR@|$(sysconfdir)|g' \
			$$f >$(SYSTEMD_OUT)/$$(basename $$f .in) || exit 1; \
	done

install: $(BUILD)/bgxdp $(BUILD)/bgxdp-agent man systemd-units
	install -D -m 0755 $(BUILD)/bgxdp $(DESTDIR)$(sbindir)/bgxdp
	install -D -m 0755 $(BUILD)/bgxdp-agent $(DESTDIR)$(sbindir)/bgxdp-agent
	install -d $(DESTDIR)$(mandir)/man8
	install -m 0644 $(BUILD)/man/man8/*.8 $(DESTDIR)$(mandir)/man8/
	install -D -m 0644 contrib/bash-completion/bgxdp $(DESTDIR)$(bashcompdir)/bgxdp
	install -D -m 0644 $(SYSTEMD_OUT)/bgxdp.service $(DESTDIR)$(systemdunitdir)/bgxdp.service
	install -D -m 0644 contrib/bgxdp.yaml.example $(DESTDIR)$(sysconfdir)/bgxdp/bgxdp.yaml.example

uninstall:
	rm -f $(DESTDIR)$(sbindir)/bgxdp $(DESTDIR)$(sbindir)/bgxdp-agent $(DESTDIR)$(bashcompdir)/bgxdp \
		$(DESTDIR)$(systemdunitdir)/bgxdp.service \
		$(DESTDIR)$(sysconfdir)/bgxdp/bgxdp.yaml.example \
		$(DESTDIR)$(mandir)/man8/bgxdp.8 $(DESTDIR)$(mandir)/man8/bgxdp-*.8
	-rmdir $(DESTDIR)$(sysconfdir)/bgxdp 2>/dev/null

deb:
	BUILD=$(BUILD) scripts/build-deb.sh
