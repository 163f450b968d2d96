//! The audit trail: every change records one event in its own transaction,
//! a change that does not happen records none, and old events go.

use dcr_core::{Actor, EventKind, Occasion};
use dcr_store::{Expiry, SecretChange};

use super::*;

on_both_backends!(
    every_change_to_a_client_is_recorded_in_order,
    changes_that_do_not_happen_are_not_recorded,
    events_are_read_in_pages,
    old_events_are_purged_in_batches,
    url_client_ids_are_enabled_until_an_operator_disables_them,
);

fn kinds(store: &Store, client_id: &ClientId) -> Vec<(EventKind, Actor, i64)> {
    store
        .client_events(&client_id.to_string(), None, 100)
        .unwrap()
        .into_iter()
        .map(|event| (event.kind, event.actor, event.at))
        .collect()
}

fn every_change_to_a_client_is_recorded_in_order(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let mut registration = register(body.clone(), 500);
    registration.client.provenance.address = Some("203.0.113.9".into());
    store.insert_client(&registration.client).unwrap();
    let client = registration.client.clone();
    let id = client.client_id;
    let from_client = Occasion::client(Some("203.0.113.9".into()), EVENT_TIME + 1);

    let policy = RegistrationPolicy::default();
    let update = updated(
        &client,
        ClientMetadata::from_request(&body, &policy).unwrap(),
        EVENT_TIME + 1,
        501,
    );
    store
        .replace_client(
            &update.client,
            &registration.access_token.digest(),
            SecretChange::Keep,
            &from_client,
        )
        .unwrap();
    store
        .set_active(&id, false, &Occasion::admin(EVENT_TIME + 2))
        .unwrap();
    store
        .set_active(&id, true, &Occasion::admin(EVENT_TIME + 3))
        .unwrap();
    store
        .replace_credentials(&id, &client.credentials, &Occasion::admin(EVENT_TIME + 4))
        .unwrap();
    store
        .delete_client_authorized(
            &id,
            &update.access_token.digest(),
            &Occasion::client(None, EVENT_TIME + 5),
        )
        .unwrap();

    let address = Actor::Client(Some("203.0.113.9".into()));
    assert_eq!(
        kinds(&store, &id),
        vec![
            (EventKind::Registered, address.clone(), client.issued_at),
            (EventKind::Updated, address, EVENT_TIME + 1),
            (EventKind::Disabled, Actor::Admin, EVENT_TIME + 2),
            (EventKind::Enabled, Actor::Admin, EVENT_TIME + 3),
            (EventKind::SecretRotated, Actor::Admin, EVENT_TIME + 4),
            (EventKind::Deleted, Actor::Client(None), EVENT_TIME + 5),
        ],
        "the events outlive the client"
    );

    // Deleted by an operator, and purged by the lifetime rules.
    let by_admin = register(public_body(), 502).client;
    let unused = register_at(public_body(), 503, EVENT_TIME - 10 * 86_400).client;
    store.insert_clients(&[&by_admin, &unused]).unwrap();
    store.delete_client(&by_admin.client_id, &admin()).unwrap();
    // The never-used rule deletes only once armed.
    super::purge::armed_long_ago(&store);
    let expiry = Expiry::at(EVENT_TIME, 7 * 86_400, 0);
    assert_eq!(
        store.purge_expired(&expiry, 10, EVENT_TIME).unwrap(),
        Some(1)
    );
    assert_eq!(
        kinds(&store, &by_admin.client_id).last(),
        Some(&(EventKind::Deleted, Actor::Admin, EVENT_TIME))
    );
    assert_eq!(
        kinds(&store, &unused.client_id).last(),
        Some(&(EventKind::Purged, Actor::Purge, EVENT_TIME))
    );
}

