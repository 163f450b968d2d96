//! `POST /admin/clients/{id}/verify`, the credential check a token endpoint
//! delegates: valid only for the right credentials, never for an expired
//! secret, the remembered checks vouching for nothing else, and the bodies it
//! cannot read.

use std::time::Duration;

use dcr_core::{ClientCredentials, ClientId};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{
    SECRET_MEMBERS, confidential_body, id_of, secret_of, spawn_admin, spawn_admin_with, with_secret,
};
use crate::helpers::{Backend, assert_error, fixture, unix_now};

on_both_backends!(
    verify_answers_valid_only_for_the_right_credentials,
    an_expired_secret_fails_verification,
    secrets_expire_after_the_configured_lifetime,
    verify_refuses_bodies_it_cannot_read,
    a_remembered_secret_check_vouches_for_nothing_else,
);

async fn verify_answers_valid_only_for_the_right_credentials(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let post = admin.register(&fixture("claude_ai")).await;
    let basic = admin.register(&confidential_body()).await;
    let public = admin.register(&fixture("claude_code")).await;
    let (post_id, basic_id, public_id) = (id_of(&post), id_of(&basic), id_of(&public));
    let post_secret = secret_of(&post).to_owned();
    let basic_secret = secret_of(&basic).to_owned();

    let invalid = [
        (post_id.clone(), with_secret("wrong"), "a wrong secret"),
        (post_id.clone(), with_secret(""), "an empty secret"),
        (
            post_id.clone(),
            with_secret(&post_secret[..post_secret.len() - 1]),
            "a truncated secret",
        ),
        (
            post_id.clone(),
            json!({}),
            "a confidential client without a secret",
        ),
        (
            post_id.clone(),
            json!({ "client_secret": null }),
            "a confidential client with a null secret",
        ),
        (
            post_id.clone(),
            with_secret(&basic_secret),
            "another client's secret",
        ),
        (
            public_id.clone(),
            with_secret("anything"),
            "a public client sending a secret",
        ),
        (
            public_id.clone(),
            with_secret(&post_secret),
            "a public client sending a real secret",
        ),
        (
            "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60".into(),
            with_secret(&post_secret),
            "an unknown client",
        ),
        ("not-a-client-id".into(), json!({}), "a malformed client_id"),
        (
            post_secret.clone(),
            with_secret(&post_secret),
            "a secret as the client_id",
        ),
    ];
    for (client_id, body, case) in &invalid {
        admin.assert_invalid(client_id, body, case).await;
    }
    // A failed check is no use.
    for id in [&post_id, &basic_id, &public_id] {
        assert_eq!(admin.app.find_client(id).last_used_at, None);
    }

    let valid = [
        (&post, with_secret(&post_secret), "client_secret_post"),
        (&basic, with_secret(&basic_secret), "client_secret_basic"),
        (&public, json!({}), "a public client"),
        (
            &public,
            json!({ "client_secret": null }),
            "a public client with a null secret",
        ),
    ];
    for (registration, body, case) in valid {
        let client = admin.assert_valid(&id_of(registration), &body, case).await;
        // What the token endpoint enforces, as registered.
        for member in [
            "redirect_uris",
            "grant_types",
            "response_types",
            "token_endpoint_auth_method",
        ] {
            assert_eq!(
                client.get(member),
                registration.get(member),
                "{case}: {member}"
            );
        }
        assert_eq!(client.get("scope"), registration.get("scope"), "{case}");
        for (member, value) in &client {
            assert!(
                !SECRET_MEMBERS.contains(&member.as_str()),
                "{case}: {member} in a verify answer"
            );
            assert_eq!(registration.get(member), Some(value), "{case}: {member}");
        }
    }
    let client = admin
        .assert_valid(&basic_id, &with_secret(&basic_secret), "scope")
        .await;
    assert_eq!(client["scope"], "mcp:tools profile");
    assert_eq!(client["software_id"], "com.example.agent");
}

