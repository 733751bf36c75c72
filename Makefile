# WeCom Desk. Two commands matter: `make demo` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
# Trunk finds wasm-opt (npm's binaryen) here, and must not look for updates online.
export PATH := $(CURDIR)/frontend/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export TRUNK_SKIP_VERSION_CHECK := true

.PHONY: setup build release demo test native-tests h5-checked lint unit sdk browser deploy-check bench payload clean

## Install what is missing (idempotent): wasm32 target, trunk, wasm-bindgen-cli, npm packages (wasm-opt), chromium.
setup:
	@bash scripts/setup.sh

## Build the H5 (dist/) and the server, release.
build: setup
	bash scripts/build-h5.sh
	$(CARGO) build --release -p desk-server

## The release: target/release-archive/wecom-desk-<version>-x86_64-linux.tar.gz (the
## binary with the H5 built into it, config example, systemd unit, nginx example,
## DEPLOY.md) and its .sha256 (scripts/release.sh). DESK_RELEASE_BIN=<binary> packages
## one already built with `--features embed-h5` (a debug build, for a quick test).
release: setup
	bash scripts/release.sh

## Everything on this machine with no WeCom account: simulator + server + H5.
demo: build
	$(CARGO) run --release -p desk-server --bin wecom-desk -- demo

## What CI runs: formatting, clippy (native and wasm32), all tests, the H5 build and
## the 150 KB budgets (brotli, as sent) of the sidebar and the order pages, browser
## tests in headless Chromium, and the deployment chapter run as written.
## The API suites (which mostly wait on the servers they start) run beside the H5's
## release build (which keeps both cores busy): on a 2-core machine that saves the
## length of the shorter one. The H5 builds in its own target dir, so the two cargo
## runs never wait on each other's lock.
test: setup lint
	$(MAKE) -j2 --output-sync=target native-tests h5-checked
	$(MAKE) browser
	$(MAKE) deploy-check

native-tests:
	$(MAKE) unit
	$(MAKE) sdk

h5-checked:
	CARGO_TARGET_DIR=$(CURDIR)/target/h5 bash scripts/build-h5.sh
	$(MAKE) --no-print-directory payload

## Browser tests against `wecom-desk demo` (the debug binary `make unit` built) and dist/.
browser:
	DESK_BIN=target/debug/wecom-desk DESK_DIST=dist node --test --test-reporter=spec frontend/tests/*.test.mjs

lint:
	python3 scripts/check-shape.py .
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --exclude desk-frontend -- -D warnings
	$(CARGO) clippy -p desk-frontend -p desk-shared --target wasm32-unknown-unknown -- -D warnings

## The black-box API suite runs twice: on SQLite, then on a throw-away PostgreSQL
## cluster (scripts/with-postgres.sh), where the several-instance tests run too.
## Tests for one database are #[ignore]d with the reason (never a `return` that
## reports ok) and run here where they apply.
unit:
	$(CARGO) test --workspace --exclude desk-frontend -- --include-ignored --skip postgres_only
	$(CARGO) test -p desk-frontend --lib
	bash scripts/with-postgres.sh env DESK_TEST_DATABASE=postgres $(CARGO) test -p desk-server --test api -- --include-ignored --skip sqlite_only

## docs/deploy.md followed as an operator would, against the simulator: a release
## archive of the debug build with the H5 built in (scripts/release.sh packs it), then
## every `sh` block of the chapter, backup, restore and an upgrade from the oldest
## supported database (scripts/deploy-check.sh). Last: it rebuilds target/debug/wecom-desk
## with the H5 inside.
VERSION = $(shell python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]["version"])')
deploy-check:
	$(CARGO) build -p desk-server --bin wecom-desk --features embed-h5
	DESK_RELEASE_BIN=target/debug/wecom-desk bash scripts/release.sh
	bash scripts/deploy-check.sh target/release-archive/wecom-desk-$(VERSION)-x86_64-linux.tar.gz

## An independent SDK (wechatpy, in a throw-away virtualenv) against `wecom-desk
## simulate`, sending WeCom's documented bodies (the debug binary `make unit` built).
sdk:
	bash scripts/sdk-contract.sh target/debug/wecom-desk

## Benchmarks (not tests; print numbers): signatures, matching, join ways, the callback
## pipeline on SQLite and on PostgreSQL (one and several instances), the welcome under
## load (scripts/bench.sh; a short run: DURATION=3 DRAIN_SECS=60 make bench), then how
## fast the sidebar opens in headless Chromium.
bench: setup
	bash scripts/bench.sh
	bash scripts/build-h5.sh
	node frontend/bench/sidebar.mjs

## First-load size (raw, gzip -9, brotli) of each build: the pages a member opens on a
## phone (/sidebar, /orders, /orders/{id}) fail over 150 KB brotli as the server sends
## it; the app (home, admin console) is measured, with no budget.
payload:
	@echo '== /sidebar (dist/sidebar), budget 150 KB brotli (as sent)'; bash scripts/payload.sh dist/sidebar
	@echo '== /orders (dist/orders), budget 150 KB brotli (as sent)'; bash scripts/payload.sh dist/orders
	@echo '== /orders/{id} (dist/order), budget 150 KB brotli (as sent)'; bash scripts/payload.sh dist/order
	@echo '== the app: home, admin console (dist), no budget'; PAYLOAD_BUDGET_BYTES=999999999 bash scripts/payload.sh dist

clean:
	$(CARGO) clean
	rm -rf dist
