-- 1,000,000 client-shaped rows for bench/indexes.sh, on a schema migrated up
-- to 2026-12-03-000011. Times: one registration every 31 s over a year before
-- :now. Most clients are never used (85 %); the used ones were last used
-- within a day to 90 days of their registration. software_id: NULL for 95 %,
-- one of three values for the rest, and 'rare-tool' on 10 rows. 0.5 %
-- disabled. Deterministic (setseed), so two runs plan the same table.
SELECT setseed(0.18);
INSERT INTO oauth_clients (client_id, client_secret_hash, client_secret_expires_at, client_name,
    redirect_uris, scope, token_endpoint_auth_method, software_id, metadata, created_at,
    created_by, is_active, registration_token_digest, last_used_at, provenance, lifetime_from)
SELECT md5(i::text)::uuid::text, NULL, 0,
    CASE WHEN i % 9 = 0 THEN NULL
         ELSE (ARRAY['Claude Code', 'Claude Code (memory)', 'Cursor', 'VS Code',
                     'MCP Inspector', 'Windsurf', 'Zed', 'Goose'])[1 + i % 8]
              || CASE WHEN i % 50 = 0 THEN ' ' || i ELSE '' END
    END,
    '["http://localhost:' || (30000 + i % 30000) || '/callback"]', NULL, 'none',
    CASE WHEN i % 100000 = 7 THEN 'rare-tool'
         WHEN i % 20 = 0 THEN (ARRAY['claude-code', 'cursor', 'vscode'])[1 + (i / 20) % 3]
    END,
    '{"application_type":"native","grant_types":["authorization_code","refresh_token"],"response_types":["code"]}',
    :now - 31000000 + i * 31, '00000000-0000-0000-0000-000000000000', i % 200 <> 0,
    encode(sha256(i::text::bytea), 'hex'),
    CASE WHEN random() < 0.15
         THEN least(:now - 60, :now - 31000000 + i * 31 + (86400 + random() * 90 * 86400)::bigint)
    END,
    '{"address":"127.0.0.1","user_agent":"bench","via":"open"}', :now - 31000000 + i * 31
FROM generate_series(1, 1000000) AS i;
VACUUM ANALYZE oauth_clients;
