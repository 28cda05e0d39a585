#!/usr/bin/env bash
# README command 1: install the build tools if needed, build the frontend, start the desk.
#
#   bash scripts/run.sh [serve options...]
#
# Extra arguments go to `kalshi-desk serve` (see `cargo run -p desk-backend --bin kalshi-desk --
# serve --help`). Without a Kalshi API key the desk runs on its built-in simulated exchange.
# The backend prints the URL to open.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/setup.sh
source scripts/setup.sh
desk_setup

desk_say "building the frontend into dist/ (trunk build --release --offline)"
trunk build --release --offline
desk_say "precompressing it (brotli and gzip beside the wasm, JavaScript and CSS)"
cargo run --release -q -p desk-backend --bin kalshi-desk -- precompress --dist dist

desk_say "starting the desk (cargo run --release -p desk-backend --bin kalshi-desk -- serve $*)"
exec cargo run --release -p desk-backend --bin kalshi-desk -- serve "$@"
