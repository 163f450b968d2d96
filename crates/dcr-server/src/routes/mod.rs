pub mod admin;
pub mod discovery;
pub mod health;
pub mod json_body;
pub mod management;
pub mod register;

use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, Resource, Route, web};
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

/// One resource of the route table: each method with its handler, and for
/// any other method a 405 whose `Allow` names exactly those methods (RFC 9110
/// section 15.5.6). The table is the one list of what is served; what it
/// does not hold is [`not_found`].
pub fn resource(path: &str, routes: Vec<(Method, Route)>) -> Resource {
    let allow = routes
        .iter()
        .map(|(method, _)| method.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut resource = web::resource(path);
    for (method, route) in routes {
        resource = resource.route(route.method(method));
    }
    resource.default_service(web::to(move || {
        let allow = allow.clone();
        async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) }
    }))
}

/// Every path the route table does not hold.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
