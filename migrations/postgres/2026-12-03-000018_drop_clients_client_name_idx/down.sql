CREATE INDEX CONCURRENTLY oauth_clients_client_name_idx ON oauth_clients (client_name);
