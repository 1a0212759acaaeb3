#!/usr/bin/env bash
# Builds the page (release) and serves dist/ on http://127.0.0.1:8080/ (Ctrl-C stops it).
# Open the page and press "Load sample". PORT=... changes the port.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
if [ -n "${NO_COLOR:-}" ]; then export NO_COLOR=true; fi
scripts/setup.sh
cargo fetch --locked
trunk build --release --offline=true
PORT="${PORT:-8080}"
echo "Serving dist/ on http://127.0.0.1:$PORT/"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist
