//! The admin listener: the guard, the client and token routes, the verify
//! and lookup calls of a token endpoint, and the operations and views the
//! CLI shares.

pub mod guard;
pub mod import;
pub mod initial_access;
pub mod listing;
pub mod operations;
pub mod rotation;
pub mod routes;
pub mod token_routes;
pub mod url_clients;
pub mod validate;
pub mod views;

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use dcr_core::REDIRECT_URI_RULE;
use serde_json::{Map, Value, json};

use crate::http::error::Outcome;
use crate::http::{no_store, not_found, resource};
use crate::public::health;

/// The verify call's `{"valid": true, ...}` (`routes::verify`, and
/// `url_clients::verify` for URL client ids): what the token endpoint must
/// enforce, and the consent signals.
pub fn valid(client: Value, consent: Value) -> HttpResponse {
    let mut response = no_store(HttpResponse::Ok()).json(json!({
        "valid": true,
        "client": client,
        "consent": consent,
    }));
    response.extensions_mut().insert(Outcome("valid"));
    response
}

/// `{"valid": false}`: the same for every reason, so it helps no guesser.
pub fn invalid() -> HttpResponse {
    let mut response = no_store(HttpResponse::Ok()).json(json!({ "valid": false }));
    response.extensions_mut().insert(Outcome("invalid"));
    response
}

/// The lookup's `{"usable": true, ...}` (`routes::lookup`, and
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

/// The admin listener's route table (behind `admin_guard`).
pub fn admin_routes(cfg: &mut web::ServiceConfig) {
    // The router tries resources in order, and each pattern with a segment
    // like `{client_id}` is a regex match: the calls a token endpoint makes
    // on every token request come first, so they match before any pattern
    // is tried. No static path here is also matched by a pattern, so the
    // order changes no answer.
    //
    // The token endpoint's calls, the client id in the body: a program
    // that builds an admin path from a client-supplied id can be made to
    // call another route.
    cfg.service(resource(
        "/admin/verify",
        vec![(Method::POST, web::route().to(routes::verify_by_body))],
    ))
    .service(resource(
        "/admin/used",
        vec![(Method::POST, web::route().to(routes::used_by_body))],
    ))
    .service(resource(
        "/admin/lookup",
        vec![(Method::POST, web::route().to(routes::lookup))],
    ))
    .service(resource(
        "/admin/cimd/check",
        vec![(Method::POST, web::route().to(routes::cimd_check))],
    ))
    .service(resource(
        "/admin/validate",
        vec![(Method::POST, web::route().to(routes::validate))],
    ))
    .service(resource(
        "/healthz",
        vec![(Method::GET, web::route().to(health::healthz))],
    ))
    .service(resource(
        "/metrics",
        vec![(Method::GET, web::route().to(health::metrics))],
    ))
    .service(resource(
        "/openapi.json",
        vec![(Method::GET, web::route().to(health::openapi))],
    ))
    .service(resource(
        "/admin/clients",
        vec![(Method::GET, web::route().to(routes::list))],
    ))
    .service(resource(
        "/admin/clients/{client_id}",
        vec![
            (Method::GET, web::route().to(routes::show)),
            (Method::DELETE, web::route().to(routes::delete)),
        ],
    ))
    .service(resource(
        "/admin/clients/{client_id}/disable",
        vec![(Method::POST, web::route().to(routes::disable))],
    ))
    .service(resource(
        "/admin/clients/{client_id}/enable",
        vec![(Method::POST, web::route().to(routes::enable))],
    ))
    .service(resource(
        "/admin/clients/{client_id}/rotate-secret",
        vec![(Method::POST, web::route().to(rotation::rotate_secret))],
    ))
    .service(resource(
        "/admin/clients/{client_id}/events",
        vec![(Method::GET, web::route().to(routes::events))],
    ))
    .service(resource(
        "/admin/initial-access-tokens",
        vec![
            (Method::GET, web::route().to(token_routes::list)),
            (Method::POST, web::route().to(token_routes::create)),
        ],
    ))
    .service(resource(
        "/admin/initial-access-tokens/{id}",
        vec![
            (Method::GET, web::route().to(token_routes::show)),
            (Method::DELETE, web::route().to(token_routes::revoke)),
        ],
    ))
    .service(resource(
        "/admin/clients/{client_id}/verify",
        vec![(Method::POST, web::route().to(routes::verify))],
    ))
    .service(resource(
        "/admin/clients/{client_id}/used",
        vec![(Method::POST, web::route().to(routes::used))],
    ))
    .default_service(web::to(not_found));
}
