-- Replaced by oauth_clients_some_software_id_idx (000014), which leaves out
-- the clients without a software_id (no query asks for those).
DROP INDEX oauth_clients_software_id_idx;
