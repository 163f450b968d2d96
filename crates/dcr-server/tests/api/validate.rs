//! `POST /admin/validate`, the dry run of `POST /register`: the same
//! decision (a body it accepts registers; one it refuses gets the same
//! error), what the body would become, and nothing stored, counted or
//! spent.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::*;
use crate::initial_access::{create_token, register_with};
use crate::register::ISSUED_MEMBERS;

on_both_backends!(
    every_body_validate_accepts_registers_and_every_refusal_is_registrations,
    a_dry_run_stores_counts_and_spends_nothing,
    a_named_token_decides_under_its_policy,
    token_mode_needs_a_token_in_the_dry_run_too,
);

async fn validate(app: &TestApp, body: &Value) -> Value {
    let (status, answer) =
        admin_json(app, Method::POST, "/admin/validate", Some(body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// What registration answers of `body`: the client's metadata (without
/// what only a registration issues), or the error's members.
async fn registration_of(app: &TestApp, body: &Value, token: Option<&str>) -> (bool, Value) {
    let response = register_with(app, token, body).await;
    let created = response.status() == StatusCode::CREATED;
    let mut answer: Map<String, Value> = response.json().await.unwrap();
    for issued in ISSUED_MEMBERS {
        answer.remove(issued);
    }
    (created, Value::Object(answer))
}

fn bodies_to_try() -> Vec<(String, Value)> {
    let mut bodies: Vec<(String, Value)> = fixture_bodies().into_iter().collect();
    let refused = [
        json!({"redirect_uris": ["http://evil.example/cb"]}),
        json!({"redirect_uris": "https://a.example/cb"}),
        json!({"client_name": "No redirects"}),
        json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
        json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["password"]}),
        json!([1, 2]),
    ];
    bodies.extend(
        refused
            .into_iter()
            .enumerate()
            .map(|(i, body)| (format!("refused {i}"), body)),
    );
    bodies
}

async fn every_body_validate_accepts_registers_and_every_refusal_is_registrations(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let mut accepted = 0;
    for (name, body) in bodies_to_try() {
        let verdict = validate(&app, &body).await;
        let (created, registered) = registration_of(&app, &body, None).await;
        assert_eq!(
            verdict["valid"], created,
            "{name}: {verdict} vs {registered}"
        );
        if created {
            accepted += 1;
            assert_eq!(verdict["client"], registered, "{name}");
            assert!(verdict["consent"]["redirect_hosts"].is_array(), "{name}");
            for issued in ["client_id", "client_secret", "registration_access_token"] {
                assert!(verdict["client"].get(issued).is_none(), "{name}: {issued}");
            }
        } else {
            let mut expected = registered.as_object().unwrap().clone();
            expected.insert("valid".into(), false.into());
            assert_eq!(verdict, Value::Object(expected), "{name}");
        }
    }
    assert!(accepted >= 4, "the fixtures register");
}

async fn a_dry_run_stores_counts_and_spends_nothing(backend: Backend) {
    // One registration a minute from one address: a dry run must not use it.
    let app = spawn_app_with(backend, |settings| {
        settings.limits.rate_limit = "1/minute".parse().unwrap();
    })
    .await;
    let body = fixture("claude_ai");
    let (_, token) = create_token(&app, json!({"max_uses": 1})).await;
    let mut with_token = body.clone();
    with_token["initial_access_token"] = token.clone().into();
    for _ in 0..3 {
        assert_eq!(validate(&app, &body).await["valid"], true);
        assert_eq!(validate(&app, &with_token).await["valid"], true);
    }
    assert_eq!(app.store.count_clients().unwrap(), 0);
    // The token's one use and the address's one registration are both
    // still there.
    let response = register_with(&app, Some(&token), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    // The limit is live: a second registration is over it.
    let over = app.post_register(&body).await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    // The member is the dry run's, never metadata.
    let verdict = validate(&app, &with_token).await;
    assert!(verdict["client"].get("initial_access_token").is_none());
    // Spent now: the dry run says what registration would.
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["error"], "invalid_token");
    // Only the admin listener has it.
    let public = app
        .request(Method::POST, "/admin/validate")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
}

async fn a_named_token_decides_under_its_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, partner) = create_token(
        &app,
        json!({"policy": {"redirect_uri_hosts": ["*.partner.example"]}}),
    )
    .await;
    let mut body = json!({
        "client_name": "Partner",
        "redirect_uris": ["https://evil.example/callback"],
        "initial_access_token": partner,
    });
    let verdict = validate(&app, &body).await;
    assert_eq!(verdict["valid"], false, "{verdict}");
    assert_eq!(verdict["error"], "invalid_redirect_uri");
    assert_eq!(verdict["field"], "/redirect_uris/0");
    body["redirect_uris"] = json!(["https://app.partner.example/callback"]);
    let verdict = validate(&app, &body).await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["client"]["client_name"], "Partner");
    for bad in [json!("dcr_iat_not-a-real-token"), json!("other"), json!(7)] {
        body["initial_access_token"] = bad;
        let verdict = validate(&app, &body).await;
        assert_eq!(verdict["error"], "invalid_token", "{verdict}");
        assert!(verdict.get("field").is_none());
    }
}

async fn token_mode_needs_a_token_in_the_dry_run_too(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.registration.registration = dcr_server::config::RegistrationMode::Token;
    })
    .await;
    let body = fixture("claude_code");
    let verdict = validate(&app, &body).await;
    assert_eq!(verdict["valid"], false);
    assert_eq!(verdict["error"], "invalid_token");
    let (_, token) = create_token(&app, json!({})).await;
    let mut with_token = body;
    with_token["initial_access_token"] = token.into();
    let verdict = validate(&app, &with_token).await;
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["consent"]["known_client"], "Claude Code");
}
