//! Initial access tokens (RFC 7591 section 3): issued, listed, shown and
//! revoked on the admin listener; required by `DCR_REGISTRATION=token`;
//! spent once per registration; their policy applied to the registrations
//! they authorize, in either mode, and to those clients' RFC 7592 updates.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::helpers::*;

on_both_backends!(
    tokens_are_issued_listed_shown_and_revoked,
    bad_token_requests_are_refused_naming_the_member,
    token_mode_needs_an_active_token,
    a_token_is_spent_once_per_registration,
    a_token_policy_widens_and_narrows_what_a_registration_may_ask,
    updates_of_a_token_client_keep_to_the_token_policy,
    a_spent_token_still_narrows_its_clients_updates,
);

/// Issues a token with `body`; returns (id, token).
pub async fn create_token(app: &TestApp, body: Value) -> (String, String) {
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

async fn register_with(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.request(Method::POST, "/register").json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn created(response: reqwest::Response) -> Map<String, Value> {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn assert_invalid_token(response: reqwest::Response) {
    let (headers, _) =
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token", None).await;
    assert_eq!(
        header(&headers, "www-authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
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

async fn updates_of_a_token_client_keep_to_the_token_policy(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, token) = create_token(
        &app,
        json!({"policy": {"redirect_uri_hosts": ["app.partner.example"]}}),
    )
    .await;
    let body = json!({
        "redirect_uris": ["https://app.partner.example/callback"],
        "token_endpoint_auth_method": "none",
    });
    let registered = created(register_with(&app, Some(&token), &body).await).await;
    let client_id = registered["client_id"].as_str().unwrap();
    let access = registered["registration_access_token"].as_str().unwrap();
    let put = |redirect: &str, access: &str| {
        app.request(Method::PUT, &format!("/register/{client_id}"))
            .bearer_auth(access)
            .json(&json!({
                "client_id": client_id,
                "redirect_uris": [redirect],
                "token_endpoint_auth_method": "none",
            }))
            .send()
    };
    let refused = put("https://evil.example/callback", access).await.unwrap();
    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        "invalid_redirect_uri",
        Some("/redirect_uris/0"),
    )
    .await;
    let response = put("https://app.partner.example/other", access)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    let access = updated["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // The policy stays with the client whatever becomes of the token: a
    // revoked partner cannot widen its clients.
    let (status, _) = admin_json(
        &app,
        Method::DELETE,
        &format!("/admin/initial-access-tokens/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let refused = put("https://elsewhere.example/callback", &access)
        .await
        .unwrap();
    assert_error(
        refused,
        StatusCode::BAD_REQUEST,
        "invalid_redirect_uri",
        Some("/redirect_uris/0"),
    )
    .await;
    let response = put("https://app.partner.example/again", &access)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    let access = updated["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // A token row that is gone leaves no policy to hold an update to: the
    // update is refused, naming why, rather than judged by looser rules.
    delete_every_token_row(&app);
    let (_, body) = assert_error(
        put("https://app.partner.example/callback", &access)
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        Some(""),
    )
    .await;
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("initial access token that is no longer stored"),
        "{description}"
    );
}

/// A token's policy holds for its clients' updates whether the token is
/// revoked, expired or used up, with every kind of restriction.
async fn a_spent_token_still_narrows_its_clients_updates(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = create_token(
        &app,
        json!({"max_uses": 1, "expires_in": 2, "policy": {
            "scope": "mcp:read",
            "token_endpoint_auth_methods": ["none"],
            "grant_types": ["authorization_code"],
        }}),
    )
    .await;
    let body = json!({
        "redirect_uris": ["http://127.0.0.1:8765/callback"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "scope": "mcp:read",
    });
    let registered = created(register_with(&app, Some(&token), &body).await).await;
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    let access = registered["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Used up at once, and expired soon after.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let beyond = [
        ("scope", json!("mcp:read mcp:write"), "/scope"),
        (
            "token_endpoint_auth_method",
            json!("client_secret_basic"),
            "/token_endpoint_auth_method",
        ),
        (
            "grant_types",
            json!(["authorization_code", "refresh_token"]),
            "/grant_types/1",
        ),
    ];
    for (member, value, field) in beyond {
        let mut sent = body.clone();
        sent["client_id"] = json!(client_id);
        sent[member] = value;
        let response = app
            .request(Method::PUT, &format!("/register/{client_id}"))
            .bearer_auth(&access)
            .json(&sent)
            .send()
            .await
            .unwrap();
        assert_error(
            response,
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            Some(field),
        )
        .await;
    }
    let mut within = body.clone();
    within["client_id"] = json!(client_id);
    within["client_name"] = json!("Renamed");
    let response = app
        .request(Method::PUT, &format!("/register/{client_id}"))
        .bearer_auth(&access)
        .json(&within)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["client_name"], "Renamed");
}

/// What no route does: the token rows removed behind dcr's back (a restore
/// of part of the database, a hand-written cleanup).
fn delete_every_token_row(app: &TestApp) {
    use diesel::{Connection as _, RunQueryDsl as _};
    let statement = diesel::sql_query("DELETE FROM initial_access_tokens");
    match app.db.url() {
        dcr_store::DatabaseUrl::Postgres(url) => {
            let mut conn = diesel::PgConnection::establish(url).unwrap();
            statement.execute(&mut conn).unwrap();
        }
        dcr_store::DatabaseUrl::Sqlite(path) => {
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            statement.execute(&mut conn).unwrap();
        }
    };
}
