//! Database URLs, an unreachable Postgres, and connections killed under the pool.

use super::*;

#[test]
fn unreachable_postgres_is_unavailable_not_a_hang() {
    let mut config = StoreConfig::new(
        DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/nowhere?connect_timeout=1").unwrap(),
    );
    config.acquire_timeout = Duration::from_millis(500);
    let store = Store::open(&config).unwrap();
    assert!(matches!(store.ping(), Err(StoreError::Unavailable(_))));
    assert!(matches!(
        store.count_clients(),
        Err(StoreError::Unavailable(_))
    ));
    // Each failed checkout is counted, for the metrics.
    let status = store.pool_status();
    assert_eq!(status.timeouts, 2);
    assert_eq!(status.checkouts, 0);
    assert!(status.waited >= Duration::from_millis(500));
}

/// A database that was never created is named, so start-up can say to
/// create it instead of reporting an outage.
#[test]
fn a_missing_postgres_database_is_named() {
    let mut url = url::Url::parse(&dcr_store::test_support::postgres_admin_url()).unwrap();
    let name = format!("dcr_missing_{}", uuid::Uuid::new_v4().simple());
    url.set_path(&name);
    let mut config = StoreConfig::new(DatabaseUrl::parse(url.as_str()).unwrap());
    config.acquire_timeout = Duration::from_millis(500);
    let store = Store::open(&config).unwrap();
    let err = store.run_migrations().unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert_eq!(err.missing_database(), Some(name));
}

#[test]
fn database_urls_pick_their_backend() {
    let cases = [
        ("postgres://u@h/db", Some("postgres")),
        ("postgresql://u@h/db", Some("postgres")),
        ("sqlite://dcr.sqlite3", Some("sqlite")),
        ("sqlite:///var/lib/dcr/dcr.sqlite3", Some("sqlite")),
        ("sqlite:dcr.sqlite3", Some("sqlite")),
        ("dcr.sqlite3", Some("sqlite")),
        ("/var/lib/dcr/dcr.sqlite3", Some("sqlite")),
        ("", None),
        ("sqlite://", None),
        ("mysql://u@h/db", None),
    ];
    for (raw, expected) in cases {
        let parsed = DatabaseUrl::parse(raw).ok().map(|url| url.backend_name());
        assert_eq!(parsed, expected, "{raw}");
    }
    assert_eq!(
        DatabaseUrl::parse("sqlite:///var/lib/dcr/dcr.sqlite3").unwrap(),
        DatabaseUrl::Sqlite("/var/lib/dcr/dcr.sqlite3".into())
    );
}

#[test]
fn debug_output_hides_the_database_password() {
    let url = DatabaseUrl::parse("postgres://dcr:hunter2@db:5432/dcr").unwrap();
    let shown = format!("{url:?} {url}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

/// A Postgres restart or failover kills every pooled connection; the next
/// calls must succeed on fresh connections, without an error and without a
/// duplicate row.
#[test]
fn postgres_connections_killed_under_the_pool_are_replaced() {
    use diesel::prelude::*;
    let db = TestDatabase::postgres();
    let store = db.store();
    // Fill the pool with idle connections.
    let warm: Vec<_> = (0..4)
        .map(|seed| {
            let store = store.clone();
            std::thread::spawn(move || {
                store.insert_client(&register(public_body(), 200 + seed).client)
            })
        })
        .collect();
    for thread in warm {
        thread.join().unwrap().unwrap();
    }
    let DatabaseUrl::Postgres(url) = db.url() else {
        unreachable!()
    };
    let name = url.rsplit('/').next().unwrap().to_owned();
    let mut admin =
        diesel::PgConnection::establish(&dcr_store::test_support::postgres_admin_url()).unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .execute(&mut admin)
    .unwrap();

    let registration = register(public_body(), 300);
    store.insert_client(&registration.client).unwrap();
    store.ping().unwrap();
    assert_eq!(
        store.find_client(&registration.client.client_id).unwrap(),
        registration.client
    );
    assert_eq!(store.count_clients().unwrap(), 5);
}

on_both_backends!(pool_status_and_client_counts_follow_the_work);

fn pool_status_and_client_counts_follow_the_work(db: &TestDatabase) {
    let store = db.store();
    let before = store.pool_status();
    assert_eq!(
        before.max_connections,
        StoreConfig::new(db.url().clone()).pool_size
    );
    let first = register(public_body(), 1).client;
    let second = register(public_body(), 2).client;
    store.insert_clients(&[&first, &second]).unwrap();
    store
        .set_active(&second.client_id, false, &admin())
        .unwrap();
    assert_eq!(
        store.count_clients_by_state().unwrap(),
        dcr_store::ClientCounts {
            active: 1,
            disabled: 1
        }
    );
    let after = store.pool_status();
    assert!(after.checkouts >= before.checkouts + 3);
    assert_eq!(after.timeouts, 0);
    assert!(after.open_connections >= after.idle_connections);
}
