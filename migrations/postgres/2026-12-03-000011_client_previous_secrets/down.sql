ALTER TABLE oauth_clients DROP COLUMN previous_secret_expires_at;
ALTER TABLE oauth_clients DROP COLUMN previous_secret_tag;
ALTER TABLE oauth_clients DROP COLUMN previous_secret_hash;
