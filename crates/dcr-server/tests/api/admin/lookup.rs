//! `POST /admin/lookup`, the authorization endpoint's question: whether a
//! client may be used now and what to enforce, without a secret, and
//! without recording a use or counting a failure.

use dcr_core::{ClientCredentials, ClientId, Occasion, REDIRECT_URI_RULE};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::body_forms::answer;
use super::{Admin, id_of, secret_of, spawn_admin, spawn_admin_with, take_age, with_secret};
use crate::helpers::{Backend, fixture, unix_now};

on_both_backends!(
    a_lookup_answers_what_authorize_needs,
    a_lookup_says_why_a_client_is_unusable,
    a_lookup_records_no_use_and_counts_no_failure,
);

impl Admin {
    /// `POST /admin/lookup`, which answers 200 for every client id.
    pub(super) async fn lookup(&self, client_id: &str) -> Value {
        let (status, body) = answer(
            self.post_json("/admin/lookup", &json!({ "client_id": client_id }))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

fn unusable(reason: &str) -> Value {
    json!({ "usable": false, "reason": reason })
}

async fn a_lookup_answers_what_authorize_needs(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let confidential = admin.register(&fixture("claude_ai")).await;
    let public = admin.register(&fixture("claude_code")).await;
    let cases = [
        (id_of(&confidential), with_secret(secret_of(&confidential))),
        (id_of(&public), json!({})),
    ];
    for (id, credentials) in &cases {
        let mut looked_up = admin.lookup(id).await;
        let (_, mut verified) = admin.verify_by_body(id, credentials).await;
        assert_eq!(verified["valid"], true, "{verified}");
        // The two calls may fall on either side of a second's turn.
        let ages = [&mut looked_up, &mut verified].map(|answer| take_age(&mut answer["consent"]));
        assert!((0..=1).contains(&(ages[1] - ages[0])), "{ages:?}");
        assert_eq!(
            looked_up,
            json!({
                "usable": true,
                "client": verified["client"],
                "redirect_uri_rule": REDIRECT_URI_RULE,
                "consent": verified["consent"],
            }),
            "{id}"
        );
        // What /authorize enforces is there: redirect URIs and grant types.
        assert!(looked_up["client"]["redirect_uris"].is_array());
        assert!(looked_up["client"]["grant_types"].is_array());
    }
}

async fn a_lookup_says_why_a_client_is_unusable(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);

    for unknown in [
        "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60",
        "not-a-client-id",
        "",
    ] {
        assert_eq!(admin.lookup(unknown).await, unusable("unknown_client"));
    }

    let response = admin.post(&format!("/admin/clients/{id}/disable")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let disabled = admin.lookup(&id).await;
    assert_eq!(disabled["usable"], false, "{disabled}");
    assert_eq!(disabled["reason"], "disabled");
    assert_eq!(disabled["client"]["client_id"], id.as_str());
    let response = admin.post(&format!("/admin/clients/{id}/enable")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(admin.lookup(&id).await["usable"], true);

    let ClientCredentials::Confidential {
        secret_hash,
        secret_tag,
        ..
    } = admin.app.find_client(&id).credentials
    else {
        panic!("client_secret_post makes a confidential client");
    };
    let expired = ClientCredentials::Confidential {
        secret_hash,
        secret_tag,
        secret_expires_at: unix_now() - 1,
        previous_secret: None,
    };
    admin
        .app
        .store
        .replace_credentials(
            &ClientId::parse(&id).unwrap(),
            &expired,
            &Occasion::admin(0),
        )
        .unwrap();
    assert_eq!(admin.lookup(&id).await, unusable("secret_expired"));
    // The verify call agrees.
    let (_, verified) = admin
        .verify_by_body(&id, &with_secret(secret_of(&registration)))
        .await;
    assert_eq!(verified, json!({ "valid": false }));
}

/// A lookup carries no credential: it proves no use (the never-used rule
/// stays unarmed) and no guess (the failure limit is untouched).
async fn a_lookup_records_no_use_and_counts_no_failure(backend: Backend) {
    let admin = spawn_admin_with(backend, |settings| {
        settings.limits.failed_auth_limit = "3/hour".parse().unwrap();
    })
    .await;
    let id = id_of(&admin.register(&fixture("claude_code")).await);
    for round in 0..6 {
        assert_eq!(admin.lookup(&id).await["usable"], true, "{round}");
        let unknown = format!("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f6{round}");
        assert_eq!(admin.lookup(&unknown).await, unusable("unknown_client"));
    }
    assert_eq!(admin.app.find_client(&id).last_used_at, None);
    assert_eq!(admin.app.store.unused_purge_armed_at().unwrap(), None);
    // Every failure of the limit is still there.
    for _ in 0..3 {
        let (status, body) = admin.verify_by_body(&id, &with_secret("x")).await;
        assert_eq!((status, body), (StatusCode::OK, json!({ "valid": false })));
    }
    let (status, _) = admin.verify_by_body(&id, &with_secret("x")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
