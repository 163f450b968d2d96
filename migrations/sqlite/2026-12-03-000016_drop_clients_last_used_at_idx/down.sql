CREATE INDEX oauth_clients_last_used_at_idx ON oauth_clients (last_used_at);
