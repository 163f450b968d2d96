//! Client lifetime: the clients that were never used, or no longer are, and
//! their removal in batches. On Postgres a purge holds a transaction-level
//! advisory lock, so of several replicas only one purges at a time (the
//! others skip that round); SQLite has one writer by construction.
//!
//! The never-used rule applies only once armed (`deployment.rs`): both
//! methods here read the arming themselves, so no caller can forget it.

use dcr_core::{Actor, ClientId, EventKind};
use diesel::prelude::*;

use crate::audit::{self, Subject};
use crate::deployment;
use crate::schema::oauth_clients;
use crate::{AnyConnection, Store, StoreError};

/// The advisory lock key of purges ("dcrpurge" in ASCII, as the migrations
/// use their own).
const PURGE_LOCK_KEY: i64 = 0x6463_7270_7572_6765;

/// Which clients have outlived their use, as Unix-seconds thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    /// Registered before this and never used (no successful credential
    /// check or used report): `DCR_UNUSED_CLIENT_TTL_SECS` ago. `None`:
    /// kept. The store applies it only once armed (`after_arming`).
    pub unused_before: Option<i64>,
    /// Last used before this: `DCR_IDLE_CLIENT_TTL_SECS` ago. `None`: kept.
    pub idle_before: Option<i64>,
}

impl Expiry {
    /// The thresholds for `now`, from the two lifetimes (0: never expires).
    pub fn at(now: i64, unused_ttl_secs: u64, idle_ttl_secs: u64) -> Self {
        let before = |ttl: u64| {
            (ttl > 0).then(|| now.saturating_sub(i64::try_from(ttl).unwrap_or(i64::MAX)))
        };
        Self {
            unused_before: before(unused_ttl_secs),
            idle_before: before(idle_ttl_secs),
        }
    }

    /// The thresholds as the arming of the never-used rule leaves them.
    /// Unarmed (`None`), the rule deletes nothing: a deployment whose token
    /// endpoint checks credentials without asking dcr, and reports no use,
    /// would otherwise lose every working client. Armed at `T`, each
    /// client's never-used clock starts at the later of its own start and
    /// `T`, so the rule is off until one lifetime after `T`, and as before
    /// from then on. The idle rule is not concerned: it needs a recorded use.
    pub fn after_arming(self, armed_at: Option<i64>) -> Self {
        Self {
            unused_before: self
                .unused_before
                .filter(|before| armed_at.is_some_and(|armed_at| armed_at < *before)),
            ..self
        }
    }

    fn is_off(&self) -> bool {
        self.unused_before.is_none() && self.idle_before.is_none()
    }
}

impl Store {
    /// Up to `limit` clients that `expiry`, after the arming of the
    /// never-used rule, says have outlived their use, oldest first (what a
    /// purge would remove).
    pub fn expired_clients(
        &self,
        expiry: &Expiry,
        limit: i64,
    ) -> Result<Vec<ClientId>, StoreError> {
        if expiry.is_off() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = self.with_conn(|conn, _| {
            let expiry = expiry.after_arming(deployment::unused_purge_armed_at(conn)?);
            if expiry.is_off() {
                return Ok(Vec::new());
            }
            oauth_clients::table
                .filter(expired(&expiry))
                .select(oauth_clients::client_id)
                .order((oauth_clients::created_at, oauth_clients::client_id))
                .limit(limit)
                .load(conn)
        })?;
        ids.iter()
            .map(|id| {
                ClientId::parse(id).map_err(|_| {
                    StoreError::Other(format!("client {id} has a corrupt client_id").into())
                })
            })
            .collect()
    }

    /// Removes up to `batch` expired clients (`expiry` after the arming of
    /// the never-used rule), as RFC 7592 DELETE does (the client and its
    /// tokens stop working everywhere), and returns how many.
    /// `None` when another replica is purging right now (Postgres).
    /// Each removal is recorded as a `purged` event at `now`.
    pub fn purge_expired(
        &self,
        expiry: &Expiry,
        batch: i64,
        now: i64,
    ) -> Result<Option<usize>, StoreError> {
        if expiry.is_off() {
            return Ok(Some(0));
        }
        self.with_conn(|conn, _| {
            conn.transaction(|conn| {
                if let AnyConnection::Postgresql(pg) = conn {
                    let locked = diesel::select(pg_try_advisory_xact_lock(PURGE_LOCK_KEY))
                        .get_result::<bool>(pg)?;
                    if !locked {
                        return Ok(None);
                    }
                }
                // Once armed, the arming never changes: read under the lock,
                // it holds for the whole round.
                let expiry = expiry.after_arming(deployment::unused_purge_armed_at(conn)?);
                if expiry.is_off() {
                    return Ok(Some(0));
                }
                let ids: Vec<String> = oauth_clients::table
                    .filter(expired(&expiry))
                    .select(oauth_clients::client_id)
                    .order((oauth_clients::created_at, oauth_clients::client_id))
                    .limit(batch)
                    .load(conn)?;
                if ids.is_empty() {
                    return Ok(Some(0));
                }
                // The same condition again: a client used since the select
                // (in another session) is kept.
                let deleted: Vec<String> = diesel::delete(
                    oauth_clients::table
                        .filter(expired(&expiry))
                        .filter(oauth_clients::client_id.eq_any(&ids)),
                )
                .returning(oauth_clients::client_id)
                .get_results(conn)?;
                let subjects: Vec<Subject<'_>> =
                    deleted.iter().map(|id| Subject::Client(id)).collect();
                audit::record_all(conn, EventKind::Purged, &subjects, Actor::Purge, |_| now)?;
                Ok(Some(deleted.len()))
            })
        })
    }
}

diesel::define_sql_function!(fn pg_try_advisory_xact_lock(key: diesel::sql_types::BigInt) -> diesel::sql_types::Bool);

type Db = <AnyConnection as Connection>::Backend;

/// The clients `expiry` says have outlived their use: never used and
/// registered (or, for clients older than lifetimes, migrated) before
/// `unused_before`, or last used before `idle_before`. A
/// threshold that is off compares against `i64::MIN`, which nothing is below.
fn expired(
    expiry: &Expiry,
) -> Box<
    dyn BoxableExpression<
            oauth_clients::table,
            Db,
            SqlType = diesel::sql_types::Nullable<diesel::sql_types::Bool>,
        >,
> {
    let unused_before = expiry.unused_before.unwrap_or(i64::MIN);
    let idle_before = expiry.idle_before.unwrap_or(i64::MIN);
    Box::new(
        oauth_clients::last_used_at
            .is_null()
            .nullable()
            .and(oauth_clients::lifetime_from.lt(unused_before))
            .or(oauth_clients::last_used_at.lt(idle_before)),
    )
}
