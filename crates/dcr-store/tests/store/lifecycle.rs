//! What happens to a stored client: disabling, deleting, new credentials, last use, and the RFC 7592 compare-and-swap on the registration access token.

use super::*;

on_both_backends!(
    set_active_disables_and_enables,
    delete_client_removes_it_once,
    delete_client_authorized_needs_the_current_token_digest,
    a_client_disabled_meanwhile_is_neither_replaced_nor_deleted_by_its_token,
    replace_credentials_swaps_the_secret_only,
    touch_last_used_records_the_latest_check,
    replace_client_needs_the_current_token_digest,
    an_update_keeping_the_secret_leaves_a_rotated_secret_alone,
    rotation_does_not_give_a_public_client_a_secret,
);

fn set_active_disables_and_enables(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1000);
    store.insert_client(&registration.client).unwrap();
    let id = &registration.client.client_id;
    store.set_active(id, false, &admin()).unwrap();
    let found = store.find_client(id).unwrap();
    assert!(!found.active);
    // Nothing else changed.
    assert_eq!(
        RegisteredClient {
            active: true,
            ..found
        },
        registration.client
    );
    store.set_active(id, false, &admin()).unwrap();
    assert!(!store.find_client(id).unwrap().active);
    store.set_active(id, true, &admin()).unwrap();
    assert_eq!(store.find_client(id).unwrap(), registration.client);

    let unknown = ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap();
    assert!(matches!(
        store.set_active(&unknown, false, &admin()),
        Err(StoreError::NotFound)
    ));
}

fn delete_client_removes_it_once(db: &TestDatabase) {
    let store = db.store();
    let gone = register(public_body(), 1010).client;
    let kept = register(public_body(), 1011).client;
    store.insert_clients(&[&gone, &kept]).unwrap();
    store.delete_client(&gone.client_id, &admin()).unwrap();
    assert!(matches!(
        store.find_client(&gone.client_id),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_client(&gone.client_id, &admin()),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_client(&kept.client_id).unwrap(), kept);
    assert_eq!(store.count_clients().unwrap(), 1);
}

fn replace_credentials_swaps_the_secret_only(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let registration = register(body, 1020);
    store.insert_client(&registration.client).unwrap();
    let old = registration.secret.as_ref().unwrap().expose().to_owned();
    let client = store.find_client(&registration.client.client_id).unwrap();
    let policy = RegistrationPolicy {
        secret_lifetime_secs: 3600,
        ..RegistrationPolicy::default()
    };
    let dcr_core::Rotation {
        secret: new,
        credentials,
        ..
    } = client
        .rotate_secret(
            &policy,
            1_790_000_500,
            dcr_core::Overlap::NONE,
            BcryptCost::new(4).unwrap(),
            &mut StdRng::seed_from_u64(1021),
        )
        .unwrap();
    store
        .replace_credentials(&client.client_id, &credentials, &admin())
        .unwrap();

    let found = store.find_client(&client.client_id).unwrap();
    let ClientCredentials::Confidential {
        secret_hash,
        secret_tag,
        secret_expires_at,
        previous_secret: None,
    } = &found.credentials
    else {
        panic!("a rotated client stays confidential");
    };
    assert!(secret_hash.verify(new.expose()));
    assert!(!secret_hash.verify(&old));
    assert_eq!(&found.credentials, &credentials, "the new tag too");
    assert!(secret_tag.is_some_and(|tag| tag.admits(&client.client_id, new.expose())));
    assert_eq!(*secret_expires_at, 1_790_000_500 + 3600);
    // Metadata, token, state and times are untouched.
    assert_eq!(
        RegisteredClient {
            credentials: registration.client.credentials.clone(),
            ..found
        },
        registration.client
    );

    let unknown = ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap();
    assert!(matches!(
        store.replace_credentials(&unknown, &credentials, &admin()),
        Err(StoreError::NotFound)
    ));
}

fn touch_last_used_records_the_latest_check(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1030);
    store.insert_client(&registration.client).unwrap();
    let id = &registration.client.client_id;
    assert_eq!(store.find_client(id).unwrap().last_used_at, None);
    store.touch_last_used(id, 1_790_000_600).unwrap();
    assert_eq!(
        store.find_client(id).unwrap().last_used_at,
        Some(1_790_000_600)
    );
    store.touch_last_used(id, 1_790_000_700).unwrap();
    let found = store.find_client(id).unwrap();
    assert_eq!(found.last_used_at, Some(1_790_000_700));
    assert_eq!(
        RegisteredClient {
            last_used_at: None,
            ..found
        },
        registration.client
    );
    // A use of a client that is gone is nothing to record, and creates nothing.
    let unknown = ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap();
    store.touch_last_used(&unknown, 1_790_000_800).unwrap();
    assert_eq!(store.count_clients().unwrap(), 1);
}

