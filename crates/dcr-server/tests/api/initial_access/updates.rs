//! RFC 7592 updates of a client registered with a token: held to the
//! token's policy whatever becomes of the token.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{create_token, created, register_with};
use crate::helpers::*;

on_both_backends!(
    updates_of_a_token_client_keep_to_the_token_policy,
    a_spent_token_still_narrows_its_clients_updates,
);

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
