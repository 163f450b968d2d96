//! Grouped reads for the verify call: the clients that concurrent verify
//! (and lookup) calls ask for while another batch is at the database are
//! read together, with one `SELECT ... WHERE client_id = ANY($1)`. One round
//! trip and one thread hand-off for the batch instead of one each, as the
//! writers do for registrations. The queue and its threads are
//! `batches.rs`'s.

use std::collections::HashMap;
use std::time::Instant;

use dcr_core::{ClientId, RegisteredClient};
use diesel::dsl::AsSelect;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Text};

use crate::AnyConnection;
use crate::batches::{BatchSizes, Batcher, Job, Purpose, QueueFull};
use crate::clients::ClientRow;
use crate::schema::oauth_clients;
use crate::{Store, StoreError};

/// The readers' queue.
#[derive(Debug, Clone)]
pub struct ClientReader {
    batcher: Batcher<ClientId, Option<RegisteredClient>>,
}

impl ClientReader {
    /// Starts `threads` reader threads that take from a queue of `capacity`.
    pub fn start(store: &Store, threads: usize, capacity: usize) -> Result<Self, StoreError> {
        let purpose = Purpose {
            thread: "dcr-reader",
            worker: "client reader",
            gave_up: "the client lookup waited in the read queue until its caller gave up",
        };
        Batcher::start(store, threads, capacity, read_batch, purpose)
            .map(|batcher| Self { batcher })
    }

    /// Queues a lookup of `client_id` for a caller that waits until
    /// `deadline`; `reply` hears the client (`None`: no client has the id),
    /// or `Unavailable` if no reader took it by then.
    pub fn find_by(
        &self,
        client_id: ClientId,
        deadline: Instant,
        reply: impl FnOnce(Result<Option<RegisteredClient>, StoreError>) + Send + 'static,
    ) -> Result<(), QueueFull> {
        self.batcher
            .submit(client_id, Some(deadline), Box::new(reply))
    }

    /// The sizes of the batches read so far.
    pub fn batch_sizes(&self) -> BatchSizes {
        self.batcher.batch_sizes()
    }
}

impl Store {
    /// The stored clients among `ids`, each by its id as stored. A row that
    /// does not read back is that client's error, not its neighbours'.
    fn find_clients(
        &self,
        ids: &[ClientId],
    ) -> Result<HashMap<String, Result<RegisteredClient, StoreError>>, StoreError> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows: Vec<ClientRow> = self.with_conn(|conn, _| match conn {
            AnyConnection::Postgresql(pg) => ClientsById::new(&ids).load(pg),
            AnyConnection::Sqlite(_) => oauth_clients::table
                .filter(oauth_clients::client_id.eq_any(&ids))
                .select(ClientRow::as_select())
                .load(conn),
        })?;
        Ok(rows
            .into_iter()
            .map(|row| (row.client_id.clone(), row.into_client()))
            .collect())
    }
}

/// `SELECT <a ClientRow's columns> FROM oauth_clients WHERE client_id =
/// ANY($1)`, as a query type with a static query id. The same query built
/// with Diesel's DSL has none (`eq_any`'s values may be any number of binds
/// on other backends), so every read built its SQL text anew just to find
/// its prepared statement: about a twentieth of a verify call's CPU. This
/// one is looked up by its type, and its text built once per connection.
struct ClientsById<'a> {
    columns: AsSelect<ClientRow, Pg>,
    ids: &'a [String],
}

impl<'a> ClientsById<'a> {
    fn new(ids: &'a [String]) -> Self {
        Self {
            columns: ClientRow::as_select(),
            ids,
        }
    }
}

impl QueryFragment<Pg> for ClientsById<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        self.columns.walk_ast(out.reborrow())?;
        out.push_sql(" FROM oauth_clients WHERE client_id = ANY(");
        out.push_bind_param::<Array<Text>, _>(self.ids)?;
        out.push_sql(")");
        Ok(())
    }
}

impl Query for ClientsById<'_> {
    type SqlType = AsSelect<ClientRow, Pg>;
}

impl QueryId for ClientsById<'_> {
    type QueryId = ClientsById<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl RunQueryDsl<diesel::PgConnection> for ClientsById<'_> {}

#[cfg(test)]
mod tests;

fn read_batch(store: &Store, batch: Vec<Job<ClientId, Option<RegisteredClient>>>) {
    let ids: Vec<ClientId> = batch.iter().map(|job| job.item).collect();
    match store.find_clients(&ids) {
        Ok(found) => {
            // A batch may ask for one client several times (a busy client's
            // token requests): each caller gets its own copy.
            for job in batch {
                let outcome = found.get(&job.item.to_string()).cloned().transpose();
                (job.reply)(outcome);
            }
        }
        Err(err) => {
            for job in batch {
                (job.reply)(Err(err.clone()));
            }
        }
    }
}
