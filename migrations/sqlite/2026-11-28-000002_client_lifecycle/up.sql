-- RFC 7592 management and the token endpoint's credential checks.
-- SHA-256 digest (hex) of the current registration access token; the token
-- itself is never stored.
ALTER TABLE oauth_clients ADD COLUMN registration_token_digest TEXT;
-- Unix seconds of the last successful credential check.
ALTER TABLE oauth_clients ADD COLUMN last_used_at BIGINT;
-- Operators list clients by name and by last use.
CREATE INDEX oauth_clients_client_name_idx ON oauth_clients (client_name);
CREATE INDEX oauth_clients_last_used_at_idx ON oauth_clients (last_used_at);
