//! DCR_DEDUP_PUBLIC: a public client registering again with the same
//! metadata gets the client it already has, and no token to manage it.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

on_both_backends!(
    equal_public_registrations_share_one_client,
    without_the_setting_every_registration_is_new,
);

async fn equal_public_registrations_share_one_client(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.dedup_public = dcr_server::config::BoolArg(true);
    })
    .await;
    let first = app.register(&fixture("claude_code")).await;
    let id = first["client_id"].as_str().unwrap();
    assert!(first.contains_key("registration_access_token"));
    let again = app.register(&fixture("claude_code")).await;
    assert_eq!(again["client_id"], id);
    assert_eq!(again["client_id_issued_at"], first["client_id_issued_at"]);
    for member in [
        "registration_access_token",
        "registration_client_uri",
        "client_secret",
    ] {
        assert!(!again.contains_key(member), "{member} handed to a stranger");
    }
    assert_eq!(app.store.count_clients().unwrap(), 1);

    // Other metadata, or a confidential client, is a new registration.
    let mut other = fixture("claude_code");
    other["client_name"] = json!("Claude Code (other server)");
    assert_ne!(app.register(&other).await["client_id"], id);
    let confidential = app.register(&fixture("claude_ai")).await["client_id"].clone();
    assert_ne!(
        app.register(&fixture("claude_ai")).await["client_id"],
        confidential
    );

    // A disabled client is not handed out; nor is a deleted one.
    let disabled = app
        .client
        .post(format!("{}/admin/clients/{id}/disable", app.admin_address))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    let replacement = app.register(&fixture("claude_code")).await;
    let replacement_id = replacement["client_id"].as_str().unwrap().to_owned();
    assert_ne!(replacement_id, id);
    assert!(replacement.contains_key("registration_access_token"));
    let deleted = app
        .request(Method::DELETE, &format!("/register/{replacement_id}"))
        .bearer_auth(replacement["registration_access_token"].as_str().unwrap())
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

async fn without_the_setting_every_registration_is_new(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register(&fixture("claude_code")).await;
    let second = app.register(&fixture("claude_code")).await;
    assert_ne!(first["client_id"], second["client_id"]);
}
