-- The admin listing's software_id filter (listing.rs): `software_id = $1`.
-- It replaces oauth_clients_software_id_idx (dropped by 000017): partial,
-- since the filter never asks for NULL and most clients send no
-- software_id, so their registration does not write it.
CREATE INDEX oauth_clients_some_software_id_idx
    ON oauth_clients (software_id) WHERE software_id IS NOT NULL;
