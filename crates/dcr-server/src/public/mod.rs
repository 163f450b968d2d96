//! The public listener: registration (RFC 7591), the client configuration
//! endpoint (RFC 7592), discovery (RFC 8414) and health.

pub mod decision;
pub mod discovery;
pub mod health;
pub mod management;
pub mod register;
pub mod software_statement;

use actix_cors::Cors;
use actix_web::http::Method;
use actix_web::http::header;
use actix_web::web;

use crate::http::{not_found, resource};

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
    // OpenID Connect Discovery puts its suffix after the issuer's path;
    // the handler serves only that one path, and only when turned on.
    .service(
        web::resource([
            "/.well-known/openid-configuration",
            "/{issuer_path:.*}/.well-known/openid-configuration",
        ])
        .wrap(open_cors([Method::GET]))
        .route(web::get().to(discovery::openid_configuration))
        .route(web::head().to(discovery::openid_configuration))
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
