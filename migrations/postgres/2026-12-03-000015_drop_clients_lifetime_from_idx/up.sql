-- Replaced by oauth_clients_unused_lifetime_from_idx (000012): the purge is
-- the only query on lifetime_from, and it reads never-used clients only.
-- A drop keeps an old release correct (its purge then uses the new index).
-- CONCURRENTLY: a plain DROP INDEX waits for an exclusive lock on the table
-- and blocks every query behind it meanwhile.
DROP INDEX CONCURRENTLY oauth_clients_lifetime_from_idx;
