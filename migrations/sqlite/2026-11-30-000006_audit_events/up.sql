-- The audit trail: what happened to each client and initial access token,
-- when and by whom. Written in the transaction of the change it records, so
-- no change goes unrecorded. Kept for DCR_AUDIT_RETENTION_SECS; the rows of
-- a deleted client stay (that is when they matter).
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    client_id TEXT,
    token_id TEXT,
    actor TEXT NOT NULL
);
CREATE INDEX audit_events_client_idx ON audit_events (client_id, id);
CREATE INDEX audit_events_at_idx ON audit_events (at);
