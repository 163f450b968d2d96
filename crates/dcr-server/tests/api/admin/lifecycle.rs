//! One client in the operator's hands: show it (never a secret, a token or a
//! hash), disable and enable it, delete it.

use std::collections::HashSet;

use dcr_core::{ClientCredentials, ClientId};
use dcr_store::StoreError;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    SECRET_MEMBERS, confidential_body, expected_view, id_of, object, secret_of, spawn_admin,
    take_age, token_of, with_secret,
};
use crate::helpers::{Backend, assert_error, fixture, header};

on_both_backends!(
    show_is_the_registration_without_secrets,
    admin_answers_never_hold_a_secret_a_token_or_a_hash,
    a_disabled_client_fails_verification_until_enabled,
    a_deleted_client_is_gone_everywhere,
);

async fn show_is_the_registration_without_secrets(backend: Backend) {
    let admin = spawn_admin(backend).await;
    for body in [
        fixture("claude_ai"),
        fixture("claude_code"),
        confidential_body(),
    ] {
        let registration = admin.register(&body).await;
        let id = id_of(&registration);
        let response = admin
            .send(Method::GET, &format!("/admin/clients/{id}"))
            .await;
        assert_eq!(
            header(response.headers(), "cache-control"),
            Some("no-store")
        );
        let mut view = object(response, StatusCode::OK).await;
        let consent = view
            .remove("consent")
            .expect("the view has consent signals");
        assert_eq!(consent["source"], "registered");
        assert_eq!(
            consent["registered_at"],
            registration["client_id_issued_at"]
        );
        assert_eq!(view, expected_view(&registration), "{body}");
    }
    for unknown in [
        "6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60",
        "not-a-client-id",
        "%20",
    ] {
        let response = admin
            .send(Method::GET, &format!("/admin/clients/{unknown}"))
            .await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
}

async fn admin_answers_never_hold_a_secret_a_token_or_a_hash(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&confidential_body()).await;
    let id = id_of(&registration);
    let secret = secret_of(&registration).to_owned();
    let token = token_of(&registration).to_owned();
    let stored = admin.app.find_client(&id);
    let ClientCredentials::Confidential { secret_hash, .. } = &stored.credentials else {
        panic!("client_secret_basic makes a confidential client");
    };
    let digest = stored.registration_token.as_ref().unwrap().to_stored();
    let mut forbidden = vec![
        secret.clone(),
        token,
        secret_hash.as_stored().to_owned(),
        digest,
    ];

    let mut answers = Vec::new();
    for (method, path) in [
        (Method::GET, format!("/admin/clients/{id}")),
        (Method::GET, "/admin/clients".to_owned()),
        (Method::POST, format!("/admin/clients/{id}/disable")),
        (Method::POST, format!("/admin/clients/{id}/enable")),
    ] {
        let response = admin.send(method, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        answers.push((path, response.text().await.unwrap()));
    }
    let verified = admin
        .assert_valid(&id, &with_secret(&secret), "right secret")
        .await;
    answers.push(("verify".into(), Value::Object(verified).to_string()));

    // Rotation shows the new secret once; nothing after it shows it again.
    let rotated = admin.rotate(&id).await;
    let new_secret = secret_of(&rotated).to_owned();
    let rotated_text = Value::Object(rotated).to_string();
    for old in &forbidden {
        assert!(
            !rotated_text.contains(old.as_str()),
            "rotation leaked {old}"
        );
    }
    let ClientCredentials::Confidential { secret_hash, .. } =
        admin.app.find_client(&id).credentials
    else {
        panic!("rotation keeps the client confidential");
    };
    forbidden.push(new_secret);
    forbidden.push(secret_hash.as_stored().to_owned());
    let response = admin
        .send(Method::GET, &format!("/admin/clients/{id}"))
        .await;
    answers.push(("show after rotation".into(), response.text().await.unwrap()));

    for (what, text) in &answers {
        for value in &forbidden {
            assert!(
                !text.contains(value.as_str()),
                "{what} leaked {value}: {text}"
            );
        }
        for member in SECRET_MEMBERS {
            assert!(
                !text.contains(&format!("\"{member}\"")),
                "{what} has {member}: {text}"
            );
        }
    }
}

async fn a_disabled_client_fails_verification_until_enabled(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let right = with_secret(secret_of(&registration));
    let public = id_of(&admin.register(&fixture("claude_code")).await);
    admin.assert_valid(&id, &right, "before disabling").await;

    for _ in 0..2 {
        // Disabling twice is no error.
        let response = admin.post(&format!("/admin/clients/{id}/disable")).await;
        let mut view = object(response, StatusCode::OK).await;
        assert_eq!(view["active"], false);
        let mut shown = admin.show(&id).await;
        // The two answers may fall on either side of a second's turn.
        let ages = [&mut view, &mut shown].map(|answer| take_age(&mut answer["consent"]));
        assert!((0..=1).contains(&(ages[1] - ages[0])), "{ages:?}");
        assert_eq!(view, shown);
    }
    assert!(!admin.app.find_client(&id).active);
    admin.assert_invalid(&id, &right, "disabled").await;
    assert_eq!(
        admin.listed(&[("status", "disabled")]).await,
        HashSet::from([id.clone()])
    );
    // Disabling also stops its registration access token (RFC 7592), with
    // the answer a wrong token gets; the operator still sees the client.
    let response = admin.read_registration(&id, token_of(&registration)).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token", None).await;

    let response = admin
        .post(&format!("/admin/clients/{public}/disable"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    admin
        .assert_invalid(&public, &json!({}), "disabled public")
        .await;

    let response = admin.post(&format!("/admin/clients/{id}/enable")).await;
    let view = object(response, StatusCode::OK).await;
    assert_eq!(view["active"], true);
    assert!(admin.app.find_client(&id).active);
    admin.assert_valid(&id, &right, "enabled again").await;
    assert_eq!(
        admin.listed(&[("status", "disabled")]).await,
        HashSet::from([public])
    );

    for action in ["disable", "enable"] {
        for unknown in ["6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60", "nope"] {
            let response = admin
                .post(&format!("/admin/clients/{unknown}/{action}"))
                .await;
            assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
        }
    }
}

async fn a_deleted_client_is_gone_everywhere(backend: Backend) {
    let admin = spawn_admin(backend).await;
    let registration = admin.register(&fixture("claude_ai")).await;
    let id = id_of(&registration);
    let other = id_of(&admin.register(&fixture("claude_code")).await);

    let response = admin
        .send(Method::DELETE, &format!("/admin/clients/{id}"))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.text().await.unwrap(), "");

    let response = admin
        .send(Method::GET, &format!("/admin/clients/{id}"))
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    admin
        .assert_invalid(&id, &with_secret(secret_of(&registration)), "deleted")
        .await;
    let response = admin.read_registration(&id, token_of(&registration)).await;
    let (headers, _) =
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token", None).await;
    assert!(
        header(&headers, "www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(admin.listed(&[]).await, HashSet::from([other.clone()]));
    let client_id = ClientId::parse(&id).unwrap();
    assert!(matches!(
        admin.app.store.find_client(&client_id),
        Err(StoreError::NotFound)
    ));

    for again in [id.as_str(), "not-a-client-id"] {
        let response = admin
            .send(Method::DELETE, &format!("/admin/clients/{again}"))
            .await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found", None).await;
    }
    assert_eq!(admin.app.store.count_clients().unwrap(), 1);
}
