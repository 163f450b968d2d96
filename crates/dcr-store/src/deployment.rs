//! Facts about the deployment as a whole (`deployment_state`), each written
//! once: the first writer wins, so replicas that race agree on one value and
//! a restart reads it back.
//!
//! The one fact so far: when the never-used rule was armed. A client that
//! nobody reports using may be one the token endpoint checks without asking
//! dcr, so the rule deletes nothing until a verify call or a used report
//! shows that this deployment reports use (see `Expiry::after_arming`).

use diesel::prelude::*;

use crate::schema::deployment_state;
use crate::{AnyConnection, Store, StoreError};

/// The row that holds when the never-used rule was armed (Unix seconds).
const UNUSED_PURGE_ARMED_AT: &str = "unused_purge_armed_at";

impl Store {
    /// Arms the never-used rule at `now`, unless it is armed already, and
    /// returns when it was armed: the first arming stands, whoever wrote it.
    /// Idempotent, so a retry after a lost connection changes nothing.
    pub fn arm_unused_purge(&self, now: i64) -> Result<i64, StoreError> {
        self.with_conn(|conn, _| {
            // Both backends read `ON CONFLICT ... DO NOTHING` alike (Postgres
            // 9.5, SQLite 3.24); Diesel's multi-connection has no builder
            // for it. Only a constant and a number are written into the text.
            diesel::sql_query(format!(
                "INSERT INTO deployment_state (name, value) VALUES ('{UNUSED_PURGE_ARMED_AT}', {now}) ON CONFLICT (name) DO NOTHING"
            ))
            .execute(conn)?;
            unused_purge_armed_at(conn)
        })?
        .ok_or_else(|| StoreError::Other("the arming of the never-used rule was not kept".into()))
    }

    /// When the never-used rule was armed; `None` while it is not.
    pub fn unused_purge_armed_at(&self) -> Result<Option<i64>, StoreError> {
        self.with_conn(|conn, _| unused_purge_armed_at(conn))
    }
}

/// When the never-used rule was armed, on `conn` (inside a purge's
/// transaction).
pub(crate) fn unused_purge_armed_at(conn: &mut AnyConnection) -> QueryResult<Option<i64>> {
    deployment_state::table
        .find(UNUSED_PURGE_ARMED_AT)
        .select(deployment_state::value)
        .first(conn)
        .optional()
}
