//! The database a shell command works in: named on the first line of
//! stderr, and, for a SQLite file, never created by accident.

use dcr_store::Store;

use super::CliError;
use crate::config::Config;

/// Names the database on stderr, then opens it. Unless `create`, a SQLite
/// file that is not there is an error naming it and `--create`: a mistyped
/// or missing DCR_DATABASE_URL would otherwise give a new empty database
/// (`clients list` saying 0 clients, an import going where nobody looks).
pub fn open(config: &Config, create: bool) -> Result<Store, CliError> {
    let url = &config.database.store.url;
    // Standard error's first line: no log line waits to come before it.
    crate::observability::logging::flush();
    eprintln!("database: {}", url.describe());
    if let Some(file) = url.sqlite_file()
        && !create
        && !file.exists()
    {
        return Err(CliError::NoDatabase(file.display().to_string()));
    }
    let mut store_config = config.database.store.clone();
    // Checked above for the message; the store opens the file in mode=rw
    // too, so one removed since is not created either.
    store_config.create_sqlite = create;
    Store::open(&store_config).map_err(|err| CliError::Operation(err.into()))
}
