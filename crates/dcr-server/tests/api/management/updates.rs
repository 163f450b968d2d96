//! RFC 7592 section 2.2: what an update must and must not carry, and what a
//! change of `token_endpoint_auth_method` does to the client's secret.

use dcr_core::ClientCredentials;
use reqwest::StatusCode;
use serde_json::json;

use super::{Registered, SERVER_SET, assert_token_shape, ok_json, put, read, text, update_body};
use crate::helpers::{Backend, assert_error, fixture, spawn_app};

on_both_backends!(
    an_update_may_not_carry_what_the_server_sets,
    an_update_names_its_own_client_id,
    a_client_secret_in_an_update_must_be_the_current_one,
    an_empty_client_secret_in_an_update_is_not_given,
    switching_to_a_secret_method_issues_a_secret_and_back_to_none_removes_it,
    between_secret_methods_the_secret_stays,
);

/// RFC 7592 section 2.2: the members the server sets may not be sent back.
async fn an_update_may_not_carry_what_the_server_sets(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_ai")).await;

    for member in SERVER_SET {
        let mut body = client.update_body();
        // What the client was given, as a careless client would send it back.
        body[member] = client.body[member].clone();
        assert_error(
            put(&app, &client.id, &client.token, &body).await,
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            Some(&format!("/{member}")),
        )
        .await;
    }

    // Nothing was changed or rotated; the same body without them passes.
    assert_eq!(
        ok_json(read(&app, &client.id, &client.token).await).await,
        client.as_read()
    );
    ok_json(put(&app, &client.id, &client.token, &client.update_body()).await).await;
}

async fn an_update_names_its_own_client_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_code")).await;
    let other = Registered::new(&app, &fixture("cursor")).await;

    let mut missing = client.update_body();
    missing.as_object_mut().unwrap().remove("client_id");
    let mut another = client.update_body();
    another["client_id"] = json!(other.id);
    let mut not_a_string = client.update_body();
    not_a_string["client_id"] = json!(42);
    for body in [missing, another, not_a_string] {
        assert_error(
            put(&app, &client.id, &client.token, &body).await,
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            Some("/client_id"),
        )
        .await;
    }

    assert_eq!(
        ok_json(read(&app, &client.id, &client.token).await).await,
        client.as_read()
    );
    assert_eq!(
        ok_json(read(&app, &other.id, &other.token).await).await,
        other.as_read()
    );
}

/// RFC 7592 section 2.2: a `client_secret` in an update must be the current
/// one; a client never picks its own.
async fn a_client_secret_in_an_update_must_be_the_current_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_ai")).await;
    let secret = client.secret.clone().unwrap();

    let mut body = client.update_body();
    body["client_secret"] = json!(secret);
    body["client_name"] = json!("Claude 2");
    let updated = ok_json(put(&app, &client.id, &client.token, &body).await).await;
    assert_eq!(updated["client_name"], "Claude 2");
    assert!(
        !updated.contains_key("client_secret"),
        "a matching secret is kept, not reissued"
    );
    let token = text(&updated, "registration_access_token");
    assert_eq!(app.verify(&client.id, Some(&secret)).await["valid"], true);

    let mut wrong = body.clone();
    wrong["client_secret"] = json!(format!("{}x", &secret[..42]));
    wrong["client_name"] = json!("Claude 3");
    assert_error(
        put(&app, &client.id, &token, &wrong).await,
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        Some("/client_secret"),
    )
    .await;
    assert_eq!(
        ok_json(read(&app, &client.id, &token).await).await["client_name"],
        "Claude 2"
    );
    assert_eq!(app.verify(&client.id, Some(&secret)).await["valid"], true);

    // A public client turning confidential may not choose its secret.
    let public = Registered::new(&app, &fixture("claude_code")).await;
    let mut chosen = public.update_body();
    chosen["token_endpoint_auth_method"] = json!("client_secret_post");
    chosen["client_secret"] = json!("a-secret-the-client-made-up-itself-0123456");
    assert_error(
        put(&app, &public.id, &public.token, &chosen).await,
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        Some("/client_secret"),
    )
    .await;
    assert_eq!(
        app.find_client(&public.id).credentials,
        ClientCredentials::Public
    );
}