async fn an_expired_secret_fails_verification(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let right = with_secret(secret_of(&registration));
    let client_id = ClientId::parse(&id).unwrap();
    let ClientCredentials::Confidential {
        secret_hash,
        secret_tag,
        ..
    } = admin.app.find_client(&id).credentials
    else {
        panic!("client_secret_post makes a confidential client");
    };
    let expiring = |secret_expires_at| ClientCredentials::Confidential {
        secret_hash: secret_hash.clone(),
        secret_tag,
        secret_expires_at,
        previous_secret: None,
    };

    let now = unix_now();
    for (expires_at, valid) in [(now - 1, false), (now + 3600, true), (0, true)] {
        admin
            .app
            .store
            .replace_credentials(
                &client_id,
                &expiring(expires_at),
                &dcr_core::Occasion::admin(0),
            )
            .unwrap();
        if valid {
            admin.assert_valid(&id, &right, "unexpired").await;
        } else {
            admin.assert_invalid(&id, &right, "expired").await;
        }
        assert_eq!(
            admin.show(&id).await["client_secret_expires_at"],
            expires_at
        );
    }
}

async fn secrets_expire_after_the_configured_lifetime(backend: Backend) {
    let admin =
        spawn_admin_with(backend, |settings| settings.policy.secret_lifetime_secs = 1).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let issued_at = registration["client_id_issued_at"].as_i64().unwrap();
    let expires_at = registration["client_secret_expires_at"].as_i64().unwrap();
    assert_eq!(expires_at, issued_at + 1);
    // Valid while now < expires_at; wait for the second it expires in.
    while unix_now() < expires_at {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin
        .assert_invalid(&id, &with_secret(secret_of(&registration)), "expired")
        .await;
    assert_eq!(admin.app.find_client(&id).last_used_at, None);
}

async fn verify_refuses_bodies_it_cannot_read(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let path = format!("/admin/clients/{}/verify", id_of(&registration));

    for body in [
        json!({ "client_secret": 42 }),
        json!({ "client_secret": ["s"] }),
        json!(["client_secret"]),
        json!("client_secret"),
    ] {
        let response = admin
            .request(Method::POST, &path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    }
    let response = admin
        .request(Method::POST, &path)
        .header("content-type", "application/json")
        .body("{\"client_secret\":")
        .send()
        .await
        .unwrap();
    // The admin API is outside RFC 7591: a body it cannot read is a plain
    // invalid_request, with the status that says why.
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_request", None).await;
    let response = admin
        .request(Method::POST, &path)
        .header("content-type", "text/plain")
        .body(with_secret(secret_of(&registration)).to_string())
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_request",
        None,
    )
    .await;
    let response = admin
        .request(Method::POST, &path)
        .json(&json!({ "client_secret": "x".repeat(70_000) }))
        .send()
        .await
        .unwrap();
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request",
        None,
    )
    .await;
    assert_eq!(
        admin.app.find_client(&id_of(&registration)).last_used_at,
        None
    );
}

/// The verify call remembers secret checks bcrypt confirmed. What it
/// remembers must never vouch for another secret, outlive the secret's
/// expiry, or answer differently from a server that remembers nothing.
async fn a_remembered_secret_check_vouches_for_nothing_else(backend: Backend) {
    for cache_size in [10_000, 0] {
        let admin = spawn_admin_with(backend, |settings| {
            settings.hashing.verify_cache_size = cache_size;
            settings.policy.secret_lifetime_secs = 2;
        })
        .await;
        let registration = admin.register(&fixture("claude_ai")).await;
        let id = id_of(&registration);
        let secret = secret_of(&registration).to_owned();
        let case = format!("cache size {cache_size}");
        for round in 0..3 {
            admin
                .assert_valid(
                    &id,
                    &with_secret(&secret),
                    &format!("{case}, round {round}"),
                )
                .await;
        }
        let mut near_miss = secret.clone();
        near_miss.pop();
        for wrong in [near_miss.as_str(), "", &format!("{secret}x")] {
            admin.assert_invalid(&id, &with_secret(wrong), &case).await;
        }
        // Another client with a remembered secret does not lend it out.
        let other = admin.register(&fixture("claude_ai")).await;
        admin
            .assert_invalid(&id_of(&other), &with_secret(&secret), &case)
            .await;
        // Expiry is checked on every call, remembered or not.
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        admin
            .assert_invalid(&id, &with_secret(&secret), &format!("{case}, expired"))
            .await;
    }
}
