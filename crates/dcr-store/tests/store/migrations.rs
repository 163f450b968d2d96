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
    let store = db.store();
    assert_eq!(store.revert_all_migrations().unwrap(), 11);
    assert!(matches!(store.count_clients(), Err(StoreError::Other(_))));
    assert_eq!(store.run_migrations().unwrap().len(), 11);
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
