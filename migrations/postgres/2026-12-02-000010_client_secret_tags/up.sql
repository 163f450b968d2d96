-- The tag of a client's secret beside its bcrypt hash (see dcr-core's
-- secret_tag): a wrong secret is refused without running bcrypt. NULL for a
-- SHA-256 hash, an imported secret, and a secret issued before this column
-- until its first confirmed use. A release that does not know the column
-- leaves it as it is when it replaces a secret; the tag names the hash it
-- was made with, so a stale one is ignored.
ALTER TABLE oauth_clients ADD COLUMN client_secret_tag TEXT;
