CREATE INDEX oauth_clients_software_id_idx ON oauth_clients (software_id);
