CREATE INDEX oauth_clients_lifetime_from_idx ON oauth_clients (lifetime_from);
