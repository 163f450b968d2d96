//! Storing a batch of new clients with their `registered` events: the group
//! commit's one write.
//!
//! On Postgres the batch is one statement: a data-modifying CTE that inserts
//! the clients and, in the same statement, their events, from arrays bound
//! once (`unnest`). A single statement is atomic without BEGIN and COMMIT,
//! so the batch costs one round trip instead of four, and its text is the
//! same for every batch size: it is prepared once per connection and reused
//! (`InsertBatch`).
//! SQLite, in process, has no round trips to save: it keeps a transaction of
//! two multi-row INSERTs.

use dcr_core::{EventKind, RegisteredClient, TokenId};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

use crate::audit;
use crate::clients::ClientRow;
use crate::schema::oauth_clients;
use crate::{AnyConnection, Attempt, SYSTEM_USER_ID, Store, StoreError};

/// The columns the batch statement fills, in the order of its arrays.
const CLIENT_COLUMNS: &str = "\
    client_id, client_secret_hash, client_secret_expires_at, client_name,
    redirect_uris, scope, token_endpoint_auth_method, software_id, metadata,
    created_at, created_by, is_active, registration_token_digest, last_used_at,
    provenance, lifetime_from, client_secret_tag, previous_secret_hash,
    previous_secret_tag, previous_secret_expires_at";

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
    InsertBatch::new(rows, clients).execute(pg).map(drop)
}

/// The batch statement with its arrays, borrowed from the rows as they are.
/// A query type of its own rather than `sql_query`, whose statements Diesel
/// never caches (it cannot know their text is fixed): each batch would be
/// parsed and planned again. This type has a static query id and the same
/// text for every batch size, so Diesel prepares it once per connection.
struct InsertBatch<'a> {
    client_id: Vec<&'a str>,
    client_secret_hash: Vec<Option<&'a str>>,
    client_secret_expires_at: Vec<i64>,
    client_name: Vec<Option<&'a str>>,
    redirect_uris: Vec<&'a str>,
    scope: Vec<Option<&'a str>>,
    token_endpoint_auth_method: Vec<&'a str>,
    software_id: Vec<Option<&'a str>>,
    metadata: Vec<&'a str>,
    created_at: Vec<i64>,
    created_by: Vec<&'a str>,
    is_active: Vec<bool>,
    registration_token_digest: Vec<Option<&'a str>>,
    last_used_at: Vec<Option<i64>>,
    provenance: Vec<Option<&'a str>>,
    lifetime_from: Vec<Option<i64>>,
    client_secret_tag: Vec<Option<&'a str>>,
    previous_secret_hash: Vec<Option<&'a str>>,
    previous_secret_tag: Vec<Option<&'a str>>,
    previous_secret_expires_at: Vec<Option<i64>>,
    event_token_id: Vec<Option<&'a str>>,
    event_actor: Vec<String>,
}

impl<'a> InsertBatch<'a> {
    fn new(rows: &'a [ClientRow], clients: &[&'a RegisteredClient]) -> Self {
        fn column<'a, T>(rows: &'a [ClientRow], take: impl Fn(&'a ClientRow) -> T) -> Vec<T> {
            rows.iter().map(take).collect()
        }
        Self {
            client_id: column(rows, |row| row.client_id.as_str()),
            client_secret_hash: column(rows, |row| row.client_secret_hash.as_deref()),
            client_secret_expires_at: column(rows, |row| row.client_secret_expires_at),
            client_name: column(rows, |row| row.client_name.as_deref()),
            redirect_uris: column(rows, |row| row.redirect_uris.as_str()),
            scope: column(rows, |row| row.scope.as_deref()),
            token_endpoint_auth_method: column(rows, |row| row.token_endpoint_auth_method.as_str()),
            software_id: column(rows, |row| row.software_id.as_deref()),
            metadata: column(rows, |row| row.metadata.as_str()),
            created_at: column(rows, |row| row.created_at),
            created_by: column(rows, |row| row.created_by.as_str()),
            is_active: column(rows, |row| row.is_active),
            registration_token_digest: column(rows, |row| row.registration_token_digest.as_deref()),
            last_used_at: column(rows, |row| row.last_used_at),
            provenance: column(rows, |row| row.provenance.as_deref()),
            lifetime_from: column(rows, |row| row.lifetime_from),
            client_secret_tag: column(rows, |row| row.client_secret_tag.as_deref()),
            previous_secret_hash: column(rows, |row| row.previous_secret_hash.as_deref()),
            previous_secret_tag: column(rows, |row| row.previous_secret_tag.as_deref()),
            previous_secret_expires_at: column(rows, |row| row.previous_secret_expires_at),
            event_token_id: clients
                .iter()
                .map(|client| client.provenance.token_id.as_ref().map(TokenId::as_str))
                .collect(),
            event_actor: clients
                .iter()
                .map(|client| audit::registrant(client).to_stored())
                .collect(),
        }
    }
}

