-- When a client's "never used" lifetime (DCR_UNUSED_CLIENT_TTL_SECS) starts:
-- its registration, or, for clients that existed before lifetimes were
-- enforced, this migration, so that an upgrade deletes no client before it
-- could have been used.
ALTER TABLE oauth_clients ADD COLUMN lifetime_from BIGINT;
UPDATE oauth_clients SET lifetime_from = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT);
CREATE INDEX oauth_clients_lifetime_from_idx ON oauth_clients (lifetime_from);
