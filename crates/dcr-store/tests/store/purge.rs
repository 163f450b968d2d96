//! Client lifetime: which clients have outlived their use, and their purge
//! in batches. The never-used rule deletes only once armed (see
//! `arming.rs`); these tests arm it long before their clients exist.

use dcr_store::Expiry;

use super::*;

on_both_backends!(
    purge_removes_unused_and_idle_clients_only,
    clients_from_before_lifetimes_start_their_clock_at_the_upgrade,
    purge_with_both_lifetimes_off_removes_nothing,
);

pub(super) const DAY: i64 = 86_400;
pub(super) const NOW: i64 = 1_800_000_000;

/// Arms the never-used rule a year before [`NOW`], as a deployment that has
/// long reported the use of its clients.
pub(super) fn armed_long_ago(store: &Store) {
    assert_eq!(
        store.arm_unused_purge(NOW - 365 * DAY).unwrap(),
        NOW - 365 * DAY
    );
}

pub(super) fn registered_at(
    store: &Store,
    created_at: i64,
    used_at: Option<i64>,
    seed: u64,
) -> ClientId {
    let registration = register_at(public_body(), seed, created_at);
    store.insert_client(&registration.client).unwrap();
    if let Some(used_at) = used_at {
        store
            .touch_last_used(&registration.client.client_id, used_at)
            .unwrap();
    }
    registration.client.client_id
}

fn purge_removes_unused_and_idle_clients_only(db: &TestDatabase) {
    let store = db.store();
    armed_long_ago(&store);
    let never_used_old = registered_at(&store, NOW - 8 * DAY, None, 1);
    let never_used_new = registered_at(&store, NOW - DAY, None, 2);
    let used_recently = registered_at(&store, NOW - 200 * DAY, Some(NOW - DAY), 3);
    let idle = registered_at(&store, NOW - 200 * DAY, Some(NOW - 100 * DAY), 4);
    // Seven days unused, ninety idle.
    let expiry = Expiry::at(NOW, 7 * DAY as u64, 90 * DAY as u64);

    let expired = store.expired_clients(&expiry, 100).unwrap();
    assert_eq!(expired, vec![idle, never_used_old], "oldest first");

    // In batches: one, then the other, then nothing.
    assert_eq!(
        store.purge_expired(&expiry, 1, EVENT_TIME).unwrap(),
        Some(1)
    );
    assert_eq!(
        store.purge_expired(&expiry, 10, EVENT_TIME).unwrap(),
        Some(1)
    );
    assert_eq!(
        store.purge_expired(&expiry, 10, EVENT_TIME).unwrap(),
        Some(0)
    );
    for gone in [never_used_old, idle] {
        assert!(matches!(
            store.find_client(&gone),
            Err(StoreError::NotFound)
        ));
    }
    for kept in [never_used_new, used_recently] {
        assert!(store.find_client(&kept).is_ok());
    }

    // Without an idle lifetime, a client used once is kept however long ago.
    let idle_again = registered_at(&store, NOW - 300 * DAY, Some(NOW - 250 * DAY), 5);
    let unused_only = Expiry::at(NOW, 7 * DAY as u64, 0);
    assert_eq!(
        store.purge_expired(&unused_only, 10, EVENT_TIME).unwrap(),
        Some(0)
    );
    assert!(store.find_client(&idle_again).is_ok());
}

fn purge_with_both_lifetimes_off_removes_nothing(db: &TestDatabase) {
    let store = db.store();
    let old = registered_at(&store, 0, None, 6);
    let off = Expiry::at(NOW, 0, 0);
    assert_eq!(off.unused_before, None);
    assert_eq!(off.idle_before, None);
    assert!(store.expired_clients(&off, 10).unwrap().is_empty());
    assert_eq!(store.purge_expired(&off, 10, EVENT_TIME).unwrap(), Some(0));
    assert!(store.find_client(&old).is_ok());
}

/// A client registered before lifetimes were enforced starts its "never
/// used" lifetime when the migration ran (which sets `lifetime_from` to that
/// moment), so an upgrade deletes no client before it could have been used.
fn clients_from_before_lifetimes_start_their_clock_at_the_upgrade(db: &TestDatabase) {
    use diesel::prelude::*;
    let store = db.store();
    armed_long_ago(&store);
    let migrated = registered_at(&store, NOW - 300 * DAY, None, 7);
    let mut conn = connect(db);
    // What the migration does to the rows it finds: the upgrade was a day ago.
    diesel::sql_query(format!(
        "UPDATE oauth_clients SET lifetime_from = {} WHERE client_id = '{migrated}'",
        NOW - DAY
    ))
    .execute(&mut conn)
    .unwrap();
    let expiry = Expiry::at(NOW, 7 * DAY as u64, 0);
    assert!(store.expired_clients(&expiry, 10).unwrap().is_empty());
    assert_eq!(
        store.purge_expired(&expiry, 10, EVENT_TIME).unwrap(),
        Some(0)
    );
    assert!(store.find_client(&migrated).is_ok());
    // Seven days after the upgrade it goes like any other unused client.
    let later = Expiry::at(NOW + 7 * DAY, 7 * DAY as u64, 0);
    assert_eq!(store.expired_clients(&later, 10).unwrap(), vec![migrated]);
}
