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
# The same package where cockpit-machines is installed too: its manifest names a label of its own, its files link
# to PKGDIR's (docs/packaging.md, "Beside cockpit-machines").
BESIDE_DIR = $(DATADIR)/cockpit/virt-beside-machines
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
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(METAINFODIR)
# The page's directory is replaced as a whole, staged beside it first: no file of an earlier build
# (chunk-*.js.gz of other hashes) stays behind, and the old page is served until the new one is complete.
	rm -rf $(DESTDIR)$(PKGDIR).new && install -d $(DESTDIR)$(PKGDIR).new
	cp -r dist/. $(DESTDIR)$(PKGDIR).new/
	install -m 644 manifest.json $(DESTDIR)$(PKGDIR).new/manifest.json
	chmod -R u=rwX,go=rX $(DESTDIR)$(PKGDIR).new
	rm -rf $(DESTDIR)$(PKGDIR) && mv $(DESTDIR)$(PKGDIR).new $(DESTDIR)$(PKGDIR)
	rm -rf $(DESTDIR)$(BESIDE_DIR) && install -d $(DESTDIR)$(BESIDE_DIR)
	for f in $$(cd $(DESTDIR)$(PKGDIR) && ls | grep -vx manifest.json); do ln -s ../virt/$$f $(DESTDIR)$(BESIDE_DIR)/$$f; done
	install -m 644 manifest-beside-machines.json $(DESTDIR)$(BESIDE_DIR)/manifest.json
	install -m 755 $(HELPER) $(DESTDIR)$(LIBEXECDIR)/cockpit-virt-helper
	install -m 644 $(METAINFO) $(DESTDIR)$(METAINFODIR)/$(METAINFO)

uninstall:
	rm -rf $(DESTDIR)$(PKGDIR) $(DESTDIR)$(BESIDE_DIR)
	rm -f $(DESTDIR)$(LIBEXECDIR)/cockpit-virt-helper $(DESTDIR)$(METAINFODIR)/$(METAINFO)

# Release tarball and distribution packages (docs/packaging.md). Everything lands in OUTDIR; package builds unpack
# the tarball under PKG_BUILDDIR and build there, as a distribution would.
# make dist packs a commit (DIST_REF, default HEAD), not the work tree: commit first what a release should hold.
DIST_REF ?= HEAD
VERSION := $(shell { if [ -d .git ]; then git show $(DIST_REF):Cargo.toml; else cat Cargo.toml; fi; } 2>/dev/null | \
	sed -n 's/^version *= *"\(.*\)"/\1/p' | head -n 1)
OUTDIR ?= .
PKG_BUILDDIR ?= .cache/packaging
TARFILE = $(OUTDIR)/cockpit-virt-$(VERSION).tar.xz
# The cargo of rustup (~/.cargo/bin) when there is one: Debian 12's own rustc is too old for edition 2024.
CARGO_PATH = $(if $(wildcard $(HOME)/.cargo/bin/cargo),$(HOME)/.cargo/bin:)$(PATH)
# A Rust toolchain that is not Debian's cargo/rustc packages: build-depend on everything else (debian/control).
DEB_PROFILES ?= $(if $(filter /usr/bin/cargo,$(shell PATH="$(CARGO_PATH)" command -v cargo)),,pkg.cockpit-virt.rustup)
# Building an .rpm on a machine that is not rpm-based: the spec's BuildRequires cannot be checked.
RPMBUILD_FLAGS ?= $(if $(wildcard /etc/debian_version),--nodeps)

dist: $(TARFILE)

