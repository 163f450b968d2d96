//! `keep_old_for`: both secrets verify until the overlap ends, and not a
//! second longer (remembered comparisons included); a second rotation drops
//! the oldest; a body that is not `{"keep_old_for": 0..=2592000}` changes
//! nothing; of concurrent rotations, none is lost silently.

use std::collections::HashSet;

use dcr_core::{ClientCredentials, ClientId, Occasion};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Map, Value, json};

use super::super::{Admin, id_of, object, secret_of, spawn_admin, with_secret};
use crate::helpers::{Backend, assert_error, fixture, unix_now};

on_both_backends!(
    both_secrets_verify_until_the_overlap_ends,
    a_second_rotation_during_an_overlap_drops_the_oldest,
    bodies_other_than_keep_old_for_change_nothing,
    of_concurrent_rotations_none_is_lost_silently,
);

const DAY: i64 = 24 * 60 * 60;

impl Admin {
    async fn rotate_with(&self, client_id: &str, body: &Value) -> Response {
        self.request(
            Method::POST,
            &format!("/admin/clients/{client_id}/rotate-secret"),
        )
        .json(body)
        .send()
        .await
        .unwrap()
    }

    async fn rotate_keeping(&self, client_id: &str, keep_old_for: i64) -> Map<String, Value> {
        let response = self
            .rotate_with(client_id, &json!({ "keep_old_for": keep_old_for }))
            .await;
        object(response, StatusCode::OK).await
    }
}

async fn both_secrets_verify_until_the_overlap_ends(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let old = secret_of(&registration).to_owned();

    let before = unix_now();
    let rotated = admin.rotate_keeping(&id, DAY).await;
    let after = unix_now();
    let keys: HashSet<&str> = rotated.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        HashSet::from([
            "client_id",
            "client_secret",
            "client_secret_expires_at",
            "previous_secret_expires_at",
        ])
    );
    let until = rotated["previous_secret_expires_at"].as_i64().unwrap();
    assert!((before + DAY..=after + DAY).contains(&until), "{until}");
    assert_eq!(admin.show(&id).await["previous_secret_expires_at"], until);
    let new = secret_of(&rotated).to_owned();
    admin
        .assert_valid(&id, &with_secret(&old), "the old secret in its overlap")
        .await;
    admin
        .assert_valid(&id, &with_secret(&new), "the new secret")
        .await;

    // The overlap ends (as if a day had passed): the old secret stops,
    // though its comparison was just remembered.
    let stored = admin.app.find_client(&id);
    let ClientCredentials::Confidential {
        secret_hash,
        secret_tag,
        secret_expires_at,
        previous_secret: Some(mut previous),
    } = stored.credentials
    else {
        panic!("a rotation with an overlap keeps the old secret");
    };
    previous.expires_at = unix_now() - 1;
    let ended = ClientCredentials::Confidential {
        secret_hash,
        secret_tag,
        secret_expires_at,
        previous_secret: Some(previous),
    };
    admin
        .app
        .store
        .replace_credentials(
            &ClientId::parse(&id).unwrap(),
            &ended,
            &Occasion::admin(unix_now()),
        )
        .unwrap();
    admin
        .assert_invalid(&id, &with_secret(&old), "the old secret after its overlap")
        .await;
    admin
        .assert_valid(&id, &with_secret(&new), "the new secret after the overlap")
        .await;

    // Without an overlap, the answer has no previous expiry, and neither
    // has the client.
    let rotated = admin.rotate_keeping(&id, 0).await;
    assert!(!rotated.contains_key("previous_secret_expires_at"));
    assert!(
        !admin
            .show(&id)
            .await
            .contains_key("previous_secret_expires_at")
    );
    admin
        .assert_invalid(&id, &with_secret(&new), "no overlap asked")
        .await;
}

async fn a_second_rotation_during_an_overlap_drops_the_oldest(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let first = secret_of(&registration).to_owned();
    let second = secret_of(&admin.rotate_keeping(&id, DAY).await).to_owned();
    let third = admin.rotate_keeping(&id, 60).await;
    let until = third["previous_secret_expires_at"].as_i64().unwrap();
    assert!(
        until <= unix_now() + 60,
        "the second overlap is the one kept"
    );
    let third = secret_of(&third).to_owned();
    admin
        .assert_invalid(&id, &with_secret(&first), "the oldest, dropped")
        .await;
    admin
        .assert_valid(&id, &with_secret(&second), "the one just replaced")
        .await;
    admin
        .assert_valid(&id, &with_secret(&third), "the newest")
        .await;
}

async fn bodies_other_than_keep_old_for_change_nothing(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let stored = admin.app.find_client(&id);
    let refused = [
        json!({ "keep_old_for": -1 }),
        json!({ "keep_old_for": 2_592_001 }),
        json!({ "keep_old_for": 1.5 }),
        json!({ "keep_old_for": 60.0 }),
        json!({ "keep_old_for": "60" }),
        json!({ "keep_old_for": null }),
        json!({ "keep_old_for": true }),
        json!({ "keep_old_for": 60, "client_secret": "mine" }),
        json!({ "keep_old": 60 }),
        json!([60]),
        json!(60),
        json!("keep_old_for"),
    ];
    for body in refused {
        let response = admin.rotate_with(&id, &body).await;
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
        assert_eq!(admin.app.find_client(&id), stored, "{body}");
    }
    let path = format!("/admin/clients/{id}/rotate-secret");
    let malformed = admin
        .request(Method::POST, &path)
        .header("content-type", "application/json")
        .body("{\"keep_old_for\": ")
        .send()
        .await
        .unwrap();
    assert_error(malformed, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    let not_json = admin
        .request(Method::POST, &path)
        .header("content-type", "text/plain")
        .body("keep_old_for=60")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(admin.app.find_client(&id), stored);

    // The bounds, an empty object and an empty body are accepted.
    for (body, kept) in [
        (json!({}), false),
        (json!({ "keep_old_for": 0 }), false),
        (json!({ "keep_old_for": 2_592_000 }), true),
    ] {
        let rotated = object(admin.rotate_with(&id, &body).await, StatusCode::OK).await;
        assert_eq!(
            rotated.contains_key("previous_secret_expires_at"),
            kept,
            "{body}"
        );
    }
    let empty = admin
        .request(Method::POST, &path)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    let rotated = object(empty, StatusCode::OK).await;
    assert!(!rotated.contains_key("previous_secret_expires_at"));
}

/// Rotations at once from one secret: each answered secret works, and one
/// that lost the compare-and-swap says so (409) instead of a secret that
/// was never stored.
async fn of_concurrent_rotations_none_is_lost_silently(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let body = json!({ "keep_old_for": DAY });
    let (one, two) = tokio::join!(admin.rotate_with(&id, &body), admin.rotate_with(&id, &body));
    let mut answered = Vec::new();
    for response in [one, two] {
        if response.status() == StatusCode::CONFLICT {
            assert_error(response, StatusCode::CONFLICT, "conflict", None).await;
        } else {
            answered.push(secret_of(&object(response, StatusCode::OK).await).to_owned());
        }
    }
    assert!(!answered.is_empty(), "one rotation wins");
    for secret in &answered {
        admin
            .assert_valid(&id, &with_secret(secret), "an answered secret")
            .await;
    }
}
