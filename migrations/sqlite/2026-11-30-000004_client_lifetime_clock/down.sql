DROP INDEX oauth_clients_lifetime_from_idx;
ALTER TABLE oauth_clients DROP COLUMN lifetime_from;
