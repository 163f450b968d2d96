//! Connections to either backend, behind one Diesel connection type.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel::{PgConnection, SqliteConnection};

use crate::conninfo;
use crate::gate::{Closed, Gate};

/// SQLite's name for a database that lives in memory, with no file.
const IN_MEMORY: &str = ":memory:";

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
    /// A `postgres://` or `postgresql://` URL, or a libpq key/value string
    /// (`host=db dbname=dcr`), passed to libpq as given.
    Postgres(String),
    /// A SQLite file path (from a plain path or a `sqlite://` URL).
    Sqlite(String),
}

impl DatabaseUrl {
    /// `postgres://...`, `postgresql://...` and libpq key/value strings
    /// (`host=db dbname=dcr`) are Postgres. `sqlite://PATH`, `sqlite:PATH`
    /// and any other string are a SQLite file path.
    pub fn parse(raw: &str) -> Result<Self, InvalidDatabaseUrl> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(InvalidDatabaseUrl("it is empty"));
        }
        if conninfo::is_uri(raw) || conninfo::is_key_value(raw) {
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

    /// Where the data lives, as the CLI's first line names it: a Postgres
    /// URL without its password, or `sqlite` and the file's absolute path.
    pub fn describe(&self) -> String {
        match self {
            Self::Postgres(raw) if conninfo::is_uri(raw) => conninfo::redacted(raw),
            Self::Postgres(raw) => format!("postgres {}", conninfo::redacted(raw)),
            Self::Sqlite(path) => match self.sqlite_file() {
                Some(file) => format!("sqlite {}", file.display()),
                None => format!("sqlite {path}"),
            },
        }
    }

    /// The file a SQLite URL names, made absolute (a relative path is read
    /// from the working directory); `None` for Postgres and for an
    /// in-memory database, which has no file.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        match self {
            Self::Sqlite(path) if path != IN_MEMORY => {
                Some(std::path::absolute(path).unwrap_or_else(|_| path.into()))
            }
            _ => None,
        }
    }
}

/// Prints the backend and, for Postgres, the URL without its password.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(url) => write!(f, "postgres {}", conninfo::redacted(url)),
            Self::Sqlite(path) => write!(f, "sqlite {path}"),
        }
    }
}

/// As [`DatabaseUrl::describe`] names it: every message that names the
/// database names it the same way.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// libpq's TCP keepalives, added unless the URL sets them: an idle pooled
/// connection to a primary that vanished without closing it (a partition, a
/// host that died) is found dead within about 11 s (5 s idle, then 3 probes
/// 2 s apart) instead of the kernel's two hours, and discarded.
pub(crate) const KEEPALIVES: [(&str, &str); 4] = [
    ("keepalives", "1"),
    ("keepalives_idle", "5"),
    ("keepalives_interval", "2"),
    ("keepalives_count", "3"),
];

