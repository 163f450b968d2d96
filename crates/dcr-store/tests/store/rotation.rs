//! Rotation with an overlap: the replaced secret's columns round-trip, a
//! rotation is a compare-and-swap on the secret it started from, and the
//! changes that replace a secret leave no stale previous one behind.

use dcr_core::{Overlap, Rotation};

use super::secret_tags::store_secret_tags::confidential_body;
use super::*;

on_both_backends!(
    a_rotation_with_an_overlap_stores_both_secrets,
    of_two_rotations_from_one_secret_only_one_wins,
    a_rotation_of_a_gone_or_public_client_is_not_found,
    an_update_replacing_the_secret_drops_the_previous_one,
);

const ROTATED_AT: i64 = 1_790_000_500;

fn rotation(client: &RegisteredClient, keep: u64, seed: u64) -> Rotation {
    client
        .rotate_secret(
            &RegistrationPolicy::default(),
            ROTATED_AT,
            Overlap::from_secs(keep).unwrap(),
            BcryptCost::new(4).unwrap(),
            &mut StdRng::seed_from_u64(seed),
        )
        .unwrap()
}

fn a_rotation_with_an_overlap_stores_both_secrets(db: &TestDatabase) {
    let store = db.store();
    let registration = register(confidential_body(), 1200);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let first = registration.secret.as_ref().unwrap().expose().to_owned();

    let once = rotation(&registration.client, 3600, 1201);
    store
        .rotate_secret(&id, &once.replaces, &once.credentials, &admin())
        .unwrap();
    let found = store.find_client(&id).unwrap();
    assert_eq!(found.credentials, once.credentials, "tags and expiry too");
    assert_eq!(
        found.credentials.previous_secret_expires_at(),
        Some(ROTATED_AT + 3600)
    );
    assert!(found.verify_credentials(Some(&first), ROTATED_AT + 3599));
    assert!(found.verify_credentials(Some(once.secret.expose()), ROTATED_AT));
    assert!(!found.verify_credentials(Some(&first), ROTATED_AT + 3600));
    // Nothing but the secret changed.
    assert_eq!(
        RegisteredClient {
            credentials: registration.client.credentials.clone(),
            ..found.clone()
        },
        registration.client
    );

    // A second rotation drops the first secret; without an overlap, the
    // second one goes too and the columns are empty again.
    let twice = rotation(&found, 0, 1202);
    store
        .rotate_secret(&id, &twice.replaces, &twice.credentials, &admin())
        .unwrap();
    let found = store.find_client(&id).unwrap();
    assert_eq!(found.credentials, twice.credentials);
    assert_eq!(found.credentials.previous_secret_expires_at(), None);
    assert!(!found.verify_credentials(Some(&first), ROTATED_AT));
    assert!(!found.verify_credentials(Some(once.secret.expose()), ROTATED_AT));
}

fn of_two_rotations_from_one_secret_only_one_wins(db: &TestDatabase) {
    let store = db.store();
    let registration = register(confidential_body(), 1210);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let winner = rotation(&registration.client, 3600, 1211);
    let loser = rotation(&registration.client, 60, 1212);
    store
        .rotate_secret(&id, &winner.replaces, &winner.credentials, &admin())
        .unwrap();
    assert!(matches!(
        store.rotate_secret(&id, &loser.replaces, &loser.credentials, &admin()),
        Err(StoreError::Conflict(_))
    ));
    let found = store.find_client(&id).unwrap();
    assert_eq!(found.credentials, winner.credentials);
    assert!(!found.verify_credentials(Some(loser.secret.expose()), ROTATED_AT));
    // One rotation, one event.
    let events = store.client_events(&id.to_string(), None, 100).unwrap();
    let rotated = events
        .iter()
        .filter(|event| event.kind == dcr_core::EventKind::SecretRotated)
        .count();
    assert_eq!(rotated, 1);
}

fn a_rotation_of_a_gone_or_public_client_is_not_found(db: &TestDatabase) {
    let store = db.store();
    let registration = register(confidential_body(), 1220);
    let id = registration.client.client_id;
    let rotated = rotation(&registration.client, 60, 1221);
    assert!(matches!(
        store.rotate_secret(&id, &rotated.replaces, &rotated.credentials, &admin()),
        Err(StoreError::NotFound)
    ));

    // Made public by an update meanwhile: no secret comes back.
    store.insert_client(&registration.client).unwrap();
    let public =
        ClientMetadata::from_request(&public_body(), &RegistrationPolicy::default()).unwrap();
    let update = updated(&registration.client, public, ROTATED_AT, 1222);
    store
        .replace_client(
            &update.client,
            &registration.access_token.digest(),
            dcr_store::SecretChange::Replace,
            &admin(),
        )
        .unwrap();
    assert!(matches!(
        store.rotate_secret(&id, &rotated.replaces, &rotated.credentials, &admin()),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.find_client(&id).unwrap().credentials,
        ClientCredentials::Public
    );
}

/// An update that removes the secret takes the previous one with it; one
/// that keeps the secret keeps the overlap as it is.
fn an_update_replacing_the_secret_drops_the_previous_one(db: &TestDatabase) {
    let store = db.store();
    let registration = register(confidential_body(), 1230);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let rotated = rotation(&registration.client, 3600, 1231);
    store
        .rotate_secret(&id, &rotated.replaces, &rotated.credentials, &admin())
        .unwrap();
    let found = store.find_client(&id).unwrap();

    let renamed = {
        let mut body = confidential_body();
        body["client_name"] = json!("Renamed");
        ClientMetadata::from_request(&body, &RegistrationPolicy::default()).unwrap()
    };
    let kept = updated(&found, renamed, ROTATED_AT, 1232);
    assert!(!kept.secret_replaced);
    store
        .replace_client(
            &kept.client,
            &registration.access_token.digest(),
            dcr_store::SecretChange::Keep,
            &admin(),
        )
        .unwrap();
    assert_eq!(
        store.find_client(&id).unwrap().credentials,
        rotated.credentials
    );

    let public =
        ClientMetadata::from_request(&public_body(), &RegistrationPolicy::default()).unwrap();
    let made_public = updated(&kept.client, public, ROTATED_AT, 1233);
    store
        .replace_client(
            &made_public.client,
            &kept.access_token.digest(),
            dcr_store::SecretChange::Replace,
            &admin(),
        )
        .unwrap();
    assert_eq!(
        store.find_client(&id).unwrap().credentials,
        ClientCredentials::Public
    );
    assert_eq!(previous_columns(db, &id), (None, None, None));
}

#[derive(diesel::QueryableByName)]
struct Previous {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    hash: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    tag: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    expires_at: Option<i64>,
}

/// The previous secret's columns as stored, read past the store.
fn previous_columns(
    db: &TestDatabase,
    client_id: &ClientId,
) -> (Option<String>, Option<String>, Option<i64>) {
    use diesel::RunQueryDsl as _;
    let row = diesel::sql_query(format!(
        "SELECT previous_secret_hash AS hash, previous_secret_tag AS tag, \
         previous_secret_expires_at AS expires_at FROM oauth_clients WHERE client_id = '{client_id}'"
    ))
    .get_result::<Previous>(&mut connect(db))
    .unwrap();
    (row.hash, row.tag, row.expires_at)
}
