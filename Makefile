# cockpit-virt: build, run, test, install. The two commands of README.md wrap these targets
# (scripts/run-page and scripts/run-tests), installing what they need first.

PREFIX ?= /usr
DATADIR ?= $(PREFIX)/share
# Where the helper goes: Cockpit's own ${libexecdir}, which the installed manifest's `spawn` names. cockpit-bridge
# takes the first of these directories that holds cockpit-askpass (patch_libexecdir in its packages.py); without
# Cockpit installed, the distribution's: /usr/lib/cockpit on Debian and Ubuntu, /usr/libexec on Fedora, RHEL and
# others. It does not follow PREFIX: with PREFIX=/usr/local the helper still goes where Cockpit looks.
LIBEXECDIR ?= $(shell for d in /usr/local/libexec /usr/libexec /usr/local/lib/cockpit /usr/lib/cockpit; do \
	if [ -e $$d/cockpit-askpass ]; then echo $$d; exit; fi; done; \
	if [ -e /etc/debian_version ]; then echo /usr/lib/cockpit; else echo /usr/libexec; fi)
METAINFODIR = $(DATADIR)/metainfo
METAINFO = org.cockpit_project.virt.metainfo.xml
PKGDIR = $(DATADIR)/cockpit/virt
HELPER = target/release/cockpit-virt-helper
# Where `make run` stages the package for cockpit-ws --local-session.
RUN_DATA = .cache/run/data

all: helper page

helper: $(HELPER)
$(HELPER): Cargo.toml Cargo.lock $(shell find src -type f)
	cargo build --release --locked

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

page: dist/index.html
dist/index.html: node_modules/.package-lock.json $(shell find pkg -type f 2>/dev/null)
	npm run --silent build

# Stage the built page and a manifest pointing at the built helper, for cockpit-ws --local-session.
stage: all
	scripts/stage-package.sh $(RUN_DATA) $(HELPER)

run: stage
	scripts/serve-page.sh $(RUN_DATA)

check: all
	tests/run-all.sh

# Benchmarks of issue 4 (about 10 minutes, root, libvirtd): results in .cache/bench, explained in docs/benchmarks.md.
bench:
	bench/run.sh
.PHONY: bench

lint:
	cargo fmt --check
	cargo clippy --all-targets --locked -- -D warnings
	npm run --silent lint

# A release tarball (make dist) ships the built page in dist/ and no node_modules/: install that as it is, so
# distribution builds need no npm. In a checkout, build the page first.
INSTALL_PAGE = $(if $(and $(wildcard dist/index.html),$(if $(wildcard node_modules),,tarball)),,page)

install: helper $(INSTALL_PAGE)
	install -d $(DESTDIR)$(PKGDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(METAINFODIR)
	cp -r dist/. $(DESTDIR)$(PKGDIR)/
	chmod -R u=rwX,go=rX $(DESTDIR)$(PKGDIR)
	install -m 644 manifest.json $(DESTDIR)$(PKGDIR)/manifest.json
	install -m 755 $(HELPER) $(DESTDIR)$(LIBEXECDIR)/cockpit-virt-helper
	install -m 644 $(METAINFO) $(DESTDIR)$(METAINFODIR)/$(METAINFO)

uninstall:
	rm -rf $(DESTDIR)$(PKGDIR)
	rm -f $(DESTDIR)$(LIBEXECDIR)/cockpit-virt-helper $(DESTDIR)$(METAINFODIR)/$(METAINFO)

clean:
	rm -rf target dist .cache/run

.PHONY: all helper page stage run check lint install uninstall clean
