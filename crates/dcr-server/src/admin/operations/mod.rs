//! The admin operations, one implementation each, behind both doors: the
//! admin API's handlers (which read the request, call, and answer) and the
//! CLI's `clients` and `tokens` commands (which read the arguments, call,
//! and print). An operation works on the store it is given, so the CLI
//! calls it straight and the API runs it on the database's blocking pool
//! (`on_store`); it answers with what happened, never with HTTP or text.
//! A failure is an `OperationError`, which each door turns into its own
//! answer (`From<OperationError> for ApiError` below, and the CLI's own).

pub mod clients;
pub mod housekeeping;
pub mod rotation;
pub mod tokens;

use dcr_core::cimd::DocumentUrlError;
use dcr_core::{ClientId, RotateError};
use dcr_store::{Store, StoreError};

use crate::cimd::LookupError;
use crate::http::error::ApiError;
use crate::state::AppState;

/// A client as an operator names it: a registered client's id, or a URL
/// client id (Client ID Metadata Documents), decided once, here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRef {
    /// A registered client (`raw` as given, for messages).
    Registered { id: ClientId, raw: String },
    /// A URL client id, as given: it is checked by what uses it (disabling
    /// takes any https URL; verify and lookup apply the operator's rules).
    Url(String),
}

impl ClientRef {
    /// Reads `raw` as a client id. A registered client's id is a UUID, never
    /// a URL, so anything that starts as a URL is meant as a URL client id;
    /// what is neither names no client.
    pub fn parse(raw: &str) -> Result<Self, OperationError> {
        if raw.starts_with("https://") || raw.starts_with("http://") {
            return Ok(Self::Url(raw.to_owned()));
        }
        ClientId::parse(raw)
            .map(|id| Self::Registered {
                id,
                raw: raw.to_owned(),
            })
            .map_err(|_| OperationError::NoSuchClient(raw.to_owned()))
    }

    /// The id as the operator gave it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Registered { raw, .. } | Self::Url(raw) => raw,
        }
    }

    /// The registered client's id, or `refusal` for a URL client id (which
    /// is not stored: no secret, no row to delete, no lifetime).
    fn registered(&self, refusal: &'static str) -> Result<&ClientId, OperationError> {
        match self {
            Self::Registered { id, .. } => Ok(id),
            Self::Url(_) => Err(OperationError::NotForUrlClient(refusal)),
        }
    }
}

/// Why an admin operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// No registered client has this id (as the operator gave it).
    #[error("no client has the client_id {0}")]
    NoSuchClient(String),
    #[error("no initial access token has the id {0}")]
    NoSuchToken(String),
    /// What a URL client id cannot have done to it, and why.
    #[error("{0}")]
    NotForUrlClient(&'static str),
    /// A URL client id that is no https URL (or loopback http, when allowed).
    #[error("the URL client id {0}")]
    NotAUrl(DocumentUrlError),
    /// A URL client id whose document is no client now (`show`).
    #[error("no client at this URL: {0}")]
    NoUrlClient(LookupError),
    #[error("cannot rotate: {0}")]
    Rotate(RotateError),
    /// Another rotation (or an update) changed the secret first: nothing
    /// was stored.
    #[error(
        "the secret changed while this rotation ran (another rotation or an update): nothing was stored"
    )]
    RotatedMeanwhile,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The store's missing row, as the operation names it.
fn missing(err: StoreError, or: impl FnOnce() -> OperationError) -> OperationError {
    match err {
        StoreError::NotFound => or(),
        other => OperationError::Store(other),
    }
}

/// Runs `operation` on the blocking pool, as the admin API must (Diesel
/// blocks its thread), bounded by the request's patience for the database.
pub async fn on_store<T, F>(state: &AppState, operation: F) -> Result<T, OperationError>
where
    F: FnOnce(&Store) -> Result<T, OperationError> + Send + 'static,
    T: Send + 'static,
{
    crate::database::within(state.database_patience, state.store.clone(), move |store| {
        Ok(operation(store))
    })
    .await?
}

/// Of two rotations started from one secret, the second to store finds it
/// gone: its secret, never stored, must not be shown as if it worked.
const ROTATED_MEANWHILE: &str = "the secret changed while this rotation ran (another rotation or an update): nothing was stored; read the client and rotate again if needed";

/// The admin API's answer to each failure (the same answers as before the
/// operations were shared, byte for byte).
impl From<OperationError> for ApiError {
    fn from(err: OperationError) -> Self {
        match err {
            OperationError::NoSuchClient(_) => Self::ClientNotFound,
            OperationError::NoSuchToken(_) => Self::TokenNotFound,
            OperationError::NotForUrlClient(why) => Self::InvalidRequest(why),
            OperationError::NotAUrl(err) => {
                Self::NoUrlClient(LookupError::NotAUrl(err).to_string())
            }
            OperationError::NoUrlClient(LookupError::Busy) => Self::Busy {
                retry_after_secs: 1,
            },
            OperationError::NoUrlClient(other) => Self::NoUrlClient(other.to_string()),
            OperationError::Rotate(RotateError::NotConfidential) => Self::InvalidRequest(
                "this client authenticates without a secret; there is none to rotate",
            ),
            OperationError::Rotate(RotateError::Hash(err)) => {
                Self::internal("hashing a new secret", err)
            }
            OperationError::RotatedMeanwhile => Self::Conflict(ROTATED_MEANWHILE),
            OperationError::Store(err) => Self::from(err),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use actix_web::ResponseError;
    use actix_web::http::StatusCode;

    use super::*;

    #[test]
    fn a_client_id_is_registered_a_url_or_no_client() {
        let uuid = "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60";
        match ClientRef::parse(uuid).unwrap() {
            ClientRef::Registered { id, raw } => {
                assert_eq!(id.to_string(), uuid);
                assert_eq!(raw, uuid);
            }
            other => panic!("{other:?}"),
        }
        for url in ["https://agent.example/c.json", "http://localhost/c"] {
            assert_eq!(ClientRef::parse(url).unwrap(), ClientRef::Url(url.into()));
        }
        for raw in ["", "not-a-client-id", "ftp://example.com/c", " https://x/"] {
            match ClientRef::parse(raw) {
                Err(OperationError::NoSuchClient(named)) => assert_eq!(named, raw),
                other => panic!("{raw}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_admin_api_answers_each_failure_as_before() {
        let cases = [
            (
                OperationError::NoSuchClient("x".into()),
                StatusCode::NOT_FOUND,
            ),
            (
                OperationError::NoSuchToken("x".into()),
                StatusCode::NOT_FOUND,
            ),
            (
                OperationError::NotForUrlClient("no"),
                StatusCode::BAD_REQUEST,
            ),
            (
                OperationError::NoUrlClient(LookupError::Busy),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                OperationError::NoUrlClient(LookupError::Off),
                StatusCode::NOT_FOUND,
            ),
            (
                OperationError::Rotate(RotateError::NotConfidential),
                StatusCode::BAD_REQUEST,
            ),
            (OperationError::RotatedMeanwhile, StatusCode::CONFLICT),
            (
                OperationError::Store(StoreError::Unavailable("down".into())),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        ];
        for (err, status) in cases {
            let shown = format!("{err:?}");
            assert_eq!(ApiError::from(err).status_code(), status, "{shown}");
        }
        assert!(matches!(
            ApiError::from(OperationError::NoSuchClient("x".into())),
            ApiError::ClientNotFound
        ));
    }
}
