#!/bin/sh
# Builds the worker (build/index.js + wasm) with the toolchain scripts/setup.sh
# installed: wasm-bindgen from cargo, wasm-opt (binaryen) and esbuild from npm.
# worker-build would otherwise download them from GitHub, which is neither
# reproducible nor possible offline.
set -eu
cd "$(dirname "$0")/.."
bin="$(pwd)/node_modules/.bin"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$bin/esbuild}"
node scripts/vendor-sdk.mjs
exec worker-build --release
