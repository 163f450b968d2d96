//! The HTTP layer under both listeners: errors and their answers, the JSON
//! body and bearer token readers, proxy trust, and the route-table helpers.

pub mod authority;
pub mod bearer;
pub mod error;
pub mod forwarded;
pub mod json_body;
pub mod proxy;

use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, Resource, Route, guard, web};

use crate::http::error::ApiError;

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
/// section 15.5.6). A `GET` handler also answers `HEAD`, which RFC 9110
/// section 9.3.2 asks of every server: the same status and headers, without
/// the body (the HTTP layer leaves it out). The table is the one list of
/// what is served; what it does not hold is [`not_found`].
pub fn resource(path: &str, routes: Vec<(Method, Route)>) -> Resource {
    let allow = routes
        .iter()
        .flat_map(|(method, _)| match *method {
            Method::GET => vec![Method::GET.as_str(), Method::HEAD.as_str()],
            ref other => vec![other.as_str()],
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut resource = web::resource(path);
    for (method, route) in routes {
        let route = if method == Method::GET {
            route.guard(guard::Any(guard::Get()).or(guard::Head()))
        } else {
            route.method(method)
        };
        resource = resource.route(route);
    }
    resource.default_service(web::to(move || {
        let allow = allow.clone();
        async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) }
    }))
}

/// Every path the route table does not hold.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NoSuchRoute)
}
