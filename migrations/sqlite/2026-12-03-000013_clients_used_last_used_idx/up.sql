-- The purge's idle rule (lifetime.rs, `expired()`): `last_used_at < Y`. It
-- replaces oauth_clients_last_used_at_idx (dropped by 000016): partial, so
-- that a registration (never used, NULL) does not write it.
CREATE INDEX oauth_clients_used_last_used_at_idx
    ON oauth_clients (last_used_at) WHERE last_used_at IS NOT NULL;
