# cockpit-virt: build, run, test, install. The two commands of README.md wrap these targets
# (scripts/run-page and scripts/run-tests), installing what they need first.

PREFIX ?= /usr
DATADIR ?= $(PREFIX)/share
# Cockpit's ${libexecdir}: /usr/lib/cockpit on Debian, /usr/libexec on Fedora/RHEL.
LIBEXECDIR ?= $(shell if [ -e /usr/lib/cockpit/cockpit-ws ]; then echo $(PREFIX)/lib/cockpit; else echo $(PREFIX)/libexec; fi)
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

install: all
	install -d $(DESTDIR)$(PKGDIR) $(DESTDIR)$(LIBEXECDIR)
	cp -r dist/. $(DESTDIR)$(PKGDIR)/
	install -m 644 manifest.json $(DESTDIR)$(PKGDIR)/manifest.json
	install -m 755 $(HELPER) $(DESTDIR)$(LIBEXECDIR)/cockpit-virt-helper

uninstall:
	rm -rf $(DESTDIR)$(PKGDIR)
	rm -f $(DESTDIR)$(LIBEXECDIR)/cockpit-virt-helper

clean:
	rm -rf target dist .cache/run

.PHONY: all helper page stage run check lint install uninstall clean
