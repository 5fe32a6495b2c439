#!/usr/bin/env bash
# Every test, in three levels, with one summary line at the end:
#   1. the pure Rust core, natively (cargo test)
#   2. the built wasm worker in workerd with local KV and Queue (node --test)
#   3. the page in headless Chromium against that worker (node --test)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH" WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false

results=()
failed=0
run() {
  local name="$1"; shift
  local log; log="$(mktemp)"
  echo "== $name: $*"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local counts
  if [ "$name" = rust ]; then
    counts="$(grep -E '^test result:' "$log" | awk '{p+=$4; f+=$6} END {printf "%d passed, %d failed", p, f}')"
  else
    counts="$(grep -E '^ℹ (pass|fail) [0-9]+$' "$log" | awk '{a[$2]+=$3} END {printf "%d passed, %d failed", a["pass"], a["fail"]}')"
  fi
  [ "$status" -eq 0 ] || failed=1
  results+=("$name: $counts$([ "$status" -eq 0 ] || echo " (exit $status)")")
  rm -f "$log"
}

run rust cargo test --workspace --quiet
echo "== build: scripts/build.sh (the wasm worker) and cargo build -p simulate (the Vonage simulator)"
if sh scripts/build.sh >/tmp/edge-build.log 2>&1 && cargo build --quiet -p simulate >>/tmp/edge-build.log 2>&1; then
  run workerd node --test --test-reporter=spec tests/integration/
  run browser node --test --test-reporter=spec --test-concurrency=1 tests/browser/
else
  cat /tmp/edge-build.log
  failed=1
  results+=("build: FAILED")
fi

echo
summary="$(printf '%s; ' "${results[@]}")"
summary="${summary%; }"
if [ "$failed" -eq 0 ]; then echo "TESTS PASSED — $summary"; else echo "TESTS FAILED — $summary"; fi
exit "$failed"
