//! HTTP-level refusals before any metadata is read: media type (415), body
//! size (413), unknown paths (404) and methods (405). Every one is JSON.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_error, header, spawn_app, spawn_app_with};

/// The default `DCR_MAX_BODY_BYTES`.
const LIMIT: usize = 64 * 1024;

/// A registration body of exactly `size` bytes: valid JSON whose padding is
/// an unknown member, which the server ignores.
fn body_of_size(size: usize) -> Vec<u8> {
    let head = r#"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none","x_padding":""#;
    let tail = r#""}"#;
    let padding = size - head.len() - tail.len();
    let body = format!("{head}{}{tail}", "x".repeat(padding));
    assert_eq!(body.len(), size);
    body.into_bytes()
}

/// The same bytes as a stream, so reqwest sends them chunked, with no
/// Content-Length for the server to check first.
fn chunked(body: Vec<u8>) -> reqwest::Body {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(4096).map(|chunk| Ok(chunk.to_vec())).collect();
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let body = serde_json::to_vec(&json!({ "redirect_uris": ["https://a.example/cb"] })).unwrap();

    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonx"),
        Some("application/merge-patch+json"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let response = app.post_register_raw(body.clone(), content_type).await;
        assert_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_client_metadata",
            None,
        )
        .await;
    }
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

#[tokio::test]
async fn a_body_at_the_limit_registers() {
    let app = spawn_app(Backend::Sqlite).await;

    let response = app
        .post_register_raw(body_of_size(LIMIT), Some("application/json"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let response = app
        .post_register_raw(chunked(body_of_size(LIMIT)), Some("application/json"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(app.store.count_clients().unwrap(), 2);
}

#[tokio::test]
async fn a_body_over_the_limit_with_its_length_declared_is_refused() {
    let app = spawn_app(Backend::Sqlite).await;

    for size in [LIMIT + 1, 2 * LIMIT] {
        let response = post_oversized(&app, || body_of_size(size).into()).await;
        assert_error(
            response,
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_client_metadata",
            None,
        )
        .await;
    }
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_refused() {
    let app = spawn_app(Backend::Sqlite).await;

    for size in [LIMIT + 1, 2 * LIMIT] {
        let response = post_oversized(&app, || chunked(body_of_size(size))).await;
        assert_error(
            response,
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_client_metadata",
            None,
        )
        .await;
    }
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

/// Sends a body the server refuses before reading it all. The server answers
/// 413 and closes; a client still writing may see the close (a broken pipe)
/// before it reads the answer (RFC 9112 section 9.6), and hyper then reports
/// the write error instead of the response. That is the transport racing, not
/// the server's verdict, so such an attempt is repeated; any answer counts.
async fn post_oversized(app: &TestApp, body: impl Fn() -> reqwest::Body) -> reqwest::Response {
    let mut last_error = None;
    for _ in 0..5 {
        let sent = app
            .request(Method::POST, "/register")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body())
            .send()
            .await;
        match sent {
            Ok(response) => return response,
            Err(err) if err.is_request() => last_error = Some(err),
            Err(err) => panic!("the request failed: {err}"),
        }
    }
    panic!("no answer in 5 attempts; last: {last_error:?}")
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let app = spawn_app_with(Backend::Sqlite, |settings| settings.max_body_bytes = 2048).await;

    let response = app
        .post_register_raw(body_of_size(2048), Some("application/json"))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = app
        .post_register_raw(body_of_size(2049), Some("application/json"))
        .await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_client_metadata",
        None,
    )
    .await;
}

#[tokio::test]
async fn unknown_paths_are_404_json() {
    let app = spawn_app(Backend::Sqlite).await;

    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/nope"),
        (Method::POST, "/registerx"),
        (Method::POST, "/register/extra/segments"),
        (Method::DELETE, "/healthz/x"),
    ] {
        let response = app.request(method, path).send().await.unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
}

/// RFC 9110 section 15.5.6: a 405 names the methods the resource serves.
#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let app = spawn_app(Backend::Sqlite).await;

    for (method, path, allow) in [
        (Method::GET, "/register", "POST"),
        (Method::PUT, "/register", "POST"),
        (Method::DELETE, "/register", "POST"),
        (Method::PATCH, "/register", "POST"),
        (Method::POST, "/healthz", "GET"),
        (Method::DELETE, "/readyz", "GET"),
    ] {
        let response = app
            .request(method.clone(), path)
            .json(&json!({}))
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
        assert_eq!(header(&headers, "allow"), Some(allow), "{method} {path}");
    }
}
