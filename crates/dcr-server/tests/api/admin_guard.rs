//! The admin listener's gate, in front of every admin route: browsers are
//! refused (an `Origin` header, a cross-site or same-site `Sec-Fetch-Site`),
//! and without `DCR_ADMIN_TOKEN` so is any `Host` but loopback (DNS
//! rebinding). With a token, the bearer check decides.

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

use crate::admin::{ADMIN_TOKEN, admin_token_setting};
use crate::helpers::{Backend, TestApp, assert_error, header, spawn_app, spawn_app_with};

on_both_backends!(
    without_a_token_browsers_and_foreign_hosts_are_refused,
    with_a_token_browsers_are_refused_and_the_bearer_check_decides,
);

/// Every admin route, the fallback included.
fn admin_routes(client_id: &str) -> Vec<(Method, String)> {
    vec![
        (Method::GET, "/admin/clients".to_owned()),
        (Method::GET, format!("/admin/clients/{client_id}")),
        (Method::POST, format!("/admin/clients/{client_id}/disable")),
        (Method::POST, format!("/admin/clients/{client_id}/enable")),
        (
            Method::POST,
            format!("/admin/clients/{client_id}/rotate-secret"),
        ),
        (Method::POST, format!("/admin/clients/{client_id}/verify")),
        (Method::DELETE, format!("/admin/clients/{client_id}")),
        (Method::GET, "/admin/nothing".to_owned()),
    ]
}

fn admin_port(app: &TestApp) -> u16 {
    app.admin_address
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Asserts the 403 JSON answer, which no cache may keep.
async fn assert_forbidden(request: RequestBuilder, case: &str) {
    let response = request.send().await.unwrap();
    let (headers, body) = assert_error(response, StatusCode::FORBIDDEN, "forbidden", None).await;
    assert_eq!(
        header(&headers, "cache-control"),
        Some("no-store"),
        "{case}"
    );
    assert_eq!(header(&headers, "pragma"), Some("no-cache"), "{case}");
    assert_eq!(body.len(), 2, "{case}: {body:?}");
}

async fn status(request: RequestBuilder) -> StatusCode {
    request.send().await.unwrap().status()
}

async fn without_a_token_browsers_and_foreign_hosts_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client_id = app.register(&crate::helpers::fixture("claude_code")).await["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let port = admin_port(&app);
    let list = || app.admin_request(Method::GET, "/admin/clients");

    let refused: Vec<(&str, String)> = vec![
        ("origin", "http://localhost:6274".to_owned()),
        ("origin", format!("http://127.0.0.1:{port}")),
        ("origin", "null".to_owned()),
        ("sec-fetch-site", "cross-site".to_owned()),
        ("sec-fetch-site", "same-site".to_owned()),
        ("host", "evil.example".to_owned()),
        ("host", format!("evil.example:{port}")),
        ("host", format!("localhost.evil.com:{port}")),
        ("host", format!("127.0.0.1.evil.com:{port}")),
        ("host", format!("10.1.2.3:{port}")),
    ];
    for (name, value) in &refused {
        let case = format!("{name}: {value}");
        for (method, path) in admin_routes(&client_id) {
            assert_forbidden(
                app.admin_request(method.clone(), &path)
                    .header(*name, value),
                &format!("{method} {path} with {case}"),
            )
            .await;
        }
    }
    // Nothing was disabled, rotated or deleted.
    assert!(app.find_client(&client_id).active);

    let allowed: Vec<(&str, String)> = vec![
        ("sec-fetch-site", "none".to_owned()),
        ("sec-fetch-site", "same-origin".to_owned()),
        ("host", format!("localhost:{port}")),
        ("host", format!("LOCALHOST:{port}")),
        ("host", format!("127.0.0.1:{port}")),
        ("host", format!("127.0.0.2:{port}")),
        ("host", format!("[::1]:{port}")),
        ("host", "localhost".to_owned()),
    ];
    for (name, value) in &allowed {
        let response = list().header(*name, value).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{name}: {value}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["clients"][0]["client_id"], client_id.as_str());
    }

    // Liveness answers everyone, as probes need.
    let health = app
        .admin_request(Method::GET, "/healthz")
        .header("host", "evil.example")
        .header("origin", "https://evil.example");
    assert_eq!(status(health).await, StatusCode::OK);
}

async fn with_a_token_browsers_are_refused_and_the_bearer_check_decides(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.listeners.admin_token = admin_token_setting();
    })
    .await;
    let list = || app.admin_request(Method::GET, "/admin/clients");

    // The bearer check decides, whatever the host.
    for host in ["admin.internal", "evil.example", "localhost"] {
        assert_eq!(
            status(list().header("host", host).bearer_auth(ADMIN_TOKEN)).await,
            StatusCode::OK,
            "{host}"
        );
        let response = list().header("host", host).send().await.unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    }
    assert_eq!(
        status(
            list()
                .header("sec-fetch-site", "none")
                .bearer_auth(ADMIN_TOKEN)
        )
        .await,
        StatusCode::OK
    );
    // A browser is refused even with the token.
    for (name, value) in [
        ("origin", "https://console.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        assert_forbidden(
            list().header(name, value).bearer_auth(ADMIN_TOKEN),
            &format!("{name}: {value}"),
        )
        .await;
    }
    // Without the token, even unknown paths say nothing but 401.
    let response = app
        .admin_request(Method::GET, "/admin/nothing")
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
    assert_eq!(
        status(app.admin_request(Method::GET, "/healthz")).await,
        StatusCode::OK
    );
}
