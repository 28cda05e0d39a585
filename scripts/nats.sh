#!/usr/bin/env bash
# NATS for the cluster tests (backend/tests/api/cluster.rs, tests/browser/cluster.rs): makes
# sure a `nats-server` binary exists (Debian's package `nats-server` on a fresh machine) and
# exports its path as NATS_SERVER. The tests start private servers of their own (JetStream,
# free port, temporary store) so they can kill and restart them; a NATS already running on
# 127.0.0.1:4222 is neither needed nor touched. Sourced by scripts/test.sh (needs
# scripts/setup.sh's desk_* helpers).
#
#   source scripts/setup.sh; source scripts/nats.sh; desk_nats

desk_nats_binary() {
    if [ -n "${NATS_SERVER:-}" ] && [ -x "$NATS_SERVER" ]; then
        echo "$NATS_SERVER"
        return 0
    fi
    local p
    for p in "$(command -v nats-server 2>/dev/null)" /usr/sbin/nats-server /usr/local/bin/nats-server; do
        if [ -n "$p" ] && [ -x "$p" ]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

desk_nats() {
    local bin
    if ! bin="$(desk_nats_binary)"; then
        desk_apt_install nats-server || return 1
        bin="$(desk_nats_binary)" || desk_fail "nats-server installed but not found" || return 1
    fi
    export NATS_SERVER="$bin"
    "$bin" --version
}