/// `""` means "not given" for `client_secret` as for every member (RFC 7592
/// section 2.2 lets the server ignore an empty value): the update applies,
/// and the secret is neither checked nor changed.
async fn an_empty_client_secret_in_an_update_is_not_given(backend: Backend) {
    let app = spawn_app(backend).await;
    let confidential = Registered::new(&app, &fixture("claude_ai")).await;
    let secret = confidential.secret.clone().unwrap();
    let mut body = confidential.update_body();
    body["client_secret"] = json!("");
    body["client_name"] = json!("Claude 2");
    let updated = ok_json(put(&app, &confidential.id, &confidential.token, &body).await).await;
    assert_eq!(updated["client_name"], "Claude 2");
    assert!(!updated.contains_key("client_secret"), "the secret is kept");
    assert_eq!(
        app.verify(&confidential.id, Some(&secret)).await["valid"],
        true
    );

    // A public client has no secret; a serializer that writes it as "" does
    // not stop it updating.
    let public = Registered::new(&app, &fixture("claude_code")).await;
    let mut body = public.update_body();
    body["client_secret"] = json!("");
    body["client_name"] = json!("Claude Code 2");
    let updated = ok_json(put(&app, &public.id, &public.token, &body).await).await;
    assert_eq!(updated["client_name"], "Claude Code 2");
    assert!(!updated.contains_key("client_secret"));
    assert_eq!(
        app.find_client(&public.id).credentials,
        ClientCredentials::Public
    );
}

async fn switching_to_a_secret_method_issues_a_secret_and_back_to_none_removes_it(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_code")).await;
    assert!(client.secret.is_none());
    assert_eq!(app.verify(&client.id, None).await["valid"], true);

    let mut confidential = client.update_body();
    confidential["token_endpoint_auth_method"] = json!("client_secret_post");
    let updated = ok_json(put(&app, &client.id, &client.token, &confidential).await).await;
    assert_eq!(updated["token_endpoint_auth_method"], "client_secret_post");
    let secret = text(&updated, "client_secret");
    assert_token_shape(&secret);
    assert_eq!(updated["client_secret_expires_at"], 0);
    let ClientCredentials::Confidential { secret_hash, .. } =
        app.find_client(&client.id).credentials
    else {
        panic!("a client_secret_post client is stored as confidential");
    };
    assert!(secret_hash.verify(&secret));

    let verified = app.verify(&client.id, Some(&secret)).await;
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["client"]["client_id"], client.id.as_str());
    assert_eq!(
        verified["client"]["token_endpoint_auth_method"],
        "client_secret_post"
    );
    assert_eq!(
        app.verify(&client.id, None).await,
        json!({ "valid": false })
    );
    assert_eq!(
        app.verify(&client.id, Some("not-the-secret")).await,
        json!({ "valid": false })
    );
    // A later read shows the expiry, never the secret.
    let token = text(&updated, "registration_access_token");
    let read_back = ok_json(read(&app, &client.id, &token).await).await;
    assert!(!read_back.contains_key("client_secret"));
    assert_eq!(read_back["client_secret_expires_at"], 0);

    // Back to none: the secret is gone, from the answer and the store.
    let mut public = update_body(&updated);
    public["token_endpoint_auth_method"] = json!("none");
    let updated = ok_json(put(&app, &client.id, &token, &public).await).await;
    assert_eq!(updated["token_endpoint_auth_method"], "none");
    assert!(!updated.contains_key("client_secret"));
    assert!(!updated.contains_key("client_secret_expires_at"));
    assert_eq!(
        app.find_client(&client.id).credentials,
        ClientCredentials::Public
    );
    assert_eq!(
        app.verify(&client.id, Some(&secret)).await,
        json!({ "valid": false })
    );
    assert_eq!(app.verify(&client.id, None).await["valid"], true);
}

async fn between_secret_methods_the_secret_stays(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = Registered::new(&app, &fixture("claude_ai")).await;
    let secret = client.secret.clone().unwrap();
    let before = app.find_client(&client.id).credentials;

    let mut basic = client.update_body();
    basic["token_endpoint_auth_method"] = json!("client_secret_basic");
    let updated = ok_json(put(&app, &client.id, &client.token, &basic).await).await;

    assert_eq!(updated["token_endpoint_auth_method"], "client_secret_basic");
    assert!(!updated.contains_key("client_secret"), "no new secret");
    assert_eq!(updated["client_secret_expires_at"], 0);
    assert_eq!(app.find_client(&client.id).credentials, before);
    let verified = app.verify(&client.id, Some(&secret)).await;
    assert_eq!(verified["valid"], true);
    assert_eq!(
        verified["client"]["token_endpoint_auth_method"],
        "client_secret_basic"
    );
}