fn replace_client_needs_the_current_token_digest(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_post");
    let registration = register(body, 1040);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let original_digest = registration.access_token.digest();
    // State an RFC 7592 update must leave alone. (A disabled client is not
    // updated at all: see
    // a_client_disabled_meanwhile_is_neither_replaced_nor_deleted_by_its_token.)
    store.touch_last_used(&id, 1_790_000_900).unwrap();
    let before = store.find_client(&id).unwrap();

    let policy = RegistrationPolicy::default();
    let mut changed_body = public_body();
    changed_body["token_endpoint_auth_method"] = json!("client_secret_post");
    changed_body["client_name"] = json!("Renamed");
    changed_body["scope"] = json!("mcp:tools");
    let metadata = ClientMetadata::from_request(&changed_body, &policy).unwrap();
    let update = updated(&before, metadata.clone(), 1_790_001_000, 1041);

    // A wrong digest changes nothing.
    let wrong = dcr_core::TokenDigest::of("not-the-registration-token");
    assert!(matches!(
        store.replace_client(
            &update.client,
            &wrong,
            dcr_store::SecretChange::Replace,
            &admin()
        ),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_client(&id).unwrap(), before);

    // The current digest wins, once.
    store
        .replace_client(
            &update.client,
            &original_digest,
            dcr_store::SecretChange::Replace,
            &admin(),
        )
        .unwrap();
    let after = store.find_client(&id).unwrap();
    assert_eq!(after.metadata, metadata);
    assert_eq!(after.registration_token, Some(update.access_token.digest()));
    // The digest is what the store must have swapped.
    let digest = after.registration_token.as_ref().unwrap();
    assert!(digest.matches(update.access_token.expose()));
    assert!(!digest.matches(registration.access_token.expose()));
    assert_eq!(after.credentials, before.credentials);
    assert_eq!(after.issued_at, before.issued_at);
    assert!(after.active);
    assert_eq!(after.last_used_at, Some(1_790_000_900));

    // A second update authorized by the old token loses: the row keeps the
    // first update.
    let second = updated(
        &before,
        registration.client.metadata.clone(),
        1_790_001_100,
        1042,
    );
    assert!(matches!(
        store.replace_client(
            &second.client,
            &original_digest,
            dcr_store::SecretChange::Replace,
            &admin()
        ),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_client(&id).unwrap(), after);

    // A deleted client cannot be updated back into existence.
    store.delete_client(&id, &admin()).unwrap();
    assert!(matches!(
        store.replace_client(
            &update.client,
            &update.access_token.digest(),
            dcr_store::SecretChange::Replace,
            &admin()
        ),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.count_clients().unwrap(), 0);
}

fn delete_client_authorized_needs_the_current_token_digest(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1050);
    store.insert_client(&registration.client).unwrap();
    let id = &registration.client.client_id;
    let wrong = dcr_core::TokenDigest::of("not-the-registration-token");
    assert!(matches!(
        store.delete_client_authorized(id, &wrong, &admin()),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_client(id).unwrap(), registration.client);
    let digest = registration.access_token.digest();
    store
        .delete_client_authorized(id, &digest, &admin())
        .unwrap();
    assert!(matches!(store.find_client(id), Err(StoreError::NotFound)));
    assert!(matches!(
        store.delete_client_authorized(id, &digest, &admin()),
        Err(StoreError::NotFound)
    ));
}

/// An operator disables a client between the RFC 7592 handler's read and its
/// write: the write, conditioned on the client being enabled, changes nothing.
fn a_client_disabled_meanwhile_is_neither_replaced_nor_deleted_by_its_token(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1060);
    store.insert_client(&registration.client).unwrap();
    let id = &registration.client.client_id;
    let digest = registration.access_token.digest();
    store.set_active(id, false, &admin()).unwrap();
    let mut renamed = registration.client.clone();
    renamed.metadata.client_name = Some("Renamed".into());
    assert!(matches!(
        store.replace_client(&renamed, &digest, dcr_store::SecretChange::Keep, &admin()),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_client_authorized(id, &digest, &admin()),
        Err(StoreError::NotFound)
    ));
    let found = store.find_client(id).unwrap();
    assert_eq!(found.metadata, registration.client.metadata);
    store.set_active(id, true, &admin()).unwrap();
    store
        .replace_client(&renamed, &digest, dcr_store::SecretChange::Keep, &admin())
        .unwrap();
    assert_eq!(
        store
            .find_client(id)
            .unwrap()
            .metadata
            .client_name
            .as_deref(),
        Some("Renamed")
    );
}

/// An operator rotates the secret while a client's update (which keeps its
/// secret) is in flight: the update must not write back the old secret.
fn an_update_keeping_the_secret_leaves_a_rotated_secret_alone(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let registration = register(body.clone(), 1100);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let policy = RegistrationPolicy::default();
    let cost = BcryptCost::new(4).unwrap();

    body["client_name"] = json!("Renamed");
    let metadata = ClientMetadata::from_request(&body, &policy).unwrap();
    let update = updated(&registration.client, metadata, 1_790_000_100, 1101);
    assert!(!update.secret_replaced);

    let dcr_core::Rotation {
        secret: rotated,
        credentials,
        ..
    } = registration
        .client
        .rotate_secret(
            &policy,
            1_790_000_050,
            dcr_core::Overlap::NONE,
            cost,
            &mut StdRng::seed_from_u64(1102),
        )
        .unwrap();
    store
        .replace_credentials(&id, &credentials, &admin())
        .unwrap();

    store
        .replace_client(
            &update.client,
            &registration.access_token.digest(),
            dcr_store::SecretChange::Keep,
            &admin(),
        )
        .unwrap();
    let stored = store.find_client(&id).unwrap();
    assert_eq!(stored.metadata.client_name.as_deref(), Some("Renamed"));
    assert_eq!(stored.credentials, credentials, "the rotated secret stays");
    assert!(stored.secret_matches(rotated.expose()));
    assert!(!stored.secret_matches(registration.secret.as_ref().unwrap().expose()));
}

/// A rotation racing an update that made the client public must not give it
/// a secret back (that would also break the table's public-client rule).
fn rotation_does_not_give_a_public_client_a_secret(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let registration = register(body, 1110);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let policy = RegistrationPolicy::default();
    let cost = BcryptCost::new(4).unwrap();
    let dcr_core::Rotation { credentials, .. } = registration
        .client
        .rotate_secret(
            &policy,
            1_790_000_050,
            dcr_core::Overlap::NONE,
            cost,
            &mut StdRng::seed_from_u64(1111),
        )
        .unwrap();

    let public = ClientMetadata::from_request(&public_body(), &policy).unwrap();
    let update = updated(&registration.client, public, 1_790_000_100, 1112);
    assert!(update.secret_replaced);
    store
        .replace_client(
            &update.client,
            &registration.access_token.digest(),
            dcr_store::SecretChange::Replace,
            &admin(),
        )
        .unwrap();

    assert!(matches!(
        store.replace_credentials(&id, &credentials, &admin()),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.find_client(&id).unwrap().credentials,
        ClientCredentials::Public
    );
}
