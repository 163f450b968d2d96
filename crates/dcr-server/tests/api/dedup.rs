//! DCR_DEDUP_PUBLIC: a public client registering again with the same
//! metadata gets the client it already has; no registrant of a shared
//! client, the first included, gets a token to manage it.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::helpers::*;

on_both_backends!(
    equal_public_registrations_share_one_client,
    no_registrant_of_a_shared_client_can_manage_it,
    a_client_with_a_registration_token_is_never_handed_out,
    without_the_setting_every_registration_is_new,
);

const MANAGEMENT_MEMBERS: [&str; 3] = [
    "registration_access_token",
    "registration_client_uri",
    "client_secret",
];

async fn spawn_deduplicating(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.registration.dedup_public = dcr_server::config::BoolArg(true);
    })
    .await
}

fn assert_unmanaged(answer: &Map<String, Value>) {
    for member in MANAGEMENT_MEMBERS {
        assert!(!answer.contains_key(member), "{member} in {answer:?}");
    }
}

async fn admin_post(app: &TestApp, path: &str) -> reqwest::StatusCode {
    app.admin_request(reqwest::Method::POST, path)
        .send()
        .await
        .unwrap()
        .status()
}

async fn equal_public_registrations_share_one_client(backend: Backend) {
    let app = spawn_deduplicating(backend).await;
    let first = app.register(&fixture("claude_code")).await;
    let id = first["client_id"].as_str().unwrap();
    let again = app.register(&fixture("claude_code")).await;
    assert_eq!(again["client_id"], id);
    assert_eq!(again["client_id_issued_at"], first["client_id_issued_at"]);
    // Neither the first registrant nor a later one gets a token.
    assert_unmanaged(&first);
    assert_unmanaged(&again);
    assert_eq!(first, again);
    assert_eq!(app.store.count_clients().unwrap(), 1);

    // Other metadata, or a confidential client, is a new registration; a
    // confidential client keeps its token and is never shared.
    let mut other = fixture("claude_code");
    other["client_name"] = json!("Claude Code (other server)");
    assert_ne!(app.register(&other).await["client_id"], id);
    let confidential = app.register(&fixture("claude_ai")).await;
    assert!(confidential.contains_key("registration_access_token"));
    assert_ne!(
        app.register(&fixture("claude_ai")).await["client_id"],
        confidential["client_id"]
    );

    // A disabled client is not handed out; nor is a deleted one.
    assert_eq!(
        admin_post(&app, &format!("/admin/clients/{id}/disable")).await,
        200
    );
    let replacement = app.register(&fixture("claude_code")).await;
    let replacement_id = replacement["client_id"].as_str().unwrap().to_owned();
    assert_ne!(replacement_id, id);
    assert_unmanaged(&replacement);
    let deleted = app
        .client
        .delete(format!(
            "{}/admin/clients/{replacement_id}",
            app.admin_address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let fresh = app.register(&fixture("claude_code")).await;
    assert_ne!(fresh["client_id"], replacement_id.as_str());
    assert_eq!(
        app.register(&fixture("claude_code")).await["client_id"],
        fresh["client_id"]
    );
}

/// The attack: pre-register a well-known client's public metadata, wait for
/// its users to be handed the same client, then repoint, take over or
/// delete it through RFC 7592. The first registrant has no token to do it
/// with.
async fn no_registrant_of_a_shared_client_can_manage_it(backend: Backend) {
    let app = spawn_deduplicating(backend).await;
    let attacker = app.register(&fixture("claude_code")).await;
    let victim = app.register(&fixture("claude_code")).await;
    assert_eq!(attacker["client_id"], victim["client_id"]);
    let id = attacker["client_id"].as_str().unwrap();
    assert_eq!(app.find_client(id).registration_token, None);

    let mut repointed = fixture("claude_code");
    repointed["client_id"] = json!(id);
    repointed["redirect_uris"] = json!(["https://attacker.example/callback"]);
    for token in [None, Some(""), Some("guessed-token")] {
        for method in [Method::GET, Method::PUT, Method::DELETE] {
            let mut request = app
                .request(method.clone(), &format!("/register/{id}"))
                .json(&repointed);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} with {token:?}");
        }
    }
    let stored = app.find_client(id);
    assert!(stored.active);
    assert_eq!(
        stored.metadata.redirect_uris[0].as_str(),
        fixture("claude_code")["redirect_uris"][0].as_str().unwrap()
    );
}

/// A row whose first registrant holds a registration access token (a
/// client remembered before shared clients had none, or one registered
/// while the setting was off) belongs to that registrant and is never
/// handed to another.
async fn a_client_with_a_registration_token_is_never_handed_out(backend: Backend) {
    let before = spawn_app(backend).await;
    let managed = before.register(&fixture("claude_code")).await;
    assert!(managed.contains_key("registration_access_token"));
    let stored = before.find_client(managed["client_id"].as_str().unwrap());
    before
        .store
        .remember_public_client(&stored.metadata.share_key().unwrap(), &stored.client_id)
        .unwrap();
    let TestApp { db, .. } = before;

    let app = spawn_app_on(db, |settings| {
        settings.registration.dedup_public = dcr_server::config::BoolArg(true);
    })
    .await;
    let shared = app.register(&fixture("claude_code")).await;
    assert_ne!(shared["client_id"], managed["client_id"]);
    assert_unmanaged(&shared);
    assert_eq!(
        app.register(&fixture("claude_code")).await["client_id"],
        shared["client_id"]
    );
    // The managed client is its registrant's alone, token and all.
    let read = app
        .request(
            Method::GET,
            &format!("/register/{}", managed["client_id"].as_str().unwrap()),
        )
        .bearer_auth(managed["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
}

async fn without_the_setting_every_registration_is_new(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register(&fixture("claude_code")).await;
    let second = app.register(&fixture("claude_code")).await;
    assert_ne!(first["client_id"], second["client_id"]);
}
