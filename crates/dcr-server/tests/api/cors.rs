//! CORS on `/register`: browser-based MCP clients (MCP Inspector, web IDEs)
//! register from their own origin.

use reqwest::{Method, StatusCode};

use crate::helpers::{Backend, fixture, header, spawn_app};

on_both_backends!(
    preflight_allows_a_json_post_from_any_origin,
    a_cross_origin_registration_and_its_errors_are_readable,
);

const ORIGIN: &str = "http://localhost:6274";

async fn preflight_allows_a_json_post_from_any_origin(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app
        .request(Method::OPTIONS, "/register")
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();

    assert!(
        response.status().is_success(),
        "preflight answered {}",
        response.status()
    );
    let headers = response.headers();
    let allowed_origin = header(headers, "access-control-allow-origin").unwrap();
    assert!(
        allowed_origin == "*" || allowed_origin == ORIGIN,
        "{allowed_origin}"
    );
    let methods = header(headers, "access-control-allow-methods").unwrap();
    assert!(
        methods.split(',').any(|method| method.trim() == "POST"),
        "{methods}"
    );
    let allowed_headers = header(headers, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("content-type"),
        "{allowed_headers}"
    );
    // No cookies or credentials ride on a registration.
    assert_eq!(header(headers, "access-control-allow-credentials"), None);
}

async fn a_cross_origin_registration_and_its_errors_are_readable(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app
        .request(Method::POST, "/register")
        .header("Origin", ORIGIN)
        .json(&fixture("inspector"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(header(response.headers(), "access-control-allow-origin").is_some());

    // A browser client must be able to read why it was refused.
    let response = app
        .request(Method::POST, "/register")
        .header("Origin", ORIGIN)
        .json(&serde_json::json!({ "redirect_uris": ["http://example.com/cb"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(header(response.headers(), "access-control-allow-origin").is_some());
}
