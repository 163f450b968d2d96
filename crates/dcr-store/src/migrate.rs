//! Embedded migrations, per backend, run at start-up and by `dcr-server migrate`.

use std::time::Duration;

use diesel::dsl::sql;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Text};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::AnyConnection;
use crate::error::StoreError;

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// The advisory lock of migrations on Postgres. Any fixed number: replicas
/// that start together serialize on it.
pub const MIGRATION_LOCK_KEY: i64 = 0x0dc7_0001;

/// How often a replica that waits for another's migrations asks for the lock.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// Applies pending migrations and returns their versions; a no-op when none is
/// pending.
pub(crate) fn run_pending(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    match conn {
        AnyConnection::Postgresql(pg) => {
            if up_to_date(pg)? {
                return Ok(Vec::new());
            }
            with_advisory_lock(pg, |pg| apply(pg, POSTGRES))
        }
        AnyConnection::Sqlite(sqlite) => apply_sqlite(sqlite),
    }
}

/// Whether every embedded migration is recorded as applied: what a replica
/// starting on a current schema needs to know, in two reads, without the
/// lock, its polling or the harness's DDL. Diesel records a version in the
/// transaction of its migration, so a version read is a migration
/// committed. Versions this binary does not know (a newer replica's) are
/// left alone, as the harness leaves them.
fn up_to_date(pg: &mut PgConnection) -> Result<bool, StoreError> {
    // Asked first, so a new database's first start logs no error on the
    // server for the missing table.
    let recorded: bool = diesel::select(sql::<Bool>(
        "to_regclass('__diesel_schema_migrations') IS NOT NULL",
    ))
    .get_result(pg)?;
    if !recorded {
        return Ok(false);
    }
    let applied: Vec<String> = diesel::select(sql::<Array<Text>>(
        "ARRAY(SELECT version FROM __diesel_schema_migrations)",
    ))
    .get_result(pg)?;
    let embedded = MigrationSource::<Pg>::migrations(&POSTGRES).map_err(StoreError::other)?;
    Ok(embedded
        .iter()
        .all(|migration| applied.contains(&migration.name().version().to_string())))
}

/// Reverts every applied migration (used by tests that check reversibility).
pub(crate) fn revert_all(conn: &mut AnyConnection) -> Result<usize, StoreError> {
    let reverted = match conn {
        AnyConnection::Postgresql(pg) => with_advisory_lock(pg, |pg| {
            pg.revert_all_migrations(POSTGRES)
                .map_err(StoreError::other)
                .map(|v| v.len())
        })?,
        AnyConnection::Sqlite(sqlite) => sqlite
            .revert_all_migrations(SQLITE)
            .map_err(StoreError::other)?
            .len(),
    };
    Ok(reverted)
}

fn apply_sqlite(conn: &mut SqliteConnection) -> Result<Vec<String>, StoreError> {
    apply(conn, SQLITE)
}

fn apply<C>(conn: &mut C, source: EmbeddedMigrations) -> Result<Vec<String>, StoreError>
where
    C: MigrationHarness<C::Backend> + Connection,
{
    let applied = conn
        .run_pending_migrations(source)
        .map_err(StoreError::other)?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Holds a session-level advisory lock while `work` runs, so replicas starting
/// at once apply each migration exactly once.
///
/// The lock is polled, not awaited in `pg_advisory_lock`: a session blocked
/// in that call holds a snapshot, `CREATE INDEX CONCURRENTLY` in the holder's
/// migration waits for every older snapshot to go, and Postgres then aborts
/// one of the two as a deadlock.
fn with_advisory_lock<T>(
    conn: &mut PgConnection,
    work: impl FnOnce(&mut PgConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    while !diesel::select(pg_try_advisory_lock(MIGRATION_LOCK_KEY)).get_result::<bool>(conn)? {
        std::thread::sleep(LOCK_POLL);
    }
    let result = work(conn);
    let unlocked =
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")).execute(conn);
    let value = result?;
    unlocked?;
    Ok(value)
}

diesel::define_sql_function!(fn pg_try_advisory_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool);

#[cfg(test)]
mod rolling;
