//! DCR_SECRET_HASH: new secrets hashed with SHA-256 or bcrypt, and every
//! stored scheme verifying whatever the setting.

use dcr_core::ClientCredentials;

use crate::helpers::*;

on_both_backends!(secrets_hashed_either_way_verify_under_either_setting);

fn stored_hash(app: &TestApp, client_id: &str) -> String {
    match app.find_client(client_id).credentials {
        ClientCredentials::Confidential { secret_hash, .. } => secret_hash.as_stored().to_owned(),
        ClientCredentials::Public => panic!("a confidential client has a secret"),
    }
}

async fn secrets_hashed_either_way_verify_under_either_setting(backend: Backend) {
    let db = backend.fresh_database();
    let url = db.url().clone();
    let fast = spawn_app_on(db, |settings| {
        settings.hashing.secret_hash = "sha256".parse().unwrap();
    })
    .await;
    let registered = fast.register(&fixture("claude_ai")).await;
    let fast_id = registered["client_id"].as_str().unwrap().to_owned();
    let fast_secret = registered["client_secret"].as_str().unwrap().to_owned();
    assert!(stored_hash(&fast, &fast_id).starts_with("$sha256$"));
    assert_eq!(
        fast.verify(&fast_id, Some(&fast_secret)).await["valid"],
        true
    );
    assert_eq!(fast.verify(&fast_id, Some("wrong")).await["valid"], false);

    // The same database under the default setting: the SHA-256 hash still
    // verifies, and new secrets are bcrypt.
    let slow = spawn_app_with(backend, |settings| {
        settings.database.database_url = url;
    })
    .await;
    assert_eq!(
        slow.verify(&fast_id, Some(&fast_secret)).await["valid"],
        true
    );
    let registered = slow.register(&fixture("claude_ai")).await;
    let slow_id = registered["client_id"].as_str().unwrap().to_owned();
    let slow_secret = registered["client_secret"].as_str().unwrap().to_owned();
    assert!(
        stored_hash(&fast, &slow_id).starts_with("$2b$"),
        "read from the shared database"
    );
    assert_eq!(
        fast.verify(&slow_id, Some(&slow_secret)).await["valid"],
        true
    );
}
