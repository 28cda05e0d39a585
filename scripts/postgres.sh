#!/usr/bin/env bash
# PostgreSQL for the store tests: makes sure one answers on 127.0.0.1:5432 with trust auth
# for local TCP and a database `test`. Quick (one pg_isready) when one already runs; on a
# fresh Debian/Ubuntu machine it installs `postgresql`, creates/starts a cluster and the
# database. Sourced by scripts/test.sh (needs scripts/setup.sh's desk_* helpers).
#
#   source scripts/setup.sh; source scripts/postgres.sh; desk_postgres

desk_pg_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h 127.0.0.1 -p 5432
    else
        (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
    fi
}

desk_pg_psql() { psql -X -q -h 127.0.0.1 -p 5432 -U postgres "$@"; }

desk_postgres() {
    if ! desk_pg_answers; then
        if ! command -v pg_ctlcluster >/dev/null 2>&1; then
            desk_apt_install postgresql postgresql-client || return 1
        fi
        local version
        version="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)"
        [ -n "$version" ] || desk_fail "PostgreSQL installed but /usr/lib/postgresql is empty" || return 1
        if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$version main"; then
            desk_say "creating PostgreSQL $version cluster main"
            desk_as_root pg_createcluster "$version" main --port 5432 >/dev/null || return 1
        fi
        local hba="/etc/postgresql/$version/main/pg_hba.conf"
        if ! desk_as_root grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
            desk_say "trusting local TCP connections as postgres (test machine only)"
            desk_as_root sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba" || return 1
        fi
        desk_say "starting PostgreSQL $version"
        desk_as_root pg_ctlcluster "$version" main start 2>/dev/null ||
            desk_as_root pg_ctlcluster "$version" main reload || return 1
        local i
        for i in $(seq 1 30); do
            desk_pg_answers && break
            sleep 1
        done
        desk_pg_answers || desk_fail "PostgreSQL did not come up on 127.0.0.1:5432" || return 1
    fi
    if ! command -v psql >/dev/null 2>&1; then
        desk_apt_install postgresql-client || return 1
    fi
    if [ "$(desk_pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != "1" ]; then
        desk_say "creating database test"
        desk_pg_psql -d postgres -c 'CREATE DATABASE test' || return 1
    fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    # shellcheck source=scripts/setup.sh
    source scripts/setup.sh
    desk_postgres
fi
