#!/usr/bin/env bash
# Two servers at once, each with its own scratch database and its own wrk
# of public registrations, so that both see the same machine: an A/B that a
# machine whose speed swings between minutes cannot skew (the same binary
# on both sides differs by a few percent). Prints, per round and side, the
# registrations/s, dcr's CPU and its Postgres backends' CPU per
# registration stored (from /proc), and the mean group-commit batch.
#   bash bench/side-by-side.sh BINARY_A BINARY_B [ROUNDS]
# SIDE_ENV_A, SIDE_ENV_B: settings for one side only ("DCR_DATABASE_WRITERS=1").
# SIDE_SQL_B: SQL run on B's database once it is migrated (a schema change
# to try before writing its migration).
# SIDE_DURATION (10s), SIDE_CONNECTIONS (16), BENCH_PG as in bench/load.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 2 ] || { sed -n 2,12p "$0"; exit 2; }
BINARIES=("$1" "$2")
ROUNDS=${3:-3}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DURATION=${SIDE_DURATION:-10s}
CONNECTIONS=${SIDE_CONNECTIONS:-16}
SIDE_ENV=("${SIDE_ENV_A:-}" "${SIDE_ENV_B:-}")
TICKS=$(getconf CLK_TCK)
SERVERS=()

database() { echo "dcr_side_$1"; }
port() { echo $((18200 + 2 * $1)); }
stop_servers() {
    for pid in "${SERVERS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${SERVERS[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done; done
    SERVERS=()
}
trap 'stop_servers; for side in 0 1; do psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $(database $side) WITH (FORCE)" 2>/dev/null || true; done' EXIT
# CPU ticks of the Postgres backends connected to one side's database.
backend_ticks() {
    local total=0 pid
    for pid in $(psql -tAq "$PG/postgres" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$(database "$1")'"); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
clients() { psql -tAq "$PG/$(database "$1")" -c "SELECT count(*) FROM oauth_clients"; }
registrations() {
    BODY_FILE=bench/public-client.json wrk -t 1 -c "$CONNECTIONS" -d "$2" -s bench/register.lua \
        "http://127.0.0.1:$(port "$1")/register"
}

for round in $(seq 1 "$ROUNDS"); do
    for side in 0 1; do
        psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $(database $side) WITH (FORCE)" \
            -c "CREATE DATABASE $(database $side)" 2>/dev/null
        # shellcheck disable=SC2086 # the side's settings are words
        env ${SIDE_ENV[$side]} DCR_DATABASE_URL="$PG/$(database $side)" DCR_BIND="127.0.0.1:$(port $side)" \
            DCR_ADMIN_BIND="127.0.0.1:$(($(port $side) + 1))" DCR_RATE_LIMIT=off DCR_RATE_LIMIT_GLOBAL=off \
            "${BINARIES[$side]}" > "/tmp/dcr-side-$side.log" 2>&1 &
        SERVERS+=($!)
    done
    for side in 0 1; do
        for _ in $(seq 1 100); do
            curl -sf "http://127.0.0.1:$(port $side)/readyz" > /dev/null && break
            sleep 0.1
        done
    done
    if [ -n "${SIDE_SQL_B:-}" ]; then psql -q "$PG/$(database 1)" -c "$SIDE_SQL_B"; fi
    # Open each pool's connections before the counters are read.
    for side in 0 1; do registrations $side 1s > /dev/null; done
    declare -a DCR_BEFORE PG_BEFORE ROWS_BEFORE
    for side in 0 1; do
        DCR_BEFORE[$side]=$(awk '{print $14 + $15}' "/proc/${SERVERS[$side]}/stat")
        PG_BEFORE[$side]=$(backend_ticks $side)
        ROWS_BEFORE[$side]=$(clients $side)
    done
    LOADS=()
    for side in 0 1; do
        registrations $side "$DURATION" > "/tmp/dcr-side-wrk-$side.txt" &
        LOADS+=($!)
    done
    wait "${LOADS[@]}"
    for side in 0 1; do
        dcr=$(($(awk '{print $14 + $15}' "/proc/${SERVERS[$side]}/stat") - DCR_BEFORE[side]))
        backends=$(($(backend_ticks $side) - PG_BEFORE[side]))
        rows=$(($(clients $side) - ROWS_BEFORE[side]))
        batch=$(curl -s "http://127.0.0.1:$(($(port $side) + 1))/metrics" | awk '
            /^dcr_registration_batch_size_sum/ {s = $2} /^dcr_registration_batch_size_count/ {n = $2}
            END {printf "%.1f", n ? s / n : 0}')
        rate=$(awk '/^Requests\/sec/ {print $2}' "/tmp/dcr-side-wrk-$side.txt")
        if grep -q 'Non-2xx' "/tmp/dcr-side-wrk-$side.txt"; then rate="$rate (some not 2xx)"; fi
        awk -v round="$round" -v side="$(printf 'AB' | cut -c$((side + 1)))" -v rate="$rate" -v rows="$rows" \
            -v dcr="$dcr" -v pg="$backends" -v hz="$TICKS" -v batch="$batch" 'BEGIN {
            printf "round %d %s: %s registrations/s, %d rows, dcr %.0f µs, backends %.0f µs per registration, batch %s\n",
                round, side, rate, rows, rows ? dcr / hz * 1e6 / rows : 0, rows ? pg / hz * 1e6 / rows : 0, batch }'
    done
    stop_servers
done
