//! Reading the database of the Next.js + libSQL registration endpoint that
//! dcr replaces (`dcr-server import`): its `oauth_clients` table (and
//! `users`, when there), as that application creates them, read as text and
//! left for the caller to judge (docs/import.md shows the schema). The file is opened read-only: an import never changes
//! its source.

use std::collections::HashSet;
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
    /// The e-mail of the user in `created_by`, when the database has `users`
    /// and `created_by` and that user exists.
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
    let unreadable = |err: diesel::result::Error| {
        StoreError::Other(format!("cannot read {}: {err}", path.display()).into())
    };
    let clients = columns(&mut conn, "oauth_clients").map_err(unreadable)?;
    let missing: Vec<&str> = CLIENT_COLUMNS
        .iter()
        .copied()
        .filter(|column| !clients.contains(*column))
        .collect();
    if !missing.is_empty() {
        let what = if clients.is_empty() {
            "has no oauth_clients table".to_owned()
        } else {
            format!(
                "has an oauth_clients table without the columns {}",
                missing.join(", ")
            )
        };
        return Err(StoreError::Other(
            format!(
                "{} {what}: it is not the registration endpoint's database (docs/import.md shows the schema the import reads)",
                path.display()
            )
            .into(),
        ));
    }
    // The creator's e-mail only where the endpoint recorded it: databases
    // without `users` or `created_by` import as well.
    let users = columns(&mut conn, "users").map_err(unreadable)?;
    let (email, join) =
        if clients.contains("created_by") && users.contains("id") && users.contains("email") {
            ("u.email", "LEFT JOIN users u ON u.id = c.created_by")
        } else {
            ("NULL", "")
        };
    diesel::sql_query(format!(
        "SELECT c.client_id, c.client_secret_hash, c.name, c.redirect_uris, c.allowed_scopes, \
                CAST(c.created_at AS TEXT) AS created_at, {email} AS created_by_email, \
                CAST(c.is_active AS TEXT) AS is_active, c.metadata \
         FROM oauth_clients c {join} \
         ORDER BY c.rowid"
    ))
    .load(&mut conn)
    .map_err(unreadable)
}

/// The columns of `oauth_clients` the import reads (`users` and
/// `oauth_clients.created_by` are read when there).
pub const CLIENT_COLUMNS: [&str; 8] = [
    "client_id",
    "client_secret_hash",
    "name",
    "redirect_uris",
    "allowed_scopes",
    "created_at",
    "is_active",
    "metadata",
];

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The columns of `table`; none when there is no such table.
fn columns(
    conn: &mut SqliteConnection,
    table: &str,
) -> Result<HashSet<String>, diesel::result::Error> {
    let columns: Vec<Column> = diesel::sql_query("SELECT name FROM pragma_table_info(?)")
        .bind::<Text, _>(table)
        .load(conn)?;
    // SQLite matches column names without regard to case.
    Ok(columns
        .into_iter()
        .map(|column| column.name.to_ascii_lowercase())
        .collect())
}

/// A path as the path of a `file:` URI: `%`, `?` and `#` would otherwise
/// end or change it.
pub(crate) fn percent_encode_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23")
}
