CREATE INDEX oauth_clients_created_by_idx ON oauth_clients (created_by);
