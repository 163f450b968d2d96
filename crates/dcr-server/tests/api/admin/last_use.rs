//! The last use a successful verify records, and how seldom it is written
//! for a busy client.

use std::time::Duration;

use serde_json::Value;

use super::{id_of, secret_of, spawn_admin, spawn_admin_with, with_secret};
use crate::helpers::{Backend, fixture, unix_now};

on_both_backends!(
    verify_records_the_last_use,
    a_busy_client_has_its_last_use_written_once_per_resolution,
);

async fn verify_records_the_last_use(backend: Backend) {
    let admin = spawn_admin_with(backend, |settings| {
        settings.hashing.last_used_resolution_secs = 0
    })
    .await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let right = with_secret(secret_of(&registration));
    assert_eq!(admin.show(&id).await["last_used_at"], Value::Null);

    let before = unix_now();
    admin.assert_valid(&id, &right, "first use").await;
    let after = unix_now();
    let first = admin.show(&id).await["last_used_at"].as_i64().unwrap();
    assert!(
        (before..=after).contains(&first),
        "{first} not in {before}..={after}"
    );
    assert_eq!(admin.app.find_client(&id).last_used_at, Some(first));

    // The last use, not the first; a failed check changes nothing.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin
        .assert_invalid(&id, &with_secret("wrong"), "wrong secret")
        .await;
    assert_eq!(admin.app.find_client(&id).last_used_at, Some(first));
    admin.assert_valid(&id, &right, "second use").await;
    let second = admin.app.find_client(&id).last_used_at.unwrap();
    assert!(second > first, "{second} is not after {first}");
    assert_eq!(admin.show(&id).await["last_used_at"], second);
}

/// With the default resolution (60 s), repeated checks within a minute write
/// the last use once: a busy client costs no write per token request.
async fn a_busy_client_has_its_last_use_written_once_per_resolution(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let right = with_secret(secret_of(&registration));
    admin.assert_valid(&id, &right, "first use").await;
    let first = admin.app.find_client(&id).last_used_at;
    assert!(first.is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    admin.assert_valid(&id, &right, "second use").await;
    assert_eq!(admin.app.find_client(&id).last_used_at, first);
}
