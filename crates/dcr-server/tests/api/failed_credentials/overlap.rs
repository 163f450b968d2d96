//! During a rotation's overlap a client has two secrets. Without tags both
//! need bcrypt, yet one wrong secret is still one failure; and a match of
//! the replaced secret never stores a tag over the current hash.

use super::*;

on_both_backends!(two_untagged_secrets_cost_one_failure_per_wrong_secret);

/// Both of the client's secrets as a release before tags stored them.
fn drop_both_tags(app: &TestApp, client_id: &str) {
    let ClientCredentials::Confidential {
        secret_hash,
        secret_expires_at,
        previous_secret: Some(mut previous),
        ..
    } = app.find_client(client_id).credentials
    else {
        panic!("a confidential client in an overlap");
    };
    previous.tag = None;
    let untagged = ClientCredentials::Confidential {
        secret_hash,
        secret_tag: None,
        secret_expires_at,
        previous_secret: Some(previous),
    };
    app.store
        .replace_credentials(
            &ClientId::parse(client_id).unwrap(),
            &untagged,
            &Occasion::admin(unix_now()),
        )
        .unwrap();
}

async fn two_untagged_secrets_cost_one_failure_per_wrong_secret(backend: Backend) {
    let app = spawn_limited(backend).await;
    let (id, old) = strings(&app.register(&fixture("claude_ai")).await);
    let rotated: Value = app
        .client
        .post(format!(
            "{}/admin/clients/{id}/rotate-secret",
            app.admin_address
        ))
        .json(&json!({ "keep_old_for": 3600 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new = rotated["client_secret"].as_str().unwrap().to_owned();
    drop_both_tags(&app, &id);

    let guesser = Some("203.0.113.9");
    let before = bcrypt_runs(&app).await;
    // Three failures allowed, three wrong secrets answered: not one and a half.
    burst_of_wrong_secrets(&app, &id, guesser).await;
    assert_eq!(
        bcrypt_runs(&app).await,
        before + 6.0,
        "each answered wrong secret is compared with both hashes"
    );

    // The replaced secret matches; no tag of it lands beside the new hash.
    assert_valid(&app, &id, &old, Some("198.51.100.7")).await;
    assert_eq!(stored_tag(&app, &id), None);
    assert_valid(&app, &id, &new, Some("198.51.100.7")).await;
    let tag = stored_tag(&app, &id).expect("the new secret's tag, filled in");
    assert!(tag.admits(&ClientId::parse(&id).unwrap(), &new));
    assert_valid(&app, &id, &old, Some("198.51.100.7")).await;
}
