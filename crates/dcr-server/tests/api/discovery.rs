//! `GET /.well-known/oauth-authorization-server` (RFC 8414): how an MCP
//! client finds the registration endpoint and what registration accepts.
//! One submodule per concern; the helpers they share are here.

mod forwarded;
mod location;
mod operator;

use dcr_server::Settings;
use dcr_server::config::ListArg;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::{Backend, TestApp, assert_error, fixture, header, spawn_app, spawn_app_with};

const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
const ORIGIN: &str = "http://localhost:6274";

on_both_backends!(
    a_client_registers_and_manages_through_what_discovery_names,
    default_metadata_names_the_endpoint_and_what_registration_accepts,
    no_document_without_the_required_endpoints,
    configured_metadata_merges_the_authorization_servers_endpoints,
    metadata_is_readable_cross_origin,
    metadata_is_read_only,
);

const AUTHORIZE: &str = "https://auth.example.com/oauth2/authorize";
const TOKEN: &str = "https://auth.example.com/oauth2/token";

/// The endpoints RFC 8414 requires for the default grant types.
fn with_endpoints(settings: &mut Settings) {
    settings.discovery.authorization_endpoint = Some(AUTHORIZE.parse().unwrap());
    settings.discovery.token_endpoint = Some(TOKEN.parse().unwrap());
}

/// How a published document may be cached.
#[derive(Debug, Clone, Copy)]
enum Caching {
    /// Derived from the request (no `DCR_PUBLIC_URL`): never kept.
    NoStore,
    /// From configuration alone: an hour.
    Public,
}

/// Asserts a JSON `200 OK` cached as `caching` says and returns the document.
async fn document(response: Response, caching: Caching) -> Map<String, Value> {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "unexpected status; body: {text}");
    match caching {
        Caching::NoStore => {
            assert_eq!(header(&headers, "cache-control"), Some("no-store"));
            assert_eq!(header(&headers, "pragma"), Some("no-cache"));
        }
        Caching::Public => {
            assert_eq!(
                header(&headers, "cache-control"),
                Some("public, max-age=3600")
            );
            assert_eq!(header(&headers, "pragma"), None);
        }
    }
    let content_type = header(&headers, "content-type").unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    match serde_json::from_str(&text).unwrap() {
        Value::Object(members) => members,
        other => panic!("the metadata is a JSON object, not {other}"),
    }
}

/// The document at the plain well-known path, derived from the request.
async fn metadata(app: &TestApp) -> Map<String, Value> {
    document(app.get(WELL_KNOWN).await, Caching::NoStore).await
}

/// Asserts the JSON 404 of a path where no document is.
async fn assert_no_document(app: &TestApp, path: &str) {
    let response = app.get(path).await;
    let (headers, _) = assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    assert_eq!(
        header(&headers, "cache-control"),
        Some("no-store"),
        "{path}"
    );
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(members) => members,
        other => panic!("not an object: {other}"),
    }
}

