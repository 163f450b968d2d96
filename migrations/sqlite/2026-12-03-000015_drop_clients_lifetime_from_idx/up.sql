-- Replaced by oauth_clients_unused_lifetime_from_idx (000012): the purge is
-- the only query on lifetime_from, and it reads never-used clients only.
DROP INDEX oauth_clients_lifetime_from_idx;
