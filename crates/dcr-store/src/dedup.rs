//! `DCR_DEDUP_PUBLIC`: finding the active public client that was registered
//! with the same metadata, by a fingerprint of that metadata.

use dcr_core::{ClientId, ClientMetadata, RegisteredClient};
use diesel::dsl::{case_when, exists, not};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use crate::clients::{ClientRow, has_metadata};
use crate::schema::{oauth_clients, public_client_keys};
use crate::{AnyConnection, Store, StoreError};

impl Store {
    /// The client remembered for `fingerprint`, answered to a new
    /// registration of `metadata` at `now`, if it may be handed out: active,
    /// public (no secret), with no registration access token (a client with
    /// one belongs to whoever holds the token: rows remembered before shared
    /// clients had none are never handed out), and still with exactly that
    /// metadata. Finding it and restarting its lifetime are one conditional
    /// UPDATE: a client purged or deleted a moment before is not found, and
    /// the purge's own recheck keeps a client restarted a moment before.
    ///
    /// Restarting: a client never used starts its "never used" lifetime
    /// again (`lifetime_from`), and stays never used; a client used before
    /// counts as used now (`last_used_at`), so the idle rule cannot delete
    /// it right after it was handed to a registrant that is about to use it.
    pub fn answer_public_duplicate(
        &self,
        fingerprint: &str,
        metadata: &ClientMetadata,
        now: i64,
    ) -> Result<Option<RegisteredClient>, StoreError> {
        let row: Option<ClientRow> = self.with_conn(|conn, _| {
            let remembered = public_client_keys::table
                .filter(public_client_keys::fingerprint.eq(fingerprint))
                .select(public_client_keys::client_id);
            diesel::update(
                oauth_clients::table
                    .filter(oauth_clients::client_id.eq_any(remembered))
                    .filter(oauth_clients::is_active.eq(true))
                    .filter(oauth_clients::client_secret_hash.is_null())
                    .filter(oauth_clients::registration_token_digest.is_null())
                    .filter(has_metadata(metadata)),
            )
            .set((
                oauth_clients::lifetime_from.eq(Some(now)),
                oauth_clients::last_used_at.eq(case_when::<_, _, Nullable<BigInt>>(
                    oauth_clients::last_used_at.is_not_null(),
                    Some(now),
                )
                .otherwise(None::<i64>)),
            ))
            .returning(oauth_clients::all_columns)
            .get_result::<ClientRow>(conn)
            .optional()
        })?;
        row.map(ClientRow::into_client).transpose()
    }

    /// Remembers `client_id` as the public client registered with this
    /// fingerprint (replacing an earlier one). One upsert: concurrent first
    /// registrations of one metadata each store their client, and the last
    /// to remember wins, none with a key violation.
    pub fn remember_public_client(
        &self,
        fingerprint: &str,
        client_id: &ClientId,
    ) -> Result<(), StoreError> {
        let id = client_id.to_string();
        self.with_conn(|conn, _| {
            let row = (
                public_client_keys::fingerprint.eq(fingerprint),
                public_client_keys::client_id.eq(&id),
            );
            // Diesel's multi-backend connection has no ON CONFLICT: the one
            // statement is built per backend.
            match conn {
                AnyConnection::Postgresql(pg) => diesel::insert_into(public_client_keys::table)
                    .values(row)
                    .on_conflict(public_client_keys::fingerprint)
                    .do_update()
                    .set(public_client_keys::client_id.eq(&id))
                    .execute(pg),
                AnyConnection::Sqlite(sqlite) => diesel::insert_into(public_client_keys::table)
                    .values(row)
                    .on_conflict(public_client_keys::fingerprint)
                    .do_update()
                    .set(public_client_keys::client_id.eq(&id))
                    .execute(sqlite),
            }
        })?;
        Ok(())
    }

    /// Drops up to `batch` fingerprints whose client is gone; returns how many.
    pub fn purge_orphan_public_keys(&self, batch: i64) -> Result<usize, StoreError> {
        self.with_conn(|conn, _| {
            // NOT EXISTS, a lookup by primary key per fingerprint: Postgres
            // runs `<> ALL (subquery)` (diesel's `ne_all`) as a scan of the
            // clients per fingerprint, quadratic in the table's size.
            let orphans: Vec<String> = public_client_keys::table
                .filter(not(exists(oauth_clients::table.filter(
                    oauth_clients::client_id.eq(public_client_keys::client_id),
                ))))
                .select(public_client_keys::fingerprint)
                .limit(batch)
                .load(conn)?;
            if orphans.is_empty() {
                return Ok(0);
            }
            // Still orphans: a fingerprint remembered again since the select
            // names a live client and stays.
            diesel::delete(
                public_client_keys::table
                    .filter(public_client_keys::fingerprint.eq_any(&orphans))
                    .filter(not(exists(oauth_clients::table.filter(
                        oauth_clients::client_id.eq(public_client_keys::client_id),
                    )))),
            )
            .execute(conn)
        })
    }
}
