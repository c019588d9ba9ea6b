#!/usr/bin/env bash
# Installs the package built by scripts/package-deb.sh with apt, checks the installed calltray
# (version, a config check, a whole simulated call through a headless agent, the files in
# their standard places), then removes the package and checks that nothing of it is left.
# For CI and release checks: it installs and purges the `calltray` package on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls -t target/debian/calltray_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || { echo "no package in target/debian/: run scripts/package-deb.sh first" >&2; exit 1; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
scripts/apt-need.sh desktop-file-utils appstream curl dex
fail() { echo "deb-check: $*" >&2; exit 1; }

echo "Installing $deb"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "./$deb" >/dev/null
[ "$(command -v calltray)" = /usr/bin/calltray ] || fail "calltray is not /usr/bin/calltray"

version=$(calltray --version)
want="calltray $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
[ "$version" = "$want" ] || fail "calltray --version said '$version', not '$want'"

# Everything the package promises, where desktops and tools look for it.
for f in /usr/share/applications/io.github.calltray.Calltray.desktop \
         /etc/xdg/autostart/io.github.calltray.Calltray.desktop \
         /usr/share/metainfo/io.github.calltray.Calltray.metainfo.xml \
         /usr/lib/systemd/user/calltray.service \
         /usr/share/icons/hicolor/scalable/apps/calltray.svg \
         /usr/share/icons/hicolor/16x16/apps/calltray.png \
         /usr/share/icons/hicolor/256x256/apps/calltray.png \
         /usr/share/man/man1/calltray.1.gz \
         /usr/share/bash-completion/completions/calltray \
         /usr/share/zsh/vendor-completions/_calltray \
         /usr/share/fish/vendor_completions.d/calltray.fish; do
  [ -s "$f" ] || fail "the package did not install $f"
done
desktop-file-validate /usr/share/applications/io.github.calltray.Calltray.desktop
desktop-file-validate /etc/xdg/autostart/io.github.calltray.Calltray.desktop
appstreamcli validate --no-net /usr/share/metainfo/io.github.calltray.Calltray.metainfo.xml >/dev/null
zcat /usr/share/man/man1/calltray.1.gz | grep -q '^\.TH calltray 1' || fail "the man page has no .TH line"
dpkg-query -W -f='${Depends}\n' calltray | grep -q 'libayatana-appindicator3-1' \
  || fail "the package does not depend on the tray library"
dpkg-query -W -f='${Depends}\n' calltray | grep -q 'libgtk-3-0' \
  || fail "the package does not depend on GTK 3"

# A user of the installed package, in a home of its own.
home=$(mktemp -d)
agent=""
cleanup() { [ -n "$agent" ] && kill "$agent" 2>/dev/null; rm -rf "$home"; }
trap cleanup EXIT
unset XDG_CONFIG_DIRS
export HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
  XDG_STATE_HOME="$home/.local/state" XDG_RUNTIME_DIR="$home/run" LANG=C.UTF-8
mkdir -m 700 "$XDG_RUNTIME_DIR"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
config="$home/calltray.toml"
cat > "$config" <<TOML
extensions = ["204"]
[listen]
address = "127.0.0.1:$port"
TOML
calltray check --config "$config" | grep -q "http://127.0.0.1:$port/init" \
  || fail "calltray check did not print the callback URLs"

calltray --headless --config "$config" > "$home/agent.log" 2>&1 &
agent=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$agent" 2>/dev/null || { cat "$home/agent.log" >&2; fail "the installed agent exited"; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || fail "the installed agent never answered /health"
calltray simulate incoming 5145551212 --ext 204 --answer-after 0.2 --hangup-after 1 --config "$config"
calltray history --json --config "$config" > "$home/history.json"
python3 - "$home/history.json" <<'PY'
import json, sys
calls = json.load(open(sys.argv[1]))
assert len(calls) == 1, calls
call = calls[0]
assert call["extension"] == "204" and call["state"] == "answered", call
assert call["party"] == "5145551212" and call["duration"] is not None, call
print("installed agent recorded the call:", call["party"], call["state"], call["duration"], "s")
PY
kill "$agent"; wait "$agent" 2>/dev/null || true; agent=""

# A login: dex starts the XDG autostart entries the way a desktop session does at login.
mkdir -p "$XDG_CONFIG_HOME/calltray"
cp "$config" "$XDG_CONFIG_HOME/calltray/config.toml"
dex --autostart --environment GNOME > "$home/login.log" 2>&1 &
for _ in $(seq 100); do
  agent=$(pgrep -u "$(id -u)" -x calltray -n || true)
  [ -n "$agent" ] && curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null || { cat "$home/login.log" >&2; fail "the login did not start calltray"; }
echo "the package's autostart entry started calltray at login (pid $agent)"
kill "$agent"; wait "$agent" 2>/dev/null || true; agent=""

# One user opts out: the package's entry is hidden for them, and a login no longer starts it.
calltray autostart status | grep -q /etc/xdg/autostart || fail "autostart status does not name the package's entry"
calltray autostart disable
dex --autostart --environment GNOME --dry-run 2>&1 | grep -qw calltray && fail "a login would still start calltray after autostart disable"
calltray autostart enable
dex --autostart --environment GNOME --dry-run 2>&1 | grep -qw calltray || fail "a login would not start calltray after autostart enable"

echo "Removing the package"
DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y -qq calltray >/dev/null
[ ! -e /usr/bin/calltray ] || fail "apt remove left /usr/bin/calltray"
# dpkg keeps a removed package's files in /etc until a purge, and the user's own entry stays
# in their home: TryExec makes a login skip both once the program is gone.
dex --autostart --environment GNOME --dry-run 2>&1 | grep -qw calltray \
  && fail "after apt remove, a login would still try to start calltray"
DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -qq calltray >/dev/null
for f in /usr/bin/calltray /etc/xdg/autostart/io.github.calltray.Calltray.desktop \
         /usr/share/applications/io.github.calltray.Calltray.desktop /usr/share/man/man1/calltray.1.gz; do
  [ ! -e "$f" ] || fail "$f is still there after the package was removed"
done
echo "deb-check: the package installs, runs a call and uninstalls cleanly"
