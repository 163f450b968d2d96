#!/usr/bin/env bash
# Two servers at once, each with its own scratch database and its own wrk
# of public registrations (or verify calls), so that both see the same
# machine: an A/B that a machine whose speed swings between minutes cannot
# skew (the same binary on both sides differs by a few percent). Prints, per
# round and side, the requests/s, dcr's CPU and its Postgres backends' CPU
# per request answered (from /proc), and the mean group-commit batch.
#   bash bench/side-by-side.sh BINARY_A BINARY_B [ROUNDS]
# SIDE_LOAD: `register` (the default) or `verify` (admin verify of one
# registered public client, a token endpoint's check).
# SIDE_ENV_A, SIDE_ENV_B: settings for one side only ("DCR_DATABASE_WRITERS=1").
# SIDE_BODY_A, SIDE_BODY_B: one side's registration body (default
# bench/public-client.json), for a confidential client against a public one.
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
LOAD=${SIDE_LOAD:-register}
case $LOAD in register) BATCHES=registration_batch_size ;; verify) BATCHES=client_read_batch_size ;; *) echo "SIDE_LOAD is register or verify, not $LOAD" >&2; exit 2 ;; esac
SIDE_ENV=("${SIDE_ENV_A:-}" "${SIDE_ENV_B:-}")
SIDE_BODY=("${SIDE_BODY_A:-bench/public-client.json}" "${SIDE_BODY_B:-bench/public-client.json}")
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
# The load on one side for a duration: registrations, or verify calls of
# the public client that side registered first (see verify_body).
load() {
    if [ "$LOAD" = verify ]; then
        BODY_FILE="/tmp/dcr-side-verify-$1.json" wrk -t 1 -c "$CONNECTIONS" -d "$2" -s bench/register.lua \
            "http://127.0.0.1:$(($(port "$1") + 1))/admin/verify"
    else
        BODY_FILE="${SIDE_BODY[$1]}" wrk -t 1 -c "$CONNECTIONS" -d "$2" -s bench/register.lua \
            "http://127.0.0.1:$(port "$1")/register"
    fi
}
verify_body() {
    curl -s "http://127.0.0.1:$(port "$1")/register" -H 'Content-Type: application/json' -d @bench/public-client.json |
        python3 -c 'import json, sys; print(json.dumps({"client_id": json.load(sys.stdin)["client_id"]}))' \
            > "/tmp/dcr-side-verify-$1.json"
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
    if [ "$LOAD" = verify ]; then for side in 0 1; do verify_body $side; done; fi
    # Open each pool's connections before the counters are read.
    for side in 0 1; do load $side 1s > /dev/null; done
    declare -a DCR_BEFORE PG_BEFORE
    for side in 0 1; do
        DCR_BEFORE[$side]=$(awk '{print $14 + $15}' "/proc/${SERVERS[$side]}/stat")
        PG_BEFORE[$side]=$(backend_ticks $side)
    done
    LOADS=()
    for side in 0 1; do
        load $side "$DURATION" > "/tmp/dcr-side-wrk-$side.txt" &
        LOADS+=($!)
    done
    wait "${LOADS[@]}"
    for side in 0 1; do
        dcr=$(($(awk '{print $14 + $15}' "/proc/${SERVERS[$side]}/stat") - DCR_BEFORE[side]))
        backends=$(($(backend_ticks $side) - PG_BEFORE[side]))
        # Every answer a 2xx (checked below): one request, one registration stored or verify answered.
        rows=$(awk '/requests in/ {print $1}' "/tmp/dcr-side-wrk-$side.txt")
        batch=$(curl -s "http://127.0.0.1:$(($(port $side) + 1))/metrics" | awk -v family="$BATCHES" '
            $1 == "dcr_" family "_sum" {s = $2} $1 == "dcr_" family "_count" {n = $2}
            END {printf "%.1f", n ? s / n : 0}')
        rate=$(awk '/^Requests\/sec/ {print $2}' "/tmp/dcr-side-wrk-$side.txt")
        if grep -q 'Non-2xx' "/tmp/dcr-side-wrk-$side.txt"; then
            # Which answers, from the request log lines ("POST /register 503 ...").
            rate="$rate (not 2xx: $(awk '$3 == "dcr_server::request]" && $6 !~ /^2/ {print $6}' "/tmp/dcr-side-$side.log" |
                sort | uniq -c | xargs))"
        fi
        awk -v round="$round" -v side="$(printf 'AB' | cut -c$((side + 1)))" -v rate="$rate" -v rows="$rows" \
            -v dcr="$dcr" -v pg="$backends" -v hz="$TICKS" -v batch="$batch" -v what="$LOAD" 'BEGIN {
            printf "round %d %s: %s %s/s, %d answered, dcr %.0f µs, backends %.0f µs per answer, batch %s\n",
                round, side, rate, what, rows, rows ? dcr / hz * 1e6 / rows : 0, rows ? pg / hz * 1e6 / rows : 0, batch }'
    done
    stop_servers
done
