#!/usr/bin/env bash
# Builds calltray (release) with what it needs from Debian/Ubuntu, and runs it.
# Arguments are passed to calltray, e.g. `scripts/run.sh --headless` or `scripts/run.sh check`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "calltray is built with Rust: install it from https://rustup.rs, then run this again." >&2; exit 1; }
# Build: GTK 3 headers (tao, tray-icon). Run: the tray library and a notification-capable session.
scripts/apt-need.sh pkg-config libgtk-3-dev libayatana-appindicator3-1
exec cargo run --release -- "$@"
