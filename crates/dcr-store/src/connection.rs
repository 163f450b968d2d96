//! Connections to either backend, behind one Diesel connection type.

use std::fmt;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel::{PgConnection, SqliteConnection};

/// Every query goes through this one type, so both backends share one code path.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

impl fmt::Debug for AnyConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Postgresql(_) => "AnyConnection::Postgresql",
            Self::Sqlite(_) => "AnyConnection::Sqlite",
        })
    }
}

/// Where the data lives, parsed from `DCR_DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A `postgres://` or `postgresql://` URL, passed to libpq as given.
    Postgres(String),
    /// A SQLite file path (from a plain path or a `sqlite://` URL).
    Sqlite(String),
}

impl DatabaseUrl {
    /// `postgres://...` and `postgresql://...` are Postgres. `sqlite://PATH`,
    /// `sqlite:PATH` and any other string are a SQLite file path.
    pub fn parse(raw: &str) -> Result<Self, InvalidDatabaseUrl> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(InvalidDatabaseUrl("it is empty"));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.is_empty() {
            return Err(InvalidDatabaseUrl("the SQLite URL names no file"));
        }
        if path.contains("://") {
            return Err(InvalidDatabaseUrl(
                "only postgres:// and sqlite:// URLs (or a file path) are supported",
            ));
        }
        Ok(Self::Sqlite(path.to_owned()))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// Prints the backend and, for Postgres, the URL without its password.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(url) => write!(f, "postgres {}", redact_password(url)),
            Self::Sqlite(path) => write!(f, "sqlite {path}"),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

fn redact_password(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only fails for URLs that cannot have a password at all.
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid database URL: {0}")]
pub struct InvalidDatabaseUrl(&'static str);

/// Opens connections for the r2d2 pool. Unlike Diesel's generic manager, it
/// picks the backend from the URL, so an unreachable Postgres is never mistaken
/// for a SQLite file name.
#[derive(Debug)]
pub(crate) struct Manager {
    pub(crate) url: DatabaseUrl,
    pub(crate) sqlite_busy_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ManagerError {
    #[error("could not connect: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("connection check failed: {0}")]
    Check(#[from] diesel::result::Error),
}

/// A pooled connection, and whether the database dropped it under us.
pub(crate) struct PooledConn {
    pub(crate) inner: AnyConnection,
    /// Set when a query failed because the connection is gone; the pool then
    /// discards it instead of handing it out again.
    pub(crate) lost: bool,
}

impl fmt::Debug for PooledConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledConn")
            .field("inner", &self.inner)
            .field("lost", &self.lost)
            .finish()
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = PooledConn;
    type Error = ManagerError;

    fn connect(&self) -> Result<PooledConn, ManagerError> {
        Ok(PooledConn {
            inner: self.open()?,
            lost: false,
        })
    }

    fn is_valid(&self, conn: &mut PooledConn) -> Result<(), ManagerError> {
        Ok(conn.inner.ping()?)
    }

    fn has_broken(&self, conn: &mut PooledConn) -> bool {
        std::thread::panicking() || conn.lost || conn.inner.is_broken()
    }
}

impl Manager {
    fn open(&self) -> Result<AnyConnection, ManagerError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                Ok(AnyConnection::Postgresql(PgConnection::establish(url)?))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // WAL lets readers run beside the writer; the busy timeout makes
                // concurrent writers wait their turn instead of failing with
                // "database is locked"; synchronous=FULL keeps every
                // acknowledged write across a power loss.
                conn.batch_execute(&format!(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA busy_timeout = {};",
                    self.sqlite_busy_timeout.as_millis()
                ))
                .map_err(|err| diesel::ConnectionError::BadConnection(err.to_string()))?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}
