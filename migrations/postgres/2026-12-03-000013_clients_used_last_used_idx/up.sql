-- The purge's idle rule (lifetime.rs, `expired()`): `last_used_at < Y`. It
-- replaces oauth_clients_last_used_at_idx (dropped by 000016): partial, so
-- that a registration (never used, NULL) does not write it; about one client
-- in seven is ever used. Without an index on last_used_at each purge round
-- would read the whole table. The price, with or without this index: a
-- last-use touch changes an indexed column (here and in the predicate of
-- oauth_clients_unused_lifetime_from_idx), so it is not a HOT update and
-- writes every index of the row; touches are throttled to one per client
-- per DCR_LAST_USED_RESOLUTION_SECS.
CREATE INDEX CONCURRENTLY oauth_clients_used_last_used_at_idx
    ON oauth_clients (last_used_at) WHERE last_used_at IS NOT NULL;
