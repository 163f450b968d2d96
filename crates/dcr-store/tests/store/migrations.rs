//! Embedded migrations: up, down, up again; a no-op when nothing is pending; the system user.

use super::*;

on_both_backends!(
    migrations_run_up_down_up,
    migrations_are_a_noop_when_nothing_is_pending,
    system_user_exists_after_migrations,
);

fn count_users(db: &TestDatabase) -> i64 {
    use diesel::prelude::*;
    let mut conn = connect(db);
    diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM users WHERE id = '{}'",
        dcr_store::SYSTEM_USER_ID
    ))
    .get_result::<Count>(&mut conn)
    .map(|row| row.n)
    .unwrap_or(-1)
}

fn migrations_run_up_down_up(db: &TestDatabase) {
    // SQLite keeps the foreign key that Postgres' 000020 drops (dropping one
    // there means rebuilding the table).
    let migrations = match db.url() {
        DatabaseUrl::Postgres(_) => 20,
        DatabaseUrl::Sqlite(_) => 19,
    };
    let store = db.store();
    assert_eq!(store.revert_all_migrations().unwrap(), migrations);
    assert!(matches!(store.count_clients(), Err(StoreError::Other(_))));
    assert_eq!(store.run_migrations().unwrap().len(), migrations);
    assert_eq!(store.count_clients().unwrap(), 0);
}

fn migrations_are_a_noop_when_nothing_is_pending(db: &TestDatabase) {
    let store = db.store();
    assert!(store.run_migrations().unwrap().is_empty());
}

fn system_user_exists_after_migrations(db: &TestDatabase) {
    let _store = db.store();
    assert_eq!(count_users(db), 1);
}

/// A replica waiting for another's migrations must not hold a snapshot: a
/// migration that builds an index `CONCURRENTLY` (the only way the
/// rolling-upgrade rule lets one be built on an existing Postgres table) waits
/// for every older snapshot, and Postgres would abort one side as a deadlock.
#[test]
fn a_replica_waiting_for_migrations_lets_a_concurrent_index_build() {
    use diesel::prelude::*;
    let db = TestDatabase::postgres();
    let store = db.store();
    // Pending migrations, so the replica waits for the lock.
    let pending = store.revert_all_migrations().unwrap();
    let dcr_store::AnyConnection::Postgresql(mut holder) = connect(&db) else {
        unreachable!("a Postgres database")
    };
    diesel::sql_query("CREATE TABLE probe (at timestamptz)")
        .execute(&mut holder)
        .unwrap();
    let lock = dcr_store::MIGRATION_LOCK_KEY;
    diesel::sql_query(format!("SELECT pg_advisory_lock({lock})"))
        .execute(&mut holder)
        .unwrap();
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| store.run_migrations());
        std::thread::sleep(Duration::from_millis(300));
        assert!(!waiting.is_finished(), "migrated without the lock");
        // Bounded, so a regression fails rather than hangs.
        diesel::sql_query("SET statement_timeout = '10s'")
            .execute(&mut holder)
            .unwrap();
        diesel::sql_query("CREATE INDEX CONCURRENTLY probe_idx ON probe (at)")
            .execute(&mut holder)
            .unwrap();
        diesel::sql_query(format!("SELECT pg_advisory_unlock({lock})"))
            .execute(&mut holder)
            .unwrap();
        assert_eq!(waiting.join().unwrap().unwrap().len(), pending);
    });
}

/// A replica that starts on a current schema reads that it is current and
/// goes on: it does not wait for the lock another replica holds (a newer
/// release migrating, whose migrations keep this one working).
#[test]
fn a_current_schema_is_checked_without_the_lock() {
    use diesel::prelude::*;
    let db = TestDatabase::postgres();
    let store = db.store();
    let dcr_store::AnyConnection::Postgresql(mut holder) = connect(&db) else {
        unreachable!("a Postgres database")
    };
    let lock = dcr_store::MIGRATION_LOCK_KEY;
    diesel::sql_query(format!("SELECT pg_advisory_lock({lock})"))
        .execute(&mut holder)
        .unwrap();
    let unlock = |holder: &mut diesel::PgConnection| {
        diesel::sql_query(format!("SELECT pg_advisory_unlock({lock})"))
            .execute(holder)
            .unwrap();
    };
    std::thread::scope(|scope| {
        let checking = scope.spawn(|| store.run_migrations());
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while !checking.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Released before the assertion, so a regression fails rather than
        // hangs.
        let waited = !checking.is_finished();
        if waited {
            unlock(&mut holder);
        }
        assert_eq!(checking.join().unwrap().unwrap(), Vec::<String>::new());
        assert!(!waited, "waited for the lock");
    });
    // One migration missing: then the lock is waited for again.
    diesel::sql_query(
        "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)",
    )
    .execute(&mut holder)
    .unwrap();
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| store.run_migrations());
        std::thread::sleep(Duration::from_millis(300));
        let unnoticed = waiting.is_finished();
        unlock(&mut holder);
        assert!(!unnoticed, "a missing migration went unnoticed");
        // Applying it again fails (its objects exist): what matters here is
        // that it was found pending and waited for.
        let _ = waiting.join().unwrap();
    });
}
