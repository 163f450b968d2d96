ALTER TABLE oauth_clients DROP COLUMN client_secret_tag;
