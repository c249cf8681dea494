# Kodiak's two everyday commands, on a fresh Debian/Ubuntu machine with a Rust toolchain:
#   make run    set up, build, ingest the sample documents and open the terminal UI
#   make test   set up, then check formatting and lints and run every test
SHELL := /bin/bash
CARGO ?= cargo
# The demo data directory `make run` works in, kept apart from your own data.
KODIAK_DEMO_DIR ?= $(HOME)/.cache/kodiak/demo

.PHONY: setup build run test bench models

setup:
	scripts/setup

models:
	scripts/fetch-models

build: setup
	$(CARGO) build --release --locked

# Ingesting again is cheap: unchanged files are recognised by path and checksum. Then the
# terminal UI opens on the demo data (q quits).
run: build
	$(CARGO) run --release --locked --quiet -- --data-dir "$(KODIAK_DEMO_DIR)" ingest assets/sample-docs
	$(CARGO) run --release --locked --quiet -- --data-dir "$(KODIAK_DEMO_DIR)"

test: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --locked -- -D warnings
	$(CARGO) test --locked

bench: setup
	$(CARGO) bench --locked
