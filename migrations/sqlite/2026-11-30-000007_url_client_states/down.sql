DROP TABLE url_client_states;
