#!/usr/bin/env bash
# All checks and tests, in the order CI runs them: the README's test command, and what
# .ci/run runs. First installs what is missing (scripts/setup.sh: trunk 0.21.14,
# wasm-bindgen-cli = Cargo.lock's wasm-bindgen, node_modules, Debian chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"   # npm's wasm-opt before any /usr/bin one
export CARGO_TERM_COLOR=never TRUNK_SKIP_VERSION_CHECK=true
# trunk 0.21 reads NO_COLOR as a clap bool: NO_COLOR=1 would break `trunk build`.
if [ -n "${NO_COLOR:-}" ]; then export NO_COLOR=true; fi
step() { printf '\n=== [%4ss] %s\n' "$SECONDS" "$*"; }

step "set-up: install what is missing (scripts/setup.sh)"
scripts/setup.sh

step "cargo fmt --check"
cargo fmt --check

step "clippy (native)"
cargo clippy --locked --all-targets -- -D warnings

step "clippy (wasm32)"
cargo clippy --locked --all-targets --target wasm32-unknown-unknown -- -D warnings

step "native tests"
cargo test --locked

step "wasm tests: Chromium (chromedriver) and a dedicated worker"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}" \
  cargo test --locked --target wasm32-unknown-unknown --tests

step "trunk build --release (offline: crates fetched first)"
cargo fetch --locked
trunk build --release --offline=true
ls -l dist

step "CLI release build (the e2e compares against its counts)"
cargo build --locked --release --bin audit-lens

step "e2e: playwright-core + Debian chromium against dist/ on 127.0.0.1"
node --test tests/e2e/
