//! Who reaches the admin listener: every route wants `DCR_ADMIN_TOKEN` as a
//! bearer token, checked before anything else is read; without a token the
//! listener stays on loopback; admin paths are not on the public listener.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use super::{
    ADMIN_TOKEN, admin_token_setting, id_of, object, secret_of, spawn_admin, token_of, with_secret,
};
use crate::helpers::{Backend, assert_error, fixture, header, spawn_app, spawn_app_with};

on_both_backends!(
    every_admin_route_needs_the_token,
    without_a_token_the_loopback_admin_listener_is_open,
    admin_paths_stay_off_the_public_listener,
);

async fn every_admin_route_needs_the_token(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let stored = admin.app.find_client(&id);
    let routes = [
        (Method::GET, "/admin/clients".to_owned()),
        (Method::GET, format!("/admin/clients/{id}")),
        (Method::POST, format!("/admin/clients/{id}/disable")),
        (Method::POST, format!("/admin/clients/{id}/enable")),
        (Method::POST, format!("/admin/clients/{id}/rotate-secret")),
        (Method::POST, format!("/admin/clients/{id}/verify")),
        (Method::GET, format!("/admin/clients/{id}/events")),
        (Method::GET, "/admin/initial-access-tokens".to_owned()),
        (Method::POST, "/admin/initial-access-tokens".to_owned()),
        (
            Method::GET,
            "/admin/initial-access-tokens/iat_000000000000000000000000".to_owned(),
        ),
        (
            Method::DELETE,
            "/admin/initial-access-tokens/iat_000000000000000000000000".to_owned(),
        ),
        (Method::GET, "/metrics".to_owned()),
        (Method::GET, "/openapi.json".to_owned()),
        (Method::POST, format!("/admin/clients/{id}/used")),
        (Method::POST, "/admin/verify".to_owned()),
        (Method::POST, "/admin/used".to_owned()),
        (Method::POST, "/admin/lookup".to_owned()),
        (Method::POST, "/admin/validate".to_owned()),
        (Method::POST, "/admin/cimd/check".to_owned()),
        (Method::DELETE, format!("/admin/clients/{id}")),
    ];
    let same_length_wrong = "x".repeat(ADMIN_TOKEN.len());
    let refused = [
        None,
        Some(format!("Bearer {same_length_wrong}")),
        Some(format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1])),
        Some(format!("Bearer {ADMIN_TOKEN}x")),
        Some(format!("Basic {ADMIN_TOKEN}")),
        Some(ADMIN_TOKEN.to_owned()),
        Some("Bearer".to_owned()),
        // The registration access token of a client is no admin token.
        Some(format!("Bearer {}", token_of(&registration))),
    ];
    for (method, path) in &routes {
        for authorization in &refused {
            let mut request = admin
                .unauthenticated(method.clone(), path)
                .json(&with_secret(secret_of(&registration)));
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            let response = request.send().await.unwrap();
            let (headers, _) =
                assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
            assert_eq!(
                header(&headers, "www-authenticate"),
                Some(r#"Bearer realm="dcr-admin""#),
                "{method} {path} with {authorization:?}"
            );
        }
    }
    // The token is checked before anything else is read.
    let response = admin
        .unauthenticated(Method::GET, "/admin/clients?limit=abc&status=bogus")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    let response = admin
        .unauthenticated(Method::POST, &format!("/admin/clients/{id}/verify"))
        .header("content-type", "text/plain")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    // Nothing was disabled, rotated, touched or deleted.
    assert_eq!(admin.app.find_client(&id), stored);

    // The scheme is case-insensitive (RFC 6750 section 2.1, RFC 9110 section 11.1).
    let response = admin
        .unauthenticated(Method::GET, "/admin/clients")
        .header("authorization", format!("bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let expected = [
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::OK,
        // A rotation's body may hold only keep_old_for.
        StatusCode::BAD_REQUEST,
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::OK,
        // The verify body is no token request.
        StatusCode::BAD_REQUEST,
        StatusCode::NOT_FOUND,
        StatusCode::NOT_FOUND,
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::NO_CONTENT,
        // The body forms without a client_id.
        StatusCode::BAD_REQUEST,
        StatusCode::BAD_REQUEST,
        StatusCode::BAD_REQUEST,
        // A verdict on the body (no redirect_uris: not valid).
        StatusCode::OK,
        // No client_id to check.
        StatusCode::BAD_REQUEST,
        StatusCode::NO_CONTENT,
    ];
    for ((method, path), status) in routes.iter().zip(expected) {
        let response = admin
            .request(method.clone(), path)
            .json(&with_secret(secret_of(&registration)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
    }
}

async fn without_a_token_the_loopback_admin_listener_is_open(backend: Backend) {
    let app = spawn_app(backend).await;
    let registration = app.register(&fixture("claude_code")).await;
    for authorization in [None, Some("Bearer whatever-the-caller-sends")] {
        let mut request = app
            .client
            .get(format!("{}/admin/clients", app.admin_address));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let body = object(request.send().await.unwrap(), StatusCode::OK).await;
        assert_eq!(body["clients"][0]["client_id"], registration["client_id"]);
    }
}

async fn admin_paths_stay_off_the_public_listener(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let id = id_of(&admin.register(&fixture("claude_code")).await);

    for path in ["/admin/clients".to_owned(), format!("/admin/clients/{id}")] {
        let response = admin
            .app
            .request(Method::GET, &path)
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
    let response = admin.send(Method::GET, "/register").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;

    let wrong_methods = [
        (Method::POST, "/admin/clients".to_owned(), "GET, HEAD"),
        (
            Method::PUT,
            format!("/admin/clients/{id}"),
            "GET, HEAD, DELETE",
        ),
        (Method::GET, format!("/admin/clients/{id}/verify"), "POST"),
        (Method::GET, format!("/admin/clients/{id}/used"), "POST"),
        (Method::GET, "/admin/verify".to_owned(), "POST"),
        (Method::GET, "/admin/used".to_owned(), "POST"),
        (Method::PUT, "/admin/lookup".to_owned(), "POST"),
        (
            Method::GET,
            format!("/admin/clients/{id}/rotate-secret"),
            "POST",
        ),
    ];
    for (method, path, allow) in wrong_methods {
        let response = admin.send(method, &path).await;
        let (headers, _) = assert_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
        )
        .await;
        assert_eq!(header(&headers, "allow"), Some(allow), "{path}");
    }
    let response = admin.send(Method::GET, "/admin/nothing").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
}

/// Without a token the admin API must not face the network: a non-loopback
/// `DCR_ADMIN_BIND` is narrowed to loopback on the same port. With a token,
/// the address is used as given. The decision itself is unit-tested in
/// `startup::admin_bind`; this checks the listener really is bound by it, and
/// needs an address other than loopback to knock on. Without one it fails
/// rather than passing unchecked. On SQLite only: it is about where the
/// listener binds, which no store changes.
#[tokio::test]
async fn without_a_token_a_public_admin_bind_is_narrowed_to_loopback() {
    let own_address = non_loopback_address().unwrap_or_else(|reason| {
        panic!(
            "this test needs a non-loopback address of this machine (the source address of its default route) \
             to check that a token-less admin listener does not answer on it: {reason}"
        )
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let guarded = spawn_app_with(Backend::Sqlite, |settings| {
        settings.listeners.admin_bind = "0.0.0.0:0".parse().unwrap();
        settings.listeners.admin_token = admin_token_setting();
    })
    .await;
    let port = port_of(&guarded.admin_address);
    let response = client
        .get(format!("http://{own_address}:{port}/admin/clients"))
        .send()
        .await
        .expect("with a token, the admin listener is on every interface");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let open = spawn_app_with(Backend::Sqlite, |settings| {
        settings.listeners.admin_bind = "0.0.0.0:0".parse().unwrap();
    })
    .await;
    let port = port_of(&open.admin_address);
    let from_outside = client
        .get(format!("http://{own_address}:{port}/admin/clients"))
        .send()
        .await;
    assert!(
        from_outside.is_err(),
        "an admin API without a token answered on {own_address}: {from_outside:?}"
    );
    let from_loopback = client
        .get(format!("http://127.0.0.1:{port}/admin/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(from_loopback.status(), StatusCode::OK);
}

/// This machine's address on the interface of its default route, or why
/// there is none.
fn non_loopback_address() -> Result<std::net::IpAddr, String> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0")
        .map_err(|err| format!("cannot open a UDP socket: {err}"))?;
    // Connecting a UDP socket sends nothing; it only picks a route. The
    // target is a unicast documentation address (RFC 5737): a broadcast one
    // is refused (EACCES) on a machine whose own network it belongs to.
    socket
        .connect("203.0.113.1:9")
        .map_err(|err| format!("no route to 203.0.113.1 (no default route?): {err}"))?;
    let address = socket
        .local_addr()
        .map_err(|err| format!("no local address for the route: {err}"))?
        .ip();
    if address.is_loopback() || address.is_unspecified() {
        return Err(format!("the route's source address is {address}"));
    }
    Ok(address)
}

fn port_of(address: &str) -> u16 {
    address.rsplit(':').next().unwrap().parse().unwrap()
}
