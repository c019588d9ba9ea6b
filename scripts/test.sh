#!/usr/bin/env bash
# Installs what the tests need, then runs the project's checks and every test:
# formatting, clippy, unit tests, HTTP tests against the real binary, and end-to-end tests
# on a private D-Bus session bus under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "calltray is built with Rust: install it from https://rustup.rs, then run this again." >&2; exit 1; }
# Build: pkg-config, GTK 3 headers. Tests: the tray library, a D-Bus daemon, a virtual X server,
# notify-send (the harness checks itself with it), the desktop-file and AppStream validators,
# and xclip (to read back what "Copy number" put on the clipboard).
scripts/apt-need.sh pkg-config libgtk-3-dev libayatana-appindicator3-1 dbus xvfb libnotify-bin \
  desktop-file-utils appstream xclip
desktop-file-validate packaging/linux/io.github.calltray.Calltray.desktop
appstreamcli validate --no-net packaging/linux/io.github.calltray.Calltray.metainfo.xml
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets
