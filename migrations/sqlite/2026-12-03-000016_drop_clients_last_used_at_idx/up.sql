-- Replaced by oauth_clients_used_last_used_at_idx (000013). With it SQLite
-- answered the never-used half of the purge by `last_used_at IS NULL` in
-- this index, reading every never-used client (most of the table).
DROP INDEX oauth_clients_last_used_at_idx;
