#!/usr/bin/env bash
# Checks, from Linux, that calltray compiles for Windows and for macOS: `cargo check` and
# `cargo clippy -D warnings` of every target (library, binary, tests) for
# x86_64-pc-windows-gnu and x86_64-apple-darwin. Nothing is linked or run: that needs the
# real systems. Installs what it needs (Rust targets; Debian packages through apt-need.sh).
#
# Windows: Debian's MinGW-w64 cross compiler builds the C that build scripts compile
# (SQLite for rusqlite's `bundled` feature, ring's C and assembly for rustls). Nothing else
# is needed.
#
# macOS: Debian has no macOS SDK, so no C or Objective-C that includes the SDK's headers can
# be compiled here. What each build script needs, and what is done:
# - ring (rustls' crypto, through ureq): its C and assembly need no system headers but
#   <TargetConditionals.h>, which only says which Apple OS is targeted. It is compiled for
#   real with Debian's clang (`--target` is added by the cc crate), freestanding, using ring's
#   own switch for building without a sysroot (RING_CORE_NOSTDLIBINC, as ring does for wasm
#   and musl), and with a three-line TargetConditionals.h written below (TARGET_OS_MAC and
#   TARGET_OS_OSX 1, TARGET_OS_IPHONE 0: what Apple's says for macOS).
# - libsqlite3-sys: needs libc's headers for sqlite3.c. Not needed: on macOS calltray links
#   the system's libsqlite3 (Cargo.toml enables `bundled` only off macOS), so this build
#   script only prints link flags.
# - mac-notification-sys (notify-rust's macOS backend): its build script compiles
#   objc/notify.m against Cocoa/Cocoa.h from Apple's SDK, which cannot be done without the
#   SDK. It skips that step when DOCS_RS is set (as on docs.rs, which builds on Linux), and
#   DOCS_RS is set for the macOS check only. All of that crate's Rust code, and all of
#   calltray's, is still compiled; only the Objective-C shim, needed when linking, is not.
#   The script makes sure no other build script or crate of the macOS build reads DOCS_RS.
#
# Usage: scripts/cross-check.sh [windows|macos]...   (both when none is named)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
command -v rustup >/dev/null || { echo "cross checks need rustup (https://rustup.rs)" >&2; exit 1; }

windows=x86_64-pc-windows-gnu
macos=x86_64-apple-darwin
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(windows macos)

check() { # check <target>: cargo check, then clippy with warnings as errors
    echo "== $1: cargo check" >&2
    cargo check --locked --all-targets --target "$1"
    echo "== $1: cargo clippy" >&2
    cargo clippy --locked --all-targets --target "$1" --quiet -- -D warnings
}

for platform in "${wanted[@]}"; do
    case "$platform" in
    windows)
        scripts/apt-need.sh gcc-mingw-w64-x86-64
        rustup target add "$windows" >/dev/null 2>&1
        rustup component add clippy >/dev/null 2>&1
        check "$windows"
        ;;
    macos)
        scripts/apt-need.sh clang llvm
        rustup target add "$macos" >/dev/null 2>&1
        rustup component add clippy >/dev/null 2>&1
        # Only mac-notification-sys may read DOCS_RS (see above); anything else that does
        # would be built differently from a real macOS build.
        readers=$(cargo metadata --locked --format-version 1 --filter-platform "$macos" |
            grep -o '"manifest_path":"[^"]*"' | sed 's/^"manifest_path":"//; s/"$//' |
            while read -r manifest; do
                dir=$(dirname "$manifest")
                case "$dir" in */mac-notification-sys-*) continue ;; esac
                grep -rlsF DOCS_RS --include='*.rs' "$dir" || true
            done)
        if [ -n "$readers" ]; then
            echo "these read DOCS_RS, which the macOS check sets:" >&2
            echo "$readers" >&2
            exit 1
        fi
        include=target/cross-check/macos-include
        mkdir -p "$include"
        printf '%s\n' '/* What Apple SDK'"'"'s TargetConditionals.h says for macOS; for ring, see scripts/cross-check.sh. */' \
            '#define TARGET_OS_MAC 1' '#define TARGET_OS_OSX 1' '#define TARGET_OS_IPHONE 0' \
            >"$include/TargetConditionals.h"
        DOCS_RS=1 \
            CC_x86_64_apple_darwin=clang \
            AR_x86_64_apple_darwin=llvm-ar \
            CFLAGS_x86_64_apple_darwin="-ffreestanding -nostdlibinc -DRING_CORE_NOSTDLIBINC=1 -isystem $PWD/$include" \
            check "$macos"
        ;;
    *)
        echo "unknown platform $platform (windows or macos)" >&2
        exit 2
        ;;
    esac
done
echo "cross checks passed: ${wanted[*]}" >&2
