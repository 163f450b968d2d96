//! DCR_DEDUP_PUBLIC's keys: which client a registration is answered with,
//! found and restarted in one statement; remembered by one upsert.

use std::sync::{Arc, Barrier};

use dcr_store::Expiry;
use diesel::RunQueryDsl as _;

use super::*;

on_both_backends!(
    a_shared_client_is_answered_only_while_it_may_be_handed_out,
    a_client_with_a_registration_token_is_never_handed_out,
    an_answered_client_outlives_both_purge_rules,
    a_client_deleted_while_being_answered_is_not_answered,
    concurrent_first_registrations_remember_without_a_conflict,
);

const DAY: i64 = 86_400;

/// A client as a registration eligible for DCR_DEDUP_PUBLIC creates it:
/// public, and without a registration access token.
fn shared_at(body: serde_json::Value, seed: u64, now: i64) -> RegisteredClient {
    let metadata = register_at(body, seed, now).client.metadata;
    RegisteredClient::issue_shared(metadata, now, &mut StdRng::seed_from_u64(seed)).unwrap()
}

fn remembered(store: &Store, client: &RegisteredClient) -> String {
    let fingerprint = client.metadata.share_key().unwrap();
    store
        .remember_public_client(&fingerprint, &client.client_id)
        .unwrap();
    fingerprint
}

fn answer(store: &Store, fingerprint: &str, metadata: &ClientMetadata) -> Option<ClientId> {
    store
        .answer_public_duplicate(fingerprint, metadata, EVENT_TIME)
        .unwrap()
        .map(|client| client.client_id)
}

fn a_shared_client_is_answered_only_while_it_may_be_handed_out(db: &TestDatabase) {
    let store = db.store();
    let shared = shared_at(public_body(), 1200, EVENT_TIME - DAY);
    store.insert_client(&shared).unwrap();
    let fingerprint = shared.metadata.fingerprint();
    assert_eq!(answer(&store, &fingerprint, &shared.metadata), None);
    remembered(&store, &shared);
    let answered = store
        .answer_public_duplicate(&fingerprint, &shared.metadata, EVENT_TIME)
        .unwrap()
        .unwrap();
    assert_eq!(answered.client_id, shared.client_id);
    assert_eq!(answered.registration_token, None);
    assert_eq!(answered.metadata, shared.metadata);

    // Other metadata under the same key is not this client.
    let mut other = public_body();
    other["client_name"] = json!("Other");
    let other_metadata = register(other, 1201).client.metadata;
    assert_eq!(answer(&store, &fingerprint, &other_metadata), None);

    store
        .set_active(&shared.client_id, false, &admin())
        .unwrap();
    assert_eq!(answer(&store, &fingerprint, &shared.metadata), None);

    // Replaced by a newer client; then orphaned when that one goes.
    let newer = shared_at(public_body(), 1202, EVENT_TIME);
    store.insert_client(&newer).unwrap();
    remembered(&store, &newer);
    assert_eq!(
        answer(&store, &fingerprint, &newer.metadata),
        Some(newer.client_id)
    );
    assert_eq!(store.purge_orphan_public_keys(10).unwrap(), 0);
    store.delete_client(&newer.client_id, &admin()).unwrap();
    assert_eq!(answer(&store, &fingerprint, &newer.metadata), None);
    assert_eq!(store.purge_orphan_public_keys(10).unwrap(), 1);
    assert_eq!(store.purge_orphan_public_keys(10).unwrap(), 0);
}

/// A client with a registration access token belongs to whoever holds the
/// token: it is never handed to another registrant, neither a row
/// remembered before shared clients existed nor a confidential one.
fn a_client_with_a_registration_token_is_never_handed_out(db: &TestDatabase) {
    let store = db.store();
    let managed = register(public_body(), 1210).client;
    assert!(managed.registration_token.is_some());
    store.insert_client(&managed).unwrap();
    let fingerprint = remembered(&store, &managed);
    assert_eq!(answer(&store, &fingerprint, &managed.metadata), None);
    // Nor is its lifetime touched by the attempt.
    let after = store.find_client(&managed.client_id).unwrap();
    assert_eq!(after, managed);

    let mut confidential = public_body();
    confidential["token_endpoint_auth_method"] = json!("client_secret_basic");
    let confidential = register(confidential, 1211).client;
    store.insert_client(&confidential).unwrap();
    let key = confidential.metadata.fingerprint();
    store
        .remember_public_client(&key, &confidential.client_id)
        .unwrap();
    assert_eq!(answer(&store, &key, &confidential.metadata), None);
}

