# warroom: the two commands of the README, and what they need.
#
#   make run    open the war-room window
#   make test   everything CI checks: format, lints, docs, every Rust test, the UI's types,
#               the end-to-end test through the real window, and the runbook parser's fuzzing
#   make bench  the store's and the postmortem's benchmarks (figures go in issue notes, not in tests)
#   make bench-idle  what the open window costs at rest, from /proc, under Xvfb
#   make bench-sync  team sync through a real PostgreSQL hub: latency, catch-up, 20 laptops
#   make bench-soak  the window on drills looping at x60 for an hour: memory every 30 s
#   make fuzz   every parser under libFuzzer for a fixed number of inputs each
#   make package  the .deb and .rpm (window, `warroom` CLI on PATH, icon, desktop entry)
#
# Both install what they need on Debian 12 (apt packages, the UI's npm packages, tauri-driver)
# and skip what is already there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

# From ../shared/TOOLING.md: what a Tauri build and a headless WebKit need.
APT_DESKTOP := libwebkit2gtk-4.1-dev build-essential pkg-config libxdo-dev libssl-dev libdbus-1-dev \
               libayatana-appindicator3-dev librsvg2-dev file
APT_TEST := xvfb webkit2gtk-driver xdotool prometheus prometheus-alertmanager postgresql openssl python3 \
            keyutils gnome-keyring libsecret-tools dbus
APT_NODE := nodejs npm
MOTO_VERSION := 5.2.5
AIOSMTPD_VERSION := 1.4.6

.PHONY: help run test bench bench-idle bench-sync bench-soak fuzz package check-package setup-desktop setup-test ui check-core-has-no-tauri check-bindings

help:
	@echo "make run    open the war-room window"
	@echo "make test   run every check and test"
	@echo "make bench  run the benchmarks"
	@echo "make bench-idle  measure the window's cost at rest (live source, drill at x4)"
	@echo "make bench-sync  measure team sync through a real PostgreSQL hub"
	@echo "make package  build the .deb and .rpm into target/release/bundle"
	@echo "make fuzz   fuzz every parser (runbooks, topologies, config, imports, server answers; FUZZ_RUNS=20000 each)"

# --- setup -------------------------------------------------------------------------------

define apt_ensure
	missing=""; for p in $(1); do dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

setup-desktop:
	@$(call apt_ensure,$(APT_DESKTOP))
	@command -v npm >/dev/null || { $(call apt_ensure,$(APT_NODE)); }

setup-test: setup-desktop target/moto/bin/moto_server target/smtp/bin/aiosmtpd
	@$(call apt_ensure,$(APT_TEST))
	@command -v tauri-driver >/dev/null || $(CARGO) install tauri-driver --locked

# moto's server: a local peer for CloudWatch (no AWS is reachable from a test).
target/moto/bin/moto_server:
	@$(call apt_ensure,python3-venv)
	python3 -m venv target/moto
	target/moto/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'

# aiosmtpd: a real SMTP server (with STARTTLS) for the stakeholder-update tests.
target/smtp/bin/aiosmtpd:
	@$(call apt_ensure,python3-venv)
	python3 -m venv target/smtp
	target/smtp/bin/pip install --quiet --disable-pip-version-check 'aiosmtpd==$(AIOSMTPD_VERSION)'

ui/node_modules/.installed: ui/package-lock.json ui/package.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

# The desktop binary embeds ui/dist, so the UI is built before any cargo build of the app.
ui: setup-desktop ui/node_modules/.installed
	cd ui && npm run build --silent

# --- the two commands ------------------------------------------------------------------

run: ui
	$(CARGO) run --bin warroom-desktop

test: setup-test ui
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps
	$(MAKE) --no-print-directory check-core-has-no-tauri
	cd ui && npm run typecheck --silent && npm test --silent
	$(CARGO) build --workspace --all-targets
	xvfb-run -a -s "-screen 0 1920x1080x24" $(CARGO) test --workspace
	$(MAKE) --no-print-directory check-bindings
	$(MAKE) --no-print-directory check-package
	$(MAKE) --no-print-directory fuzz

