-- The queries of the code that read oauth_clients by something other than
-- its primary key, as diesel sends them (binds inlined), for bench/indexes.sh.
-- :now is the fill's. Each runs twice; the second is the one to read.
\set t0 '(:now - 31000000)'
\echo '== Q1 listing, first page (list_clients, no filter, limit 50)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM oauth_clients
    ORDER BY created_at, client_id LIMIT 51;
\echo '== Q2 listing, a page in the middle (keyset cursor after row 500,000)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM oauth_clients
    WHERE created_at >= :t0 + 15500000
      AND (created_at > :t0 + 15500000
           OR (created_at = :t0 + 15500000 AND client_id > 'e'))
    ORDER BY created_at, client_id LIMIT 51;
\echo '== Q2b the same without the created_at >= term (the code before)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM oauth_clients
    WHERE (created_at > :t0 + 15500000
           OR (created_at = :t0 + 15500000 AND client_id > 'e'))
    ORDER BY created_at, client_id LIMIT 51;
\echo '== Q3 listing, software_id of 10 rows'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM oauth_clients
    WHERE software_id = 'rare-tool' ORDER BY created_at, client_id LIMIT 51;
\echo '== Q4 listing, software_id of 16,667 rows, a page in the middle'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM oauth_clients
    WHERE created_at >= :t0 + 15500000
      AND (created_at > :t0 + 15500000
           OR (created_at = :t0 + 15500000 AND client_id > 'e'))
      AND software_id = 'cursor'
    ORDER BY created_at, client_id LIMIT 51;
\echo '== Q5 listing, name_contains (lower(client_name) LIKE) of 1 row'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM oauth_clients
    WHERE lower(client_name) LIKE '%zed 500050%' ESCAPE '\'
    ORDER BY created_at, client_id LIMIT 51;
\echo '== Q6 listing, disabled clients only (is_active = false, 5,000 rows)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM oauth_clients
    WHERE is_active = false ORDER BY created_at, client_id LIMIT 51;
\echo '== Q7 purge, steady state: rules caught up, about 300 rows expired'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT client_id FROM oauth_clients
    WHERE (last_used_at IS NULL AND lifetime_from < :t0 + 10000)
       OR last_used_at < :t0 + 86400 + 10000
    ORDER BY created_at, client_id LIMIT 500;
\echo '== Q8 purge, nothing expired (a round that finds none)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT client_id FROM oauth_clients
    WHERE (last_used_at IS NULL AND lifetime_from < :t0)
       OR last_used_at < :t0
    ORDER BY created_at, client_id LIMIT 500;
\echo '== Q9 purge, backlog: lifetimes of 30 and 90 days first enabled'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT client_id FROM oauth_clients
    WHERE (last_used_at IS NULL AND lifetime_from < :now - 2592000)
       OR last_used_at < :now - 7776000
    ORDER BY created_at, client_id LIMIT 500;
\echo '== Q10 purge, the never-used rule unarmed: idle rule alone (90 days)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT client_id FROM oauth_clients
    WHERE (last_used_at IS NULL AND lifetime_from < -9223372036854775808)
       OR last_used_at < :now - 7776000
    ORDER BY created_at, client_id LIMIT 500;
