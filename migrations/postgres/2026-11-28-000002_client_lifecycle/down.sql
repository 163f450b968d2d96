DROP INDEX oauth_clients_last_used_at_idx;
DROP INDEX oauth_clients_client_name_idx;
ALTER TABLE oauth_clients DROP COLUMN last_used_at;
ALTER TABLE oauth_clients DROP COLUMN registration_token_digest;
