#!/usr/bin/env bash
# The indexes of oauth_clients on 1,000,000 clients, for docs/benchmarks.md
# ("Indexes of oauth_clients"): EXPLAIN (ANALYZE) of every query of the code
# that reads the table by something else than its primary key, on the schema
# before 2026-12-03-000012 and after the migrations that changed its
# indexes; the size of each index; and pgbench's single-row INSERT into an
# empty copy of the table with each set of indexes, in turns.
# Usage: bench/indexes.sh [postgres URL without the database]
# (default postgres://postgres@127.0.0.1:5432). Creates and drops the
# database dcr_indexes_bench. Needs psql and pgbench.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${1:-postgres://postgres@127.0.0.1:5432}
DB=dcr_indexes_bench
NOW=1796300000
dirty=$(git diff --quiet HEAD -- && echo "" || echo "-dirty")
echo "commit $(git rev-parse --short HEAD)$dirty, $(date -u '+%Y-%m-%d %H:%M UTC'), $(psql -XtA "$PG/postgres" -c 'SELECT version()')"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB"' EXIT
run() { psql -q -v ON_ERROR_STOP=1 "$PG/$DB" "$@"; }
FIRST_NEW=2026-12-03-000012
for dir in migrations/postgres/*/; do
    [[ "$(basename "$dir")" < "$FIRST_NEW" ]] && run -f "$dir/up.sql"
done
echo "== fill: 1,000,000 clients"
run -v now="$NOW" -f bench/indexes-fill.sql >/dev/null
sizes() {
    run -c "SELECT indexrelname AS index, pg_size_pretty(pg_relation_size(indexrelid)) AS size
            FROM pg_stat_user_indexes WHERE relname = 'oauth_clients' ORDER BY 1"
}
sed 's/bench_clients/bench_before/' bench/pgbench-insert.sql > /tmp/dcr-indexes-before.sql
sed 's/bench_clients/bench_after/' bench/pgbench-insert.sql > /tmp/dcr-indexes-after.sql
run -c "CREATE TABLE bench_before (LIKE oauth_clients INCLUDING ALL)"
echo "==== before $FIRST_NEW"
sizes
run -v now="$NOW" -f bench/indexes-queries.sql
for dir in migrations/postgres/*/; do
    [[ "$(basename "$dir")" < "$FIRST_NEW" ]] || run -f "$dir/up.sql"
done
run -c "VACUUM ANALYZE oauth_clients"
run -c "CREATE TABLE bench_after (LIKE oauth_clients INCLUDING ALL)"
echo "==== after"
sizes
run -v now="$NOW" -f bench/indexes-queries.sql
echo "==== pgbench: single-row INSERT, 16 clients, 10 s, into an empty copy with each set of indexes"
for turn in 1 2 3; do
    for set in before after; do
        run -c "TRUNCATE bench_$set" -c "CHECKPOINT"
        tps=$(pgbench -n -M prepared -c 16 -j 2 -T 10 -f "/tmp/dcr-indexes-$set.sql" "$PG/$DB" |
            awk '/^tps/ {print $3; exit}')
        echo "turn $turn, indexes $set: $tps/s"
    done
done
echo "==== WAL per single-row INSERT (4 clients x 2,500 transactions, after a checkpoint)"
for set in before after; do
    run -c "TRUNCATE bench_$set" -c "CHECKPOINT"
    start=$(psql -XtA "$PG/$DB" -c "SELECT pg_current_wal_lsn()")
    pgbench -n -M prepared -c 4 -j 2 -t 2500 -f "/tmp/dcr-indexes-$set.sql" "$PG/$DB" >/dev/null
    psql -XtA "$PG/$DB" -c "SELECT 'indexes $set: ' || pg_wal_lsn_diff(pg_current_wal_lsn(), '$start') / 10000 || ' bytes'"
done
