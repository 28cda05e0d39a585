#!/usr/bin/env bash
# Installs what building and testing the desk needs; quick (a few seconds) when all is present.
#
#   bash scripts/setup.sh             # build tools: wasm32 target, trunk, wasm-bindgen, wasm-opt
#   bash scripts/setup.sh --browser   # ... plus Chromium and chromedriver, for the browser tests
#
# scripts/run.sh and scripts/test.sh source this file and call `desk_setup` themselves, so its
# PATH additions (.tools/node_modules/.bin, ~/.cargo/bin) stay in effect for trunk.
#
# Versions: trunk is pinned below; wasm-bindgen-cli must equal the `wasm-bindgen` crate in
# Cargo.lock and the `[tools] wasm_bindgen` pin in Trunk.toml; wasm-opt comes from the npm package
# `binaryen` (Debian's binaryen is too old), pinned as `wasm_opt = "version_132"` in Trunk.toml.
# trunk runs with --offline, so it must find exactly these versions on PATH.

DESK_TRUNK_VERSION="0.21.14"
DESK_BINARYEN_VERSION="132"
DESK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

desk_say() { printf '==> %s\n' "$*" >&2; }
desk_fail() {
    printf 'setup: ERROR: %s\n' "$*" >&2
    return 1
}

# Runs a command as root: directly when we are root, else through passwordless sudo.
desk_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        desk_fail "need root (or sudo) to run: $*"
    fi
}

desk_apt_updated=""
desk_apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        desk_fail "apt-get not found: install these packages by hand: $*" || return 1
    if [ -z "$desk_apt_updated" ]; then
        desk_say "apt-get update"
        desk_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
        desk_apt_updated=1
    fi
    desk_say "apt-get install $* (first time takes a few minutes)"
    desk_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# The toolchain channel from rust-toolchain.toml, e.g. 1.95.0.
desk_toolchain() {
    awk -F'"' '/^channel[[:space:]]*=/ { print $2; exit }' "$DESK_ROOT/rust-toolchain.toml"
}

desk_ensure_rust() {
    local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
    case ":$PATH:" in
    *":$cargo_bin:"*) ;;
    *) [ -d "$cargo_bin" ] && export PATH="$cargo_bin:$PATH" ;;
    esac
    command -v rustup >/dev/null 2>&1 ||
        desk_fail "rustup not found: install it from https://rustup.rs and re-run" || return 1
    local toolchain
    toolchain="$(desk_toolchain)"
    [ -n "$toolchain" ] || desk_fail "no channel in rust-toolchain.toml" || return 1
    if ! rustup toolchain list | grep -q "^$toolchain-"; then
        desk_say "installing Rust $toolchain (from rust-toolchain.toml)"
        (cd "$DESK_ROOT" && rustup toolchain install "$toolchain" --profile minimal \
            --component rustfmt --component clippy --target wasm32-unknown-unknown) || return 1
    fi
    if ! rustup target list --installed --toolchain "$toolchain" | grep -qx wasm32-unknown-unknown; then
        desk_say "adding the wasm32-unknown-unknown target to Rust $toolchain"
        rustup target add --toolchain "$toolchain" wasm32-unknown-unknown || return 1
    fi
}

# The version of the `wasm-bindgen` crate in Cargo.lock (empty when absent).
desk_lock_wasm_bindgen() {
    [ -f "$DESK_ROOT/Cargo.lock" ] || return 0
    awk '
        /^\[\[package\]\]/ { in_wb = 0 }
        /^name = "wasm-bindgen"$/ { in_wb = 1; next }
        in_wb && /^version = / { gsub(/^version = "|"$/, ""); print; exit }
    ' "$DESK_ROOT/Cargo.lock"
}

