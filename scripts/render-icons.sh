#!/usr/bin/env bash
# Render the hand-written SVG icons in assets/icons/ to PNG.
#   tray-<state>.svg -> tray-<state>.png   (64x64, embedded by the program)
#   calltray.svg     -> calltray-<N>.png   for N in 16 32 48 64 128 256
# Needs rsvg-convert (Debian/Ubuntu: sudo apt-get install librsvg2-bin).
# Downloads nothing; the output is byte-identical from run to run.
set -euo pipefail

# Run from the repository root, whatever the caller's cwd.
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

if ! command -v rsvg-convert >/dev/null 2>&1; then
    echo "error: rsvg-convert not found; install it with: sudo apt-get install librsvg2-bin" >&2
    exit 1
fi

dir=assets/icons

render() { # render <input.svg> <size> <output.png>
    local tmp="$3.tmp"
    rsvg-convert --format=png --width="$2" --height="$2" --output="$tmp" "$1"
    mv -f "$tmp" "$3"
    echo "  $3 (${2}x$2)"
}

for state in idle ringing incall missed; do
    render "$dir/tray-$state.svg" 64 "$dir/tray-$state.png"
done

for n in 16 32 48 64 128 256; do
    render "$dir/calltray.svg" "$n" "$dir/calltray-$n.png"
done
