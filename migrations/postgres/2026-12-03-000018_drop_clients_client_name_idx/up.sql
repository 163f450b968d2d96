-- No query can use it: the only filter on client_name is the admin
-- listing's `lower(client_name) LIKE '%...%'` (listing.rs), a substring of
-- an expression, which a btree on client_name does not answer. EXPLAIN on
-- 1M clients: the listing scans created_at order and filters either way
-- (434 ms for a name of one row, with or without it). Every registration wrote it.
DROP INDEX CONCURRENTLY oauth_clients_client_name_idx;
