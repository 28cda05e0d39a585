#!/usr/bin/env bash
# README command 2: install tools and Chromium if needed, check formatting, the generated
# wire model, clippy (native and wasm32) and the dependency policy (cargo deny), build the
# frontend, run every test
# (unit, backend integration, and the browser end-to-end tests in tests/). Starts a
# PostgreSQL on 127.0.0.1:5432 when none answers (the store tests run on it and SQLite), and
# installs nats-server when missing (the cluster tests start private servers with it).
#
#   bash scripts/test.sh [extra cargo test arguments...]
#
# Exits non-zero when anything fails and ends with a plain summary. Browser screenshots and
# failure dumps land in tests/artifacts/.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/setup.sh
source scripts/setup.sh
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
# shellcheck source=scripts/nats.sh
source scripts/nats.sh

results=()
failed=""
log="target/test-output.log"
rm -f "$log"

# step NAME COMMAND...: runs COMMAND unless an earlier step failed, and records the outcome.
step() {
    local name="$1" start=$SECONDS
    shift
    if [ -n "$failed" ]; then
        results+=("SKIP  $name")
        return 0
    fi
    desk_say "$name"
    if "$@"; then
        results+=("ok    $name ($((SECONDS - start))s)")
    else
        results+=("FAIL  $name ($((SECONDS - start))s)")
        failed="$name"
    fi
}

# The source is formatted and the generated wire model matches the spec files (a hand edit
# of shared/src/api/*.rs or shared/src/ws_msg.rs fails here).
run_checks() {
    cargo fmt --all -- --check || return 1
    desk_ensure_pyyaml || return 1
    python3 scripts/gen_wire.py --check
}

# Clippy with warnings as errors: the whole workspace with its tests and benches (native),
# and the crates that run in the browser (wasm32).
run_clippy() {
    cargo clippy --workspace --all-targets -- -D warnings || return 1
    cargo clippy -p desk-frontend -p desk-shared --target wasm32-unknown-unknown -- -D warnings
}

# The dependency policy (deny.toml). Advisories need the RustSec database from GitHub:
# checked when it can be fetched, else skipped with a note.
run_deny() {
    desk_ensure_cargo_deny || return 1
    cargo deny --all-features check licenses bans sources || return 1
    if cargo deny fetch db >/dev/null 2>&1; then
        cargo deny --all-features check advisories
    else
        desk_say "cargo deny: the RustSec advisory database cannot be fetched here; advisories not checked"
    fi
}

run_tests() {
    mkdir -p target
    rm -rf tests/artifacts # screenshots and logs from earlier runs
    cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
}

step "tools: Rust wasm32 target, trunk, wasm-bindgen, wasm-opt, Chromium" desk_setup --browser
step "database: PostgreSQL on 127.0.0.1:5432 (store tests)" desk_postgres
step "NATS: nats-server binary (cluster tests)" desk_nats
step "checks: cargo fmt --check, scripts/gen_wire.py --check" run_checks
step "lints: cargo clippy -D warnings (native and wasm32)" run_clippy
step "dependencies: cargo deny (licenses, duplicate versions, sources, advisories)" run_deny
step "frontend: trunk build --release --offline" trunk build --release --offline
step "frontend: kalshi-desk precompress (brotli and gzip forms)" \
    cargo run -q -p desk-backend --bin kalshi-desk -- precompress --dist dist
step "tests: cargo test --workspace" run_tests "$@"

echo
echo "==> summary"
printf '  %s\n' "${results[@]}"
if [ -f "$log" ] && grep -q '^test result:' "$log"; then
    awk '/^test result:/ {
            for (i = 1; i <= NF; i++) {
                if ($(i + 1) ~ /^passed/) passed += $i
                if ($(i + 1) ~ /^failed/) failed += $i
                if ($(i + 1) ~ /^ignored/) ignored += $i
            }
         }
         END { printf "  tests: %d passed, %d failed, %d ignored\n", passed, failed, ignored }' "$log"
    grep -E '^test .* \.\.\. FAILED$' "$log" | sed 's/^test /  failed: /; s/ \.\.\. FAILED$//' || true
fi
if [ -d tests/artifacts ]; then
    echo "  browser screenshots and logs: tests/artifacts/"
fi
if [ -n "$failed" ]; then
    echo "FAILED at: $failed"
    exit 1
fi
echo "ALL PASSED"
