//! Initial access tokens (RFC 7591 section 3): issued, listed, shown and
//! revoked on the admin listener; required by `DCR_REGISTRATION=token`;
//! spent once per registration; their policy applied to the registrations
//! they authorize, in either mode, and to those clients' RFC 7592 updates.
//! One submodule per concern; the helpers they share are here.

mod registration;
mod updates;

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::*;

on_both_backends!(
    tokens_are_issued_listed_shown_and_revoked,
    bad_token_requests_are_refused_naming_the_member,
);

/// Issues a token with `body`; returns (id, token).
pub(crate) async fn create_token(app: &TestApp, body: Value) -> (String, String) {
    let (status, created) = admin_json(
        app,
        Method::POST,
        "/admin/initial-access-tokens",
        Some(body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["token"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn register_with(
    app: &TestApp,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app.request(Method::POST, "/register").json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

pub(crate) async fn created(response: reqwest::Response) -> Map<String, Value> {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn tokens_are_issued_listed_shown_and_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = admin_json(
        &app,
        Method::POST,
        "/admin/initial-access-tokens",
        Some(json!({
            "expires_in": 3600,
            "max_uses": 5,
            "description": "Partner A",
            "policy": {"scope": "mcp:tools", "grant_types": ["authorization_code", "refresh_token"]}
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let token = body["token"].as_str().unwrap().to_owned();
    assert!(
        token.starts_with("dcr_iat_") && token.len() == 8 + 43,
        "{token}"
    );
    assert_eq!(body["state"], "active");
    assert_eq!(body["uses"], 0);
    assert_eq!(body["max_uses"], 5);
    let expires_at = body["expires_at"].as_i64().unwrap();
    assert!((expires_at - unix_now() - 3600).abs() <= 5);
    assert_eq!(body["policy"]["scope"], "mcp:tools");

    let (status, listed) =
        admin_json(&app, Method::GET, "/admin/initial-access-tokens", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 1);
    assert_eq!(listed["tokens"][0]["id"], id.as_str());
    let (status, shown) = admin_json(
        &app,
        Method::GET,
        &format!("/admin/initial-access-tokens/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for view in [&listed, &shown] {
        assert!(
            !view.to_string().contains(&token),
            "the token is shown once only"
        );
    }

    let (status, revoked) = admin_json(
        &app,
        Method::DELETE,
        &format!("/admin/initial-access-tokens/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["state"], "revoked");
    assert!(revoked["revoked_at"].is_i64());
    let (_, listed) = admin_json(&app, Method::GET, "/admin/initial-access-tokens", None).await;
    assert_eq!(listed["tokens"][0]["state"], "revoked");

    for path in ["iat_000000000000000000000000", "not-an-id", "..%2F..%2Fetc"] {
        let (status, body) = admin_json(
            &app,
            Method::GET,
            &format!("/admin/initial-access-tokens/{path}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"], "not_found");
        let (status, _) = admin_json(
            &app,
            Method::DELETE,
            &format!("/admin/initial-access-tokens/{path}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

async fn bad_token_requests_are_refused_naming_the_member(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (json!({"max_use": 1}), ""),
        (json!({"expires_in": 0}), "/expires_in"),
        (json!({"max_uses": "5"}), "/max_uses"),
        (
            json!({"policy": {"grant_types": ["password"]}}),
            "/policy/grant_types/0",
        ),
        (
            json!({"policy": {"redirect_uri_hosts": ["https://x.example"]}}),
            "/policy/redirect_uri_hosts/0",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .client
            .post(format!("{}/admin/initial-access-tokens", app.admin_address))
            .json(&body)
            .send()
            .await
            .unwrap();
        let (_, error) = assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some(field),
        )
        .await;
        assert!(
            !error["error_description"]
                .as_str()
                .unwrap()
                .contains("max_use\"")
        );
    }
    let (_, listed) = admin_json(&app, Method::GET, "/admin/initial-access-tokens", None).await;
    assert_eq!(listed["tokens"], json!([]));
}
