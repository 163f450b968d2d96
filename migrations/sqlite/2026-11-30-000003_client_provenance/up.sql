-- Where each client came from, as JSON: the client address and User-Agent of
-- its registration, and how it was created ("open" or "admin"). NULL for
-- clients registered before it was recorded.
ALTER TABLE oauth_clients ADD COLUMN provenance TEXT;
