#!/usr/bin/env bash
# Load benchmark of the real release binary on Postgres. Prints a report for
# docs/benchmarks.md. Needs wrk and pgbench (Debian: wrk, postgresql-client),
# and Postgres on 127.0.0.1:5432 (override with BENCH_PG).
#   bash bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB=dcr_bench
PORT=${BENCH_PORT:-18080}
ADMIN_PORT=${BENCH_ADMIN_PORT:-18081}
DURATION=${BENCH_DURATION:-15s}
CONNECTIONS=16
# Alternating and side-by-side comparisons: how many, and how long each run.
PAIRS=${BENCH_PAIRS:-3}
PAIR_DURATION=${BENCH_PAIR_DURATION:-5s}
BIN=target/release/dcr-server
CPUS=$(nproc)
# What was measured: figures are only compared between runs of one commit.
REVISION=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo -dirty)
TICKS=$(getconf CLK_TCK)
# Runs whose answers were not all what they should be (see expect_2xx).
UNEXPECTED=()

cargo build --release -q -p dcr-server
cargo build --release -q -p dcr-core --example bcrypt_time

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

# Default settings (bcrypt cost 12, info logs with one line per request).
# Every request comes from 127.0.0.1: the registration rate limits are off.
# URL client ids are served by a local document server over plain http, the
# development exception (DCR_CIMD_ALLOW_HTTP_LOOPBACK).
# Starts the server with this shell's environment, the settings given
# (VAR=VALUE arguments) and DCR_BIND, DCR_ADMIN_BIND and DCR_DATABASE_URL,
# its output appended to the file `$1`; sets SERVER to its process id and
# LAST_READY_MS to the milliseconds from its spawn to the first 200 on
# /readyz (see bench/ready.py).
start_server() {
    local log=$1
    shift
    read -r SERVER LAST_READY_MS < <(env "$@" DCR_DATABASE_URL="$PG/$DB" DCR_BIND="127.0.0.1:$PORT" \
        DCR_ADMIN_BIND="127.0.0.1:$ADMIN_PORT" python3 bench/ready.py "$PORT" "$log" "$BIN")
}
# The server is not this shell's child (bench/ready.py started it): stopping
# it means waiting for its process to go, so the next one finds the ports free.
stop_server() {
    kill -TERM "$SERVER" 2>/dev/null || true
    while kill -0 "$SERVER" 2>/dev/null; do sleep 0.05; done
}
: > /tmp/dcr-bench-server.log
start_server /tmp/dcr-bench-server.log DCR_RATE_LIMIT=off DCR_RATE_LIMIT_GLOBAL=off \
    DCR_CIMD_ALLOW_HTTP_LOOPBACK=true
trap 'kill $SERVER 2>/dev/null || true' EXIT
READY_MS=$LAST_READY_MS
# The median of numbers (the middle one, or the mean of the two middle ones).
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
# A wrk run where any answer but a 2xx is a failure of the benchmark.
expect_2xx() {
    if grep -q 'Non-2xx or 3xx responses' "$2"; then
        UNEXPECTED+=("$1: $(awk '/Non-2xx or 3xx/ {print $5}' "$2") answers not 2xx")
    fi
}
# CPU time (user + system, clock ticks) of the dcr process, and of every
# Postgres process with the children the postmaster has reaped (backends
# that exited).
dcr_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
pg_ticks() {
    local total=0 pid
    for pid in $(pgrep -u postgres postgres || true); do
        total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
count_clients() { psql -tAq "$PG/$DB" -c "SELECT count(*) FROM oauth_clients"; }
# One registration, retried while the hashing line still drains from the run
# before (a 503 with Retry-After, as a patient client would).
register_one() {
    local body
    for _ in $(seq 1 60); do
        body=$(curl -s -w '\n%{http_code}' "http://127.0.0.1:$PORT/register" -H 'Content-Type: application/json' -d @"$1")
        if [ "${body##*$'\n'}" = 201 ]; then printf '%s' "${body%$'\n'*}"; return 0; fi
        sleep 0.5
    done
    echo "no 201 for $1 in 30 s" >&2
    return 1
}
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }
RSS_IDLE=$(rss_kib)

