-- The secret a rotation replaced, kept for the overlap the operator asked
-- for (`keep_old_for`), so both it and the new one authenticate until
-- previous_secret_expires_at (Unix seconds). At most one: a rotation during
-- an overlap drops it. All three are NULL when there is none. An older
-- release that rotates a secret leaves these columns as they are: what they
-- hold still ends at its expiry, which is always set.
ALTER TABLE oauth_clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE oauth_clients ADD COLUMN previous_secret_tag TEXT;
ALTER TABLE oauth_clients ADD COLUMN previous_secret_expires_at BIGINT;
