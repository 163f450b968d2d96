-- The database's own limit for what a public registration writes: one
-- single-row INSERT of the same shape and size into the same database.
INSERT INTO bench_clients (client_id, client_secret_hash, client_secret_expires_at, client_name,
    redirect_uris, scope, token_endpoint_auth_method, software_id, metadata, created_at, created_by, is_active)
VALUES (md5(random()::text || clock_timestamp()::text), NULL, 0, 'Claude Code (memory)',
    '["http://localhost:52413/callback"]', NULL, 'none', NULL,
    '{"application_type":"native","grant_types":["authorization_code","refresh_token"],"response_types":["code"]}',
    1795888964, '00000000-0000-0000-0000-000000000000', TRUE);
