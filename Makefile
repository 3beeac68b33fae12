# Paydesk — two commands on a fresh Debian/Ubuntu machine:
#   make run    build and open the desktop app in demo mode (simulated gateways, nothing to configure)
#   make test   everything: clippy, Rust unit + end-to-end tests, UI tests, the desktop app in real WebKit
# Builds go to $(CARGO_TARGET_DIR), outside the clone, so CI and fresh clones reuse them.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/paydesk/target
export CARGO_TERM_COLOR ?= never
export PACKAGE_PROFILE ?= release
BIN := $(CARGO_TARGET_DIR)/debug

.PHONY: all deps deps-apt deps-ui build build-ui build-app run demo test test-rust test-ui test-desktop bench fuzz lint clean-home package package-test

all: build

## deps: install what the build and tests need (idempotent; apt needs root or sudo)
deps: deps-apt deps-ui

deps-apt:
	@scripts/deps-apt.sh

deps-ui:
	@if [ -f ui/package.json ]; then scripts/deps-ui.sh; fi

## build: the paydesk CLI and libraries
build:
	cargo build --locked -p paydesk

build-ui: deps-ui
	@if [ -f ui/package.json ]; then cd ui && npm run build; fi

build-app: deps build-ui
	@if [ -d src-tauri ]; then cargo build --locked -p paydesk-app; fi

## run: the desktop app in demo mode (falls back to the CLI demo without a display)
run: build-app build
	@scripts/run-demo.sh

## demo: the headless demo (simulator + callback server + sandbox account)
demo: build
	$(BIN)/paydesk demo

## test: everything (the Rust runner goes last: its summary line closes the output)
test: deps lint test-ui test-desktop test-rust

test-rust: build
	@scripts/test-rust.sh

test-ui: deps-ui
	@if [ -f ui/package.json ]; then scripts/test-ui.sh; fi

test-desktop: build-app
	@if [ -x scripts/test-desktop.sh ] && [ -d src-tauri ]; then scripts/test-desktop.sh; fi

## package: the installable app — Linux: .deb (Tauri bundler) and AppImage, in $(CARGO_TARGET_DIR)/<profile>/bundle/
##   PACKAGE_PROFILE=release (default, what shops install) or debug (the build make test made: fast)
package: deps build-ui
	@scripts/package.sh

## package-test: builds the packages, installs the .deb (dpkg), starts it under Xvfb, screenshots, purges it; the AppImage too
package-test: package
	@tests/package/run.sh

## bench: throughput and cost ratios, measured against baselines in the same run
bench: deps
	@scripts/bench.sh

## fuzz: every parser of outside input under libFuzzer, FUZZ_SECONDS each (default 60); not in `make test`
fuzz: deps-apt
	@scripts/fuzz.sh

## lint: clippy on every crate, warnings are errors (the app embeds ui/dist, so the UI is built first)
lint: build-ui
	cargo clippy --locked --workspace --all-targets -- -D warnings
