#!/usr/bin/env bash
# Builds the Debian package: target/debian/calltray_<version>-1_<arch>.deb.
# It holds the binary, the desktop file and AppStream metainfo, the icons, the man page, the
# shell completions, the system-wide autostart entry and the systemd user unit
# (the list is [package.metadata.deb] in Cargo.toml).
# Needs: cargo-deb (installed here with `cargo install --locked` when missing) and dpkg-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "calltray is built with Rust: install it from https://rustup.rs, then run this again." >&2; exit 1; }
scripts/apt-need.sh pkg-config libgtk-3-dev dpkg-dev
# One known version of cargo-deb; --locked builds it with the versions its authors tested.
command -v cargo-deb >/dev/null || cargo install --locked --quiet cargo-deb@3.8.0

cargo build --release --locked
# The man page and completions come from the binary's own command-line definition, so they
# cannot drift from it. They are made in English: the locale is C, and the config named does
# not exist, so no `language` key of the packager's own config can change them.
gen=target/generated
mkdir -p "$gen"
bin=target/release/calltray
english() { LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE= "$bin" --config /nonexistent/calltray.toml "$@"; }
english man | gzip -9n > "$gen/calltray.1.gz"
for shell in bash zsh fish; do
  english completions "$shell" > "$gen/calltray.$shell"
done
mv -f "$gen/calltray.zsh" "$gen/_calltray"
cargo deb --no-build --locked "$@"
