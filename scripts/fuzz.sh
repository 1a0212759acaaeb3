#!/usr/bin/env bash
# Runs the libFuzzer targets in fuzz/ (ingest, policy, filter) for SECONDS each.
#   scripts/fuzz.sh [TARGET|all] [SECONDS]      e.g. scripts/fuzz.sh all 300
# Needs cargo-fuzz 0.13.2 (installed here if missing). The machine's only toolchain is
# stable, so it runs without a sanitizer (-s none) and with RUSTC_BOOTSTRAP=1 for the
# coverage instrumentation flags cargo-fuzz passes. The run starts from the committed
# seeds (fuzz/seeds/<target>, read-only) and grows fuzz/corpus/<target> (not committed).
# Crashes land in fuzz/artifacts/; once fixed, copy each to fuzz/regressions/<target>/,
# where tests/fuzz_cases.rs replays it on every `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
TARGET="${1:-all}"; SECS="${2:-60}"
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz 0.13.2" ]; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
targets=(ingest policy filter)
[ "$TARGET" = all ] || targets=("$TARGET")
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "== $t for ${SECS}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run -s none "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=4096
done
