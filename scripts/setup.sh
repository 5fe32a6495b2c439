#!/usr/bin/env bash
# Installs what building and running the worker needs, and only what is
# missing: the wasm32 target and the npm packages of package-lock.json.
# Nothing is installed with `cargo install`: wasm-bindgen is a workspace tool
# (tools/bindgen) that scripts/build.sh builds at Cargo.lock's version.
# Safe to run again; a second run takes a second.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

command -v cargo >/dev/null || { echo "Rust is missing: install it with rustup (https://rustup.rs)" >&2; exit 1; }
command -v node >/dev/null || { echo "Node.js (20 or newer) is missing" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
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
