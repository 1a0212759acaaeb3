#!/usr/bin/env bash
# The benchmark harness: figures the README quotes, measured on this machine.
#   native: ingest MB/s and events/s, bytes per event, filter, timeline, policy
#           re-evaluation and coverage latency (audit-lens bench);
#   wasm:   the same ingest compiled to wasm32 with simd128, in Node (tests/wasm_speed.rs);
#   jq:     what users run today, on the same generated log.
# Usage: scripts/bench.sh [SIZE] (default 200MB). Timings vary ±20–40% on a shared VM.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
SIZE="${1:-200MB}"
cargo build --release --locked --quiet --bin audit-lens
BIN=target/release/audit-lens
LOG="$(mktemp -d)/bench.log"
trap 'rm -rf "$(dirname "$LOG")"' EXIT
echo "== native (single thread inside the engine; paired scanner/serde rounds)"
AUDIT_LENS_COMPARE_SERDE=1 "$BIN" bench --size "$SIZE"
echo
echo "== wasm32 + simd128 in Node (100 MB, best of 5)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --release --locked --target wasm32-unknown-unknown --test wasm_speed -- --include-ignored --nocapture 2>&1 \
  | grep -E "wasm ingest" || echo "(wasm run failed)"
echo
echo "== jq vs audit-lens on the same $SIZE log (wall time, 3 runs each)"
"$BIN" generate --size "$SIZE" -o "$LOG"
for _ in 1 2 3; do
  /usr/bin/time -f "jq -r .user.username | sort | uniq -c: %e s" sh -c "jq -r .user.username '$LOG' | sort | uniq -c | sort -rn > /dev/null"
  /usr/bin/time -f "audit-lens stats (all top-N tables):  %e s" "$BIN" stats "$LOG" > /dev/null
done
