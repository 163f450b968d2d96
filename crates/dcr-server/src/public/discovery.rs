//! `GET /.well-known/oauth-authorization-server` (RFC 8414): how MCP clients
//! find the registration endpoint, and what registration accepts, merged with
//! the authorization server's own endpoints from configuration and the
//! operator's members (`DCR_METADATA_FILE`). The same document is
//! `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0) when
//! `DCR_OPENID_CONFIGURATION` is on.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::discovery::ServerMetadata;
use serde_json::Value;

use crate::http::error::ApiError;
use crate::http::no_store;
use crate::state::AppState;

/// `GET` at the one path the issuer gives (RFC 8414 section 3.1), and only
/// when every required member is configured: a client that finds a document
/// trusts it, and one without a token endpoint makes MCP SDKs fail.
pub async fn metadata(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if request.path() != state.discovery.path() {
        return Err(ApiError::NoSuchRoute);
    }
    document(&request, &state)
}

/// `GET` at the issuer's path followed by `/.well-known/openid-configuration`
/// (OpenID Connect Discovery 1.0 section 4), when the operator turned it on.
pub async fn openid_configuration(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if state.discovery.openid_path() != Some(request.path()) {
        return Err(ApiError::NoSuchRoute);
    }
    document(&request, &state)
}

fn document(request: &HttpRequest, state: &AppState) -> Result<HttpResponse, ApiError> {
    let discovery = &state.discovery;
    if !discovery.missing().is_empty() {
        return Err(ApiError::DiscoveryNotConfigured);
    }
    let base = state.public_base.for_request(request)?;
    let document = ServerMetadata {
        issuer: discovery.issuer(),
        base: &base,
        authorization_endpoint: discovery.authorization_endpoint(),
        token_endpoint: discovery.token_endpoint(),
        code_challenge_methods: discovery.code_challenge_methods(),
        policy: &state.policy,
        url_client_ids: state.url_clients.enabled(),
        extra: discovery.extra(),
    }
    .document();
    let mut response = if state.public_base.is_configured() {
        let mut response = HttpResponse::Ok();
        response.insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ));
        response
    } else {
        // Built from the request's Host (and trusted forwarded headers),
        // which a caller chooses: no cache may keep it for anyone else.
        no_store(HttpResponse::Ok())
    };
    Ok(response.json(Value::Object(document)))
}

/// Other methods: `405` at the path the document lives at, `404` elsewhere.
pub async fn other_method(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let path = Some(request.path());
    if path == Some(state.discovery.path()) || path == state.discovery.openid_path() {
        Err(ApiError::MethodNotAllowed {
            allow: "GET, HEAD".into(),
        })
    } else {
        Err(ApiError::NoSuchRoute)
    }
}
