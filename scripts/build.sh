#!/bin/sh
# Builds a worker (build/index.js + wasm) with the toolchain scripts/setup.sh
# installed: wasm-bindgen from cargo, wasm-opt (binaryen) and esbuild from npm.
# worker-build would otherwise download them from GitHub, which is neither
# reproducible nor possible offline.
#   CRATE_DIR  the crate to build (default: the worker; bench/signers for the benchmark's)
#   OUT_DIR    where to put it (default: build)
set -eu
cd "$(dirname "$0")/.."
root="$(pwd)"
bin="$root/node_modules/.bin"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$(command -v wasm-bindgen || echo "$HOME/.cargo/bin/wasm-bindgen")}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$bin/esbuild}"
crate="${CRATE_DIR:-.}"
out="$root/${OUT_DIR:-build}"
[ "$crate" = "." ] && node scripts/vendor-sdk.mjs && node scripts/bundle-embed.mjs
# Panic messages carry their source file's path: shorten the registry's and
# ours (std's are precompiled and keep theirs).
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}/registry/src/= --remap-path-prefix=$root/="
(cd "$crate" && worker-build --release --out-dir "$out" "$@")

# worker-build keeps the wasm "names" section for stack traces; it is a fifth
# of the file and console_error_panic_hook already reports a panic's message
# and source location. Stripping it keeps the bundle small. KEEP_NAMES=1
# keeps it, for profiles with function names (bench/profile.mjs).
[ -n "${KEEP_NAMES:-}" ] && exit 0
features="--enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling"
# shellcheck disable=SC2086
"$WASM_OPT_BIN" $features --strip-debug "$out/index_bg.wasm" -o "$out/index_bg.wasm"
