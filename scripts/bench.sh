#!/usr/bin/env bash
# The benchmark harness, one command: the figures the README quotes, measured on this
# machine, for each SIZE (default: 100MB 1GB; `1Mev` = a log of about 1 M events;
# `300MBgz` = 300 MB of gzip, 3.4 GB of log).
#   native:  ingest MB/s and events/s, bytes per event, filter, timeline, policy
#            re-evaluation and coverage latency (`audit-lens bench`, one thread);
#   wasm:    the same ingest compiled to wasm32 with simd128, in Node (tests/wasm_speed.rs);
#   browser: the built page in headless Chromium (scripts/bench-browser.mjs): load MB/s and
#            events/s, bytes per event, time to first timeline, filter -> painted, policy
#            keystroke -> coverage, table scrolling;
#   jq:      what users run today, on a generated log of the first SIZE.
# Usage: scripts/bench.sh [SIZE ...]. Installs what is missing (scripts/setup.sh) and
# builds dist/ when absent. Timings vary ±20–40% on a shared VM.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
unset NO_COLOR # trunk 0.21 reads it as a bool
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100MB 1GB)
scripts/setup.sh >/dev/null
cargo build --release --locked --quiet --bin audit-lens
[ -f dist/index.html ] || trunk build --release --offline=true >/dev/null
BIN=target/release/audit-lens
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

for size in "${SIZES[@]}"; do
  echo "== native, $size (single thread inside the engine; paired scanner/serde rounds)"
  if [ "$size" = 1Mev ]; then
    AUDIT_LENS_COMPARE_SERDE=1 "$BIN" bench --size 1450MB --body-scale 0.1 --rounds 3
  elif [ "$size" = 300MBgz ]; then
    "$BIN" generate --size 3400MB --hours 48 -o /dev/stdout | gzip -1 > "$TMP/bench.log.gz"
    /usr/bin/time -f "audit-lens stats on 300 MB of gzip (3.4 GB of log): %e s" "$BIN" stats "$TMP/bench.log.gz" | head -1
    rm "$TMP/bench.log.gz"
  else
    AUDIT_LENS_COMPARE_SERDE=1 "$BIN" bench --size "$size" --rounds 3
  fi
  echo
done

echo "== wasm32 + simd128 in Node (100 MB, best of 5)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --release --locked --target wasm32-unknown-unknown --test wasm_speed -- --include-ignored --nocapture 2>&1 \
  | grep -E "wasm ingest" || echo "(wasm run failed)"
echo

echo "== headless Chromium (the built page, a file picked as a user would)"
node scripts/bench-browser.mjs "${SIZES[@]}"
echo

first="${SIZES[0]}"
[ "$first" = 1Mev ] && first=1450MB
[ "$first" = 300MBgz ] && first=1GB
echo "== jq vs audit-lens on the same $first log (wall time, 3 runs each)"
command -v jq >/dev/null || { echo "(jq is not installed: skipped)"; exit 0; }
"$BIN" generate --size "$first" -o "$TMP/bench.log"
for _ in 1 2 3; do
  /usr/bin/time -f "jq -r .user.username | sort | uniq -c: %e s" sh -c "jq -r .user.username '$TMP/bench.log' | sort | uniq -c | sort -rn > /dev/null"
  /usr/bin/time -f "audit-lens stats (all top-N tables):  %e s" "$BIN" stats "$TMP/bench.log" > /dev/null
done
