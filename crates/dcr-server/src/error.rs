//! The one place where failures become HTTP answers. Every body is JSON with
//! `error` and `error_description` (RFC 7591 section 3.2.2); internal causes go
//! to the log, never into a response.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use dcr_core::MetadataError;
use dcr_store::StoreError;
use serde_json::json;

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
    #[error("the request body must be at most {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body could not be read")]
    UnreadableBody,
    /// A body error on the admin API, outside RFC 7591/7592, where
    /// `invalid_client_metadata` would misname it: the same status and
    /// description, with RFC 6749's `invalid_request`.
    #[error("{0}")]
    AdminBody(Box<ApiError>),
    #[error("there is nothing at this path")]
    NotFound,
    /// RFC 8414 metadata that would lack a required member is not published.
    #[error("this server publishes no authorization server metadata: discovery is not configured")]
    DiscoveryNotConfigured,
    /// RFC 7592 section 2 and RFC 6750 section 3.1: a missing, malformed,
    /// wrong or revoked registration access token. Also for unknown clients,
    /// so the answer says nothing about which clients exist.
    #[error("the registration access token is missing, invalid or revoked")]
    InvalidToken,
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
    #[error("this method is not allowed here; use {allow}")]
    MethodNotAllowed { allow: &'static str },
    #[error("the client registration database is unavailable; retry later")]
    Unavailable,
    #[error("the server is busy; retry later")]
    Busy,
    #[error("the server failed to process the request")]
    Internal,
}

impl ApiError {
    /// The error as the admin API reports it.
    pub fn on_admin_api(self) -> Self {
        match self {
            Self::MalformedJson(_)
            | Self::UnsupportedMediaType
            | Self::PayloadTooLarge { .. }
            | Self::UnreadableBody
            | Self::Metadata(_) => Self::AdminBody(Box::new(self)),
            other => other,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Metadata(err) => err.code().as_str(),
            Self::MalformedJson(_)
            | Self::UnsupportedMediaType
            | Self::PayloadTooLarge { .. }
            | Self::UnreadableBody => "invalid_client_metadata",
            Self::NotFound | Self::DiscoveryNotConfigured | Self::ClientNotFound => "not_found",
            Self::InvalidToken => "invalid_token",
            Self::AdminUnauthorized => "unauthorized",
            Self::AdminForbidden(_) => "forbidden",
            Self::InvalidRequest(_) | Self::AdminBody(_) => "invalid_request",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Unavailable | Self::Busy => "temporarily_unavailable",
            Self::Internal => "server_error",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound,
            StoreError::Unavailable(cause) => {
                log::warn!("database unavailable: {cause}");
                Self::Unavailable
            }
            StoreError::Conflict(cause) | StoreError::Other(cause) => {
                log::error!("database error: {cause}");
                Self::Internal
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Metadata(_) | Self::MalformedJson(_) | Self::UnreadableBody => {
                StatusCode::BAD_REQUEST
            }
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound | Self::DiscoveryNotConfigured | Self::ClientNotFound => {
                StatusCode::NOT_FOUND
            }
            Self::InvalidToken | Self::AdminUnauthorized => StatusCode::UNAUTHORIZED,
            Self::AdminForbidden(_) => StatusCode::FORBIDDEN,
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::AdminBody(inner) => inner.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "error": self.code(),
            "error_description": self.to_string(),
        });
        if let Self::Metadata(err) = self {
            body["field"] = err.pointer.clone().into();
        }
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
        match self {
            Self::Unavailable | Self::Busy => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
            }
            Self::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, *allow));
            }
            Self::InvalidToken => {
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
        response.json(body)
    }
}
