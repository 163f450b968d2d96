//! Storing a batch of new clients with their `registered` events: the group
//! commit's one write.
//!
//! On Postgres the batch is one statement: a data-modifying CTE that inserts
//! the clients and, in the same statement, their events, from arrays bound
//! once (`unnest`). A single statement is atomic without BEGIN and COMMIT,
//! so the batch costs one round trip instead of four, and its text is the
//! same for every batch size: it is prepared once per connection and reused.
//! SQLite, in process, has no round trips to save: it keeps a transaction of
//! two multi-row INSERTs.

use dcr_core::{EventKind, RegisteredClient, TokenId};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

use crate::audit;
use crate::clients::ClientRow;
use crate::schema::oauth_clients;
use crate::{AnyConnection, Attempt, SYSTEM_USER_ID, Store, StoreError};

/// The batch as one statement. `registered` is executed whether or not the
/// outer INSERT reads it (Postgres runs every data-modifying WITH exactly
/// once), and a failure of either INSERT fails the statement: no client is
/// stored without its event, nor an event without its client. An event's
/// time and client are its client's `created_at` and `client_id`: the same
/// parameters ($10, $1), sent once.
const INSERT_BATCH: &str = "\
WITH registered AS (
    INSERT INTO oauth_clients (
        client_id, client_secret_hash, client_secret_expires_at, client_name,
        redirect_uris, scope, token_endpoint_auth_method, software_id, metadata,
        created_at, created_by, is_active, registration_token_digest, last_used_at,
        provenance, lifetime_from, client_secret_tag, previous_secret_hash,
        previous_secret_tag, previous_secret_expires_at)
    SELECT * FROM unnest(
        $1::text[], $2::text[], $3::int8[], $4::text[],
        $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
        $10::int8[], $11::text[], $12::bool[], $13::text[], $14::int8[],
        $15::text[], $16::int8[], $17::text[], $18::text[],
        $19::text[], $20::int8[])
)
INSERT INTO audit_events (at, event, client_id, token_id, actor)
SELECT event.at, $21, event.client_id, event.token_id, event.actor
FROM unnest($10::int8[], $1::text[], $22::text[], $23::text[])
    AS event (at, client_id, token_id, actor)";

impl Store {
    /// Stores a newly registered client, owned by the system user.
    pub fn insert_client(&self, client: &RegisteredClient) -> Result<(), StoreError> {
        self.insert_clients(&[client])
    }

    /// Stores several new clients, and their `registered` events, all or
    /// none.
    pub fn insert_clients(&self, clients: &[&RegisteredClient]) -> Result<(), StoreError> {
        self.insert_clients_from(clients, Attempt::First)
    }

    /// Stores a new client whose earlier write may have committed unseen:
    /// the write was sent, and the connection was lost (or the database
    /// became unreachable) before its outcome came back. Its `client_id` is
    /// random, so a row that already has it is that earlier write, events
    /// and all, and the client counts as stored.
    pub fn insert_client_again(&self, client: &RegisteredClient) -> Result<(), StoreError> {
        self.insert_clients_from(&[client], Attempt::Retry)
    }

    /// `first` is `Retry` when an attempt before this call may already
    /// have stored the clients.
    fn insert_clients_from(
        &self,
        clients: &[&RegisteredClient],
        first: Attempt,
    ) -> Result<(), StoreError> {
        let rows: Vec<ClientRow> = clients
            .iter()
            .map(|client| ClientRow::from_client(client, SYSTEM_USER_ID))
            .collect();
        self.with_conn(|conn, attempt| {
            let inserted = if let AnyConnection::Postgresql(pg) = conn {
                insert_batch(pg, &rows, clients)
            } else {
                conn.transaction(|conn| {
                    insert_rows(conn, &rows)?;
                    audit::record_registrations(conn, clients)
                })
            };
            match inserted {
                // The write is atomic and every client_id fresh: a duplicate
                // on the retry means the first attempt committed, events and
                // all.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) if attempt == Attempt::Retry || first == Attempt::Retry => Ok(()),
                result => result,
            }
        })
    }
}

/// The rows as one multi-row INSERT, built per backend: Diesel's
/// multi-backend connection has none.
fn insert_rows(conn: &mut AnyConnection, rows: &[ClientRow]) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(pg) => diesel::insert_into(oauth_clients::table)
            .values(rows)
            .execute(pg),
        AnyConnection::Sqlite(sqlite) => diesel::insert_into(oauth_clients::table)
            .values(rows)
            .execute(sqlite),
    }
    .map(drop)
}

fn insert_batch(
    pg: &mut diesel::PgConnection,
    rows: &[ClientRow],
    clients: &[&RegisteredClient],
) -> QueryResult<()> {
    // Borrowed: the arrays are sent from the rows as they are.
    let text = |take: fn(&ClientRow) -> &str| rows.iter().map(take).collect::<Vec<_>>();
    let optional = |take: fn(&ClientRow) -> Option<&str>| rows.iter().map(take).collect::<Vec<_>>();
    let number = |take: fn(&ClientRow) -> i64| rows.iter().map(take).collect::<Vec<_>>();
    let optional_number =
        |take: fn(&ClientRow) -> Option<i64>| rows.iter().map(take).collect::<Vec<_>>();
    diesel::sql_query(INSERT_BATCH)
        .bind::<Array<Text>, _>(text(|row| &row.client_id))
        .bind::<Array<Nullable<Text>>, _>(optional(|row| row.client_secret_hash.as_deref()))
        .bind::<Array<BigInt>, _>(number(|row| row.client_secret_expires_at))
        .bind::<Array<Nullable<Text>>, _>(optional(|row| row.client_name.as_deref()))
        .bind::<Array<Text>, _>(text(|row| &row.redirect_uris))
        .bind::<Array<Nullable<Text>>, _>(optional(|row| row.scope.as_deref()))
        .bind::<Array<Text>, _>(text(|row| &row.token_endpoint_auth_method))
        .bind::<Array<Nullable<Text>>, _>(optional(|row| row.software_id.as_deref()))
        .bind::<Array<Text>, _>(text(|row| &row.metadata))
        .bind::<Array<BigInt>, _>(number(|row| row.created_at))
        .bind::<Array<Text>, _>(text(|row| &row.created_by))
        .bind::<Array<Bool>, _>(rows.iter().map(|row| row.is_active).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(optional(|row| row.registration_token_digest.as_deref()))
        .bind::<Array<Nullable<BigInt>>, _>(optional_number(|row| row.last_used_at))
        .bind::<Array<Nullable<Text>>, _>(optional(|row| row.provenance.as_deref()))
        .bind::<Array<Nullable<BigInt>>, _>(optional_number(|row| row.lifetime_from))
        .bind::<Array<Nullable<Text>>, _>(optional(|row| row.client_secret_tag.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(optional(|row| row.previous_secret_hash.as_deref()))
        .bind::<Array<Nullable<Text>>, _>(optional(|row| row.previous_secret_tag.as_deref()))
        .bind::<Array<Nullable<BigInt>>, _>(optional_number(|row| row.previous_secret_expires_at))
        .bind::<Text, _>(EventKind::Registered.as_str())
        .bind::<Array<Nullable<Text>>, _>(
            clients
                .iter()
                .map(|c| c.provenance.token_id.as_ref().map(TokenId::as_str))
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(
            clients
                .iter()
                .map(|c| audit::registrant(c).to_stored())
                .collect::<Vec<_>>(),
        )
        .execute(pg)
        .map(drop)
}