/// The URL libpq is given. Unless the operator set them:
/// - `connect_timeout`: a connection attempt gives up after `timeout` (at
///   least libpq's minimum of two seconds; with several hosts, per host).
///   Without it, an unreachable host holds a pool thread for the kernel's
///   TCP timeout, minutes, and the pool recovers that much later.
/// - `tcp_user_timeout`, as long: a statement sent to a host that no longer
///   acknowledges it (a partition) fails then, instead of after the
///   kernel's retransmissions (about 15 minutes). A slow statement is not
///   cut short: the server's kernel acknowledges it at once.
/// - [`KEEPALIVES`].
///
/// No `statement_timeout`: the server enforces it, so it bounds nothing on a
/// primary that is frozen or cut off; and a cancel that reaches a commit
/// waiting for a synchronous standby leaves it committed on the primary
/// (Postgres only warns), acknowledged without being replicated.
pub(crate) fn with_timeouts(url: &str, timeout: Duration) -> String {
    let seconds = timeout.as_secs_f64().ceil().max(2.0);
    let connect_timeout = format!("{seconds:.0}");
    let tcp_user_timeout = format!("{:.0}", seconds * 1000.0);
    [
        ("connect_timeout", connect_timeout.as_str()),
        ("tcp_user_timeout", tcp_user_timeout.as_str()),
    ]
    .into_iter()
    .chain(KEEPALIVES)
    .fold(url.to_owned(), |url, (keyword, value)| {
        if conninfo::sets(&url, keyword) {
            url
        } else {
            conninfo::with_pair(&url, keyword, value)
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid database URL: {0}")]
pub struct InvalidDatabaseUrl(&'static str);

/// Opens connections for the r2d2 pool. Unlike Diesel's generic manager, it
/// picks the backend from the URL, so an unreachable Postgres is never mistaken
/// for a SQLite file name.
#[derive(Debug, Clone)]
pub(crate) struct Manager {
    pub(crate) url: DatabaseUrl,
    pub(crate) sqlite_busy_timeout: Duration,
    /// Whether opening a SQLite file that is not there creates it.
    pub(crate) create_sqlite: bool,
    /// The store's gate: r2d2 opens connections on its own threads, also
    /// after the caller that asked for one gave up, so connecting counts as
    /// work under way and stops once the store is closed.
    pub(crate) gate: Arc<Gate>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ManagerError {
    #[error("could not connect: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("connection check failed: {0}")]
    Check(#[from] diesel::result::Error),
    #[error(transparent)]
    Closed(#[from] Closed),
}

/// A pooled connection, and whether the database dropped it under us.
pub(crate) struct PooledConn {
    pub(crate) inner: AnyConnection,
    /// Set when a query failed because the connection is gone; the pool then
    /// discards it instead of handing it out again.
    pub(crate) lost: bool,
    /// When opening it began: a connection begun before the server was
    /// found read-only may be read-only too, whatever the server is now.
    pub(crate) opened: std::time::Instant,
}

impl fmt::Debug for PooledConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledConn")
            .field("inner", &self.inner)
            .field("lost", &self.lost)
            .field("opened", &self.opened)
            .finish()
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = PooledConn;
    type Error = ManagerError;

    fn connect(&self) -> Result<PooledConn, ManagerError> {
        let _connecting = self.gate.enter()?;
        let opened = std::time::Instant::now();
        Ok(PooledConn {
            inner: self.open()?,
            lost: false,
            opened,
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
                let mut conn = if self.create_sqlite || path == IN_MEMORY {
                    SqliteConnection::establish(path)?
                } else {
                    // A URI filename with mode=rw: SQLite opens the file
                    // only if it is there, so a file removed after the
                    // caller looked is never created again.
                    SqliteConnection::establish(&format!(
                        "file:{}?mode=rw",
                        crate::legacy::percent_encode_path(path)
                    ))?
                };
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_sqlite_file_is_created_only_when_asked() {
        let dir = std::env::temp_dir().join(format!("dcr-rw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // `?` and `#` would end a URI filename unless encoded.
        let path = dir.join("odd?name#1.sqlite3");
        let _ = std::fs::remove_file(&path);
        let open = |create_sqlite| {
            let mut config =
                crate::StoreConfig::new(DatabaseUrl::Sqlite(path.display().to_string()));
            config.create_sqlite = create_sqlite;
            crate::Store::open(&config).unwrap()
        };
        let refused = open(false);
        assert!(refused.run_migrations().is_err());
        refused.close(Duration::from_secs(1));
        assert!(!path.exists(), "mode=rw creates nothing");
        let created = open(true);
        created.run_migrations().unwrap();
        created.close(Duration::from_secs(1));
        assert!(path.exists());
        let reopened = open(false);
        assert!(reopened.run_migrations().unwrap().is_empty());
        reopened.close(Duration::from_secs(1));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn libpq_gets_a_connect_timeout_unless_one_is_set() {
        let cases = [
            (
                "postgres://dcr@db/dcr",
                Duration::from_secs(3),
                "postgres://dcr@db/dcr?connect_timeout=3",
            ),
            (
                "postgres://dcr@db/dcr",
                Duration::from_millis(300),
                "postgres://dcr@db/dcr?connect_timeout=2",
            ),
            (
                "postgres://dcr@db/dcr",
                Duration::from_millis(4_500),
                "postgres://dcr@db/dcr?connect_timeout=5",
            ),
            (
                "postgres://dcr@db/dcr?sslmode=require",
                Duration::from_secs(3),
                "postgres://dcr@db/dcr?sslmode=require&connect_timeout=3",
            ),
            (
                "postgres://dcr@db/dcr?connect_timeout=30",
                Duration::from_secs(3),
                "postgres://dcr@db/dcr?connect_timeout=30",
            ),
            (
                "postgres://h1:5432,h2:5432/dcr?target_session_attrs=read-write",
                Duration::from_secs(3),
                "postgres://h1:5432,h2:5432/dcr?target_session_attrs=read-write&connect_timeout=3",
            ),
            (
                "host=db dbname=dcr",
                Duration::from_secs(3),
                "host=db dbname=dcr connect_timeout=3",
            ),
            (
                "host=db connect_timeout=30",
                Duration::from_secs(3),
                "host=db connect_timeout=30",
            ),
            (
                "postgresql:///dcr?host=/var/run/postgresql",
                Duration::from_secs(3),
                "postgresql:///dcr?host=/var/run/postgresql&connect_timeout=3",
            ),
        ];
        for (url, timeout, expected) in cases {
            let separator = if conninfo::is_uri(url) { "&" } else { " " };
            let seconds = timeout.as_secs_f64().ceil().max(2.0);
            let mut tail = format!("{separator}tcp_user_timeout={:.0}", seconds * 1000.0);
            for (keyword, value) in KEEPALIVES {
                tail.push_str(&format!("{separator}{keyword}={value}"));
            }
            assert_eq!(
                with_timeouts(url, timeout),
                format!("{expected}{tail}"),
                "{url}"
            );
        }
    }

    #[test]
    fn keepalives_the_url_sets_are_kept() {
        let url = "postgres://db/dcr?keepalives_idle=60&tcp_user_timeout=0";
        let given = with_timeouts(url, Duration::from_secs(3));
        assert_eq!(
            given,
            "postgres://db/dcr?keepalives_idle=60&tcp_user_timeout=0&connect_timeout=3\
             &keepalives=1&keepalives_interval=2&keepalives_count=3"
        );
        let key_value = with_timeouts("host=db keepalives=0", Duration::from_secs(3));
        assert!(
            key_value.starts_with("host=db keepalives=0 connect_timeout=3"),
            "{key_value}"
        );
        assert_eq!(key_value.matches("keepalives=").count(), 1, "{key_value}");
    }
}
