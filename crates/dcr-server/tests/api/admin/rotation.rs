//! `POST /admin/clients/{id}/rotate-secret`: a new secret shown once, the
//! old one retired at once or after `keep_old_for`, and the expiry the
//! secret lifetime policy sets.

use std::collections::HashSet;

use dcr_core::ClientCredentials;
use reqwest::StatusCode;
use serde_json::json;

use super::{id_of, object, secret_of, spawn_admin, spawn_admin_with, token_of, with_secret};
use crate::helpers::{Backend, assert_error, fixture, header, unix_now};

mod overlap;

on_both_backends!(
    rotating_a_secret_retires_the_old_one,
    a_rotated_secret_expires_as_the_policy_says,
);

async fn rotating_a_secret_retires_the_old_one(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let old = secret_of(&registration).to_owned();

    let response = admin
        .post(&format!("/admin/clients/{id}/rotate-secret"))
        .await;
    assert_eq!(
        header(response.headers(), "cache-control"),
        Some("no-store")
    );
    let rotated = object(response, StatusCode::OK).await;
    let keys: HashSet<&str> = rotated.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        HashSet::from(["client_id", "client_secret", "client_secret_expires_at"])
    );
    assert_eq!(rotated["client_id"], id.as_str());
    assert_eq!(rotated["client_secret_expires_at"], 0);
    let new = secret_of(&rotated).to_owned();
    assert_eq!(new.len(), 43, "256 bits of base64url");
    assert_ne!(new, old);

    admin
        .assert_invalid(&id, &with_secret(&old), "the old secret")
        .await;
    admin
        .assert_valid(&id, &with_secret(&new), "the new secret")
        .await;
    let ClientCredentials::Confidential { secret_hash, .. } =
        admin.app.find_client(&id).credentials
    else {
        panic!("rotation keeps the client confidential");
    };
    assert!(secret_hash.verify(&new));
    assert!(!secret_hash.verify(&old));
    // The registration access token is another credential: it still works.
    let response = admin.read_registration(&id, token_of(&registration)).await;
    assert_eq!(response.status(), StatusCode::OK);
    // Rotating again retires the second secret too.
    let third = secret_of(&admin.rotate(&id).await).to_owned();
    admin
        .assert_invalid(&id, &with_secret(&new), "the second secret")
        .await;
    admin
        .assert_valid(&id, &with_secret(&third), "the third secret")
        .await;

    let public = admin.register(&fixture("claude_code")).await;
    let public_id = id_of(&public);
    let stored = admin.app.find_client(&public_id);
    let response = admin
        .post(&format!("/admin/clients/{public_id}/rotate-secret"))
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    assert_eq!(admin.app.find_client(&public_id), stored);
    admin
        .assert_valid(&public_id, &json!({}), "public after a refused rotation")
        .await;

    for unknown in ["6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60", "nope"] {
        let response = admin
            .post(&format!("/admin/clients/{unknown}/rotate-secret"))
            .await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
}

async fn a_rotated_secret_expires_as_the_policy_says(backend: Backend) {
    let admin = spawn_admin_with(backend, |settings| {
        settings.policy.secret_lifetime_secs = 3600
    })
    .await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let before = unix_now();
    let rotated = admin.rotate(&id).await;
    let after = unix_now();
    let expires_at = rotated["client_secret_expires_at"].as_i64().unwrap();
    assert!(
        (before + 3600..=after + 3600).contains(&expires_at),
        "{expires_at} is not an hour from now"
    );
    assert_eq!(
        admin.show(&id).await["client_secret_expires_at"],
        expires_at
    );
    admin
        .assert_valid(&id, &with_secret(secret_of(&rotated)), "fresh secret")
        .await;
}