# The database's limit: the same INSERT, straight from pgbench, same
# database, one row per transaction. First into a table with the primary
# key alone (what Postgres does with one row per transaction), then into a
# copy of oauth_clients with all its indexes (which counts dcr's index cost
# into the baseline).
pgbench_insert() {
    pgbench -n -M prepared -c "$CONNECTIONS" -j "$CPUS" -T "${DURATION%s}" -f bench/pgbench-insert.sql "$PG/$DB" | tee "$1"
    awk '/^tps/ {print $3; exit}' "$1" > "$1.tps"
    psql -q "$PG/$DB" -c "DROP TABLE bench_clients"
    # Start the next run from a clean checkpoint, not in the middle of one.
    psql -q "$PG/$DB" -c "CHECKPOINT"
}
psql -q "$PG/$DB" -c "CREATE TABLE bench_clients (LIKE oauth_clients INCLUDING DEFAULTS)" \
    -c "ALTER TABLE bench_clients ADD PRIMARY KEY (client_id)"
echo "== pgbench: single-row INSERT, $CONNECTIONS clients, primary key only"
pgbench_insert /tmp/dcr-bench-pgbench.txt
PGBENCH_TPS=$(cat /tmp/dcr-bench-pgbench.txt.tps)
psql -q "$PG/$DB" -c "CREATE TABLE bench_clients (LIKE oauth_clients INCLUDING ALL)"
echo "== pgbench: single-row INSERT, $CONNECTIONS clients, every index of oauth_clients"
pgbench_insert /tmp/dcr-bench-pgbench-indexed.txt
PGBENCH_INDEXED_TPS=$(cat /tmp/dcr-bench-pgbench-indexed.txt.tps)

echo "== wrk: public client registrations (Claude Code body), $CONNECTIONS connections"
ROWS_BEFORE=$(count_clients); DCR_BEFORE=$(dcr_ticks); PG_BEFORE=$(pg_ticks)
BODY_FILE=bench/public-client.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s bench/register.lua "http://127.0.0.1:$PORT/register" | tee /tmp/dcr-bench-public.txt
DCR_AFTER=$(dcr_ticks); PG_AFTER=$(pg_ticks); ROWS_PUBLIC=$(( $(count_clients) - ROWS_BEFORE ))
PUBLIC_RPS=$(awk '/^Requests\/sec/ {print $2}' /tmp/dcr-bench-public.txt)
# How full the group-commit batches were: the writers' histogram, whose sum
# over its count is the mean batch (only this run has registered so far).
BATCH_MEAN=$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" \
    | awk '/^dcr_registration_batch_size_sum/ {s = $2} /^dcr_registration_batch_size_count/ {n = $2} END {printf "%.1f", n ? s / n : 0}')
expect_2xx "public registrations" /tmp/dcr-bench-public.txt
# CPU microseconds per registration stored, dcr's own and Postgres's.
per_row_us() { awk -v t="$1" -v hz="$TICKS" -v n="$ROWS_PUBLIC" 'BEGIN {printf "%.0f", n ? t / hz * 1e6 / n : 0}'; }
DCR_US=$(per_row_us $((DCR_AFTER - DCR_BEFORE)))
PG_US=$(per_row_us $((PG_AFTER - PG_BEFORE)))

echo "== bcrypt: time per hash at the default cost (12)"
HASH_MS=$(target/release/examples/bcrypt_time 12 20)
echo "ms per hash: $HASH_MS"

echo "== wrk: confidential registrations (Claude.ai body) at cost 12, /healthz probed every 10 ms alongside"
# Requests queue for the hashing threads, so allow them a long timeout.
BODY_FILE=bench/confidential-client.json wrk -t 1 -c "$CONNECTIONS" -d "$DURATION" --timeout 60s --latency \
    -s bench/register-patient.lua "http://127.0.0.1:$PORT/register" > /tmp/dcr-bench-confidential.txt &