/// Handed out again, a client starts its lifetime anew under both rules:
/// never used, its "never used" clock restarts (and it stays never used);
/// used before, it counts as used at the answer, so the idle rule cannot
/// delete it right after it was handed to a registrant.
fn an_answered_client_outlives_both_purge_rules(db: &TestDatabase) {
    let store = db.store();
    let never_used = shared_at(public_body(), 1220, EVENT_TIME - 30 * DAY);
    store.insert_client(&never_used).unwrap();
    let never_used_key = remembered(&store, &never_used);
    let mut other = public_body();
    other["client_name"] = json!("Idle");
    let idle = shared_at(other, 1221, EVENT_TIME - 30 * DAY);
    store.insert_client(&idle).unwrap();
    store
        .touch_last_used(&idle.client_id, EVENT_TIME - 20 * DAY)
        .unwrap();
    let idle_key = remembered(&store, &idle);

    super::purge::armed_long_ago(&store);
    let expiry = Expiry::at(EVENT_TIME, 7 * DAY as u64, 7 * DAY as u64);
    let mut expired = store.expired_clients(&expiry, 10).unwrap();
    expired.sort_by_key(ToString::to_string);
    let mut both = vec![never_used.client_id, idle.client_id];
    both.sort_by_key(ToString::to_string);
    assert_eq!(expired, both);

    assert!(answer(&store, &never_used_key, &never_used.metadata).is_some());
    assert!(answer(&store, &idle_key, &idle.metadata).is_some());
    assert_eq!(store.expired_clients(&expiry, 10).unwrap(), vec![]);
    assert_eq!(
        store.purge_expired(&expiry, 10, EVENT_TIME).unwrap(),
        Some(0)
    );
    let never_used = store.find_client(&never_used.client_id).unwrap();
    assert_eq!(never_used.last_used_at, None, "a hand-out is not a use");
    let idle = store.find_client(&idle.client_id).unwrap();
    assert_eq!(idle.last_used_at, Some(EVENT_TIME));
}

/// The race of a purge (or a delete) with an answer: the client's row is
/// deleted in a transaction still open while the answer runs. The answer
/// waits for that transaction and then finds nothing; a lookup that read
/// the row before the delete committed would answer with a deleted client.
fn a_client_deleted_while_being_answered_is_not_answered(db: &TestDatabase) {
    let store = db.store();
    let shared = shared_at(public_body(), 1230, EVENT_TIME - DAY);
    store.insert_client(&shared).unwrap();
    let fingerprint = remembered(&store, &shared);

    let mut deleting = connect(db);
    let begin = match db.url() {
        DatabaseUrl::Postgres(_) => "BEGIN",
        DatabaseUrl::Sqlite(_) => "BEGIN IMMEDIATE",
    };
    diesel::sql_query(begin).execute(&mut deleting).unwrap();
    let deleted = diesel::sql_query(format!(
        "DELETE FROM oauth_clients WHERE client_id = '{}'",
        shared.client_id
    ))
    .execute(&mut deleting)
    .unwrap();
    assert_eq!(deleted, 1);

    let answering = {
        let store = store.clone();
        let metadata = shared.metadata.clone();
        std::thread::spawn(move || {
            store
                .answer_public_duplicate(&fingerprint, &metadata, EVENT_TIME)
                .unwrap()
        })
    };
    // Long enough for the answer to reach the deleted row and wait on it.
    std::thread::sleep(Duration::from_millis(300));
    diesel::sql_query("COMMIT").execute(&mut deleting).unwrap();
    assert_eq!(answering.join().unwrap(), None);
    assert!(matches!(
        store.find_client(&shared.client_id),
        Err(StoreError::NotFound)
    ));
}

/// Several first registrations of one metadata at once: each remembers its
/// client, none fails on the key, and the key names one of them.
fn concurrent_first_registrations_remember_without_a_conflict(db: &TestDatabase) {
    const RACERS: usize = 8;
    let store = db.store();
    let clients: Vec<RegisteredClient> = (0..RACERS as u64)
        .map(|seed| shared_at(public_body(), 1240 + seed, EVENT_TIME))
        .collect();
    for client in &clients {
        store.insert_client(client).unwrap();
    }
    let fingerprint = clients[0].metadata.fingerprint();
    for round in 0..5 {
        // A fresh key each round: the race is on its first insert.
        let key = format!("{fingerprint}-{round}");
        let start = Arc::new(Barrier::new(RACERS));
        let racers: Vec<_> = clients
            .iter()
            .map(|client| {
                let (store, start, key) = (store.clone(), start.clone(), key.clone());
                let client_id = client.client_id;
                std::thread::spawn(move || {
                    start.wait();
                    store.remember_public_client(&key, &client_id)
                })
            })
            .collect();
        for racer in racers {
            racer.join().unwrap().unwrap();
        }
        let kept = answer(&store, &key, &clients[0].metadata).unwrap();
        assert!(clients.iter().any(|client| client.client_id == kept));
    }
}
