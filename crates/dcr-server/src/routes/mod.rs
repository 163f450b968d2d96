pub mod admin;
pub mod discovery;
pub mod health;
pub mod initial_access;
pub mod json_body;
pub mod management;
pub mod register;
pub mod rotation;
pub mod url_clients;

use actix_cors::Cors;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, Resource, Route, guard, web};
use dcr_core::{ClientMetadata, MetadataError, REDIRECT_URI_RULE};
use dcr_store::{Store, StoreError};
use serde_json::{Map, Value, json};

use crate::config::ReservedNames;
use crate::error::{ApiError, Outcome};
use crate::state::AppState;

/// Runs store work on the blocking pool: Diesel is synchronous and must not
/// hold an HTTP worker thread. A missing row is `ApiError::NotFound`, which
/// callers map to what it means on their endpoint (an invalid token, an
/// unknown client). No answer within `DCR_QUEUE_MAX_WAIT_MS` is a 503
/// (see `database`).
pub async fn with_store<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    crate::database::within(state.database_patience, state.store.clone(), work)
        .await
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

/// `DCR_RESERVED_NAMES=refuse`: a registration (or update) whose name
/// claims or resembles a well-known client's, without being that client, is
/// refused naming `client_name`. With `flag`, it is registered and flagged
/// in the consent signals.
pub fn refuse_reserved_name(
    state: &AppState,
    metadata: &ClientMetadata,
) -> Result<(), MetadataError> {
    if state.consent.reserved_names == ReservedNames::Refuse {
        dcr_core::consent::refuse_reserved_name(metadata, &state.consent.known_clients)
    } else {
        Ok(())
    }
}

/// `{"valid": false}`: the same for every reason, so it helps no guesser.
pub fn invalid() -> HttpResponse {
    let mut response = no_store(HttpResponse::Ok()).json(json!({ "valid": false }));
    response.extensions_mut().insert(Outcome("invalid"));
    response
}

/// The lookup's `{"usable": true, ...}` (`admin::lookup`, and
/// `url_clients::lookup` for URL client ids): the client as the verify call
/// shows it, the redirect rule in words, and the consent signals.
pub fn usable(client: Value, consent: Value) -> HttpResponse {
    let mut response = no_store(HttpResponse::Ok()).json(json!({
        "usable": true,
        "client": client,
        "redirect_uri_rule": REDIRECT_URI_RULE,
        "consent": consent,
    }));
    response.extensions_mut().insert(Outcome("usable"));
    response
}

/// The lookup's `{"usable": false, "reason": ...}`, with the client when
/// it is worth showing (a disabled one).
pub fn unusable(reason: &'static str, client: Option<Value>) -> HttpResponse {
    let mut body = Map::new();
    body.insert("usable".into(), false.into());
    body.insert("reason".into(), reason.into());
    if let Some(client) = client {
        body.insert("client".into(), client);
    }
    let mut response = no_store(HttpResponse::Ok()).json(body);
    response.extensions_mut().insert(Outcome("unusable"));
    response
}

/// Every path the route table does not hold.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// The public listener's route table: registration (RFC 7591), the client
/// configuration endpoint (RFC 7592), discovery (RFC 8414) and health.
pub fn public_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource(
            "/register",
            vec![(Method::POST, web::route().to(register::register))],
        )
        .wrap(open_cors([Method::POST])),
    )
    .service(
        resource(
            "/register/{client_id}",
            vec![
                (Method::GET, web::route().to(management::read)),
                (Method::PUT, web::route().to(management::update)),
                (Method::DELETE, web::route().to(management::delete)),
            ],
        )
        .wrap(open_cors([Method::GET, Method::PUT, Method::DELETE])),
    )
    // Discovery answers every path under the well-known prefix
    // itself: only the issuer's path-inserted form is served.
    .service(
        web::resource([
            "/.well-known/oauth-authorization-server",
            "/.well-known/oauth-authorization-server/{issuer_path:.*}",
        ])
        .wrap(open_cors([Method::GET]))
        .route(web::get().to(discovery::metadata))
        .route(web::head().to(discovery::metadata))
        .default_service(web::to(discovery::other_method)),
    )
    .service(resource(
        "/healthz",
        vec![(Method::GET, web::route().to(health::healthz))],
    ))
    .service(resource(
        "/readyz",
        vec![(Method::GET, web::route().to(health::readyz))],
    ))
    .default_service(web::to(not_found));
}

/// The admin listener's route table (behind `admin_guard`).
pub fn admin_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(
        "/metrics",
        vec![(Method::GET, web::route().to(health::metrics))],
    ))
    .service(resource(
        "/openapi.json",
        vec![(Method::GET, web::route().to(health::openapi))],
    ))
    .service(resource(
        "/admin/clients",
        vec![(Method::GET, web::route().to(admin::list))],
    ))
    .service(resource(
        "/admin/clients/{client_id}",
        vec![
            (Method::GET, web::route().to(admin::show)),
            (Method::DELETE, web::route().to(admin::delete)),
        ],
    ))
    .service(resource(
        "/admin/clients/{client_id}/disable",
        vec![(Method::POST, web::route().to(admin::disable))],
    ))
    .service(resource(
        "/admin/clients/{client_id}/enable",
        vec![(Method::POST, web::route().to(admin::enable))],
    ))
    .service(resource(
        "/admin/clients/{client_id}/rotate-secret",
        vec![(Method::POST, web::route().to(rotation::rotate_secret))],
    ))
    .service(resource(
        "/admin/clients/{client_id}/events",
        vec![(Method::GET, web::route().to(admin::events))],
    ))
    .service(resource(
        "/admin/initial-access-tokens",
        vec![
            (Method::GET, web::route().to(initial_access::list)),
            (Method::POST, web::route().to(initial_access::create)),
        ],
    ))
    .service(resource(
        "/admin/initial-access-tokens/{id}",
        vec![
            (Method::GET, web::route().to(initial_access::show)),
            (Method::DELETE, web::route().to(initial_access::revoke)),
        ],
    ))
    .service(resource(
        "/admin/clients/{client_id}/verify",
        vec![(Method::POST, web::route().to(admin::verify))],
    ))
    .service(resource(
        "/admin/clients/{client_id}/used",
        vec![(Method::POST, web::route().to(admin::used))],
    ))
    // The token endpoint's calls, the client id in the body: a program
    // that builds an admin path from a client-supplied id can be made to
    // call another route.
    .service(resource(
        "/admin/verify",
        vec![(Method::POST, web::route().to(admin::verify_by_body))],
    ))
    .service(resource(
        "/admin/used",
        vec![(Method::POST, web::route().to(admin::used_by_body))],
    ))
    .service(resource(
        "/admin/lookup",
        vec![(Method::POST, web::route().to(admin::lookup))],
    ))
    .service(resource(
        "/healthz",
        vec![(Method::GET, web::route().to(health::healthz))],
    ))
    .default_service(web::to(not_found));
}

/// Browser-based MCP clients (MCP Inspector, web IDEs) call from their own
/// origin: any origin may, without credentials (cookies are never used).
fn open_cors<const N: usize>(methods: [Method; N]) -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods(methods)
        .allowed_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
        .max_age(86_400)
}