LOAD=$!
sleep 2
python3 bench/probe.py "http://127.0.0.1:$PORT/healthz" "$(( ${DURATION%s} - 4 ))" 10 | tee /tmp/dcr-bench-healthz.txt
wait $LOAD
cat /tmp/dcr-bench-confidential.txt
# Registrations stored per second: answers other than 503 (a patient client's
# wait) are 201s; what else came is counted by the server's log below.
CONF_RPS=$(awk '/requests in/ {n = $1; t = $4 + 0} /^  Non-2xx/ {bad = $5} END {printf "%.2f", (n - bad) / t}' /tmp/dcr-bench-confidential.txt)
CONF_503=$(awk '/^  Non-2xx/ {print $5}' /tmp/dcr-bench-confidential.txt)
HEALTH_P99=$(awk '{for (i = 1; i < NF; i++) if ($i == "p99") print $(i + 1)}' /tmp/dcr-bench-healthz.txt)
echo "== wrk: admin verify of one confidential client's secret (a token endpoint's check), $CONNECTIONS connections"
REGISTERED=$(register_one bench/confidential-client.json)
CLIENT_ID=$(printf '%s' "$REGISTERED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
CLIENT_SECRET=$(printf '%s' "$REGISTERED" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
# The body form, as docs/integration.md has token endpoints call it.
printf '{"client_id":"%s","client_secret":"%s"}' "$CLIENT_ID" "$CLIENT_SECRET" > /tmp/dcr-bench-verify.json
BODY_FILE=/tmp/dcr-bench-verify.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s bench/register.lua "http://127.0.0.1:$ADMIN_PORT/admin/verify" | tee /tmp/dcr-bench-verify.txt
expect_2xx "verify of one confidential client" /tmp/dcr-bench-verify.txt
VERIFY_RPS=$(awk '/^Requests\/sec/ {print $2}' /tmp/dcr-bench-verify.txt)
VALID=$(curl -s "http://127.0.0.1:$ADMIN_PORT/admin/verify" -H 'Content-Type: application/json' -d @/tmp/dcr-bench-verify.json)

echo "== wrk: admin verify of a registered public client (no secret), $CONNECTIONS connections"
PUBLIC_ID=$(register_one bench/public-client.json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
printf '{"client_id":"%s"}' "$PUBLIC_ID" > /tmp/dcr-bench-public.json
BODY_FILE=/tmp/dcr-bench-public.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s bench/register.lua "http://127.0.0.1:$ADMIN_PORT/admin/verify" | tee /tmp/dcr-bench-verify-public.txt
expect_2xx "verify of a public client" /tmp/dcr-bench-verify-public.txt
VERIFY_PUBLIC_RPS=$(awk '/^Requests\/sec/ {print $2}' /tmp/dcr-bench-verify-public.txt)

# Verify against registration in alternating short runs: a ratio of two
# runs minutes apart is the machine's swing as much as dcr's (the same
# commit has measured 1.0x and 1.6x that way); each pair here sees the same
# moment, and the median pair is the figure.
echo "== wrk: public registrations and verify calls of a public client, alternating, $PAIRS pairs of $PAIR_DURATION"
PAIR_RATIOS=()
for _ in $(seq 1 "$PAIRS"); do
    BODY_FILE=bench/public-client.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$PAIR_DURATION" \
        -s bench/register.lua "http://127.0.0.1:$PORT/register" > /tmp/dcr-bench-pair-register.txt
    BODY_FILE=/tmp/dcr-bench-public.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$PAIR_DURATION" \
        -s bench/register.lua "http://127.0.0.1:$ADMIN_PORT/admin/verify" > /tmp/dcr-bench-pair-verify.txt
    expect_2xx "alternating registrations" /tmp/dcr-bench-pair-register.txt
    expect_2xx "alternating verify calls" /tmp/dcr-bench-pair-verify.txt
    PAIR=$(awk '/^Requests\/sec/ {r[n++] = $2} END {printf "%.0f %.0f %.2f", r[0], r[1], r[1] / r[0]}' \
        /tmp/dcr-bench-pair-register.txt /tmp/dcr-bench-pair-verify.txt)
    echo "registrations/s, verify calls/s, ratio: $PAIR"
    PAIR_RATIOS+=("${PAIR##* }")
done
PAIR_MEDIAN=$(median "${PAIR_RATIOS[@]}")

echo "== wrk: admin lookup of a registered public client (an /authorize endpoint's check), $CONNECTIONS connections"
BODY_FILE=/tmp/dcr-bench-public.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s bench/register.lua "http://127.0.0.1:$ADMIN_PORT/admin/lookup" | tee /tmp/dcr-bench-lookup.txt
expect_2xx "lookup" /tmp/dcr-bench-lookup.txt
LOOKUP_RPS=$(awk '/^Requests\/sec/ {print $2}' /tmp/dcr-bench-lookup.txt)
USABLE=$(curl -s "http://127.0.0.1:$ADMIN_PORT/admin/lookup" -H 'Content-Type: application/json' -d @/tmp/dcr-bench-public.json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["usable"])')

echo "== wrk: admin verify of a URL client id (its metadata document cached after the first fetch), $CONNECTIONS connections"
DOC_PORT=${BENCH_DOC_PORT:-18082}
DOC_DIR=$(mktemp -d)
DOC_URL="http://127.0.0.1:$DOC_PORT/client.json"
printf '{"client_id":"%s","client_name":"Bench Agent","redirect_uris":["http://127.0.0.1/callback"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"none"}' \
    "$DOC_URL" > "$DOC_DIR/client.json"
python3 -m http.server "$DOC_PORT" --bind 127.0.0.1 --directory "$DOC_DIR" 2>/tmp/dcr-bench-docs.log &
DOCS=$!
for _ in $(seq 1 50); do curl -sf "$DOC_URL" >/dev/null && break; sleep 0.1; done
: > /tmp/dcr-bench-docs.log
printf '{"client_id":"%s"}' "$DOC_URL" > /tmp/dcr-bench-url.json
BODY_FILE=/tmp/dcr-bench-url.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s bench/register.lua "http://127.0.0.1:$ADMIN_PORT/admin/verify" | tee /tmp/dcr-bench-verify-url.txt
expect_2xx "verify of a URL client id" /tmp/dcr-bench-verify-url.txt
VERIFY_URL_RPS=$(awk '/^Requests\/sec/ {print $2}' /tmp/dcr-bench-verify-url.txt)
URL_VALID=$(curl -s "http://127.0.0.1:$ADMIN_PORT/admin/verify" -H 'Content-Type: application/json' -d @/tmp/dcr-bench-url.json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["valid"])')
DOC_FETCHES=$(grep -c 'GET /client.json' /tmp/dcr-bench-docs.log || true)
kill $DOCS 2>/dev/null || true
rm -rf "$DOC_DIR"

RSS_AFTER=$(rss_kib)

ROWS=$(psql -tAq "$PG/$DB" -c "SELECT count(*) FROM oauth_clients")
NON_201=$(grep -c 'POST /register [^2]' /tmp/dcr-bench-server.log || true)
# The patient confidential run may be told 503 (and retries); nothing else.
OTHER=$(grep 'POST /register ' /tmp/dcr-bench-server.log | grep -vc 'POST /register \(201\|503\) ' || true)
if [ "$OTHER" -gt 0 ]; then UNEXPECTED+=("registrations: $OTHER answers neither 201 nor 503"); fi
echo
echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ), commit $REVISION, $CPUS CPUs)"
awk -v p="$PUBLIC_RPS" -v g="$PGBENCH_TPS" -v i="$PGBENCH_INDEXED_TPS" 'BEGIN {printf "public registrations/s: %.0f = %.1f %% of pgbench INSERT %.0f/s into a table with its primary key alone (target at least 100 %%); %.1f %% of %.0f/s into a copy of oauth_clients with every index\n", p, 100*p/g, g, 100*p/i, i}'
echo "CPU per public registration: dcr ${DCR_US} µs (target at most 60 µs), Postgres ${PG_US} µs ($ROWS_PUBLIC rows; $BATCH_MEAN rows per group-commit batch on average)"
awk -v c="$CONF_RPS" -v n="$CPUS" -v ms="$HASH_MS" -v w="${CONF_503:-0}" 'BEGIN {ideal = n*1000/ms; printf "confidential registrations/s: %.2f = %.1f %% of cores / time-per-hash (%d / %.1f ms = %.2f/s); %d answered 503 and retried after Retry-After\n", c, 100*c/ideal, n, ms, ideal, w}'
echo "healthz p99 under bcrypt saturation: $HEALTH_P99 (target at most 10 ms)"
echo "verify calls/s for one client's secret, remembered after its first check: $VERIFY_RPS (answer: $VALID)"
awk -v m="$PAIR_MEDIAN" -v v="$VERIFY_PUBLIC_RPS" -v p="$PUBLIC_RPS" 'BEGIN {printf "verify of a registered public client: %.2fx the public registration rate in alternating runs (median pair; target at least 2x); %.1fx between the two 15-second runs\n", m, v/p}'
echo "verify calls/s of a registered public client: $VERIFY_PUBLIC_RPS; of a URL client id: $VERIFY_URL_RPS (valid: $URL_VALID; document fetches for the whole run: $DOC_FETCHES)"
echo "lookup calls/s of a registered public client: $LOOKUP_RPS (usable: $USABLE)"
echo "resident memory: idle $((RSS_IDLE / 1024)) MiB (target at most 20 MiB), after the run $((RSS_AFTER / 1024)) MiB"

echo "rows stored: $ROWS; registrations answered other than 201: $NON_201"

stop_server

# The same public run with the rate limits on, twice: once with this address
# exempt from the per-address limit and a global ceiling out of reach (what
# the limiter costs a request it admits), once at the defaults (60/hour per
# address, 6000/minute in all), where a single address floods and nearly
# every answer is a 429 (what a refusal costs).
start_limited() {
    start_server /tmp/dcr-bench-server-limited.log "$@"
}
: > /tmp/dcr-bench-server-limited.log
echo "== wrk: public registrations, limits on, 127.0.0.1 exempt, global ceiling 1000000/second"
start_limited DCR_RATE_LIMIT_EXEMPT=127.0.0.1/32 DCR_RATE_LIMIT_GLOBAL=1000000/second
BODY_FILE=bench/public-client.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s bench/register.lua "http://127.0.0.1:$PORT/register" | tee /tmp/dcr-bench-limited.txt
expect_2xx "public registrations, limits on" /tmp/dcr-bench-limited.txt
LIMITED_RPS=$(awk '/^Requests\/sec/ {print $2}' /tmp/dcr-bench-limited.txt)
READY_MIGRATED_MS=$LAST_READY_MS
stop_server

echo "== wrk: public registrations from one address at the default limits (a flood)"
: > /tmp/dcr-bench-server-limited.log
start_limited
BODY_FILE=bench/public-client.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s bench/register.lua "http://127.0.0.1:$PORT/register" | tee /tmp/dcr-bench-flood.txt
FLOOD_RPS=$(awk '/^Requests\/sec/ {print $2}' /tmp/dcr-bench-flood.txt)
FLOOD_CREATED=$(grep -c 'POST /register 201' /tmp/dcr-bench-server-limited.log || true)
FLOOD_429=$(grep -c 'POST /register 429' /tmp/dcr-bench-server-limited.log || true)
stop_server

echo "== wrk: confidential registrations (Claude.ai body) with DCR_SECRET_HASH=sha256, $CONNECTIONS connections"
: > /tmp/dcr-bench-server-limited.log
start_limited DCR_RATE_LIMIT=off DCR_RATE_LIMIT_GLOBAL=off DCR_SECRET_HASH=sha256
BODY_FILE=bench/confidential-client.json wrk -t "$CPUS" -c "$CONNECTIONS" -d "$DURATION" --latency \
    -s bench/register.lua "http://127.0.0.1:$PORT/register" | tee /tmp/dcr-bench-sha256.txt
expect_2xx "confidential registrations, sha256" /tmp/dcr-bench-sha256.txt
SHA256_RPS=$(awk '/^Requests\/sec/ {print $2}' /tmp/dcr-bench-sha256.txt)
stop_server

# The same comparison at one moment: two servers side by side, public
# registrations on one, confidential ones with sha256 on the other (see
# bench/side-by-side.sh); the median round is the figure.
echo "== side by side: public registrations (A) and confidential ones with DCR_SECRET_HASH=sha256 (B), $PAIRS rounds of $PAIR_DURATION"
SIDE_BODY_B=bench/confidential-client.json SIDE_ENV_B=DCR_SECRET_HASH=sha256 SIDE_DURATION=$PAIR_DURATION \
    bash bench/side-by-side.sh "$BIN" "$BIN" "$PAIRS" | tee /tmp/dcr-bench-side-sha256.txt
if grep -q 'not 2xx' /tmp/dcr-bench-side-sha256.txt; then UNEXPECTED+=("side by side, sha256: answers not 2xx"); fi
read -r -a SIDE_RATIOS < <(awk '/^round [0-9]+ A:/ {a[$2] = $4} /^round [0-9]+ B:/ {b[$2] = $4}
    END {for (r in a) printf "%.3f ", b[r] / a[r]; print ""}' /tmp/dcr-bench-side-sha256.txt)
SIDE_MEDIAN=$(median "${SIDE_RATIOS[@]}")

echo
awk -v c="$SHA256_RPS" -v p="$PUBLIC_RPS" -v m="$SIDE_MEDIAN" 'BEGIN {printf "confidential registrations/s with DCR_SECRET_HASH=sha256: %.1f %% of public side by side (median of the rounds; target at least 90 %%); run after the public run: %.0f/s = %.1f %% of it\n", 100*m, c, 100*c/p}'
echo "start to ready: $READY_MIGRATED_MS ms on the migrated database (target at most 50 ms); $READY_MS ms on a new one, migrations included"
echo "public registrations/s with the limiter admitting every request: $LIMITED_RPS (limits off: $PUBLIC_RPS)"
echo "answers/s to a flood from one address at the default limits: $FLOOD_RPS ($FLOOD_CREATED created, $FLOOD_429 answered 429)"
FLOOD_OTHER=$(grep 'POST /register ' /tmp/dcr-bench-server-limited.log | grep -vc 'POST /register \(201\|429\) ' || true)
if [ "$FLOOD_OTHER" -gt 0 ]; then UNEXPECTED+=("flood: $FLOOD_OTHER answers neither 201 nor 429"); fi
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
if [ ${#UNEXPECTED[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${UNEXPECTED[@]}" >&2
    exit 1
fi
