#!/usr/bin/env bash
# Admission from the first second: the release binary, started fresh on
# Postgres at the defaults (bcrypt cost 12, DCR_QUEUE_MAX_WAIT_MS 2000), takes
# 64 clients posting confidential registrations from the moment its port
# accepts. Prints the answers (201, 503), the slowest 201 and the server's
# time per hash under that load, and fails if any 201 came later than
# DCR_QUEUE_MAX_WAIT_MS plus one hash. Needs Postgres on 127.0.0.1:5432
# (override with BENCH_PG).
#   bash bench/cold-start.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB=dcr_bench_cold
PORT=${BENCH_PORT:-18090}
ADMIN_PORT=${BENCH_ADMIN_PORT:-18091}
CLIENTS=${BENCH_CLIENTS:-64}
SECONDS_OF_LOAD=${BENCH_SECONDS:-10}
MAX_WAIT_MS=${DCR_QUEUE_MAX_WAIT_MS:-2000}
BIN=target/release/dcr-server

cargo build --release -q -p dcr-server
cargo build --release -q -p dcr-core --example bcrypt_time

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
# Migrations first, by the binary itself: the timed start is a restart, as
# after a deploy, not a first install.
DCR_DATABASE_URL="$PG/$DB" "$BIN" migrate >/dev/null

echo "== bcrypt: time per hash at cost 12 on an idle machine"
echo "ms per hash: $(target/release/examples/bcrypt_time 12 5)"

echo "== $CLIENTS clients posting confidential registrations (Claude.ai body) from the first moment, ${SECONDS_OF_LOAD} s"
STARTED_AT=$(date +%s.%N)
DCR_RATE_LIMIT=off DCR_RATE_LIMIT_GLOBAL=off DCR_QUEUE_MAX_WAIT_MS="$MAX_WAIT_MS" \
DCR_DATABASE_URL="$PG/$DB" DCR_BIND="127.0.0.1:$PORT" DCR_ADMIN_BIND="127.0.0.1:$ADMIN_PORT" \
    "$BIN" 2>/tmp/dcr-bench-cold-server.log &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
STATUS=0
python3 bench/burst.py "http://127.0.0.1:$PORT/register" bench/confidential-client.json \
    "$CLIENTS" "$SECONDS_OF_LOAD" "$MAX_WAIT_MS" "http://127.0.0.1:$ADMIN_PORT/metrics" "$STARTED_AT" \
    || STATUS=$?
grep -h 'one bcrypt hash at cost' /tmp/dcr-bench-cold-server.log || true

kill -TERM $SERVER; wait $SERVER || true
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
exit $STATUS