# The `wasm_bindgen = "..."` pin from Trunk.toml's [tools] table (empty when absent).
desk_trunk_pin() {
    local key="$1"
    [ -f "$DESK_ROOT/Trunk.toml" ] || return 0
    awk -F'"' -v key="$key" '
        /^\[/ { in_tools = ($0 ~ /^\[tools\]/) }
        in_tools && $1 ~ "^" key "[[:space:]]*=" { print $2; exit }
    ' "$DESK_ROOT/Trunk.toml"
}

desk_ensure_trunk() {
    if trunk --version 2>/dev/null | grep -qx "trunk $DESK_TRUNK_VERSION"; then
        return 0
    fi
    desk_say "installing trunk $DESK_TRUNK_VERSION (first time takes minutes)"
    (cd "$DESK_ROOT" && cargo install trunk --version "$DESK_TRUNK_VERSION" --locked) || return 1
    desk_check_version trunk "trunk $DESK_TRUNK_VERSION"
}

# After an install: the binary that PATH finds must now report exactly this version.
desk_check_version() {
    local bin="$1" want="$2" got
    got="$("$bin" --version 2>/dev/null || true)"
    [ "$got" = "$want" ] || desk_fail "installed $want, but \`$bin\` on PATH \
($(command -v "$bin" || echo none)) reports \"$got\": put ~/.cargo/bin first on PATH"
}

desk_ensure_wasm_bindgen() {
    local version pin
    version="$(desk_lock_wasm_bindgen)"
    if [ -z "$version" ]; then
        desk_say "resolving dependencies (Cargo.lock has no wasm-bindgen yet)"
        (cd "$DESK_ROOT" && cargo generate-lockfile) || return 1
        version="$(desk_lock_wasm_bindgen)"
    fi
    [ -n "$version" ] ||
        desk_fail "no wasm-bindgen package in Cargo.lock: does the frontend depend on it?" ||
        return 1

    pin="$(desk_trunk_pin wasm_bindgen)"
    [ "$pin" = "$version" ] || desk_fail "Trunk.toml pins [tools] wasm_bindgen = \"$pin\" but \
Cargo.lock has wasm-bindgen $version: set wasm_bindgen = \"$version\" in Trunk.toml (trunk runs \
offline and needs the CLI to match the crate exactly)" || return 1

    if wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
        return 0
    fi
    desk_say "installing wasm-bindgen-cli $version (first time takes minutes)"
    (cd "$DESK_ROOT" && cargo install wasm-bindgen-cli --version "$version") || return 1
    desk_check_version wasm-bindgen "wasm-bindgen $version"
}

# cargo-deny at the pinned version (the test command's dependency policy check).
DESK_CARGO_DENY_VERSION="0.20.2"
desk_ensure_cargo_deny() {
    if cargo deny --version 2>/dev/null | grep -qx "cargo-deny $DESK_CARGO_DENY_VERSION"; then
        return 0
    fi
    desk_say "installing cargo-deny $DESK_CARGO_DENY_VERSION (first time takes minutes)"
    (cd "$DESK_ROOT" && cargo install cargo-deny --version "$DESK_CARGO_DENY_VERSION" --locked) || return 1
}

desk_ensure_wasm_opt() {
    local bin="$DESK_ROOT/.tools/node_modules/.bin"
    case ":$PATH:" in
    *":$bin:"*) ;;
    *) export PATH="$bin:$PATH" ;;
    esac
    local pin
    pin="$(desk_trunk_pin wasm_opt)"
    [ "$pin" = "version_$DESK_BINARYEN_VERSION" ] || desk_fail "Trunk.toml pins [tools] \
wasm_opt = \"$pin\" but scripts/setup.sh installs binaryen $DESK_BINARYEN_VERSION: make them agree" ||
        return 1

    if [ -x "$bin/wasm-opt" ] &&
        "$bin/wasm-opt" --version 2>/dev/null | grep -q "^wasm-opt version $DESK_BINARYEN_VERSION\b"; then
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        desk_apt_install nodejs npm || return 1
    fi
    desk_say "installing wasm-opt (npm binaryen@$DESK_BINARYEN_VERSION) into .tools/"
    npm install --prefix "$DESK_ROOT/.tools" --no-audit --no-fund --loglevel=error \
        "binaryen@$DESK_BINARYEN_VERSION" || return 1
    "$bin/wasm-opt" --version | grep -q "^wasm-opt version $DESK_BINARYEN_VERSION\b" ||
        desk_fail "wasm-opt in .tools/ does not report version $DESK_BINARYEN_VERSION" || return 1
}

desk_ensure_browser() {
    local chrome="${CHROME:-/usr/bin/chromium}" driver="${CHROMEDRIVER:-/usr/bin/chromedriver}"
    if [ -x "$chrome" ] && [ -x "$driver" ]; then
        return 0
    fi
    desk_say "installing Chromium and chromedriver (Debian chromium, chromium-driver)"
    desk_apt_install chromium chromium-driver fonts-liberation || return 1
    [ -x "$chrome" ] && [ -x "$driver" ] ||
        desk_fail "still no $chrome and $driver after installing; set CHROME and CHROMEDRIVER" ||
        return 1
}

# PyYAML, for `scripts/gen_wire.py` (the generated wire model's check in the test command).
desk_ensure_pyyaml() {
    python3 -c 'import yaml' 2>/dev/null && return 0
    desk_say "installing PyYAML (python3 -m pip install --user pyyaml)"
    python3 -m pip install --user --quiet pyyaml 2>/dev/null || desk_apt_install python3-yaml || return 1
    python3 -c 'import yaml' 2>/dev/null || desk_fail "PyYAML still missing after installing it"
}

# desk_setup [--browser]: everything, in order. Returns non-zero on the first failure.
desk_setup() {
    local browser=""
    while [ $# -gt 0 ]; do
        case "$1" in
        --browser) browser=1 ;;
        *) desk_fail "unknown option $1 (use --browser)" || return 1 ;;
        esac
        shift
    done
    desk_say "checking build tools (Rust wasm32 target, trunk, wasm-bindgen, wasm-opt)"
    desk_ensure_rust || return 1
    desk_ensure_wasm_opt || return 1
    desk_ensure_wasm_bindgen || return 1
    desk_ensure_trunk || return 1
    if [ -n "$browser" ]; then
        desk_say "checking Chromium and chromedriver"
        desk_ensure_browser || return 1
    fi
    desk_say "tools ready: $(trunk --version), $(wasm-bindgen --version), $(wasm-opt --version)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    desk_setup "$@"
fi
