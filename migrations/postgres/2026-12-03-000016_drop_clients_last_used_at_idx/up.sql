-- Replaced by oauth_clients_used_last_used_at_idx (000013): the purge's idle
-- rule is the only query on last_used_at, and it never asks for NULL, which
-- is what every registration wrote into this index.
DROP INDEX CONCURRENTLY oauth_clients_last_used_at_idx;
