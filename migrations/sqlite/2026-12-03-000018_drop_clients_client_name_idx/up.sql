-- No query can use it: the only filter on client_name is the admin
-- listing's `lower(client_name) LIKE '%...%'` (listing.rs), which SQLite
-- answers by scanning created_at order with or without it.
DROP INDEX oauth_clients_client_name_idx;
