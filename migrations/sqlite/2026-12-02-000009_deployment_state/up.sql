-- Facts about the deployment as a whole, one row each, written once (the
-- first writer wins: INSERT ... ON CONFLICT DO NOTHING).
-- `unused_purge_armed_at`: when a verify call or a used report first showed
-- that this deployment reports the use of its clients (Unix seconds). Until
-- then the never-used rule (DCR_UNUSED_CLIENT_TTL_SECS) deletes nothing.
-- It starts empty: a deployment arms on its first such call after the
-- upgrade, so no client is deleted as never used sooner than one TTL later.
CREATE TABLE deployment_state (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
