//! `POST /admin/verify` and `POST /admin/used`, the token endpoint's calls
//! with the client id in the body: each answers exactly as its path form
//! (`/admin/clients/{id}/verify`, `/used`), counts failures against the same
//! address, and refuses a body without a string `client_id`.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use super::{Admin, id_of, object, secret_of, spawn_admin, spawn_admin_with, with_secret};
use crate::helpers::{Backend, assert_error, fixture};

on_both_backends!(
    verify_by_body_answers_as_the_path_form,
    both_forms_count_failures_against_one_address,
    used_by_body_answers_as_the_path_form,
    body_forms_refuse_a_body_without_a_client_id,
);

/// An id of the shape this server issues that no client has.
const UNKNOWN: &str = "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60";

impl Admin {
    /// `POST path` with a JSON body: what a token endpoint sends.
    pub(super) async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// `POST /admin/verify`, `client_id` added to `body`: status and body.
    pub(super) async fn verify_by_body(
        &self,
        client_id: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let mut body = body.clone();
        body["client_id"] = json!(client_id);
        answer(self.post_json("/admin/verify", &body).await).await
    }
}

/// Status and JSON body (`null` for none).
pub(super) async fn answer(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn verify_by_body_answers_as_the_path_form(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let confidential = admin.register(&fixture("claude_ai")).await;
    let public = admin.register(&fixture("claude_code")).await;
    let (confidential_id, public_id) = (id_of(&confidential), id_of(&public));
    let secret = secret_of(&confidential).to_owned();
    let cases = [
        (
            confidential_id.clone(),
            with_secret(&secret),
            "the right secret",
        ),
        (
            confidential_id.clone(),
            with_secret("wrong"),
            "a wrong secret",
        ),
        (confidential_id.clone(), json!({}), "no secret"),
        (public_id.clone(), json!({}), "a public client"),
        (
            public_id.clone(),
            with_secret(&secret),
            "a public client with a secret",
        ),
        (UNKNOWN.to_owned(), with_secret(&secret), "an unknown id"),
        ("not-a-client-id".to_owned(), json!({}), "a malformed id"),
    ];
    for (client_id, body, case) in &cases {
        let by_path = Value::Object(admin.verify(client_id, body).await);
        let (status, by_body) = admin.verify_by_body(client_id, body).await;
        assert_eq!(status, StatusCode::OK, "{case}: {by_body}");
        assert_eq!(by_body, by_path, "{case}");
    }
    // An empty id, which no path can carry, is an id no client has.
    let (status, empty) = admin.verify_by_body("", &json!({})).await;
    assert_eq!((status, empty), (StatusCode::OK, json!({ "valid": false })));
    let (_, valid) = admin
        .verify_by_body(&confidential_id, &with_secret(&secret))
        .await;
    assert_eq!(valid["valid"], true);
    assert_eq!(valid["client"]["client_id"], confidential_id.as_str());
    // A client_address of the wrong shape is refused as the path form refuses it.
    let bad_address = json!({ "client_secret": secret, "client_address": "10.0.0.1:80" });
    let (status, _) = admin.verify_by_body(&confidential_id, &bad_address).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// The failure limit sees one address, whichever form the failures came by.
async fn both_forms_count_failures_against_one_address(backend: Backend) {
    let admin = spawn_admin_with(backend, |settings| {
        settings.limits.failed_auth_limit = "3/hour".parse().unwrap();
    })
    .await;
    let id = id_of(&admin.register(&fixture("claude_ai")).await);
    let wrong = json!({ "client_secret": "wrong", "client_address": "203.0.113.7" });
    for _ in 0..2 {
        let (status, body) = admin.verify_by_body(&id, &wrong).await;
        assert_eq!((status, body), (StatusCode::OK, json!({ "valid": false })));
    }
    admin.assert_invalid(&id, &wrong, "the third failure").await;
    let (status, _) = admin.verify_by_body(UNKNOWN, &wrong).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let path = admin
        .post_json(&format!("/admin/clients/{id}/verify"), &wrong)
        .await;
    assert_eq!(path.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another end client is not held back.
    let elsewhere = json!({ "client_secret": "wrong", "client_address": "203.0.113.8" });
    let (status, _) = admin.verify_by_body(&id, &elsewhere).await;
    assert_eq!(status, StatusCode::OK);
}

async fn used_by_body_answers_as_the_path_form(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let first = id_of(&admin.register(&fixture("claude_code")).await);
    let second = id_of(&admin.register(&fixture("claude_code")).await);

    let (status, body) = answer(
        admin
            .post_json("/admin/used", &json!({ "client_id": first }))
            .await,
    )
    .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    assert!(admin.app.find_client(&first).last_used_at.is_some());
    assert_eq!(admin.app.find_client(&second).last_used_at, None);

    for (client_id, case) in [
        (UNKNOWN, "an unknown id"),
        ("not-a-client-id", "a malformed id"),
        ("https://agent.example/client.json", "a URL client id"),
    ] {
        let by_path = answer(
            admin
                .post(&format!(
                    "/admin/clients/{}/used",
                    client_id.replace('/', "%2F").replace(':', "%3A")
                ))
                .await,
        )
        .await;
        let by_body = answer(
            admin
                .post_json("/admin/used", &json!({ "client_id": client_id }))
                .await,
        )
        .await;
        assert!(by_body.0.is_client_error(), "{case}: {by_body:?}");
        assert_eq!(by_body, by_path, "{case}");
    }
}

/// `client_id` is required, as a string; the body is a JSON object.
async fn body_forms_refuse_a_body_without_a_client_id(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let bodies = [
        json!({}),
        json!({ "client_secret": "x" }),
        json!({ "client_id": null }),
        json!({ "client_id": 5 }),
        json!({ "client_id": ["a"] }),
        json!({ "client_id": { "id": "a" } }),
        json!(["client_id"]),
        json!("client_id"),
        json!(null),
    ];
    for path in ["/admin/verify", "/admin/used", "/admin/lookup"] {
        for body in &bodies {
            let response = admin.post_json(path, body).await;
            assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
        }
        let response = admin
            .request(Method::POST, path)
            .header("content-type", "text/plain")
            .body(r#"{"client_id":"x"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{path}"
        );
    }
    // A client_secret that is no string, as the path form refuses it.
    let response = admin
        .post_json(
            "/admin/verify",
            &json!({ "client_id": UNKNOWN, "client_secret": 5 }),
        )
        .await;
    let refused = object(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(refused["error"], "invalid_request");
}
