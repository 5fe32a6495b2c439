#!/usr/bin/env bash
# Installs what building and running the worker needs, and only what is
# missing: the wasm32 target, the pinned worker-build, the wasm-bindgen CLI
# matching Cargo.lock, and the npm packages of package-lock.json.
# Safe to run again; a second run takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION="0.8.7"
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

command -v cargo >/dev/null || { echo "Rust is missing: install it with rustup (https://rustup.rs)" >&2; exit 1; }
command -v node >/dev/null || { echo "Node.js (20 or newer) is missing" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(worker-build --version 2>/dev/null || true)" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --force
fi

# worker-build would download wasm-bindgen from GitHub; build the exact version
# Cargo.lock uses instead (not --locked: one of its locked deps left the registry).
bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

# npm 11 does not run install scripts by default; workerd and esbuild ship
# their binaries as plain dependencies, so check they really run.
node_modules/.bin/workerd --version >/dev/null 2>&1 || { echo "workerd does not run: try 'rm -rf node_modules && npm ci'" >&2; exit 1; }
node_modules/.bin/esbuild --version >/dev/null 2>&1 || { echo "esbuild does not run: try 'rm -rf node_modules && npm ci'" >&2; exit 1; }
node_modules/.bin/wasm-opt --version >/dev/null 2>&1 || { echo "wasm-opt (binaryen) does not run" >&2; exit 1; }
