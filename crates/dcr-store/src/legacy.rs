//! Reading the database of the Next.js + libSQL registration endpoint that
//! dcr replaces (`dcr-server import`): its `users` and `oauth_clients`
//! tables, as that application creates them, read as text and left for the
//! caller to judge. The file is opened read-only: an import never changes
//! its source.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use crate::StoreError;

/// The e-mail of the user that owns self-registered clients there.
pub const LEGACY_SYSTEM_EMAIL: &str = "system@mcp-memory.internal";

/// One row of the old `oauth_clients`, every column as stored.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct LegacyClient {
    #[diesel(sql_type = Text)]
    pub client_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub client_secret_hash: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub redirect_uris: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub allowed_scopes: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub created_at: Option<String>,
    /// The e-mail of the user in `created_by`, when that user exists.
    #[diesel(sql_type = Nullable<Text>)]
    pub created_by_email: Option<String>,
    /// `is_active` as text: the column is an INTEGER 0/1, but SQLite keeps
    /// whatever was written.
    #[diesel(sql_type = Nullable<Text>)]
    pub is_active: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub metadata: Option<String>,
}

/// Every client of the old database, in `rowid` order (the order they were
/// created in).
pub fn read_legacy_clients(path: &Path) -> Result<Vec<LegacyClient>, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Other(
            format!("{} is not a file", path.display()).into(),
        ));
    }
    // A URI filename with mode=ro: SQLite opens it read-only and never
    // creates it.
    let uri = format!(
        "file:{}?mode=ro",
        percent_encode_path(&path.to_string_lossy())
    );
    let mut conn = SqliteConnection::establish(&uri).map_err(|err| {
        StoreError::Other(format!("cannot open {}: {err}", path.display()).into())
    })?;
    diesel::sql_query(
        "SELECT c.client_id, c.client_secret_hash, c.name, c.redirect_uris, c.allowed_scopes, \
                CAST(c.created_at AS TEXT) AS created_at, u.email AS created_by_email, \
                CAST(c.is_active AS TEXT) AS is_active, c.metadata \
         FROM oauth_clients c LEFT JOIN users u ON u.id = c.created_by \
         ORDER BY c.rowid",
    )
    .load(&mut conn)
    .map_err(|err| {
        StoreError::Other(
            format!(
                "{} does not hold the endpoint's users and oauth_clients tables: {err}",
                path.display()
            )
            .into(),
        )
    })
}

/// A path as the path of a `file:` URI: `%`, `?` and `#` would otherwise
/// end or change it.
pub(crate) fn percent_encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23")
}