async fn default_metadata_names_the_endpoint_and_what_registration_accepts(backend: Backend) {
    let app = spawn_app_with(backend, with_endpoints).await;

    let document = metadata(&app).await;

    // No DCR_PUBLIC_URL, no DCR_ISSUER: the base the client used is both the
    // issuer and the registration endpoint's base. Nothing is invented: no
    // scopes (any are accepted).
    assert_eq!(
        document,
        object(json!({
            "issuer": app.address,
            "authorization_endpoint": AUTHORIZE,
            "token_endpoint": TOKEN,
            "registration_endpoint": app.url("/register"),
            "token_endpoint_auth_methods_supported":
                ["none", "client_secret_basic", "client_secret_post"],
            "grant_types_supported":
                ["authorization_code", "refresh_token", "client_credentials"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "client_id_metadata_document_supported": true
        }))
    );
}

/// RFC 8414 section 2: without the endpoints the grant types need, a
/// document would lack a REQUIRED member, and none is published.
async fn no_document_without_the_required_endpoints(backend: Backend) {
    let unconfigured = spawn_app(backend).await;
    assert_no_document(&unconfigured, WELL_KNOWN).await;
    let response = unconfigured.get(WELL_KNOWN).await;
    let (_, body) = assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    assert_eq!(
        body["error_description"],
        "this server publishes no authorization server metadata: discovery is not configured"
    );

    let no_token_endpoint = spawn_app_with(backend, |settings| {
        settings.discovery.authorization_endpoint = Some(AUTHORIZE.parse().unwrap());
    })
    .await;
    assert_no_document(&no_token_endpoint, WELL_KNOWN).await;

    let no_authorization_endpoint = spawn_app_with(backend, |settings| {
        settings.discovery.token_endpoint = Some(TOKEN.parse().unwrap());
    })
    .await;
    assert_no_document(&no_authorization_endpoint, WELL_KNOWN).await;

    // Without a grant that uses the authorization endpoint, the token
    // endpoint is all a complete document needs.
    let machines_only = spawn_app_with(backend, |settings| {
        settings.discovery.token_endpoint = Some(TOKEN.parse().unwrap());
        settings.policy.grant_types = ListArg(vec!["client_credentials".parse().unwrap()]);
        settings.policy.response_types = ListArg(Vec::new());
    })
    .await;
    let document = metadata(&machines_only).await;
    assert_eq!(document["token_endpoint"], TOKEN);
    assert!(!document.contains_key("authorization_endpoint"));
}

async fn configured_metadata_merges_the_authorization_servers_endpoints(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.listeners.public_url = Some("https://auth.example.com/dcr".parse().unwrap());
        settings.discovery.issuer = Some("https://auth.example.com/".parse().unwrap());
        with_endpoints(settings);
        settings.policy.allowed_scopes = Some("mcp:read mcp:write".parse().unwrap());
        settings.discovery.code_challenge_methods =
            ListArg(vec!["S256".parse().unwrap(), "plain".parse().unwrap()]);
        settings.policy.auth_methods = ListArg(vec![
            "none".parse().unwrap(),
            "client_secret_post".parse().unwrap(),
        ]);
        settings.policy.default_auth_method = "none".parse().unwrap();
        settings.policy.grant_types = ListArg(vec![
            "authorization_code".parse().unwrap(),
            "refresh_token".parse().unwrap(),
        ]);
    })
    .await;

    // DCR_PUBLIC_URL is set: nothing comes from the request, so caches may
    // keep the document.
    assert_eq!(
        document(app.get(WELL_KNOWN).await, Caching::Public).await,
        object(json!({
            "issuer": "https://auth.example.com",
            "authorization_endpoint": AUTHORIZE,
            "token_endpoint": TOKEN,
            "registration_endpoint": "https://auth.example.com/dcr/register",
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "scopes_supported": ["mcp:read", "mcp:write"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "client_id_metadata_document_supported": true
        }))
    );
}
/// Browser-based MCP clients read the metadata from their own origin, and
/// see a 404 as a 404.
async fn metadata_is_readable_cross_origin(backend: Backend) {
    let app = spawn_app_with(backend, with_endpoints).await;

    for (path, found) in [
        (WELL_KNOWN.to_owned(), true),
        (format!("{WELL_KNOWN}/tenant"), false),
    ] {
        let response = app
            .request(Method::GET, &path)
            .header("Origin", ORIGIN)
            .send()
            .await
            .unwrap();
        let allowed = header(response.headers(), "access-control-allow-origin")
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{path}: no Access-Control-Allow-Origin"));
        assert!(allowed == "*" || allowed == ORIGIN, "{path}: {allowed}");
        assert_eq!(
            header(response.headers(), "access-control-allow-credentials"),
            None
        );
        if found {
            document(response, Caching::NoStore).await;
        } else {
            assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
        }

        let response = app
            .request(Method::OPTIONS, &path)
            .header("Origin", ORIGIN)
            .header("Access-Control-Request-Method", "GET")
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: preflight answered {}",
            response.status()
        );
        let headers = response.headers();
        assert!(
            header(headers, "access-control-allow-origin").is_some(),
            "{path}"
        );
        let methods = header(headers, "access-control-allow-methods").unwrap();
        assert!(
            methods.split(',').any(|method| method.trim() == "GET"),
            "{path}: {methods}"
        );
    }
}

async fn metadata_is_read_only(backend: Backend) {
    let app = spawn_app_with(backend, with_endpoints).await;

    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let response = app
            .request(method.clone(), WELL_KNOWN)
            .send()
            .await
            .unwrap();
        let (headers, _) = assert_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
        )
        .await;
        assert_eq!(header(&headers, "allow"), Some("GET, HEAD"), "{method}");
        // Where no document is, there is nothing to use another method on.
        let response = app
            .request(method.clone(), &format!("{WELL_KNOWN}/tenant"))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
}

/// What an MCP client does: discover, register at the endpoint named, then
/// manage the registration at the URI it was given.
async fn a_client_registers_and_manages_through_what_discovery_names(backend: Backend) {
    let app = spawn_app_with(backend, with_endpoints).await;

    let document = metadata(&app).await;
    let endpoint = document["registration_endpoint"].as_str().unwrap();
    let response = app
        .client
        .post(endpoint)
        .json(&fixture("inspector"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let registered: Map<String, Value> = response.json().await.unwrap();
    let uri = registered["registration_client_uri"].as_str().unwrap();
    assert!(uri.starts_with(endpoint), "{uri} is not under {endpoint}");

    let response = app
        .client
        .get(uri)
        .bearer_auth(registered["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let read_back: Map<String, Value> = response.json().await.unwrap();
    assert_eq!(read_back, registered);
}
