//! The one place where failures become HTTP answers. Every body is JSON with
//! `error` and `error_description` (RFC 7591 section 3.2.2); internal causes go
//! to the log, once, when the response is made, never into a response.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use dcr_core::MetadataError;
use dcr_store::StoreError;
use serde_json::{Map, Value};

use crate::admission::hashing::HashingError;

/// Seconds a client should wait before retrying after a 503.
const RETRY_AFTER_SECS: &str = "5";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Metadata(#[from] MetadataError),
    /// The body is not JSON; the description says where parsing stopped.
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body must be JSON sent with Content-Type: application/json")]
    UnsupportedMediaType,
    /// A content coding: a gateway that decodes it would read another body
    /// than dcr, which does not.
    #[error(
        "the request body must be sent as it is: Content-Encoding, when present, must be identity"
    )]
    UnsupportedContentEncoding,
    /// A charset but UTF-8 (RFC 8259 section 8.1): a gateway that honours it
    /// would read another body than dcr, which reads UTF-8.
    #[error("the request body must be UTF-8: a charset parameter, when present, must be utf-8")]
    UnsupportedCharset,
    #[error("the request body must be at most {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body could not be read")]
    UnreadableBody,
    /// A body error on the admin API, outside RFC 7591/7592, where
    /// `invalid_client_metadata` would misname it: the same status and
    /// description, with RFC 6749's `invalid_request`.
    #[error("{0}")]
    AdminBody(Box<ApiError>),
    /// No route of the listener's table serves the path.
    #[error("there is nothing at this path")]
    NoSuchRoute,
    /// The row a request named is not stored, where the handler has not
    /// said what that means on its endpoint: answered as a path with
    /// nothing at it, never as a server fault.
    #[error("there is nothing at this path")]
    NoSuchRow,
    /// RFC 8414 metadata that would lack a required member is not published.
    #[error("this server publishes no authorization server metadata: discovery is not configured")]
    DiscoveryNotConfigured,
    /// RFC 7592 section 2 and RFC 6750 section 3.1: a missing, malformed,
    /// wrong or revoked registration access token. Also for unknown clients,
    /// so the answer says nothing about which clients exist.
    #[error("the registration access token is missing, invalid or revoked")]
    InvalidToken,
    /// RFC 7591 section 3 and RFC 6750 section 3.1: registration needs an
    /// initial access token (`DCR_REGISTRATION=token`), or the one presented
    /// does not authorize registrations (any more).
    #[error(
        "registration needs a valid initial access token as a bearer token; the one presented, if any, is unknown, expired, used up or revoked"
    )]
    InvalidInitialAccessToken,
    #[error("no initial access token has this id")]
    TokenNotFound,
    /// A URL client id whose document is not (now) a client's registration.
    #[error("no client at this URL: {0}")]
    NoUrlClient(String),
    #[error("the admin API needs the bearer token configured in DCR_ADMIN_TOKEN")]
    AdminUnauthorized,
    /// The admin listener refuses browsers, and without a token any host
    /// but loopback (see `admin_guard`).
    #[error("{0}")]
    AdminForbidden(&'static str),
    #[error("no client has this client_id")]
    ClientNotFound,
    #[error("{0}")]
    InvalidRequest(&'static str),
    /// The state a change started from changed under it (two secret
    /// rotations at once): nothing was stored.
    #[error("{0}")]
    Conflict(&'static str),
    #[error("this method is not allowed here; use {allow}")]
    MethodNotAllowed { allow: String },
    #[error("the client registration database is unavailable; retry later")]
    Unavailable,
    /// A line of work is longer than its wait allows, or the server is
    /// stopping.
    #[error("the server is busy; retry in {retry_after_secs} seconds")]
    Busy { retry_after_secs: u64 },
    /// Over a registration rate limit (`DCR_RATE_LIMIT`, `DCR_RATE_LIMIT_GLOBAL`),
    /// or the failed-credential limit (`DCR_FAILED_AUTH_LIMIT`).
    #[error("{}; retry after {} seconds", match .0.scope { crate::admission::rate_limit::LimitScope::Address => "too many registrations from this address", crate::admission::rate_limit::LimitScope::Global => "too many registrations at the moment", crate::admission::rate_limit::LimitScope::FailedCredentials => "too many failed credentials from this address" }, .0.retry_after_secs)]
    RateLimited(crate::admission::rate_limit::Limited),
    /// Anything unexpected: a fixed answer, and the cause in the log.
    #[error("the server failed to process the request")]
    Internal(#[source] Internal),
}

/// What became of a request, in the words of the metrics' `outcome` label:
/// set on every error answer (`ApiError::outcome`) and by handlers whose
/// success has more than one meaning (`created`, `valid`, `invalid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome(pub &'static str);

/// The cause of a 500: what was being done, and the error that stopped it.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub struct Internal {
    context: &'static str,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl ApiError {
    /// A 500 caused by `source` while doing `context` (`"hashing a secret"`).
    pub fn internal(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Internal(Internal {
            context,
            source: source.into(),
        })
    }
}

impl ApiError {
    /// The error as the admin API reports it.
    pub fn on_admin_api(self) -> Self {
        match self {
            Self::MalformedJson(_)
            | Self::UnsupportedMediaType
            | Self::UnsupportedContentEncoding
            | Self::UnsupportedCharset
            | Self::PayloadTooLarge { .. }
            | Self::UnreadableBody
            | Self::Metadata(_) => Self::AdminBody(Box::new(self)),
            other => other,
        }
    }

    /// The error itself, out of its admin API wrapping.
    fn unwrapped(&self) -> &Self {
        match self {
            Self::AdminBody(inner) => inner,
            other => other,
        }
    }

    /// What became of the request, as the metrics' `outcome` label says it.
    pub fn outcome(&self) -> &'static str {
        self.answer().outcome
    }

    fn code(&self) -> &'static str {
        self.answer().code
    }

    /// The one table of how each error is answered.
    fn answer(&self) -> Answer {
        use StatusCode as Status;
        let (status, code, outcome) = match self {
            Self::Metadata(err) => (Status::BAD_REQUEST, err.code().as_str(), INVALID),
            Self::MalformedJson(_) | Self::UnreadableBody => {
                (Status::BAD_REQUEST, "invalid_client_metadata", INVALID)
            }
            Self::UnsupportedMediaType
            | Self::UnsupportedContentEncoding
            | Self::UnsupportedCharset => (
                Status::UNSUPPORTED_MEDIA_TYPE,
                "invalid_client_metadata",
                INVALID,
            ),
            Self::PayloadTooLarge { .. } => (
                Status::PAYLOAD_TOO_LARGE,
                "invalid_client_metadata",
                INVALID,
            ),
            Self::AdminBody(inner) => (inner.answer().status, "invalid_request", INVALID),
            Self::InvalidRequest(_) => (Status::BAD_REQUEST, "invalid_request", INVALID),
            Self::Conflict(_) => (Status::CONFLICT, "conflict", INVALID),
            Self::MethodNotAllowed { .. } => {
                (Status::METHOD_NOT_ALLOWED, "method_not_allowed", INVALID)
            }
            Self::NoSuchRoute
            | Self::NoSuchRow
            | Self::DiscoveryNotConfigured
            | Self::ClientNotFound
            | Self::TokenNotFound
            | Self::NoUrlClient(_) => (Status::NOT_FOUND, "not_found", "not_found"),
            Self::InvalidToken | Self::InvalidInitialAccessToken => {
                (Status::UNAUTHORIZED, "invalid_token", UNAUTHORIZED)
            }
            Self::AdminUnauthorized => (Status::UNAUTHORIZED, "unauthorized", UNAUTHORIZED),
            Self::AdminForbidden(_) => (Status::FORBIDDEN, "forbidden", UNAUTHORIZED),
            Self::RateLimited(_) => (Status::TOO_MANY_REQUESTS, "rate_limited", "rate_limited"),
            Self::Busy { .. } => (Status::SERVICE_UNAVAILABLE, UNAVAILABLE, "busy"),
            Self::Unavailable => (Status::SERVICE_UNAVAILABLE, UNAVAILABLE, "unavailable"),
            Self::Internal(_) => (Status::INTERNAL_SERVER_ERROR, "server_error", "error"),
        };
        Answer {
            status,
            code,
            outcome,
        }
    }
}

