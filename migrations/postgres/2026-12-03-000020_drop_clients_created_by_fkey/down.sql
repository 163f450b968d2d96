-- NOT VALID then VALIDATE: the check of the existing rows does not hold the
-- exclusive lock.
ALTER TABLE oauth_clients ADD CONSTRAINT oauth_clients_created_by_fkey
    FOREIGN KEY (created_by) REFERENCES users (id) NOT VALID;
ALTER TABLE oauth_clients VALIDATE CONSTRAINT oauth_clients_created_by_fkey;
