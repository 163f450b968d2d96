//! The queries on one client (or a batch of new ones): each statement, with
//! the compare-and-swap guards RFC 7592 needs, beside the types it takes.

use dcr_core::{
    ClientCredentials, ClientId, EventKind, Occasion, RegisteredClient, SecretHash, SecretTag,
    TokenDigest,
};
use diesel::prelude::*;

use crate::audit::{self, Subject};
use crate::clients::{ClientRow, stored_secret};
use crate::schema::oauth_clients;
use crate::{Attempt, SYSTEM_USER_ID, Store, StoreError};

impl Store {
    /// Stores imported clients in one transaction, skipping every client_id
    /// already stored (so an import run twice changes nothing), each with an
    /// `imported` event and its lifetime starting at `imported_at`. Returns
    /// the client_ids stored and those skipped as present.
    pub fn import_clients(
        &self,
        clients: &[RegisteredClient],
        imported_at: i64,
    ) -> Result<(Vec<ClientId>, Vec<ClientId>), StoreError> {
        self.with_conn(|conn, _| {
            conn.transaction(|conn| {
                let mut stored = Vec::new();
                let mut skipped = Vec::new();
                // In chunks, for the bound on statement parameters; all in
                // the one transaction.
                for chunk in clients.chunks(500) {
                    let ids: Vec<String> = chunk.iter().map(|c| c.client_id.to_string()).collect();
                    let present: Vec<String> = oauth_clients::table
                        .filter(oauth_clients::client_id.eq_any(&ids))
                        .select(oauth_clients::client_id)
                        .load(conn)?;
                    let (old, new): (Vec<&RegisteredClient>, Vec<&RegisteredClient>) = chunk
                        .iter()
                        .partition(|client| present.contains(&client.client_id.to_string()));
                    for client in &new {
                        let row = ClientRow::from_client(client, SYSTEM_USER_ID)
                            .with_lifetime_from(imported_at);
                        diesel::insert_into(oauth_clients::table)
                            .values(&row)
                            .execute(conn)?;
                    }
                    audit::record_arrivals(conn, &new, EventKind::Imported, Some(imported_at))?;
                    stored.extend(new.iter().map(|client| client.client_id));
                    skipped.extend(old.iter().map(|client| client.client_id));
                }
                Ok((stored, skipped))
            })
        })
    }

    pub fn find_client(&self, client_id: &ClientId) -> Result<RegisteredClient, StoreError> {
        let id = client_id.to_string();
        let row: ClientRow = self.with_conn(|conn, _| {
            oauth_clients::table
                .find(&id)
                .select(ClientRow::as_select())
                .first(conn)
        })?;
        row.into_client()
    }

    /// Stores an RFC 7592 update, but only if the client still holds the
    /// registration access token the update was authorized with: of two
    /// concurrent updates with one token, exactly one wins. `NotFound` when
    /// the client is gone, its token has changed or it was disabled meanwhile
    /// (a disabled client's token manages nothing).
    ///
    /// An update that keeps the client's secret leaves the secret columns
    /// alone, so a secret rotated by an operator meanwhile is not overwritten
    /// with the one the update started from.
    pub fn replace_client(
        &self,
        updated: &RegisteredClient,
        authorized_by: &TokenDigest,
        secret: SecretChange,
        by: &Occasion,
    ) -> Result<(), StoreError> {
        let row = ClientRow::from_client(updated, SYSTEM_USER_ID);
        let id = updated.client_id.to_string();
        let expected = authorized_by.to_stored();
        let changed = self.with_conn(|conn, attempt| {
            conn.transaction(|conn| {
                let target = oauth_clients::table
                    .filter(oauth_clients::client_id.eq(&id))
                    .filter(oauth_clients::registration_token_digest.eq(&expected))
                    .filter(oauth_clients::is_active.eq(true));
                let changed = match secret {
                    SecretChange::Keep => diesel::update(target)
                        .set(row.metadata_changes())
                        .execute(conn)?,
                    SecretChange::Replace => diesel::update(target)
                        .set((row.metadata_changes(), row.secret_changes()))
                        .execute(conn)?,
                };
                // A retry after a lost connection finds the new token in
                // place when the first attempt committed (with its event).
                if changed == 0 && attempt == Attempt::Retry {
                    return oauth_clients::table
                        .filter(oauth_clients::client_id.eq(&id))
                        .filter(oauth_clients::registration_token_digest.eq(row.token_digest()))
                        .count()
                        .get_result::<i64>(conn)
                        .map(|found| usize::try_from(found).unwrap_or(0));
                }
                if changed > 0 {
                    audit::record(conn, EventKind::Updated, Subject::Client(&id), by)?;
                }
                Ok(changed)
            })
        })?;
        found_one(changed)
    }

