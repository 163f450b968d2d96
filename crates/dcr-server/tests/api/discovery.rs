//! `GET /.well-known/oauth-authorization-server` (RFC 8414): how an MCP
//! client finds the registration endpoint and what registration accepts.

use dcr_server::Settings;
use dcr_server::config::ListArg;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::{Backend, TestApp, assert_error, fixture, header, spawn_app, spawn_app_with};

const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
const ORIGIN: &str = "http://localhost:6274";

on_both_backends!(a_client_registers_and_manages_through_what_discovery_names);

/// Asserts a cacheable JSON `200 OK` and returns the document.
async fn document(response: Response) -> Map<String, Value> {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "unexpected status; body: {text}");
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=3600")
    );
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

async fn metadata(app: &TestApp) -> Map<String, Value> {
    document(app.get(WELL_KNOWN).await).await
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(members) => members,
        other => panic!("not an object: {other}"),
    }
}

#[tokio::test]
async fn default_metadata_names_the_endpoint_and_what_registration_accepts() {
    let app = spawn_app(Backend::Sqlite).await;

    let document = metadata(&app).await;

    // No DCR_PUBLIC_URL, no DCR_ISSUER: the base the client used is both the
    // issuer and the registration endpoint's base. Nothing is invented: no
    // scopes (any are accepted) and no authorization or token endpoint.
    assert_eq!(
        document,
        object(json!({
            "issuer": app.address,
            "registration_endpoint": app.url("/register"),
            "token_endpoint_auth_methods_supported":
                ["none", "client_secret_basic", "client_secret_post"],
            "grant_types_supported":
                ["authorization_code", "refresh_token", "client_credentials"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"]
        }))
    );
}

#[tokio::test]
async fn configured_metadata_merges_the_authorization_servers_endpoints() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.public_url = Some("https://auth.example.com/dcr".parse().unwrap());
        settings.issuer = Some("https://auth.example.com/".parse().unwrap());
        settings.authorization_endpoint =
            Some("https://auth.example.com/oauth2/authorize".parse().unwrap());
        settings.token_endpoint = Some("https://auth.example.com/oauth2/token".parse().unwrap());
        settings.allowed_scopes = Some("mcp:read mcp:write".parse().unwrap());
        settings.code_challenge_methods =
            ListArg(vec!["S256".parse().unwrap(), "plain".parse().unwrap()]);
        settings.auth_methods = ListArg(vec![
            "none".parse().unwrap(),
            "client_secret_post".parse().unwrap(),
        ]);
        settings.default_auth_method = "none".parse().unwrap();
        settings.grant_types = ListArg(vec![
            "authorization_code".parse().unwrap(),
            "refresh_token".parse().unwrap(),
        ]);
    })
    .await;

    assert_eq!(
        metadata(&app).await,
        object(json!({
            "issuer": "https://auth.example.com",
            "authorization_endpoint": "https://auth.example.com/oauth2/authorize",
            "token_endpoint": "https://auth.example.com/oauth2/token",
            "registration_endpoint": "https://auth.example.com/dcr/register",
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "scopes_supported": ["mcp:read", "mcp:write"],
            "code_challenge_methods_supported": ["S256", "plain"]
        }))
    );
}

#[tokio::test]
async fn issuer_defaults_to_the_public_url() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.public_url = Some("https://auth.example.com/dcr/".parse().unwrap());
    })
    .await;

    let document = metadata(&app).await;

    assert_eq!(document["issuer"], "https://auth.example.com/dcr");
    assert_eq!(
        document["registration_endpoint"],
        "https://auth.example.com/dcr/register"
    );
}

/// RFC 8414 section 3.1: an issuer with a path has its metadata at the
/// well-known path followed by the issuer's path.
#[tokio::test]
async fn metadata_is_served_below_the_well_known_path_too() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.public_url = Some("https://auth.example.com/dcr".parse().unwrap());
    })
    .await;

    let plain = metadata(&app).await;
    for suffix in ["/dcr", "/tenant/one"] {
        let response = app.get(&format!("{WELL_KNOWN}{suffix}")).await;
        assert_eq!(document(response).await, plain, "{suffix}");
    }
}

#[tokio::test]
async fn forwarded_headers_count_only_from_trusted_proxies() {
    let forwarded = |app: &TestApp| {
        app.request(Method::GET, WELL_KNOWN)
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "auth.example.com")
    };

    let trusting = spawn_app_with(Backend::Sqlite, |settings: &mut Settings| {
        settings.trusted_proxies = Some(ListArg(vec!["127.0.0.1/32".parse().unwrap()]));
    })
    .await;
    let trusted = document(forwarded(&trusting).send().await.unwrap()).await;
    assert_eq!(trusted["issuer"], "https://auth.example.com");
    assert_eq!(
        trusted["registration_endpoint"],
        "https://auth.example.com/register"
    );

    let untrusting = spawn_app(Backend::Sqlite).await;
    let ignored = document(forwarded(&untrusting).send().await.unwrap()).await;
    assert_eq!(ignored["issuer"], untrusting.address.as_str());
    assert_eq!(
        ignored["registration_endpoint"],
        untrusting.url("/register")
    );
}

/// Browser-based MCP clients read the metadata from their own origin.
#[tokio::test]
async fn metadata_is_readable_cross_origin() {
    let app = spawn_app(Backend::Sqlite).await;

    for path in [WELL_KNOWN.to_owned(), format!("{WELL_KNOWN}/tenant")] {
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
        document(response).await;

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

#[tokio::test]
async fn metadata_is_read_only() {
    let app = spawn_app(Backend::Sqlite).await;

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
        assert_eq!(header(&headers, "allow"), Some("GET"), "{method}");
    }
}

/// What an MCP client does: discover, register at the endpoint named, then
/// manage the registration at the URI it was given.
async fn a_client_registers_and_manages_through_what_discovery_names(backend: Backend) {
    let app = spawn_app(backend).await;

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