fn changes_that_do_not_happen_are_not_recorded(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 510);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let wrong = dcr_core::TokenDigest::of("wrong");
    // Enabling an enabled client; a wrong token's update and delete; a
    // rotation of a public client's (absent) secret.
    store.set_active(&id, true, &admin()).unwrap();
    assert!(
        store
            .replace_client(&registration.client, &wrong, SecretChange::Keep, &admin())
            .is_err()
    );
    assert!(
        store
            .delete_client_authorized(&id, &wrong, &admin())
            .is_err()
    );
    assert!(
        store
            .replace_credentials(&id, &registration.client.credentials, &admin())
            .is_err()
    );
    let unknown = ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap();
    assert!(store.set_active(&unknown, false, &admin()).is_err());
    assert!(store.delete_client(&unknown, &admin()).is_err());
    assert_eq!(
        kinds(&store, &id)
            .into_iter()
            .map(|(kind, ..)| kind)
            .collect::<Vec<_>>(),
        vec![EventKind::Registered]
    );
    assert!(kinds(&store, &unknown).is_empty());
}

fn events_are_read_in_pages(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 520);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    for step in 0..4 {
        store.set_active(&id, step % 2 == 1, &admin()).unwrap();
    }
    let key = id.to_string();
    let first = store.client_events(&key, None, 2).unwrap();
    let second = store.client_events(&key, Some(first[1].id), 2).unwrap();
    let last = store.client_events(&key, Some(second[1].id), 2).unwrap();
    let kinds: Vec<EventKind> = first
        .iter()
        .chain(&second)
        .chain(&last)
        .map(|event| event.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::Registered,
            EventKind::Disabled,
            EventKind::Enabled,
            EventKind::Disabled,
            EventKind::Enabled,
        ]
    );
    assert!(
        store
            .client_events(&key, Some(last[0].id), 2)
            .unwrap()
            .is_empty()
    );
}

fn old_events_are_purged_in_batches(db: &TestDatabase) {
    let store = db.store();
    let old: Vec<RegisteredClient> = (0..3)
        .map(|seed| register_at(public_body(), 530 + seed, EVENT_TIME - 100).client)
        .collect();
    let recent = register_at(public_body(), 540, EVENT_TIME).client;
    for client in old.iter().chain([&recent]) {
        store.insert_client(client).unwrap();
    }
    assert_eq!(store.purge_events(EVENT_TIME - 50, 2).unwrap(), 2);
    assert_eq!(store.purge_events(EVENT_TIME - 50, 2).unwrap(), 1);
    assert_eq!(store.purge_events(EVENT_TIME - 50, 2).unwrap(), 0);
    for client in &old {
        assert!(kinds(&store, &client.client_id).is_empty());
        // Only the trail goes, never the client.
        assert!(store.find_client(&client.client_id).is_ok());
    }
    assert_eq!(kinds(&store, &recent.client_id).len(), 1);
}

fn url_client_ids_are_enabled_until_an_operator_disables_them(db: &TestDatabase) {
    let store = db.store();
    let url = "https://claude.ai/oauth/claude-code-client-metadata";
    assert!(store.url_client_active(url).unwrap());
    store.set_url_client_active(url, true, &admin()).unwrap();
    store
        .set_url_client_active(url, false, &Occasion::admin(EVENT_TIME + 1))
        .unwrap();
    store
        .set_url_client_active(url, false, &Occasion::admin(EVENT_TIME + 2))
        .unwrap();
    assert!(!store.url_client_active(url).unwrap());
    assert!(store.url_client_active("https://other.example/c").unwrap());
    store
        .set_url_client_active(url, true, &Occasion::admin(EVENT_TIME + 3))
        .unwrap();
    assert!(store.url_client_active(url).unwrap());
    let kinds: Vec<(EventKind, i64)> = store
        .client_events(url, None, 10)
        .unwrap()
        .into_iter()
        .map(|event| (event.kind, event.at))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (EventKind::Disabled, EVENT_TIME + 1),
            (EventKind::Enabled, EVENT_TIME + 3)
        ]
    );
}
