//! One client, every replica: a change made through one application is seen
//! at once through another on the same database, even by one that has just
//! answered with the old state. Each case first warms replica B (its memory
//! of verified secrets, its document cache), then changes the client
//! through replica A, then asks B again without waiting.

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::cimd::documents::DocumentServer;
use crate::cimd::encoded;
use crate::helpers::*;

on_both_backends!(
    a_client_registered_on_one_is_known_on_the_other,
    a_disable_on_one_holds_on_the_other_at_once,
    a_rotation_on_one_holds_on_the_other_at_once,
    a_rotation_of_a_sha256_secret_holds_on_the_other_at_once,
    an_update_on_one_is_read_by_the_other,
    a_delete_on_one_holds_on_the_other_at_once,
    a_url_client_disabled_on_one_is_refused_on_the_other,
);

/// Replicas A and B on one database.
async fn two_replicas(backend: Backend) -> (TestApp, TestApp) {
    two_replicas_with(backend, |_| {}).await
}

async fn two_replicas_with(
    backend: Backend,
    configure: impl Fn(&mut dcr_server::Settings),
) -> (TestApp, TestApp) {
    let a = spawn_app_with(backend, &configure).await;
    let b = spawn_replica(&a, &configure).await;
    (a, b)
}

/// A confidential client registered through `app`: id, secret, token.
async fn register(app: &TestApp) -> (String, String, Map<String, Value>) {
    let registration = app.register(&fixture("claude_ai")).await;
    let id = registration["client_id"].as_str().unwrap().to_owned();
    let secret = registration["client_secret"].as_str().unwrap().to_owned();
    (id, secret, registration)
}

fn token_of(registration: &Map<String, Value>) -> &str {
    registration["registration_access_token"].as_str().unwrap()
}

/// The verify call's `valid`.
async fn valid(app: &TestApp, client_id: &str, secret: Option<&str>) -> bool {
    let answer = app.verify(client_id, secret).await;
    answer["valid"]
        .as_bool()
        .unwrap_or_else(|| panic!("valid is a boolean: {answer}"))
}

async fn admin_view(app: &TestApp, client_id: &str) -> (StatusCode, Value) {
    admin_json(
        app,
        Method::GET,
        &format!("/admin/clients/{client_id}"),
        None,
    )
    .await
}

