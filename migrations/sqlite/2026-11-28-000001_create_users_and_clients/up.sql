-- Times are Unix seconds (BIGINT) on both backends: RFC 7591 speaks in Unix
-- seconds (client_id_issued_at, client_secret_expires_at), and one Diesel
-- schema serves Postgres and SQLite alike.
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

-- The owner of self-registered clients. Created here, once, so concurrent
-- first registrations never race to create it.
INSERT OR IGNORE INTO users (id, email, created_at)
VALUES ('00000000-0000-0000-0000-000000000000', 'system@dcr.invalid',
        CAST(strftime('%s', 'now') AS INTEGER));

CREATE TABLE oauth_clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    -- bcrypt hash; NULL for clients that authenticate without a secret.
    client_secret_hash TEXT,
    -- 0 means the secret never expires (RFC 7591 section 3.2.1).
    client_secret_expires_at BIGINT NOT NULL DEFAULT 0,
    client_name TEXT,
    -- JSON array of the redirect URIs, verbatim.
    redirect_uris TEXT NOT NULL,
    scope TEXT,
    token_endpoint_auth_method TEXT NOT NULL,
    software_id TEXT,
    -- JSON object: every other registered metadata value.
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    CONSTRAINT public_clients_have_no_secret
        CHECK (token_endpoint_auth_method <> 'none' OR client_secret_hash IS NULL)
);

CREATE INDEX oauth_clients_created_by_idx ON oauth_clients (created_by);
CREATE INDEX oauth_clients_software_id_idx ON oauth_clients (software_id);
CREATE INDEX oauth_clients_created_at_idx ON oauth_clients (created_at);
