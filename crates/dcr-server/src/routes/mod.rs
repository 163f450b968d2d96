pub mod admin;
pub mod discovery;
pub mod health;
pub mod json_body;
pub mod management;
pub mod register;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use dcr_store::{Store, StoreError};

use crate::error::ApiError;
use crate::state::AppState;

/// Runs store work on the blocking pool: Diesel is synchronous and must not
/// hold an HTTP worker thread. A missing row is `ApiError::NotFound`, which
/// callers map to what it means on their endpoint (an invalid token, an
/// unknown client).
pub async fn with_store<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let store = state.store.clone();
    web::block(move || work(&store))
        .await
        .map_err(|err| ApiError::internal("running database work", err))?
        .map_err(ApiError::from)
}

/// Responses that carry credentials or registration data must not be cached
/// (RFC 7591 section 3.2.1, RFC 6749 section 5.1).
pub fn no_store(mut response: HttpResponseBuilder) -> HttpResponseBuilder {
    response
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
    response
}

/// Unknown paths (404), and known paths with a method they do not serve (405
/// with the `Allow` header RFC 9110 section 15.5.6 requires).
pub async fn fallback(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = request.path();
    let allow = if path == "/register" {
        Some("POST")
    } else if path
        .strip_prefix("/register/")
        .is_some_and(|client_id| !client_id.is_empty() && !client_id.contains('/'))
    {
        // `/register/` names no client: it is not the configuration
        // endpoint, so a GET there must not be told to use GET.
        Some("GET, PUT, DELETE")
    } else if matches!(path, "/healthz" | "/readyz") {
        // (The discovery paths have their own: `discovery::other_method`.)
        Some("GET")
    } else {
        None
    };
    Err(
        allow.map_or(ApiError::NotFound, |allow| ApiError::MethodNotAllowed {
            allow,
        }),
    )
}

/// The admin listener's unknown paths and methods.
pub async fn admin_fallback(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = request.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let allow = match segments.as_slice() {
        ["admin", "clients"] => Some("GET"),
        ["admin", "clients", id] if !id.is_empty() => Some("GET, DELETE"),
        [
            "admin",
            "clients",
            id,
            "disable" | "enable" | "rotate-secret" | "verify",
        ] if !id.is_empty() => Some("POST"),
        ["healthz"] => Some("GET"),
        _ => None,
    };
    Err(
        allow.map_or(ApiError::NotFound, |allow| ApiError::MethodNotAllowed {
            allow,
        }),
    )
}
