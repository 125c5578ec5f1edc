# sipgw - make install, make deb, make test-package (included by the Makefile).
# SPDX-License-Identifier: GPL-2.0-only
#
#   make install [PREFIX=/usr/local] [DESTDIR=]   the programs, man pages,
#       docs and examples under PREFIX; the config as SYSCONFDIR/sipgw/sipgw.conf
#       (kept when it is there), the systemd unit, logrotate, sysusers and
#       tmpfiles files. SYSCONFDIR is /etc whatever PREFIX is: the unit and
#       the man pages name /etc/sipgw/sipgw.conf.
#   make uninstall   all that but the config
#   make deb      the Debian package (debian/, dpkg-buildpackage) in build/deb
#   make test-package   tests/package: the installed tree, the man pages, the
#       unit (systemd-analyze), the package built, installed in a clean root

PREFIX        ?= /usr/local
DESTDIR       ?=
BINDIR        ?= $(PREFIX)/bin
# the simulators (PBX, phone, fax pages) are test tools, not commands: off PATH
LIBEXECDIR    ?= $(PREFIX)/lib/sipgw
MANDIR        ?= $(PREFIX)/share/man
DOCDIR        ?= $(PREFIX)/share/doc/sipgw
SYSCONFDIR    ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# systemd-sysusers and -tmpfiles read /usr/lib and /etc, never /usr/local/lib:
# a PREFIX other than /usr puts their files in /etc (the local admin's place)
SYSTEMD_ETC_OR_USR = $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib,$(SYSCONFDIR))
SYSUSERSDIR   ?= $(SYSTEMD_ETC_OR_USR)/sysusers.d
TMPFILESDIR   ?= $(SYSTEMD_ETC_OR_USR)/tmpfiles.d
INSTALL       ?= install

# sipgw and sipgwctl are the commands; every other program is a simulator.
INST_BINS  := $(filter $(BUILD)/sipgw $(BUILD)/sipgwctl,$(PROGS))
INST_SIMS  := $(filter-out $(INST_BINS),$(PROGS))
MAN_PAGES  := man/sipgw.8 man/sipgwctl.8 man/sipgw.conf.5
EXAMPLES   := conf/sipgw.conf conf/sipgw-dahdi.conf conf/dahdi-system.conf dist/kamailio-sipgw.cfg \
	      dist/kamailio-dispatcher.cfg dist/kamailio-dispatcher.list

.PHONY: install install-progs uninstall deb test-package
install-progs: $(PROGS)

install: install-progs
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/sipgw \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	$(INSTALL) -m 0755 $(INST_BINS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0755 $(INST_SIMS) $(DESTDIR)$(LIBEXECDIR)/
	$(INSTALL) -m 0644 man/sipgw.8 man/sipgwctl.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 man/sipgw.conf.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	@# the operator's config is never overwritten; it holds the registrar's
	@# passwords, so it is not world-readable (group sipgw reads it)
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/sipgw/sipgw.conf ]; then \
		echo "install: $(DESTDIR)$(SYSCONFDIR)/sipgw/sipgw.conf exists: kept"; \
	else \
		sed -f dist/sipgw.conf.sed conf/sipgw.conf > $(DESTDIR)$(SYSCONFDIR)/sipgw/sipgw.conf.new && \
		chmod 0640 $(DESTDIR)$(SYSCONFDIR)/sipgw/sipgw.conf.new && \
		mv $(DESTDIR)$(SYSCONFDIR)/sipgw/sipgw.conf.new $(DESTDIR)$(SYSCONFDIR)/sipgw/sipgw.conf; \
	fi
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' dist/sipgw.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/sipgw.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/sipgw.service
	$(INSTALL) -m 0644 dist/sipgw.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/sipgw
	$(INSTALL) -m 0644 dist/sipgw.sysusers $(DESTDIR)$(SYSUSERSDIR)/sipgw.conf
	$(INSTALL) -m 0644 dist/sipgw.tmpfiles $(DESTDIR)$(TMPFILESDIR)/sipgw.conf

# What install put there, but the config (the operator's) and the logs and
# databases the service made.
uninstall:
	rm -f $(patsubst $(BUILD)/%,$(DESTDIR)$(BINDIR)/%,$(INST_BINS)) \
		$(patsubst $(BUILD)/%,$(DESTDIR)$(LIBEXECDIR)/%,$(INST_SIMS)) \
		$(DESTDIR)$(MANDIR)/man8/sipgw.8 $(DESTDIR)$(MANDIR)/man8/sipgwctl.8 \
		$(DESTDIR)$(MANDIR)/man5/sipgw.conf.5 $(DESTDIR)$(SYSTEMDUNITDIR)/sipgw.service \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/sipgw $(DESTDIR)$(SYSUSERSDIR)/sipgw.conf \
		$(DESTDIR)$(TMPFILESDIR)/sipgw.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	-rmdir $(DESTDIR)$(LIBEXECDIR)
	@echo "uninstall: $(DESTDIR)$(SYSCONFDIR)/sipgw/sipgw.conf kept"

# dpkg-buildpackage writes beside the tree (..) unless told: every file it
# makes goes to build/deb (dh_builddeb --destdir in debian/rules, and the
# .buildinfo and .changes named here), so two trees side by side never
# mix their packages.
DEB_OUT := $(CURDIR)/build/deb
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
		{ echo "make deb: needs dpkg-dev and debhelper (make deps)"; exit 1; }
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)
	DEB_OUT=$(DEB_OUT) dpkg-buildpackage -us -uc -b -Jauto \
		--buildinfo-file=$(DEB_OUT)/sipgw.buildinfo --changes-file=$(DEB_OUT)/sipgw.changes \
		--buildinfo-option=-u$(DEB_OUT) --changes-option=-u$(DEB_OUT)
	@# debian/ as it was: dpkg-buildpackage cleans before a build, not after
	debian/rules clean >/dev/null
	@ls -l $(DEB_OUT)/*.deb

test-package:
	$(PYTHON) tests/package/test_package.py --build $(BUILD)
