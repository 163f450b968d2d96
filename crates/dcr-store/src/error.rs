use std::fmt;

/// What the server needs to know about a failed store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique key is already taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or is shutting down: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the cause is for the log, never for a response.
    #[error("database error: {0}")]
    Other(String),
}

impl StoreError {
    pub(crate) fn other(cause: impl fmt::Display) -> Self {
        Self::Other(cause.to_string())
    }

    /// The same error, for each caller of a failed batch.
    pub(crate) fn clone_for_reply(&self) -> Self {
        match self {
            Self::NotFound => Self::NotFound,
            Self::Conflict(cause) => Self::Conflict(cause.clone()),
            Self::Unavailable(cause) => Self::Unavailable(cause.clone()),
            Self::Other(cause) => Self::Other(cause.clone()),
        }
    }
}

impl From<diesel::result::Error> for StoreError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict(info.message().to_owned())
            }
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::Unavailable(info.message().to_owned()),
            Error::DatabaseError(_, info) if is_transient(info.message()) => {
                Self::Unavailable(info.message().to_owned())
            }
            Error::BrokenTransactionManager => Self::Unavailable(err.to_string()),
            other => Self::Other(other.to_string()),
        }
    }
}

impl From<r2d2::Error> for StoreError {
    /// The pool gives up only when no connection could be had in time.
    fn from(err: r2d2::Error) -> Self {
        Self::Unavailable(err.to_string())
    }
}

impl From<crate::gate::Closed> for StoreError {
    fn from(closed: crate::gate::Closed) -> Self {
        Self::Unavailable(closed.to_string())
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

/// Whether the connection itself is gone (the server restarted, failed over or
/// killed the session): the connection must be discarded, and the work may be
/// tried again on a fresh one.
pub(crate) fn is_connection_lost(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::DatabaseError(_, info) => is_lost_connection_message(info.message()),
        Error::BrokenTransactionManager => true,
        _ => false,
    }
}