# The core library and CLI must build and test headless: no Tauri, GTK or WebKit in its tree.
check-core-has-no-tauri:
	@if $(CARGO) tree -p warroom --prefix none | grep -Ei '^(tauri|gtk|webkit|wry)'; then \
	  echo "the core crate 'warroom' depends on the above: keep Tauri/GTK in the desktop shell"; exit 1; \
	else echo "core has no tauri/gtk/webkit dependency"; fi

# ts-rs rewrites ui/src/bindings during `cargo test`: a difference means a Rust type changed
# without its TypeScript twin being committed.
check-bindings:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  if [ -n "$$(git status --porcelain -- ui/src/bindings)" ]; then \
	    git status --short -- ui/src/bindings; git --no-pager diff -- ui/src/bindings; \
	    echo "ui/src/bindings drifted from the Rust types: commit the regenerated files"; exit 1; \
	  else echo "ui/src/bindings match the Rust types"; fi; \
	fi

bench:
	$(CARGO) bench -p warroom --bench store
	$(CARGO) bench -p warroom --bench postmortem

# Team sync on loopback against a real PostgreSQL: latency, catch-up, 20 laptops for a minute.
bench-sync: setup-test
	$(CARGO) bench -p warroom --bench sync

# The window at rest: app and WebKit together, from /proc, over 60 s (benches/idle.sh).
bench-idle: setup-test ui
	$(CARGO) build --bin warroom-desktop
	xvfb-run -a -s "-screen 0 1366x768x24" benches/idle.sh

# libFuzzer through cargo-fuzz on the stable toolchain: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its
# -Z flags (AddressSanitizer, coverage). New inputs go to fuzz/scratch (ignored by git); the seeds
# in fuzz/corpus are the built-in runbooks and a few broken ones. A crash is saved under
# fuzz/artifacts and fails the target. The first build takes minutes (every dependency is
# rebuilt instrumented); 20000 runs take about half a minute after that.
FUZZ_RUNS ?= 20000
FUZZ_TARGETS := runbook_parse topology_toml topology_backstage config import_json source_answers
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	RUSTC_BOOTSTRAP=1 $(CARGO) fuzz build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/scratch/$$t; \
	  echo "fuzz $$t: $(FUZZ_RUNS) runs"; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run $$t fuzz/scratch/$$t fuzz/corpus/$$t -- -runs=$(FUZZ_RUNS) || exit 1; \
	done

# --- packaging ---------------------------------------------------------------------------

# The Tauri bundler makes the .deb and .rpm (offline: both are written by Rust code in the
# bundler, no rpmbuild needed). The `warroom` CLI is not the app's binary: it is built first and
# listed in tauri.conf.json (bundle > linux > deb/rpm > files) as /usr/bin/warroom.
# PACKAGE_PROFILE=debug bundles the debug build (what `make test` checks: the same layout,
# without a second, optimised build of every crate).
PACKAGE_PROFILE ?= release
TAURI := ui/node_modules/.bin/tauri
package: ui
	$(CARGO) build --profile $(if $(filter debug,$(PACKAGE_PROFILE)),dev,release) -p warroom --bin warroom
	mkdir -p target/package
	cp target/$(PACKAGE_PROFILE)/warroom target/package/warroom
	$(TAURI) build --ci --bundles deb,rpm $(if $(filter debug,$(PACKAGE_PROFILE)),--debug,)
	@ls -l target/$(PACKAGE_PROFILE)/bundle/deb/*.deb target/$(PACKAGE_PROFILE)/bundle/rpm/*.rpm

# The .deb as a user gets it (tests/package.sh): unpacked with dpkg-deb -x, its layout checked, its
# CLI run, and its window and CLI driven through WebDriver under Xvfb. Bundled from the debug
# build `make test` already made: the same layout, without a second, optimised build of every
# crate (`make package` makes the release one).
check-package:
	$(MAKE) --no-print-directory package PACKAGE_PROFILE=debug
	xvfb-run -a -s "-screen 0 1920x1080x24" tests/package.sh target/debug/bundle/deb/warroom_0.1.0_amd64.deb

# The window through a long night: drills looping at x60 for an hour, memory sampled every 30 s
# (benches/soak.sh; DURATION=600 for a shorter look).
bench-soak: setup-test ui
	$(CARGO) build --bin warroom-desktop
	xvfb-run -a -s "-screen 0 1366x768x24" benches/soak.sh
