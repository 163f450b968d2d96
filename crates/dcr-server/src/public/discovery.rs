//! `GET /.well-known/oauth-authorization-server` (RFC 8414): how MCP clients
//! find the registration endpoint, and what registration accepts, merged with
//! the authorization server's own endpoints from configuration.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

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
    let discovery = &state.discovery;
    if request.path() != discovery.path() {
        return Err(ApiError::NoSuchRoute);
    }
    if !discovery.missing().is_empty() {
        return Err(ApiError::DiscoveryNotConfigured);
    }
    let base = state.public_base.for_request(&request)?;
    let policy = &state.policy;
    let mut document = Map::new();
    let issuer = discovery.issuer().map_or_else(
        || base.clone(),
        |issuer| issuer.as_str().trim_end_matches('/').to_owned(),
    );
    document.insert("issuer".into(), issuer.into());
    if let Some(endpoint) = discovery.authorization_endpoint() {
        document.insert("authorization_endpoint".into(), endpoint.as_str().into());
    }
    if let Some(endpoint) = discovery.token_endpoint() {
        document.insert("token_endpoint".into(), endpoint.as_str().into());
    }
    document.insert(
        "registration_endpoint".into(),
        format!("{base}/register").into(),
    );
    document.insert(
        "token_endpoint_auth_methods_supported".into(),
        strings(policy.auth_methods.iter().map(|method| method.as_str())),
    );
    document.insert(
        "grant_types_supported".into(),
        strings(policy.grant_types.iter().map(|grant| grant.as_str())),
    );
    document.insert(
        "response_types_supported".into(),
        strings(
            policy
                .response_types
                .iter()
                .map(|response| response.as_str()),
        ),
    );
    if let Some(allowed) = &policy.allowed_scopes {
        document.insert(
            "scopes_supported".into(),
            strings(allowed.tokens().iter().map(|token| token.as_str())),
        );
    }
    document.insert(
        "code_challenge_methods_supported".into(),
        strings(
            discovery
                .code_challenge_methods()
                .iter()
                .map(String::as_str),
        ),
    );
    if state.url_clients.enabled() {
        // URL client ids are resolved by the verify call
        // (draft-ietf-oauth-client-id-metadata-document section 5).
        document.insert(
            "client_id_metadata_document_supported".into(),
            Value::Bool(true),
        );
    }
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
    if request.path() == state.discovery.path() {
        Err(ApiError::MethodNotAllowed {
            allow: "GET, HEAD".into(),
        })
    } else {
        Err(ApiError::NoSuchRoute)
    }
}

fn strings<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    Value::Array(items.map(Value::from).collect())
}