/// How one error is answered: its status, its `error` code, and the
/// metrics' `outcome`.
struct Answer {
    status: StatusCode,
    code: &'static str,
    outcome: &'static str,
}

const INVALID: &str = "invalid";
const UNAUTHORIZED: &str = "unauthorized";
const UNAVAILABLE: &str = "temporarily_unavailable";

impl From<HashingError> for ApiError {
    fn from(err: HashingError) -> Self {
        match err {
            HashingError::Busy { retry_after_secs } => Self::Busy { retry_after_secs },
            HashingError::Failed(err) => Self::internal("running a hashing task", err),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NoSuchRow,
            // Logged by the store, once per fault rather than per request:
            // when it starts, at most once a second while it lasts, and
            // when it ends.
            StoreError::Unavailable(_) => Self::Unavailable,
            other @ (StoreError::Conflict(_) | StoreError::Other(_)) => {
                Self::internal("database", other)
            }
        }
    }
}

impl ApiError {
    /// Whether the error refuses the request itself (a `4xx`), rather than
    /// saying the server could not judge it now.
    pub fn is_refusal(&self) -> bool {
        self.answer().status.is_client_error()
    }

    /// The members of the error's JSON body (RFC 7591 section 3.2.2):
    /// `error`, `error_description`, and `field` when the error is about
    /// one member.
    pub fn members(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("error".into(), self.code().into());
        body.insert("error_description".into(), self.to_string().into());
        let metadata = match self {
            Self::Metadata(err) => Some(err),
            Self::AdminBody(inner) => match inner.as_ref() {
                Self::Metadata(err) => Some(err),
                _ => None,
            },
            _ => None,
        };
        if let Some(err) = metadata {
            body.insert("field".into(), err.pointer.clone().into());
        }
        body
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.answer().status
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            log::error!("answering 500: {cause}");
        }
        let body = Value::Object(self.members());
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
        match self {
            Self::Unavailable => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
            }
            Self::Busy { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::RateLimited(limited) => {
                // RFC 9110 section 10.2.3, and the RateLimit fields of the
                // IETF httpapi draft (limit, what is left, seconds to reset).
                let wait = limited.retry_after_secs.to_string();
                response
                    .insert_header((header::RETRY_AFTER, wait.as_str()))
                    .insert_header(("RateLimit-Limit", limited.limit.to_string()))
                    .insert_header(("RateLimit-Remaining", "0"))
                    .insert_header(("RateLimit-Reset", wait));
            }
            Self::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            Self::InvalidToken | Self::InvalidInitialAccessToken => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="invalid_token""#),
                ));
            }
            Self::AdminUnauthorized => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer realm="dcr-admin""#),
                ));
            }
            _ => {}
        }
        // RFC 9110 section 15.5.16: the codings that would have been
        // accepted, on either listener.
        if matches!(self.unwrapped(), Self::UnsupportedContentEncoding) {
            response.insert_header((header::ACCEPT_ENCODING, "identity"));
        }
        let mut response = response.json(body);
        response.extensions_mut().insert(Outcome(self.outcome()));
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
