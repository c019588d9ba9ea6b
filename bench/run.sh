#!/usr/bin/env bash
# Builds what the benchmarks need, runs every measure, and writes BENCHMARKS.md.
#
#   bench/run.sh            # everything (about 20 minutes on a 2-core machine, once built)
#
# Figures, not tests: nothing here passes or fails on a number. Run it on a quiet machine;
# anything else using the CPU shows up in the figures. The raw results stay in target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "The benchmarks build calltray with Rust: install it from https://rustup.rs first." >&2; exit 1; }

packages=(pkg-config libgtk-3-dev libayatana-appindicator3-1)
for list in bench/apt-packages*.txt; do
  while read -r pkg; do
    [ -n "$pkg" ] && [ "${pkg#\#}" = "$pkg" ] && packages+=("$pkg")
  done < "$list"
done
scripts/apt-need.sh "${packages[@]}"

out=target/bench
mkdir -p "$out"
echo "== building calltray and the bench harness (release)" >&2
cargo build --release --locked
(cd bench/harness && cargo build --release --locked)

# Each result is written beside its final name and moved there once whole, so a failed step
# leaves the previous run's files as they were.
echo "== in-process parts (criterion)" >&2
rm -rf target/criterion   # only this run's benchmarks in the report
cargo bench --locked --bench core -- --noplot 2>&1 | tee "$out/criterion.txt" >&2

echo "== speed: callback to Notify, drop path, start to ready" >&2
python3 bench/speed.py target/release/calltray > "$out/speed.json.new"
mv "$out/speed.json.new" "$out/speed.json"

# The ended-calls measure sends 200,000 events; with every commit synced to the disk that
# alone takes over ten minutes, and it measures memory, so its data folder is on a tmpfs.
echo "== footprint and scaling" >&2
python3 bench/footprint.py target/release/calltray --tmpfs > "$out/footprint.json.new"
mv "$out/footprint.json.new" "$out/footprint.json"

python3 bench/report.py "$out" > BENCHMARKS.md.new
mv BENCHMARKS.md.new BENCHMARKS.md
echo "Wrote BENCHMARKS.md" >&2
