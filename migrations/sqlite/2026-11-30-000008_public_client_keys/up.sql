-- DCR_DEDUP_PUBLIC: the public client last registered with each metadata,
-- by the SHA-256 of its canonical metadata. A row may outlive its client
-- (deleted, purged, updated or disabled since): a lookup checks the client
-- itself, and the purge drops rows whose client is gone.
CREATE TABLE public_client_keys (
    fingerprint TEXT PRIMARY KEY,
    client_id TEXT NOT NULL
);