/// Binds each value in turn, separated by commas.
macro_rules! bind_each {
    ($out:ident; $($sql_type:ty => $value:expr),+ $(,)?) => {{
        let mut first = true;
        $(
            if !std::mem::take(&mut first) {
                $out.push_sql(", ");
            }
            $out.push_bind_param::<$sql_type, _>($value)?;
        )+
    }};
}

/// The batch as one statement. `registered` is executed whether or not the
/// outer INSERT reads it (Postgres runs every data-modifying WITH exactly
/// once), and a failure of either INSERT fails the statement: no client is
/// stored without its event, nor an event without its client. An event's
/// time and client are its client's `created_at` and `client_id`, bound a
/// second time for the events' `unnest` (Diesel numbers each bound value
/// once).
impl QueryFragment<Pg> for InsertBatch<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH registered AS (INSERT INTO oauth_clients (");
        out.push_sql(CLIENT_COLUMNS);
        out.push_sql(") SELECT * FROM unnest(");
        bind_each!(out;
            Array<Text> => &self.client_id,
            Array<Nullable<Text>> => &self.client_secret_hash,
            Array<BigInt> => &self.client_secret_expires_at,
            Array<Nullable<Text>> => &self.client_name,
            Array<Text> => &self.redirect_uris,
            Array<Nullable<Text>> => &self.scope,
            Array<Text> => &self.token_endpoint_auth_method,
            Array<Nullable<Text>> => &self.software_id,
            Array<Text> => &self.metadata,
            Array<BigInt> => &self.created_at,
            Array<Text> => &self.created_by,
            Array<Bool> => &self.is_active,
            Array<Nullable<Text>> => &self.registration_token_digest,
            Array<Nullable<BigInt>> => &self.last_used_at,
            Array<Nullable<Text>> => &self.provenance,
            Array<Nullable<BigInt>> => &self.lifetime_from,
            Array<Nullable<Text>> => &self.client_secret_tag,
            Array<Nullable<Text>> => &self.previous_secret_hash,
            Array<Nullable<Text>> => &self.previous_secret_tag,
            Array<Nullable<BigInt>> => &self.previous_secret_expires_at,
        );
        out.push_sql(
            ")) INSERT INTO audit_events (at, event, client_id, token_id, actor) \
             SELECT event.at, ",
        );
        out.push_bind_param::<Text, _>(EventKind::Registered.as_str())?;
        out.push_sql(", event.client_id, event.token_id, event.actor FROM unnest(");
        bind_each!(out;
            Array<BigInt> => &self.created_at,
            Array<Text> => &self.client_id,
            Array<Nullable<Text>> => &self.event_token_id,
            Array<Text> => &self.event_actor,
        );
        out.push_sql(") AS event (at, client_id, token_id, actor)");
        Ok(())
    }
}

impl QueryId for InsertBatch<'_> {
    type QueryId = InsertBatch<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl RunQueryDsl<diesel::PgConnection> for InsertBatch<'_> {}

#[cfg(test)]
pub(crate) mod tests;
