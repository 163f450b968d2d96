#!/usr/bin/env bash
# The purge and the listing on SQLite, 200,000 clients, before and after the
# index migrations from 2026-12-03-000012 (docs/benchmarks.md, "Indexes of
# oauth_clients"): EXPLAIN QUERY PLAN and the time of each query. Needs the
# sqlite3 shell; works in a temporary file.
set -euo pipefail
cd "$(dirname "$0")/.."
dirty=$(git diff --quiet HEAD -- && echo "" || echo "-dirty")
echo "commit $(git rev-parse --short HEAD)$dirty, $(date -u '+%Y-%m-%d %H:%M UTC'), SQLite $(sqlite3 --version | cut -d' ' -f1)"
DB=$(mktemp /tmp/dcr-indexes-XXXXXX.sqlite)
trap 'rm -f "$DB" "$DB-wal" "$DB-shm"' EXIT
FIRST_NEW=2026-12-03-000012
for dir in migrations/sqlite/*/; do
    [[ "$(basename "$dir")" < "$FIRST_NEW" ]] && sqlite3 "$DB" < "$dir/up.sql"
done
sqlite3 "$DB" <<'SQL'
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200000)
INSERT INTO oauth_clients (client_id, client_secret_expires_at, client_name, redirect_uris,
  token_endpoint_auth_method, software_id, metadata, created_at, created_by, is_active,
  last_used_at, lifetime_from)
SELECT printf('%08x-0000-4000-8000-%012x', abs(random()) % 4294967295, i), 0,
  CASE WHEN i % 9 = 0 THEN NULL ELSE 'Claude Code ' || i END, '[]', 'none',
  CASE WHEN i % 100000 = 7 THEN 'rare-tool' WHEN i % 20 = 0 THEN 'cursor' END, '{}',
  1765300000 + i * 155, '00000000-0000-0000-0000-000000000000', i % 200 <> 0,
  CASE WHEN abs(random()) % 100 < 15 THEN 1765300000 + i * 155 + 86400 END,
  1765300000 + i * 155
FROM s;
SQL
queries() {
    sqlite3 "$DB" <<'SQL'
.timer on
.print '== purge, about 60 expired'
EXPLAIN QUERY PLAN SELECT client_id FROM oauth_clients WHERE (last_used_at IS NULL AND lifetime_from < 1765310000) OR last_used_at < 1765396400 ORDER BY created_at, client_id LIMIT 500;
SELECT count(*) FROM (SELECT client_id FROM oauth_clients WHERE (last_used_at IS NULL AND lifetime_from < 1765310000) OR last_used_at < 1765396400 ORDER BY created_at, client_id LIMIT 500);
.print '== listing, cursor in the middle'
EXPLAIN QUERY PLAN SELECT * FROM oauth_clients WHERE created_at >= 1780800000 AND (created_at > 1780800000 OR (created_at = 1780800000 AND client_id > 'e')) ORDER BY created_at, client_id LIMIT 51;
SELECT count(*) FROM (SELECT * FROM oauth_clients WHERE created_at >= 1780800000 AND (created_at > 1780800000 OR (created_at = 1780800000 AND client_id > 'e')) ORDER BY created_at, client_id LIMIT 51);
.print '== listing, software_id of 2 rows'
EXPLAIN QUERY PLAN SELECT * FROM oauth_clients WHERE software_id = 'rare-tool' ORDER BY created_at, client_id LIMIT 51;
SELECT count(*) FROM (SELECT * FROM oauth_clients WHERE software_id = 'rare-tool' ORDER BY created_at, client_id LIMIT 51);
.print '== listing, name contains'
EXPLAIN QUERY PLAN SELECT * FROM oauth_clients WHERE lower(client_name) LIKE '%code 5%' ESCAPE '\' ORDER BY created_at, client_id LIMIT 51;
SQL
}
echo "==== before $FIRST_NEW"
queries
for dir in migrations/sqlite/*/; do
    [[ "$(basename "$dir")" < "$FIRST_NEW" ]] || sqlite3 "$DB" < "$dir/up.sql"
done
echo "==== after"
queries
