-- URL client ids (Client ID Metadata Documents) are not stored as clients:
-- their registration is the document at the URL. An operator may still
-- disable one; this table holds that decision, one row per URL ever
-- disabled (enabling again keeps the row, with is_active true).
CREATE TABLE url_client_states (
    client_id TEXT PRIMARY KEY,
    is_active BOOLEAN NOT NULL,
    changed_at BIGINT NOT NULL
);
