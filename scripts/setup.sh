#!/usr/bin/env bash
# Installs what building and testing need, idempotently: each step is skipped when the
# right version is already there. Pinned versions; registries only (nothing downloads a
# binary). Called by scripts/serve.sh, scripts/test-all.sh and so by .ci/run.
# Versions and pitfalls: ../shared/notes/toolchain.md (if present) and ARCHITECTURE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"   # npm's wasm-opt BEFORE /usr/bin
export CARGO_TERM_COLOR=never TRUNK_SKIP_VERSION_CHECK=true
if [ -n "${NO_COLOR:-}" ]; then export NO_COLOR=true; fi    # trunk 0.21 wants true/false

TRUNK_VERSION=0.21.14   # trunk 0.22.x needs rustc >= 1.96.1; the machine has 1.95
# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock, exactly.
WB_VERSION=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;q}' Cargo.lock)
step() { printf '\n=== [%4ss] %s\n' "$SECONDS" "$*"; }

step "system packages: chromium + chromedriver, jq (test oracle) (Debian)"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v jq >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium chromium-driver jq >/dev/null
fi
chromium --version 2>/dev/null | tail -1; chromedriver --version 2>/dev/null | head -1; jq --version

step "rust target wasm32-unknown-unknown"
rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

step "trunk $TRUNK_VERSION"
if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  cargo install trunk --version "$TRUNK_VERSION" --locked --force
fi

step "wasm-bindgen-cli $WB_VERSION"
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ] \
   || [ "$(wasm-bindgen-test-runner --version 2>/dev/null)" != "wasm-bindgen-test-runner $WB_VERSION" ]; then
  # no --locked: its own Cargo.lock pins webpki-roots 1.0.11, which this registry lacks
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

step "npm ci (playwright-core; binaryen's wasm-opt)"
npm ci --no-audit --no-fund --loglevel=error
wasm-opt --version


# tests/sql_engines.rs runs the SQL of `audit-lens sql` in DuckDB and parses the other
# dialects with sqlglot, from a project-local virtual environment (gitignored).
DUCKDB_VERSION=2.0.1
SQLGLOT_VERSION=30.31.0
step "Python venv .venv: duckdb $DUCKDB_VERSION, sqlglot $SQLGLOT_VERSION (PyPI)"
if [ "$(.venv/bin/python -c 'import duckdb, sqlglot; print(duckdb.__version__, sqlglot.__version__)' 2>/dev/null)" \
     != "$DUCKDB_VERSION $SQLGLOT_VERSION" ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check \
    "duckdb==$DUCKDB_VERSION" "sqlglot==$SQLGLOT_VERSION"
fi
.venv/bin/python -c 'import duckdb, sqlglot; print("duckdb", duckdb.__version__, "sqlglot", sqlglot.__version__)'
