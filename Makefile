# The two commands of the README:
#   make dev    set up what is missing, then run the worker locally on :8787
#   make test   set up what is missing, then run every test
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export WRANGLER_SEND_METRICS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false
PORT ?= 8787

.PHONY: dev test setup build check deploy bench simulate clean

dev: setup .dev.vars
	npx wrangler dev --port $(PORT) --ip 127.0.0.1

test: setup
	@bash scripts/ensure-chromium.sh
	@bash scripts/test.sh

setup:
	@bash scripts/setup.sh

.dev.vars:
	@node scripts/dev-vars.mjs

build: setup
	@sh scripts/build.sh

# Formatting, lints (native and wasm32), a deploy dry run and the wasm's size
# budget: what CI checks besides the tests.
check: setup
	@rustup component add rustfmt clippy >/dev/null 2>&1 || true
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -p bench-signers -- -D warnings
	tmp=$$(mktemp -d) && npx wrangler deploy --dry-run --outdir "$$tmp"
	node scripts/size-budget.mjs

# Go live: the Vonage application, the number, the queues, the secrets and the
# worker, from deploy.env (see deploy.env.example and README, "Go live").
deploy: setup
	node scripts/deploy.mjs

# On demand, not part of `make test`: see bench/README.md.
bench: build
	node bench/run.mjs

# Plays Vonage against a running worker (default http://localhost:8787):
# make simulate ARGS="--scenario tests/scenarios/busy.json --url http://…"
simulate:
	cargo run --quiet -p simulate -- $(ARGS)

clean:
	rm -rf build target/screenshots .wrangler wrangler.deploy.toml
