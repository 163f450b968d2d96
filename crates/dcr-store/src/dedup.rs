//! `DCR_DEDUP_PUBLIC`: finding the active public client that was registered
//! with the same metadata, by a fingerprint of that metadata.

use dcr_core::{ClientCredentials, ClientId, ClientMetadata, RegisteredClient};
use diesel::prelude::*;

use crate::schema::{oauth_clients, public_client_keys};
use crate::{Store, StoreError};

impl Store {
    /// The active public client last registered with `metadata` (whose
    /// fingerprint is `fingerprint`), if it still has exactly that metadata.
    pub fn find_public_duplicate(
        &self,
        fingerprint: &str,
        metadata: &ClientMetadata,
    ) -> Result<Option<RegisteredClient>, StoreError> {
        let client_id: Option<String> = self.with_conn(|conn, _| {
            public_client_keys::table
                .find(fingerprint)
                .select(public_client_keys::client_id)
                .first(conn)
                .optional()
        })?;
        let Some(client_id) = client_id.and_then(|id| ClientId::parse(&id).ok()) else {
            return Ok(None);
        };
        let client = match self.find_client(&client_id) {
            Ok(client) => client,
            Err(StoreError::NotFound) => return Ok(None),
            Err(err) => return Err(err),
        };
        let same = client.active
            && matches!(client.credentials, ClientCredentials::Public)
            && &client.metadata == metadata;
        Ok(same.then_some(client))
    }

    /// Remembers `client_id` as the public client registered with this
    /// fingerprint (replacing an earlier one).
    pub fn remember_public_client(
        &self,
        fingerprint: &str,
        client_id: &ClientId,
    ) -> Result<(), StoreError> {
        let id = client_id.to_string();
        self.with_conn(|conn, _| {
            conn.transaction(|conn| {
                let updated = diesel::update(public_client_keys::table.find(fingerprint))
                    .set(public_client_keys::client_id.eq(&id))
                    .execute(conn)?;
                if updated == 0 {
                    diesel::insert_into(public_client_keys::table)
                        .values((
                            public_client_keys::fingerprint.eq(fingerprint),
                            public_client_keys::client_id.eq(&id),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            })
        })
    }

    /// A public client answered again to a new registration starts its
    /// "never used" lifetime anew: the connector that asked will use it.
    pub fn restart_lifetime(&self, client_id: &ClientId, now: i64) -> Result<(), StoreError> {
        let id = client_id.to_string();
        self.with_conn(|conn, _| {
            diesel::update(oauth_clients::table.find(&id))
                .set(oauth_clients::lifetime_from.eq(Some(now)))
                .execute(conn)
        })?;
        Ok(())
    }

    /// Drops up to `batch` fingerprints whose client is gone; returns how many.
    pub fn purge_orphan_public_keys(&self, batch: i64) -> Result<usize, StoreError> {
        self.with_conn(|conn, _| {
            let orphans: Vec<String> = public_client_keys::table
                .filter(
                    public_client_keys::client_id
                        .ne_all(oauth_clients::table.select(oauth_clients::client_id)),
                )
                .select(public_client_keys::fingerprint)
                .limit(batch)
                .load(conn)?;
            if orphans.is_empty() {
                return Ok(0);
            }
            diesel::delete(
                public_client_keys::table.filter(public_client_keys::fingerprint.eq_any(&orphans)),
            )
            .execute(conn)
        })
    }
}
