//! HTTP-level refusals before any metadata is read: media type (415), body
//! size (413), unknown paths (404) and methods (405). Every one is JSON.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_error, fixture, header, spawn_app, spawn_app_with};

on_both_backends!(
    a_body_that_is_not_declared_json_is_refused,
    a_body_at_the_limit_registers,
    a_body_over_the_limit_with_its_length_declared_is_refused,
    a_chunked_body_over_the_limit_is_refused,
    the_body_limit_is_configurable,
    unknown_paths_are_404_json,
    wrong_methods_are_405_with_allow,
    a_body_in_a_coding_or_charset_but_utf_8_is_refused,
    head_is_answered_wherever_get_is,
);

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

async fn a_body_that_is_not_declared_json_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
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

async fn a_body_at_the_limit_registers(backend: Backend) {
    let app = spawn_app(backend).await;

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

async fn a_body_over_the_limit_with_its_length_declared_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;

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

async fn a_chunked_body_over_the_limit_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;

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

async fn the_body_limit_is_configurable(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.listeners.max_body_bytes = 2048).await;

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

async fn unknown_paths_are_404_json(backend: Backend) {
    let app = spawn_app(backend).await;

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
async fn wrong_methods_are_405_with_allow(backend: Backend) {
    let app = spawn_app(backend).await;

    for (method, path, allow) in [
        (Method::GET, "/register", "POST"),
        (Method::PUT, "/register", "POST"),
        (Method::DELETE, "/register", "POST"),
        (Method::PATCH, "/register", "POST"),
        (Method::POST, "/healthz", "GET, HEAD"),
        (Method::DELETE, "/readyz", "GET, HEAD"),
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

/// One reading of the body: dcr reads the bytes as they came, as UTF-8, so
/// a body labelled with a content coding or another charset is refused
/// (`415`) on every route that reads one, rather than read differently from
/// a gateway that decodes it as labelled.
async fn a_body_in_a_coding_or_charset_but_utf_8_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = serde_json::to_vec(&json!({
        "redirect_uris": ["https://a.example/cb"],
        "token_endpoint_auth_method": "none"
    }))
    .unwrap();
    let send = |path: &str, headers: &[(&str, &str)], admin: bool| {
        let base = if admin {
            &app.admin_address
        } else {
            &app.address
        };
        let mut request = app.client.post(format!("{base}{path}")).body(body.clone());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    const JSON: (&str, &str) = ("content-type", "application/json");

    for coding in ["br", "gzip", "deflate", "x-unknown", "identity, gzip", ""] {
        let response = send("/register", &[JSON, ("content-encoding", coding)], false)
            .await
            .unwrap();
        let (headers, _) = assert_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_client_metadata",
            None,
        )
        .await;
        assert_eq!(
            header(&headers, "accept-encoding"),
            Some("identity"),
            "{coding:?}"
        );
    }
    for charset in ["latin1", "ISO-8859-1", "\"utf-16\"", "utf8", "us-ascii"] {
        let content_type = format!("application/json; charset={charset}");
        let response = send("/register", &[("content-type", &content_type)], false)
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_client_metadata",
            None,
        )
        .await;
    }
    // Two Content-Type fields: which one a gateway believes is anyone's guess.
    let response = send(
        "/register",
        &[JSON, ("content-type", "application/json; charset=latin1")],
        false,
    )
    .await
    .unwrap();
    assert_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_client_metadata",
        None,
    )
    .await;
    assert_eq!(app.store.count_clients().unwrap(), 0);

    // The admin API reads its bodies the same way.
    for path in [
        "/admin/initial-access-tokens",
        "/admin/clients/6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60/verify",
    ] {
        let response = send(path, &[JSON, ("content-encoding", "gzip")], true)
            .await
            .unwrap();
        let (headers, _) = assert_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            None,
        )
        .await;
        assert_eq!(
            header(&headers, "accept-encoding"),
            Some("identity"),
            "{path}"
        );
        let response = send(
            path,
            &[("content-type", "application/json; charset=utf-16")],
            true,
        )
        .await
        .unwrap();
        assert_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            None,
        )
        .await;
    }

    // RFC 7592 updates too: refused before the body is read.
    let registered = app.register(&fixture("claude_code")).await;
    let client_id = registered["client_id"].as_str().unwrap();
    let token = registered["registration_access_token"].as_str().unwrap();
    let response = app
        .request(Method::PUT, &format!("/register/{client_id}"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("content-encoding", "br")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_client_metadata",
        None,
    )
    .await;

    // UTF-8 said in any case, and the identity coding, are what dcr reads.
    for headers in [
        [JSON, ("content-encoding", "identity")],
        [
            ("content-type", "application/json; charset=UTF-8"),
            ("content-encoding", "IDENTITY"),
        ],
        [
            ("content-type", "application/json;charset=\"utf-8\""),
            ("x-unrelated", "1"),
        ],
    ] {
        let response = send("/register", &headers, false).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{headers:?}");
    }
}

/// RFC 9110 section 9.3.2: wherever `GET` is served, `HEAD` is too, with
/// the same status and headers and no body; and `Allow` names it.
async fn head_is_answered_wherever_get_is(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.discovery.authorization_endpoint =
            Some("https://auth.example.com/authorize".parse().unwrap());
        settings.discovery.token_endpoint = Some("https://auth.example.com/token".parse().unwrap());
    })
    .await;
    let registered = app.register(&fixture("claude_ai")).await;
    let client_id = registered["client_id"].as_str().unwrap();
    let token = registered["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let public = [
        "/healthz".to_owned(),
        "/readyz".to_owned(),
        "/.well-known/oauth-authorization-server".to_owned(),
        format!("/register/{client_id}"),
    ];
    let admin = [
        "/healthz".to_owned(),
        "/openapi.json".to_owned(),
        "/metrics".to_owned(),
        "/admin/clients".to_owned(),
        format!("/admin/clients/{client_id}"),
        format!("/admin/clients/{client_id}/events"),
        "/admin/initial-access-tokens".to_owned(),
    ];
    let paths = public
        .iter()
        .map(|path| format!("{}{path}", app.address))
        .chain(
            admin
                .iter()
                .map(|path| format!("{}{path}", app.admin_address)),
        );
    for url in paths {
        let send = |method: Method| app.client.request(method, &url).bearer_auth(&token).send();
        let get = send(Method::GET).await.unwrap();
        let head = send(Method::HEAD).await.unwrap();
        assert_eq!(head.status(), get.status(), "{url}");
        assert!(get.status().is_success(), "{url}: {}", get.status());
        let (get_headers, head_headers) = (get.headers().clone(), head.headers().clone());
        assert_eq!(
            header(&head_headers, "content-type"),
            header(&get_headers, "content-type"),
            "{url}"
        );
        assert_eq!(
            header(&head_headers, "cache-control"),
            header(&get_headers, "cache-control"),
            "{url}"
        );
        // The metrics count this very request: their length may differ.
        if !url.ends_with("/metrics") {
            assert_eq!(
                header(&head_headers, "content-length"),
                header(&get_headers, "content-length"),
                "{url}"
            );
        }
        assert!(!get.bytes().await.unwrap().is_empty(), "{url}");
        assert!(head.bytes().await.unwrap().is_empty(), "{url}");
    }

    // A route without GET has no HEAD either.
    let response = app.request(Method::HEAD, "/register").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(response.headers(), "allow"), Some("POST"));
}
