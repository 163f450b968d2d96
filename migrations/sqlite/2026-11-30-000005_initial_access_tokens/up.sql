-- Initial access tokens (RFC 7591 section 3): only the SHA-256 digest of a
-- token is kept. `uses` counts the registrations it authorized; the check
-- and the count are one conditional UPDATE, so replicas cannot overspend
-- `max_uses`. Revoked tokens stay listed (clients name the token that
-- created them).
CREATE TABLE initial_access_tokens (
    id TEXT PRIMARY KEY,
    token_digest TEXT NOT NULL UNIQUE,
    description TEXT,
    policy TEXT NOT NULL,
    max_uses BIGINT,
    uses BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
