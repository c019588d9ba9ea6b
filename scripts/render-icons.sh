#!/usr/bin/env bash
# Render the hand-written SVG icons in assets/icons/ to PNG, ICO and ICNS.
#   tray-<state>.svg -> tray-<state>-<N>.png  for N in 16 22 24 32 48 64 128 256
#                       (the program embeds the 64x64 ones; panels scale them to their size)
#                       for state in idle ringing incall missed
#   calltray.svg     -> calltray-<N>.png      for N in 16 22 24 32 48 64 128 256 512
#                       calltray.ico          (16 24 32 48 64 128 256; 256 stored as PNG)
#                       calltray.icns         (16 32 48 128 256 512)
# Needs (Debian/Ubuntu package in brackets):
#   rsvg-convert [librsvg2-bin], icotool [icoutils], png2icns [icnsutils]
# Downloads nothing; the output is byte-identical from run to run.
set -euo pipefail

# Run from the repository root, whatever the caller's cwd.
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

need() { # need <command> <debian package>
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "error: $1 not found; install it with: sudo apt-get install $2" >&2
        exit 1
    fi
}
need rsvg-convert librsvg2-bin
need icotool icoutils
need png2icns icnsutils

dir=assets/icons
tray_sizes=(16 22 24 32 48 64 128 256)
app_sizes=(16 22 24 32 48 64 128 256 512)
ico_sizes=(16 24 32 48 64 128)     # stored as BMP; 256 is added as PNG below
icns_sizes=(16 32 48 128 256 512)  # the sizes ICNS has a type for that we render

render() { # render <input.svg> <size> <output.png>
    local tmp="$3.tmp"
    rsvg-convert --format=png --width="$2" --height="$2" --output="$tmp" "$1"
    mv -f "$tmp" "$3"
    echo "  $3 (${2}x$2)"
}

for state in idle ringing incall missed; do
    for n in "${tray_sizes[@]}"; do
        render "$dir/tray-$state.svg" "$n" "$dir/tray-$state-$n.png"
    done
done

for n in "${app_sizes[@]}"; do
    render "$dir/calltray.svg" "$n" "$dir/calltray-$n.png"
done

ico_in=()
for n in "${ico_sizes[@]}"; do ico_in+=("$dir/calltray-$n.png"); done
icotool --create --output="$dir/calltray.ico.tmp" "${ico_in[@]}" --raw="$dir/calltray-256.png"
mv -f "$dir/calltray.ico.tmp" "$dir/calltray.ico"
echo "  $dir/calltray.ico (${ico_sizes[*]} 256)"

icns_in=()
for n in "${icns_sizes[@]}"; do icns_in+=("$dir/calltray-$n.png"); done
png2icns "$dir/calltray.icns.tmp" "${icns_in[@]}" >/dev/null
mv -f "$dir/calltray.icns.tmp" "$dir/calltray.icns"
echo "  $dir/calltray.icns (${icns_sizes[*]})"
