#!/bin/sh
# Builds a worker (build/index.js + build/index_bg.wasm) with tools that come
# from the registries and nothing else: cargo (the wasm, and tools/bindgen,
# wasm-bindgen at Cargo.lock's version, built in the workspace), binaryen's
# wasm-opt and esbuild from npm. Nothing is installed with `cargo install` and
# nothing is downloaded from GitHub.
#   CRATE_DIR  the crate to build (default: the worker; bench/signers for the benchmark's)
#   OUT_DIR    where to put it (default: build)
#   KEEP_NAMES=1 keeps the wasm's function names (bench/profile.mjs reads them)
set -eu
cd "$(dirname "$0")/.."
root="$(pwd)"
bin="$root/node_modules/.bin"
crate="${CRATE_DIR:-.}"
out="$root/${OUT_DIR:-build}"
package="$(sed -n 's/^name = "\(.*\)"$/\1/p' "$crate/Cargo.toml" | head -1)"
wasm_name="$(echo "$package" | tr - _)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

# The page's assets that are built: the pinned Vonage SDK, the embed bundle.
if [ "$crate" = "." ]; then
  node scripts/vendor-sdk.mjs
  node scripts/bundle-embed.mjs
fi

# tools/bindgen must speak the bindgen schema of the wasm-bindgen the worker links.
linked="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
grep -q "wasm-bindgen-cli-support = \"=$linked\"" tools/bindgen/Cargo.toml || {
  echo "build: tools/bindgen/Cargo.toml must pin wasm-bindgen-cli-support = \"=$linked\" (the wasm-bindgen in Cargo.lock)" >&2
  exit 1
}
cargo build --quiet --profile tools -p bindgen

# Panic messages carry their source file's path: shorten the registry's and
# ours (std's are precompiled and keep theirs).
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$registry/= --remap-path-prefix=$root/=" \
  cargo build --quiet --release --target wasm32-unknown-unknown --lib -p "$package"

staging="$out/.staging"
rm -rf "$staging"
mkdir -p "$staging"
names=""
[ -n "${KEEP_NAMES:-}" ] && names="--keep-names"
# shellcheck disable=SC2086
"$target_dir/tools/bindgen" "$target_dir/wasm32-unknown-unknown/release/$wasm_name.wasm" "$staging" $names
# wasm-bindgen imports the module in its "source phase"; workerd takes a
# plain import of a .wasm file as the compiled module.
sed -i 's/^import source /import /' "$staging/index.js"

# The features workerd supports (those rustc's wasm32 target emits, and the
# exception handling wasm-bindgen's catch wrappers use), nothing newer.
features="--enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling"
debug="--strip-debug"
[ -n "${KEEP_NAMES:-}" ] && debug="--debuginfo"
# shellcheck disable=SC2086
"$bin/wasm-opt" $features -Oz $debug "$staging/index_bg.wasm" -o "$out/index_bg.wasm"

entry="$root/src/edge/entry.js"
[ "$crate" != "." ] && entry="$root/$crate/entry.js"
cp "$entry" "$staging/entry.js"
"$bin/esbuild" "$staging/entry.js" --bundle --format=esm --minify --log-level=warning \
  --external:./index_bg.wasm --external:cloudflare:* --outfile="$out/index.js"
rm -rf "$staging"