# DIST_REF's files, the page built for production from them (with this checkout's node_modules/, which must match
# DIST_REF's package-lock.json), the crates vendored (vendor/ + .cargo/config.toml), and the spec's bundled()
# Provides filled in. Rebuilt whenever HEAD moves (.git/logs/HEAD).
$(TARFILE): SHELL = /bin/bash
$(TARFILE): .SHELLFLAGS = -o pipefail -ec
$(TARFILE): $(wildcard .git/logs/HEAD) node_modules/.package-lock.json
	@[ -d .git ] || { echo "make dist: needs a git checkout" >&2; exit 1; }
	@git diff --quiet $(DIST_REF) -- package-lock.json || { echo "make dist: package-lock.json differs from" \
	    "$(DIST_REF)'s, so node_modules/ would not build $(DIST_REF)'s page: commit it or use a clean checkout" >&2; exit 1; }
	@export PATH="$(CARGO_PATH)"; \
	stage=$$(mktemp -d); trap 'rm -rf "$$stage"' EXIT; \
	top=$$stage/cockpit-virt-$(VERSION); \
	git archive --format=tar --prefix=cockpit-virt-$(VERSION)/ $(DIST_REF) | tar -xf - -C "$$stage"; \
	cd "$$top"; \
	v=$(VERSION); \
	ch=$$(sed -n '1s/^cockpit-virt (\([^-)]*\).*/\1/p' debian/changelog); \
	sp=$$(sed -n 's/^Version: *//p' cockpit-virt.spec); \
	if [ "$$ch" != "$$v" ] || [ "$$sp" != "$$v" ] || ! grep -q "<release version=\"$$v\"" $(METAINFO); then \
	    echo "make dist: Cargo.toml says $$v, debian/changelog $$ch, cockpit-virt.spec $$sp; $(METAINFO)" \
	         "needs <release version=\"$$v\">: bring them in line" >&2; exit 1; fi; \
	ln -s "$(CURDIR)/node_modules" node_modules; \
	node pkg/build.mjs >/dev/null; \
	rm node_modules; \
	cargo vendor --locked --quiet vendor >/dev/null; \
	mkdir .cargo; \
	printf '%s\n' '# Written by make dist: build from the vendored crates, offline.' \
	    '[source.crates-io]' 'replace-with = "vendored-sources"' '' \
	    '[source.vendored-sources]' 'directory = "vendor"' > .cargo/config.toml; \
	{ cargo tree --locked --offline --edges normal --prefix none --format '{p}' | \
	      awk '$$1 != "cockpit-virt-helper" { sub(/^v/, "", $$2); print "Provides: bundled(crate(" $$1 ")) = " $$2 }'; \
	  node -e 'for (const [p, e] of Object.entries(JSON.parse(require("fs").readFileSync(process.argv[1])).packages)) if (p && !e.dev && !e.devOptional) console.log("Provides: bundled(npm(" + p.slice(p.lastIndexOf("node_modules/") + 13) + ")) = " + e.version)' \
	      package-lock.json; } | sort -u > "$$stage/provides"; \
	awk -v f="$$stage/provides" '/^#BUNDLED_PROVIDES$$/ { while ((getline l < f) > 0) print l; next } 1' \
	    cockpit-virt.spec > "$$stage/spec"; \
	mv "$$stage/spec" cockpit-virt.spec; \
	cd "$(CURDIR)"; mkdir -p "$(OUTDIR)"; \
	mtime=$$(git log -1 --format=%ct $(DIST_REF)); \
	tar --sort=name --mtime=@$$mtime --owner=0 --group=0 --numeric-owner --mode=go=rX,u+rw,a-s \
	    -C "$$stage" -cf - cockpit-virt-$(VERSION) | xz -T0 -6 > "$@.tmp"; \
	mv "$@.tmp" "$@"; \
	echo "$@"

# .deb from the tarball: dpkg-buildpackage in the unpacked tree (debian/rules builds offline).
deb: $(TARFILE)
	rm -rf $(PKG_BUILDDIR)/deb && mkdir -p $(PKG_BUILDDIR)/deb $(OUTDIR)
	tar -xJf $(TARFILE) -C $(PKG_BUILDDIR)/deb
	cd $(PKG_BUILDDIR)/deb/cockpit-virt-$(VERSION) && \
	    PATH="$(CARGO_PATH)" dpkg-buildpackage -us -uc -b $(if $(DEB_PROFILES),-P$(DEB_PROFILES))
	cp $(PKG_BUILDDIR)/deb/*.deb $(OUTDIR)/
	@ls -1 $(OUTDIR)/cockpit-virt_$(VERSION)-*.deb

# .rpm (and .src.rpm) from the tarball: rpmbuild -ta reads cockpit-virt.spec inside it.
rpm: $(TARFILE)
	rm -rf $(PKG_BUILDDIR)/rpm && mkdir -p $(PKG_BUILDDIR)/rpm $(OUTDIR)
	PATH="$(CARGO_PATH)" rpmbuild -ta $(RPMBUILD_FLAGS) --define "_topdir $(abspath $(PKG_BUILDDIR))/rpm" $(TARFILE)
	cp $(PKG_BUILDDIR)/rpm/RPMS/*/*.rpm $(PKG_BUILDDIR)/rpm/SRPMS/*.rpm $(OUTDIR)/
	@ls -1 $(OUTDIR)/cockpit-virt-$(VERSION)-*.rpm

# Builds the tarball, the .deb and the .rpm, installs the .deb on this machine and removes it again (as root).
check-install:
	tests/install/run.sh

# The README's commands on a machine that never saw this project (a fresh Debian 12 chroot); not run by CI.
check-new-machine:
	scripts/check-new-machine.sh bookworm

clean:
	rm -rf target dist .cache/run

.PHONY: all helper page stage run check lint install uninstall clean dist deb rpm check-install check-new-machine
