//! Closing the store: new work refused in every clone, running statements waited for, no Postgres session left.

use super::*;

on_both_backends!(closing_refuses_new_work_in_every_clone,);

fn closing_refuses_new_work_in_every_clone(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 400);
    store.insert_client(&registration.client).unwrap();
    let clone = store.clone();

    assert!(store.close(Duration::from_secs(5)), "nothing was under way");

    assert!(matches!(
        clone.find_client(&registration.client.client_id),
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(store.ping(), Err(StoreError::Unavailable(_))));
    assert!(matches!(
        store.insert_client(&register(public_body(), 401).client),
        Err(StoreError::Unavailable(_))
    ));
    // Closing ends this process's use of the data, not the data.
    assert_eq!(db.store().count_clients().unwrap(), 1);
}

/// A process exits right after closing its store, so closing must wait for
/// the statements still running and leave no session open on the server.
#[test]
fn closing_waits_for_running_statements_and_leaves_no_postgres_session() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let db = TestDatabase::postgres();
    let store = db.store();
    let registration = register(public_body(), 402);
    store.insert_client(&registration.client).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| store.count_clients().unwrap());
        }
    });
    let DatabaseUrl::Postgres(url) = db.url() else {
        unreachable!()
    };
    let mut observer = diesel::PgConnection::establish(url).unwrap();
    assert!(
        other_sessions(&mut observer, "") > 0,
        "the pool holds connections"
    );

    observer
        .batch_execute("BEGIN; LOCK TABLE oauth_clients IN ACCESS EXCLUSIVE MODE;")
        .unwrap();
    let blocked = std::thread::spawn({
        let store = store.clone();
        let client_id = registration.client.client_id;
        move || store.set_active(&client_id, false, &admin())
    });
    wait_until("the update waits for the lock", || {
        other_sessions(&mut observer, "AND wait_event_type = 'Lock'") == 1
    });

    assert!(
        !store.close(Duration::from_millis(200)),
        "close reported nothing under way while an UPDATE was running"
    );
    observer.batch_execute("COMMIT;").unwrap();
    blocked
        .join()
        .unwrap()
        .expect("work that started before the close finishes");
    assert!(store.close(Duration::from_secs(5)));

    wait_until("every pooled session has ended", || {
        other_sessions(&mut observer, "") == 0
    });
    assert!(
        !db.store()
            .find_client(&registration.client.client_id)
            .unwrap()
            .active
    );
}

/// Sessions on this database other than the caller's, narrowed by `and`.
fn other_sessions(conn: &mut diesel::PgConnection, and: &str) -> i64 {
    use diesel::prelude::*;
    diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() {and}"
    ))
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

/// Polls `condition` until it holds; a test that waits for another process
/// (here, the Postgres server) cannot be told when it happens.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
