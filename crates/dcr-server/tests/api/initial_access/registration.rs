//! Registering with a token: required in token mode, spent once per
//! registration, and its policy applied to what the registration may ask.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{create_token, created, register_with};
use crate::helpers::*;

on_both_backends!(
    token_mode_needs_an_active_token,
    a_token_is_spent_once_per_registration,
    a_token_policy_widens_and_narrows_what_a_registration_may_ask,
);

async fn token_mode_needs_an_active_token(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.registration.registration = dcr_server::config::RegistrationMode::Token;
    })
    .await;
    let body = fixture("claude_code");
    assert_invalid_token(app.post_register(&body).await).await;
    assert_invalid_token(register_with(&app, Some("dcr_iat_not-a-real-token"), &body).await).await;
    assert_invalid_token(register_with(&app, Some("something-else"), &body).await).await;
    // Basic is not a bearer token.
    let basic = app
        .request(Method::POST, "/register")
        .basic_auth("user", Some("pass"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_invalid_token(basic).await;

    let (id, token) = create_token(&app, json!({"description": "CI"})).await;
    let registered = created(register_with(&app, Some(&token), &body).await).await;
    let client_id = registered["client_id"].as_str().unwrap();
    let (_, view) = admin_json(
        &app,
        Method::GET,
        &format!("/admin/clients/{client_id}"),
        None,
    )
    .await;
    assert_eq!(view["registered_from"]["via"], "token");
    assert_eq!(view["registered_from"]["initial_access_token"], id.as_str());
    assert_eq!(
        app.find_client(client_id)
            .provenance
            .token_id
            .unwrap()
            .to_string(),
        id
    );

    // Revoked: refused at once.
    admin_json(
        &app,
        Method::DELETE,
        &format!("/admin/initial-access-tokens/{id}"),
        None,
    )
    .await;
    assert_invalid_token(register_with(&app, Some(&token), &body).await).await;
    assert_eq!(app.store.count_clients().unwrap(), 1);
}

async fn a_token_is_spent_once_per_registration(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, token) = create_token(&app, json!({"max_uses": 2})).await;
    let body = fixture("cursor");
    // Refused registrations spend nothing.
    let refused = register_with(
        &app,
        Some(&token),
        &json!({"redirect_uris": ["http://evil.example/cb"]}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    for _ in 0..2 {
        created(register_with(&app, Some(&token), &body).await).await;
    }
    assert_invalid_token(register_with(&app, Some(&token), &body).await).await;
    let (_, shown) = admin_json(
        &app,
        Method::GET,
        &format!("/admin/initial-access-tokens/{id}"),
        None,
    )
    .await;
    assert_eq!(shown["uses"], 2);
    assert_eq!(shown["state"], "used_up");
    // Open mode still registers without a token.
    created(app.post_register(&body).await).await;

    // Expired: refused.
    let (_, expiring) = create_token(&app, json!({"expires_in": 1})).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_invalid_token(register_with(&app, Some(&expiring), &body).await).await;
}

async fn a_token_policy_widens_and_narrows_what_a_registration_may_ask(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.policy.allowed_scopes = Some(dcr_server::config::ScopeArg(
            dcr_core::Scope::parse("mcp:read").unwrap(),
        ));
    })
    .await;
    let (_, partner) = create_token(
        &app,
        json!({"policy": {
            "scope": "mcp:read mcp:write",
            "redirect_uri_hosts": ["*.partner.example"],
            "token_endpoint_auth_methods": ["none"],
        }}),
    )
    .await;
    let body = json!({
        "client_name": "Partner",
        "redirect_uris": ["https://app.partner.example/callback"],
        "token_endpoint_auth_method": "none",
        "scope": "mcp:read mcp:write",
    });
    // Anonymous: the server's scopes only.
    assert_error(
        app.post_register(&body).await,
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        Some("/scope"),
    )
    .await;
    let registered = created(register_with(&app, Some(&partner), &body).await).await;
    assert_eq!(registered["scope"], "mcp:read mcp:write");

    let refused = [
        (
            "redirect_uris",
            json!(["https://evil.example/callback"]),
            "invalid_redirect_uri",
            "/redirect_uris/0",
        ),
        (
            "token_endpoint_auth_method",
            json!("client_secret_basic"),
            "invalid_client_metadata",
            "/token_endpoint_auth_method",
        ),
        (
            "scope",
            json!("mcp:admin"),
            "invalid_client_metadata",
            "/scope",
        ),
    ];
    for (member, value, error, field) in refused {
        let mut beyond = body.clone();
        beyond[member] = value;
        let response = register_with(&app, Some(&partner), &beyond).await;
        assert_error(response, StatusCode::BAD_REQUEST, error, Some(field)).await;
    }

    // A bad bearer token in open mode is an error, not an anonymous
    // registration; another scheme is ignored.
    assert_invalid_token(
        register_with(&app, Some("dcr_iat_unknown"), &fixture("claude_code")).await,
    )
    .await;
    let basic = app
        .request(Method::POST, "/register")
        .basic_auth("user", Some("pass"))
        .json(&fixture("claude_code"))
        .send()
        .await
        .unwrap();
    created(basic).await;
}
