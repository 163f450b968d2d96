use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// What the server needs to know about a failed store call. The error
/// beneath it, when there is one (diesel's, r2d2's, a migration's), is kept
/// as its source, for a caller that logs the whole chain.
#[derive(Debug, Clone)]
pub enum StoreError {
    NotFound,
    /// A unique key is already taken.
    Conflict(Cause),
    /// The database cannot be reached or is shutting down: retry later.
    Unavailable(Cause),
    /// Anything else; the cause is for the log, never for a response.
    Other(Cause),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str("not found"),
            Self::Conflict(cause) => write!(f, "conflict: {cause}"),
            Self::Unavailable(cause) => write!(f, "database unavailable: {cause}"),
            Self::Other(cause) => write!(f, "database error: {cause}"),
        }
    }
}

impl Error for StoreError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::NotFound => None,
            Self::Conflict(cause) | Self::Unavailable(cause) | Self::Other(cause) => cause.source(),
        }
    }
}

/// Why a store call failed: a message (never a password: database URLs are
/// redacted before they reach one), and the error beneath it, shared so a
/// failed batch can answer each of its callers.
#[derive(Debug, Clone)]
pub struct Cause {
    message: String,
    source: Option<Arc<dyn Error + Send + Sync>>,
}

impl Cause {
    /// A cause that is an error of a library below.
    pub(crate) fn of(source: impl Error + Send + Sync + 'static) -> Self {
        Self {
            message: source.to_string(),
            source: Some(Arc::new(source)),
        }
    }

    /// A cause that is an error below, met while doing `context`.
    pub(crate) fn while_doing(context: &str, source: impl Error + Send + Sync + 'static) -> Self {
        Self {
            message: format!("{context}: {source}"),
            source: Some(Arc::new(source)),
        }
    }

    fn of_boxed(source: Box<dyn Error + Send + Sync>) -> Self {
        Self {
            message: source.to_string(),
            source: Some(Arc::from(source)),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn Error + 'static))
    }
}

/// A cause told in words alone.
impl From<String> for Cause {
    fn from(message: String) -> Self {
        Self {
            message,
            source: None,
        }
    }
}

impl From<&str> for Cause {
    fn from(message: &str) -> Self {
        message.to_owned().into()
    }
}

impl StoreError {
    /// The name of the Postgres database the URL names when the server says
    /// it does not exist (SQLSTATE 3D000). Unlike an outage, waiting does
    /// not help: someone must create it. At connection time libpq hands
    /// over only the server's message (`FATAL:  database "x" does not
    /// exist`), so the message is read; a server speaking another language
    /// than English is not recognised, and the error stays an outage.
    pub fn missing_database(&self) -> Option<String> {
        let Self::Unavailable(cause) = self else {
            return None;
        };
        missing_database_in(&cause.message)
    }

    /// Anything else, from an error beneath (a migration harness's).
    pub(crate) fn other(source: Box<dyn Error + Send + Sync>) -> Self {
        Self::Other(Cause::of_boxed(source))
    }
}

impl From<diesel::result::Error> for StoreError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as Diesel};
        match &err {
            Diesel::NotFound => Self::NotFound,
            Diesel::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::Conflict(Cause::of(err))
            }
            Diesel::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )
            | Diesel::BrokenTransactionManager => Self::Unavailable(Cause::of(err)),
            // A standby, or a primary that became read-only: no write can
            // succeed until a writable primary is reached again.
            Diesel::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => {
                Self::Unavailable(Cause::of(err))
            }
            Diesel::DatabaseError(_, info) if is_transient(info.message()) => {
                Self::Unavailable(Cause::of(err))
            }
            _ => Self::Other(Cause::of(err)),
        }
    }
}

impl From<r2d2::Error> for StoreError {
    /// The pool gives up only when no connection could be had in time.
    fn from(err: r2d2::Error) -> Self {
        Self::Unavailable(Cause::of(err))
    }
}

impl From<crate::gate::Closed> for StoreError {
    fn from(closed: crate::gate::Closed) -> Self {
        Self::Unavailable(Cause::of(closed))
    }
}

/// Messages of errors that go away by themselves: a Postgres restart or
/// failover, or a SQLite writer that held the lock past the busy timeout.
fn is_transient(message: &str) -> bool {
    const TRANSIENT: [&str; 3] = [
        "database is locked",
        "database is busy",
        "the database system is",
    ];
    TRANSIENT.iter().any(|needle| message.contains(needle)) || is_lost_connection_message(message)
}

