pub mod health;
pub mod register;

use actix_web::{HttpRequest, HttpResponse};

use crate::error::ApiError;

/// Unknown paths (404), and known paths with a method they do not serve (405
/// with the `Allow` header RFC 9110 section 15.5.6 requires).
pub async fn fallback(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allow = match request.path() {
        "/register" => Some("POST"),
        "/healthz" | "/readyz" => Some("GET"),
        _ => None,
    };
    Err(
        allow.map_or(ApiError::NotFound, |allow| ApiError::MethodNotAllowed {
            allow,
        }),
    )
}
