//! Opening the database at start-up (also for `migrate` and the CLI), and
//! the errors that stop start-up, each saying what to do.

use std::net::SocketAddr;
use std::path::Path;

use dcr_store::{DatabaseUrl, Store, StoreConfig, StoreError};

use crate::admin::initial_access;
use crate::app::exit::Failure;
use crate::purge;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("database {url}: {source}")]
    Database { url: String, source: StoreError },
    #[error(
        "database \"{name}\" does not exist ({url}): dcr creates its tables, not the database; create it first, for example: {createdb}"
    )]
    MissingDatabase {
        name: String,
        url: String,
        createdb: String,
    },
    #[error(
        "database sqlite {path}: the directory {directory} does not exist; create it, or point DCR_DATABASE_URL at a file in one that does"
    )]
    MissingDirectory { path: String, directory: String },
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("could not start a thread for {work}: {source}")]
    Thread {
        work: &'static str,
        source: std::io::Error,
    },
    #[error("{0} panicked")]
    Panicked(&'static str),
}

impl StartError {
    /// A refused setting fails again on every restart; the rest may not
    /// (a database that comes up, or is created, a port that is freed).
    pub fn failure(&self) -> Failure {
        match self {
            Self::Config(_) => Failure::Settings,
            Self::Bind { .. }
            | Self::Database { .. }
            | Self::MissingDatabase { .. }
            | Self::MissingDirectory { .. }
            | Self::Thread { .. }
            | Self::Panicked(_) => Failure::Runtime,
        }
    }

    /// A store call that failed at start-up, naming the database (without
    /// its password).
    pub fn database(url: &DatabaseUrl, source: StoreError) -> Self {
        match (source.missing_database(), url) {
            (Some(name), DatabaseUrl::Postgres(raw)) => Self::MissingDatabase {
                createdb: createdb_command(raw, &name),
                name,
                url: url.to_string(),
            },
            _ => Self::Database {
                url: url.to_string(),
                source,
            },
        }
    }
}

/// Opens the store (without connecting), for `migrate`, the CLI and
/// start-up.
pub fn open_store(config: &StoreConfig) -> Result<Store, StartError> {
    Store::open(config).map_err(|source| StartError::database(&config.url, source))
}

/// Applies pending migrations: the first connection, so the one that finds
/// a database unreachable or missing. A SQLite file that did not exist is
/// created by it, and the log names it: a mistyped path must not go
/// unnoticed.
pub fn migrate_store(store: &Store) -> Result<Vec<String>, StartError> {
    let new_sqlite_file = match store.url() {
        DatabaseUrl::Sqlite(path) if !Path::new(path).exists() => {
            // SQLite creates the file, not its directory, and says only
            // that it cannot open the file.
            let directory = Path::new(path)
                .parent()
                .filter(|dir| !dir.as_os_str().is_empty());
            if let Some(directory) = directory.filter(|dir| !dir.is_dir()) {
                return Err(StartError::MissingDirectory {
                    path: path.clone(),
                    directory: directory.display().to_string(),
                });
            }
            Some(path.clone())
        }
        _ => None,
    };
    let applied = store
        .run_migrations()
        .map_err(|source| StartError::database(store.url(), source))?;
    if let Some(path) = new_sqlite_file {
        let shown = std::fs::canonicalize(&path)
            .map_or_else(|_| path.clone(), |full| full.display().to_string());
        log::info!("created the SQLite database {shown}");
    }
    Ok(applied)
}

/// `createdb` with the URL's host, port and user (never its password).
fn createdb_command(raw_url: &str, name: &str) -> String {
    let mut command = String::from("createdb");
    if let Ok(url) = url::Url::parse(raw_url) {
        if let Some(host) = url.host_str().filter(|host| !host.is_empty()) {
            command.push_str(&format!(" -h {}", shell_word(host)));
        }
        if let Some(port) = url.port() {
            command.push_str(&format!(" -p {port}"));
        }
        if !url.username().is_empty() {
            command.push_str(&format!(" -U {}", shell_word(url.username())));
        }
    }
    command.push(' ');
    command.push_str(&shell_word(name));
    command
}

fn shell_word(word: &str) -> String {
    let plain = word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']' | b':'));
    if plain && !word.is_empty() {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Applies pending migrations, then reads when the unused-client purge was
/// armed and warns of initial access token entries written the earlier way.
pub fn ready_database(
    store: Store,
    unused_ttl_secs: u64,
) -> Result<std::thread::JoinHandle<Result<Option<i64>, StartError>>, StartError> {
    let work = move || {
        let applied = migrate_store(&store)?;
        if !applied.is_empty() {
            log::info!("applied migrations {}", applied.join(", "));
        }
        let unused_purge_armed_at = store
            .unused_purge_armed_at()
            .map_err(|source| StartError::database(store.url(), source))?;
        if unused_purge_armed_at.is_none() && unused_ttl_secs > 0 {
            log::warn!("{}", purge::UNARMED);
        }
        initial_access::warn_of_earlier_scheme_entries(&store);
        Ok(unused_purge_armed_at)
    };
    std::thread::Builder::new()
        .name("dcr-start-database".to_owned())
        .spawn(work)
        .map_err(|source| StartError::Thread {
            work: "the database start-up",
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn createdb_names_host_port_and_user_but_no_password() {
        let cases = [
            (
                "postgres://dcr:secret@db.internal:5433/dcr",
                "dcr",
                "createdb -h db.internal -p 5433 -U dcr dcr",
            ),
            (
                "postgres://localhost/dcr",
                "dcr",
                "createdb -h localhost dcr",
            ),
            ("postgres:///dcr", "my db", "createdb 'my db'"),
        ];
        for (url, name, expected) in cases {
            assert_eq!(createdb_command(url, name), expected, "{url}");
        }
    }
}