fn is_lost_connection_message(message: &str) -> bool {
    const LOST: [&str; 4] = [
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "connection to server",
    ];
    LOST.iter().any(|needle| message.contains(needle))
}

/// Whether the server refused a write as read-only (SQLSTATE 25006).
pub(crate) fn is_read_only(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ReadOnlyTransaction,
            _
        )
    )
}

/// What a readiness check reports when the server it reached takes no writes.
pub(crate) fn read_only_server() -> diesel::result::Error {
    diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::ReadOnlyTransaction,
        Box::new("the database server is read-only (a standby, or read-only sessions)".to_owned()),
    )
}

fn missing_database_in(message: &str) -> Option<String> {
    const BEFORE: &str = "database \"";
    const AFTER: &str = "\" does not exist";
    let end = message.find(AFTER)?;
    let start = message[..end].rfind(BEFORE)? + BEFORE.len();
    Some(message[start..end].to_owned())
}

/// Whether the connection itself is gone (the server restarted, failed over or
/// killed the session) or of no use for writing (it landed on a standby, or
/// on a server that turned read-only, SQLSTATE 25006): the connection must be
/// discarded, and the work may be tried again on a fresh one, which libpq
/// opens on a writable host of a multi-host URL with
/// `target_session_attrs=read-write`. Nothing was written: the server
/// refuses a read-only transaction's write before it does any.
pub(crate) fn is_connection_lost(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::ReadOnlyTransaction,
            _,
        ) => true,
        Error::DatabaseError(_, info) => is_lost_connection_message(info.message()),
        Error::BrokenTransactionManager => true,
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_database_is_named() {
        let cases = [
            (
                "timed out waiting for connection: could not connect: connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"dcr\" does not exist\n",
                Some("dcr"),
            ),
            ("FATAL:  database \"a b\" does not exist", Some("a b")),
            ("FATAL:  role \"dcr\" does not exist", None),
            ("connection refused", None),
        ];
        for (message, expected) in cases {
            let err = StoreError::Unavailable(Cause::from(message));
            assert_eq!(err.missing_database().as_deref(), expected, "{message}");
        }
        let other = StoreError::Other(Cause::from("FATAL:  database \"x\" does not exist"));
        assert_eq!(other.missing_database(), None);
    }

    /// The error beneath, whichever variant it ended in, is the source.
    #[test]
    fn the_error_beneath_is_kept_as_the_source() {
        let not_found = StoreError::from(diesel::result::Error::NotFound);
        assert!(matches!(not_found, StoreError::NotFound));
        assert!(not_found.source().is_none());

        let broken = StoreError::from(diesel::result::Error::BrokenTransactionManager);
        assert!(matches!(broken, StoreError::Unavailable(_)));
        let source = broken.source().expect("a source");
        assert!(source.downcast_ref::<diesel::result::Error>().is_some());
        assert_eq!(
            broken.to_string(),
            format!("database unavailable: {source}")
        );

        let other = StoreError::from(diesel::result::Error::RollbackTransaction);
        assert!(matches!(other, StoreError::Other(_)));
        assert!(
            other
                .source()
                .and_then(|source| source.downcast_ref::<diesel::result::Error>())
                .is_some()
        );

        let closed = StoreError::from(crate::gate::Closed);
        assert!(
            closed
                .source()
                .unwrap()
                .downcast_ref::<crate::gate::Closed>()
                .is_some()
        );

        let migration = StoreError::other("bad migration".into());
        assert_eq!(migration.to_string(), "database error: bad migration");
        assert!(migration.source().is_some());

        let spawning = StoreError::Other(Cause::while_doing(
            "starting a writer thread",
            std::io::Error::other("no threads left"),
        ));
        assert_eq!(
            spawning.to_string(),
            "database error: starting a writer thread: no threads left"
        );
        assert!(
            spawning
                .source()
                .unwrap()
                .downcast_ref::<std::io::Error>()
                .is_some()
        );
    }

    /// A failed batch answers each caller with the same error, chain and all.
    #[test]
    fn clones_share_the_source() {
        let original = StoreError::from(diesel::result::Error::BrokenTransactionManager);
        let copy = original.clone();
        assert_eq!(copy.to_string(), original.to_string());
        assert!(copy.source().is_some());
    }

    #[test]
    fn a_cause_in_words_has_no_source() {
        let words = StoreError::Other("client x has a corrupt metadata".into());
        assert_eq!(
            words.to_string(),
            "database error: client x has a corrupt metadata"
        );
        assert!(words.source().is_none());
    }
}