/// `POST /admin/lookup`, the authorization endpoint's question.
async fn lookup(app: &TestApp, client_id: &str) -> Value {
    let (status, answer) = admin_json(
        app,
        Method::POST,
        "/admin/lookup",
        Some(json!({ "client_id": client_id })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// RFC 7592 read, through `app` whatever `registration_client_uri` says.
async fn read_registration(app: &TestApp, client_id: &str, token: &str) -> (StatusCode, Value) {
    let response = app
        .request(Method::GET, &format!("/register/{client_id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn set_active(app: &TestApp, client_id: &str, active: bool) {
    let action = if active { "enable" } else { "disable" };
    let (status, body) = admin_json(
        app,
        Method::POST,
        &format!("/admin/clients/{client_id}/{action}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{action}: {body}");
}

async fn rotate(app: &TestApp, client_id: &str, keep_old_for: u64) -> String {
    let (status, body) = admin_json(
        app,
        Method::POST,
        &format!("/admin/clients/{client_id}/rotate-secret"),
        Some(json!({ "keep_old_for": keep_old_for })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["client_secret"].as_str().unwrap().to_owned()
}

async fn a_client_registered_on_one_is_known_on_the_other(backend: Backend) {
    let (a, b) = two_replicas(backend).await;
    let (id, secret, registration) = register(&a).await;

    assert!(valid(&b, &id, Some(&secret)).await);
    let (status, read) = read_registration(&b, &id, token_of(&registration)).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["client_id"], id.as_str());
    assert_eq!(read["client_name"], "Claude");
    let (status, view) = admin_view(&b, &id).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["active"], true);
    assert_eq!(lookup(&b, &id).await["usable"], true);
}

async fn a_disable_on_one_holds_on_the_other_at_once(backend: Backend) {
    let (a, b) = two_replicas(backend).await;
    let (id, secret, registration) = register(&a).await;
    let token = token_of(&registration);
    // Twice: the second is answered from B's memory of the check.
    assert!(valid(&b, &id, Some(&secret)).await);
    assert!(valid(&b, &id, Some(&secret)).await);
    assert_eq!(lookup(&b, &id).await["usable"], true);

    set_active(&a, &id, false).await;
    assert!(
        !valid(&b, &id, Some(&secret)).await,
        "B remembered the secret"
    );
    let answer = lookup(&b, &id).await;
    assert_eq!(answer["usable"], false, "{answer}");
    assert_eq!(answer["reason"], "disabled");
    assert_eq!(admin_view(&b, &id).await.1["active"], false);
    let (status, _) = read_registration(&b, &id, token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    set_active(&a, &id, true).await;
    assert!(valid(&b, &id, Some(&secret)).await);
    assert_eq!(lookup(&b, &id).await["usable"], true);
    assert_eq!(admin_view(&b, &id).await.1["active"], true);
    let (status, _) = read_registration(&b, &id, token).await;
    assert_eq!(status, StatusCode::OK);
}

/// docs/api.md: with `keep_old_for` the replaced secret works beside the
/// new one until its expiry; with 0 it stops at once, and a rotation during
/// an overlap drops the older secret.
async fn a_rotation_on_one_holds_on_the_other_at_once(backend: Backend) {
    rotations_hold_on_the_other(two_replicas(backend).await).await;
}

/// A SHA-256 secret has no tag to refuse a replaced secret before the
/// comparison: only B's memory keying on the stored hash keeps it out.
async fn a_rotation_of_a_sha256_secret_holds_on_the_other_at_once(backend: Backend) {
    let replicas = two_replicas_with(backend, |settings| {
        settings.hashing.secret_hash = "sha256".parse().unwrap();
    })
    .await;
    rotations_hold_on_the_other(replicas).await;
}

async fn rotations_hold_on_the_other((a, b): (TestApp, TestApp)) {
    let (id, first, _) = register(&a).await;
    assert!(valid(&b, &id, Some(&first)).await);

    let second = rotate(&a, &id, 3600).await;
    assert!(valid(&b, &id, Some(&first)).await, "within the overlap");
    assert!(valid(&b, &id, Some(&second)).await);
    let (_, view) = admin_view(&b, &id).await;
    assert!(view["previous_secret_expires_at"].is_i64(), "{view}");

    // Both secrets are now in B's memory; a rotation without overlap ends
    // them there too.
    let third = rotate(&a, &id, 0).await;
    assert!(
        !valid(&b, &id, Some(&first)).await,
        "dropped by the second rotation"
    );
    assert!(!valid(&b, &id, Some(&second)).await, "no overlap was kept");
    assert!(valid(&b, &id, Some(&third)).await);
    let (_, view) = admin_view(&b, &id).await;
    assert!(view.get("previous_secret_expires_at").is_none(), "{view}");
}

async fn an_update_on_one_is_read_by_the_other(backend: Backend) {
    let (a, b) = two_replicas(backend).await;
    let (id, secret, registration) = register(&a).await;
    let old_token = token_of(&registration);
    assert!(valid(&b, &id, Some(&secret)).await);
    assert_eq!(
        read_registration(&b, &id, old_token).await.0,
        StatusCode::OK
    );
    assert_eq!(lookup(&b, &id).await["usable"], true);

    let mut update = registration.clone();
    for server_set in [
        "client_secret",
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
    ] {
        update.remove(server_set);
    }
    let redirect = json!(["https://claude.ai/api/mcp/new_callback"]);
    update.insert("redirect_uris".into(), redirect.clone());
    // To `none`: the secret is removed.
    update.insert("token_endpoint_auth_method".into(), json!("none"));
    let response = a
        .request(Method::PUT, &format!("/register/{id}"))
        .bearer_auth(old_token)
        .json(&update)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let updated: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{updated}");
    let new_token = updated["registration_access_token"].as_str().unwrap();

    let (_, view) = admin_view(&b, &id).await;
    assert_eq!(view["redirect_uris"], redirect, "{view}");
    assert_eq!(view["token_endpoint_auth_method"], "none");
    let answer = lookup(&b, &id).await;
    assert_eq!(answer["client"]["redirect_uris"], redirect, "{answer}");
    assert!(
        !valid(&b, &id, Some(&secret)).await,
        "the secret was removed"
    );
    assert!(valid(&b, &id, None).await, "now a public client");
    assert_eq!(
        read_registration(&b, &id, old_token).await.0,
        StatusCode::UNAUTHORIZED,
        "the update rotated the token"
    );
    let (status, read) = read_registration(&b, &id, new_token).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["redirect_uris"], redirect);
}

async fn a_delete_on_one_holds_on_the_other_at_once(backend: Backend) {
    let (a, b) = two_replicas(backend).await;
    let (id, secret, registration) = register(&a).await;
    let token = token_of(&registration);
    assert!(valid(&b, &id, Some(&secret)).await);
    assert!(valid(&b, &id, Some(&secret)).await);
    assert_eq!(read_registration(&b, &id, token).await.0, StatusCode::OK);

    let response = a
        .request(Method::DELETE, &format!("/register/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    assert!(
        !valid(&b, &id, Some(&secret)).await,
        "B remembered the secret"
    );
    assert_eq!(
        read_registration(&b, &id, token).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(admin_view(&b, &id).await.0, StatusCode::NOT_FOUND);
    let answer = lookup(&b, &id).await;
    assert_eq!(answer["reason"], "unknown_client", "{answer}");
}

/// B caches the document for an hour: only the operator's disable, read
/// from the database, can change its answer within the test.
async fn a_url_client_disabled_on_one_is_refused_on_the_other(backend: Backend) {
    let documents = DocumentServer::start().await;
    let cimd = |settings: &mut dcr_server::Settings| {
        settings.cimd.cimd_allow_http_loopback = dcr_server::config::BoolArg(true);
        settings.cimd.cimd_min_ttl_secs = 3600;
        settings.cimd.cimd_max_ttl_secs = 3600;
    };
    let a = spawn_app_with(backend, cimd).await;
    let b = spawn_replica(&a, cimd).await;
    let url = documents.serve_document("/replicas/client.json");
    let path = format!("/admin/clients/{}", encoded(&url));

    assert!(valid(&b, &encoded(&url), None).await);
    assert_eq!(lookup(&b, &url).await["usable"], true);
    assert_eq!(
        documents.hits("/replicas/client.json"),
        1,
        "B's cache is warm"
    );

    let (status, body) = admin_json(&a, Method::POST, &format!("{path}/disable"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !valid(&b, &encoded(&url), None).await,
        "B's cached document vouched"
    );
    let answer = lookup(&b, &url).await;
    assert_eq!(answer["usable"], false, "{answer}");
    assert_eq!(answer["reason"], "disabled");
    let (status, view) = admin_json(&b, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["active"], false);

    let (status, body) = admin_json(&a, Method::POST, &format!("{path}/enable"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(valid(&b, &encoded(&url), None).await);
    assert_eq!(lookup(&b, &url).await["usable"], true);
    // Every answer above came from B's one fetch: the state alone was read.
    assert_eq!(documents.hits("/replicas/client.json"), 1);
}