    /// Removes a client for good, but only if it still holds the registration
    /// access token the deletion was authorized with (RFC 7592 section 2.3):
    /// a token rotated meanwhile by an update, or held by a client disabled
    /// meanwhile, no longer deletes anything. `NotFound` when the client is
    /// gone, its token has changed or it is disabled.
    pub fn delete_client_authorized(
        &self,
        client_id: &ClientId,
        authorized_by: &TokenDigest,
        by: &Occasion,
    ) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let expected = authorized_by.to_stored();
        let deleted = self.with_conn(|conn, _| {
            conn.transaction(|conn| {
                let deleted = diesel::delete(
                    oauth_clients::table
                        .filter(oauth_clients::client_id.eq(&id))
                        .filter(oauth_clients::registration_token_digest.eq(&expected))
                        .filter(oauth_clients::is_active.eq(true)),
                )
                .execute(conn)?;
                if deleted > 0 {
                    audit::record(conn, EventKind::Deleted, Subject::Client(&id), by)?;
                }
                Ok(deleted)
            })
        })?;
        found_one(deleted)
    }

    /// Removes a client for good. `NotFound` when there is none.
    pub fn delete_client(&self, client_id: &ClientId, by: &Occasion) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let deleted = self.with_conn(|conn, _| {
            conn.transaction(|conn| {
                let deleted = diesel::delete(oauth_clients::table.find(&id)).execute(conn)?;
                if deleted > 0 {
                    audit::record(conn, EventKind::Deleted, Subject::Client(&id), by)?;
                }
                Ok(deleted)
            })
        })?;
        found_one(deleted)
    }

    /// Enables or disables a client. `NotFound` when there is none. Only a
    /// change of state is recorded: disabling a disabled client is not an
    /// event.
    pub fn set_active(
        &self,
        client_id: &ClientId,
        active: bool,
        by: &Occasion,
    ) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let found = self.with_conn(|conn, _| {
            conn.transaction(|conn| {
                let changed = diesel::update(
                    oauth_clients::table
                        .find(&id)
                        .filter(oauth_clients::is_active.eq(!active)),
                )
                .set(oauth_clients::is_active.eq(active))
                .execute(conn)?;
                if changed > 0 {
                    let kind = if active {
                        EventKind::Enabled
                    } else {
                        EventKind::Disabled
                    };
                    audit::record(conn, kind, Subject::Client(&id), by)?;
                    return Ok(1);
                }
                oauth_clients::table
                    .find(&id)
                    .count()
                    .get_result::<i64>(conn)
            })
        })?;
        found_one(usize::try_from(found).unwrap_or(0))
    }

    /// Stores a rotated secret, but only if the client still has the secret
    /// `replaces` that the rotation started from: of two concurrent
    /// rotations exactly one wins, and the other's secret, never stored, is
    /// never shown as if it worked. `Conflict` when the secret changed
    /// meanwhile (another rotation, an update that replaced it);
    /// `NotFound` when the client is gone or has no secret any more.
    pub fn rotate_secret(
        &self,
        client_id: &ClientId,
        replaces: &SecretHash,
        credentials: &ClientCredentials,
        by: &Occasion,
    ) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let secret = stored_secret(credentials);
        let new_hash = secret.hash.clone();
        let changes = secret.changes();
        let expected = replaces.as_stored();
        self.with_conn(|conn, attempt| {
            conn.transaction(|conn| {
                let changed = diesel::update(
                    oauth_clients::table
                        .find(&id)
                        .filter(oauth_clients::client_secret_hash.eq(expected)),
                )
                .set(changes.clone())
                .execute(conn)?;
                if changed > 0 {
                    audit::record(conn, EventKind::SecretRotated, Subject::Client(&id), by)?;
                    return Ok(Ok(()));
                }
                let now_stored: Option<Option<String>> = oauth_clients::table
                    .find(&id)
                    .select(oauth_clients::client_secret_hash)
                    .first(conn)
                    .optional()?;
                Ok(match now_stored {
                    // A retry after a lost connection finds the new secret
                    // in place when the first attempt committed (with its
                    // event): a fresh salt makes the hash unique.
                    Some(Some(hash))
                        if attempt == Attempt::Retry && Some(&hash) == new_hash.as_ref() =>
                    {
                        Ok(())
                    }
                    Some(Some(_)) => Err(StoreError::Conflict(
                        format!("the secret of client {id} was replaced during its rotation")
                            .into(),
                    )),
                    Some(None) | None => Err(StoreError::NotFound),
                })
            })
        })?
    }

    /// Stores new credentials (a rotated secret). `NotFound` when there is no
    /// such client, or when it no longer has a secret (an update made it
    /// public meanwhile).
    pub fn replace_credentials(
        &self,
        client_id: &ClientId,
        credentials: &ClientCredentials,
        by: &Occasion,
    ) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let changes = stored_secret(credentials).changes();
        let changed = self.with_conn(|conn, _| {
            conn.transaction(|conn| {
                // Only a client that still has a secret gets a new one: an
                // update that just made it public must not be undone.
                let changed = diesel::update(
                    oauth_clients::table
                        .find(&id)
                        .filter(oauth_clients::client_secret_hash.is_not_null()),
                )
                .set(changes.clone())
                .execute(conn)?;
                if changed > 0 {
                    audit::record(conn, EventKind::SecretRotated, Subject::Client(&id), by)?;
                }
                Ok(changed)
            })
        })?;
        found_one(changed)
    }

    /// Stores the tag of a secret the verify call confirmed against `hash`
    /// (a client registered before tags), if the client still has that
    /// hash: a secret rotated meanwhile keeps the tag its rotation wrote.
    pub fn fill_secret_tag(
        &self,
        client_id: &ClientId,
        hash: &SecretHash,
        tag: &SecretTag,
    ) -> Result<(), StoreError> {
        let id = client_id.to_string();
        let (hash, tag) = (hash.as_stored(), tag.to_stored());
        self.with_conn(|conn, _| {
            diesel::update(
                oauth_clients::table
                    .find(&id)
                    .filter(oauth_clients::client_secret_hash.eq(hash)),
            )
            .set(oauth_clients::client_secret_tag.eq(Some(&tag)))
            .execute(conn)
        })?;
        Ok(())
    }

    /// Records a successful credential check.
    pub fn touch_last_used(&self, client_id: &ClientId, now: i64) -> Result<(), StoreError> {
        let id = client_id.to_string();
        self.with_conn(|conn, _| {
            diesel::update(oauth_clients::table.find(&id))
                .set(oauth_clients::last_used_at.eq(Some(now)))
                .execute(conn)
        })?;
        Ok(())
    }

    /// The number of stored clients.
    pub fn count_clients(&self) -> Result<i64, StoreError> {
        self.with_conn(|conn, _| oauth_clients::table.count().get_result(conn))
    }

    /// The number of active and of disabled clients, in one statement.
    pub fn count_clients_by_state(&self) -> Result<ClientCounts, StoreError> {
        let rows: Vec<(bool, i64)> = self.with_conn(|conn, _| {
            oauth_clients::table
                .group_by(oauth_clients::is_active)
                .select((oauth_clients::is_active, diesel::dsl::count_star()))
                .load(conn)
        })?;
        let mut counts = ClientCounts::default();
        for (active, count) in rows {
            if active {
                counts.active = count;
            } else {
                counts.disabled = count;
            }
        }
        Ok(counts)
    }
}

/// A statement aimed at one client by its key: none touched means there is
/// no such client (or, for guarded statements, it no longer matches).
fn found_one(rows: usize) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Stored clients by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientCounts {
    pub active: i64,
    pub disabled: i64,
}

/// Whether an update writes the secret columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretChange {
    /// The client keeps its current secret (or stays without one).
    Keep,
    /// The update issues a secret or removes it.
    Replace,
}
