DROP TABLE public_client_keys;
