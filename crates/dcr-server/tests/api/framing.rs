//! Message framing over a raw socket (RFC 9112 section 6): what a gateway in
//! front of dcr and dcr itself must read alike, byte for byte. An HTTP client
//! library cannot send these requests, so each test writes them by hand.

use std::time::Duration;

use crate::helpers::{Backend, exchange, spawn_app};

on_both_backends!(
    content_length_with_transfer_encoding_is_refused_and_the_connection_closed,
    transfer_encoding_on_http_1_0_is_refused_and_the_connection_closed,
    a_chunked_body_with_a_trailer_is_read,
);

/// A request smuggled behind the first: a server that frames the first one
/// differently from the gateway would answer it as a request of its own.
const SMUGGLED: &str = "GET /healthz HTTP/1.1\r\nHost: dcr\r\n\r\n";

/// RFC 9112 section 6.1: a request with both `Content-Length` and
/// `Transfer-Encoding` is refused and its connection closed, on both
/// listeners, by the HTTP parser before any handler reads it (so the `400`
/// has no body): what follows it on the connection is never read as a
/// request.
async fn content_length_with_transfer_encoding_is_refused_and_the_connection_closed(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let body = r#"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none"}"#;
    let chunked = format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
    let framings = [
        format!(
            "Content-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}",
            chunked.len()
        ),
        format!("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n{chunked}"),
        format!(
            "Content-Length: {}\r\nTransfer-Encoding: identity\r\n\r\n{body}",
            body.len()
        ),
    ];
    for (address, path) in [
        (&app.address, "/register"),
        (
            &app.admin_address,
            "/admin/clients/6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60/verify",
        ),
    ] {
        for framing in &framings {
            let request = format!(
                "POST {path} HTTP/1.1\r\nHost: dcr\r\nContent-Type: application/json\r\n{framing}{SMUGGLED}"
            );
            let answer = exchange(address, request.as_bytes(), Duration::from_secs(3)).await;
            assert_eq!(answer.statuses(), [400], "{path}: {}", answer.text);
            assert!(answer.closed, "the connection stays open: {}", answer.text);
        }
    }
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

/// RFC 9112 section 6.1: HTTP/1.0 has no `Transfer-Encoding`, so a 1.0
/// request that carries one has faulty framing.
async fn transfer_encoding_on_http_1_0_is_refused_and_the_connection_closed(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = r#"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none"}"#;
    let request = format!(
        "POST /register HTTP/1.0\r\nHost: dcr\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n{body}{SMUGGLED}",
        body.len()
    );
    let answer = exchange(&app.address, request.as_bytes(), Duration::from_secs(3)).await;
    assert_eq!(answer.statuses(), [400], "{}", answer.text);
    assert!(answer.closed, "the connection stays open: {}", answer.text);
    assert_eq!(app.store.count_clients().unwrap(), 0);
}

/// RFC 9112 section 7.1.2: a chunked body may end with trailer fields; the
/// body is what the chunks hold, and the connection goes on.
async fn a_chunked_body_with_a_trailer_is_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = r#"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none"}"#;
    let (first, rest) = body.split_at(20);
    let request = format!(
        "POST /register HTTP/1.1\r\nHost: dcr\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n\
         {:x}\r\n{first}\r\n{:x}\r\n{rest}\r\n0\r\nX-Checksum: 3f2a\r\nX-Other: 1\r\n\r\n\
         GET /healthz HTTP/1.1\r\nHost: dcr\r\nConnection: close\r\n\r\n",
        first.len(),
        rest.len()
    );
    let answer = exchange(&app.address, request.as_bytes(), Duration::from_secs(3)).await;
    assert_eq!(answer.statuses(), [201, 200], "{}", answer.text);
    assert_eq!(app.store.count_clients().unwrap(), 1);
}
