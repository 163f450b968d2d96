//! What a replica meets when the primary fails over: a multi-host URL whose
//! first host is dead, and a server that turned read-only under the pool.

use dcr_store::test_support::postgres_admin_sql;

use super::*;

/// The test database's URL with a dead host named before the live one,
/// asking libpq for a writable server, as `DCR_DATABASE_URL` would.
fn multi_host_url(db: &TestDatabase, dead_host: &str) -> String {
    let url = url::Url::parse(&db.url_string()).unwrap();
    format!(
        "postgres://{}@{dead_host},{}:{}{}?target_session_attrs=read-write",
        url.username(),
        url.host_str().unwrap(),
        url.port().unwrap_or(5432),
        url.path()
    )
}

/// libpq tries the hosts in turn; the dead one (refusing, or not answering
/// within `connect_timeout`, which dcr adds to multi-host URLs too) is
/// passed over and the writable one used.
#[test]
fn a_multi_host_url_connects_past_a_dead_host() {
    let db = TestDatabase::postgres();
    db.store();
    // 127.0.0.1:1 refuses at once; 192.0.2.1 (TEST-NET-1) is never
    // routed, so libpq waits for connect_timeout or the network's refusal.
    for (seed, dead_host) in [(700, "127.0.0.1:1"), (701, "192.0.2.1:5432")] {
        let raw = multi_host_url(&db, dead_host);
        let url = DatabaseUrl::parse(&raw).unwrap();
        assert_eq!(url.backend_name(), "postgres");
        assert_eq!(url.describe(), raw, "no password to hide, nothing left out");
        let mut config = StoreConfig::new(url);
        config.acquire_timeout = Duration::from_secs(3);
        let store = Store::open(&config).unwrap();
        let registration = register(public_body(), seed);
        store.insert_client(&registration.client).unwrap();
        store.ping_writable().unwrap();
        assert_eq!(
            store.find_client(&registration.client.client_id).unwrap(),
            registration.client
        );
    }
}

#[test]
fn a_multi_host_url_shows_no_password() {
    let url = DatabaseUrl::parse(
        "postgres://dcr:hunter2@h1:5432,h2:5432/dcr?target_session_attrs=read-write",
    )
    .unwrap();
    assert_eq!(
        url.describe(),
        "postgres://dcr@h1:5432,h2:5432/dcr?target_session_attrs=read-write"
    );
}

/// A server that takes no writes makes writes and readiness `Unavailable`
/// (answered 503), never another error; its connections are discarded, so
/// the same store writes again once the server does, with no reopening.
#[test]
fn a_read_only_server_is_unavailable_until_it_takes_writes_again() {
    let db = TestDatabase::postgres();
    let store = db.store();
    store
        .insert_client(&register(public_body(), 800).client)
        .unwrap();
    store.ping_writable().unwrap();

    db.set_read_only(true);
    let refused = store.insert_client(&register(public_body(), 801).client);
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "{refused:?}"
    );
    let not_ready = store.ping_writable();
    assert!(
        matches!(not_ready, Err(StoreError::Unavailable(_))),
        "{not_ready:?}"
    );
    // Reads still work on a read-only server.
    assert_eq!(store.count_clients().unwrap(), 1);

    db.set_read_only(false);
    store.ping_writable().unwrap();
    let registration = register(public_body(), 802);
    store.insert_client(&registration.client).unwrap();
    assert_eq!(store.count_clients().unwrap(), 2);
}

/// The read-only connections the pool still holds (they were opened while
/// the server was read-only, and nothing ended them) are dropped as each
/// is met, not reused for every later write.
#[test]
fn read_only_connections_left_in_the_pool_are_dropped() {
    let db = TestDatabase::postgres();
    let store = db.store();
    db.set_read_only(true);
    // Several idle read-only connections, from reads that overlapped.
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    assert_eq!(store.count_clients().unwrap(), 0);
                }
            })
        })
        .collect();
    for reader in readers {
        reader.join().unwrap();
    }
    assert!(store.pool_status().idle_connections >= 1);
    let name = db.postgres_name();
    // Only new sessions are writable again: the pooled one stays read-only.
    postgres_admin_sql(&format!(
        "ALTER DATABASE \"{name}\" SET default_transaction_read_only = off"
    ));
    store
        .insert_client(&register(public_body(), 900).client)
        .unwrap();
    store.ping_writable().unwrap();
    assert_eq!(store.count_clients().unwrap(), 1);
}
