-- The purge's never-used rule (lifetime.rs, `expired()`): `last_used_at IS
-- NULL AND lifetime_from < X`. It replaces oauth_clients_lifetime_from_idx
-- (dropped by 000015, after this one is built): partial, because the rule
-- reads never-used clients only, and a client leaves the index at its first
-- use. SQLite answers the purge's OR with this index and
-- oauth_clients_used_last_used_at_idx (MULTI-INDEX OR); see
-- docs/benchmarks.md, "Indexes of oauth_clients".
CREATE INDEX oauth_clients_unused_lifetime_from_idx
    ON oauth_clients (lifetime_from) WHERE last_used_at IS NULL;
