//! A client an operator disabled: its registration access token reads,
//! changes and deletes nothing, with the very answer a wrong token gets, until
//! the client is enabled again. The operator still manages it.

use reqwest::StatusCode;
use serde_json::{Map, Value};

use super::{Registered, delete, ok_json, put, read, text};
use crate::helpers::{Backend, TestApp, assert_invalid_token, fixture, spawn_app};

on_both_backends!(
    a_disabled_clients_token_manages_nothing_until_it_is_enabled,
    an_operator_still_shows_and_deletes_a_disabled_client,
);

/// `POST /admin/clients/{id}/{action}` on the loopback admin listener (no
/// admin token configured), which must answer 200.
async fn admin_post(app: &TestApp, client_id: &str, action: &str) {
    let response = app
        .admin_request(
            reqwest::Method::POST,
            &format!("/admin/clients/{client_id}/{action}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{action}");
}

async fn a_disabled_clients_token_manages_nothing_until_it_is_enabled(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_ai")).await;
    admin_post(&app, &client.id, "disable").await;
    let stored = app.find_client(&client.id);
    assert!(!stored.active);

    // The same answer as a wrong token: a guesser learns nothing.
    let wrong = "A".repeat(client.token.len());
    let to_a_wrong_token = assert_invalid_token(read(&app, &client.id, &wrong).await).await;
    let to_the_right_token =
        assert_invalid_token(read(&app, &client.id, &client.token).await).await;
    assert_eq!(to_the_right_token, to_a_wrong_token);
    let mut renamed = client.update_body();
    renamed["client_name"] = "Renamed while disabled".into();
    assert_invalid_token(put(&app, &client.id, &client.token, &renamed).await).await;
    assert_invalid_token(delete(&app, &client.id, &client.token).await).await;
    // Nothing changed, and the token was not spent.
    assert_eq!(app.find_client(&client.id), stored);

    admin_post(&app, &client.id, "enable").await;
    assert_eq!(
        ok_json(read(&app, &client.id, &client.token).await).await,
        client.as_read()
    );
    let updated = ok_json(put(&app, &client.id, &client.token, &renamed).await).await;
    assert_eq!(updated["client_name"], "Renamed while disabled");
    let new_token = text(&updated, "registration_access_token");
    let response = delete(&app, &client.id, &new_token).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

async fn an_operator_still_shows_and_deletes_a_disabled_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_code")).await;
    admin_post(&app, &client.id, "disable").await;
    let path = format!("{}/admin/clients/{}", app.admin_address, client.id);

    let response = app.client.get(&path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let view: Map<String, Value> = response.json().await.unwrap();
    assert_eq!(view["client_id"], client.body["client_id"]);
    assert_eq!(view["active"], false);

    let response = app.client.delete(&path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.client.get(&path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_invalid_token(read(&app, &client.id, &client.token).await).await;
}
