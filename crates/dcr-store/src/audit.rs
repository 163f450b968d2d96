//! The audit trail: one row per change to a client or an initial access
//! token, written by the statement's own transaction (see the callers), read
//! per client, and dropped after the retention period.

use dcr_core::{Actor, Event, EventKind, Occasion, RegisteredClient, RegisteredVia, TokenId};
use diesel::prelude::*;

use crate::schema::audit_events;
use crate::{AnyConnection, Store, StoreError};

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewEvent<'a> {
    at: i64,
    event: &'static str,
    client_id: Option<&'a str>,
    token_id: Option<&'a str>,
    actor: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct EventRow {
    id: i64,
    at: i64,
    event: String,
    client_id: Option<String>,
    token_id: Option<String>,
    actor: String,
}

/// What an event is about.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    Client(&'a str),
    Token(&'a str),
}

/// Records one event on `conn`, inside the caller's transaction.
pub(crate) fn record(
    conn: &mut AnyConnection,
    kind: EventKind,
    subject: Subject<'_>,
    by: &Occasion,
) -> QueryResult<()> {
    record_all(conn, kind, &[subject], by.actor.clone(), |_| by.at)
}

/// Records one event per subject (one statement), inside the caller's
/// transaction; `at` gives each subject's time.
pub(crate) fn record_all(
    conn: &mut AnyConnection,
    kind: EventKind,
    subjects: &[Subject<'_>],
    actor: Actor,
    at: impl Fn(usize) -> i64,
) -> QueryResult<()> {
    let actor = actor.to_stored();
    let rows: Vec<NewEvent<'_>> = subjects
        .iter()
        .enumerate()
        .map(|(index, subject)| {
            let (client_id, token_id) = match *subject {
                Subject::Client(client_id) => (Some(client_id), None),
                Subject::Token(token_id) => (None, Some(token_id)),
            };
            NewEvent {
                at: at(index),
                event: kind.as_str(),
                client_id,
                token_id,
                actor: actor.clone(),
            }
        })
        .collect();
    insert_events(conn, &rows)
}

/// Registrations: each client's own address, token and time (one
/// statement).
pub(crate) fn record_registrations(
    conn: &mut AnyConnection,
    clients: &[&RegisteredClient],
) -> QueryResult<()> {
    record_arrivals(conn, clients, EventKind::Registered, None)
}

/// One event per new client (one statement): `kind` at each client's
/// registration, or at `at` when given.
pub(crate) fn record_arrivals(
    conn: &mut AnyConnection,
    clients: &[&RegisteredClient],
    kind: EventKind,
    at: Option<i64>,
) -> QueryResult<()> {
    let ids: Vec<String> = clients.iter().map(|c| c.client_id.to_string()).collect();
    let rows: Vec<NewEvent<'_>> = clients
        .iter()
        .zip(&ids)
        .map(|(client, client_id)| NewEvent {
            at: at.unwrap_or(client.issued_at),
            event: kind.as_str(),
            client_id: Some(client_id),
            token_id: client.provenance.token_id.as_ref().map(TokenId::as_str),
            actor: registrant(client).to_stored(),
        })
        .collect();
    insert_events(conn, &rows)
}

/// Who registered a client, by its provenance.
pub(crate) fn registrant(client: &RegisteredClient) -> Actor {
    match client.provenance.via {
        RegisteredVia::Admin | RegisteredVia::Imported => Actor::Admin,
        RegisteredVia::Open | RegisteredVia::Token => {
            Actor::Client(client.provenance.address.clone())
        }
    }
}

fn insert_events(conn: &mut AnyConnection, rows: &[NewEvent<'_>]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    // As for clients: the multi-backend connection has no multi-row INSERT.
    match conn {
        AnyConnection::Postgresql(pg) => diesel::insert_into(audit_events::table)
            .values(rows)
            .execute(pg),
        AnyConnection::Sqlite(sqlite) => diesel::insert_into(audit_events::table)
            .values(rows)
            .execute(sqlite),
    }
    .map(drop)
}

impl Store {
    /// A client's events in the order they were recorded, `limit` at most,
    /// after the event with id `after` (the cursor of the previous page).
    /// The events of a deleted client are kept until the retention ends.
    pub fn client_events(
        &self,
        client_id: &str,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<EventRow> = self.with_conn(|conn, _| {
            audit_events::table
                .filter(audit_events::client_id.eq(client_id))
                .filter(audit_events::id.gt(after.unwrap_or(i64::MIN)))
                .order(audit_events::id)
                .limit(limit)
                .select(EventRow::as_select())
                .load(conn)
        })?;
        rows.into_iter().map(EventRow::into_event).collect()
    }

    /// Removes up to `batch` events recorded before `before`, oldest first,
    /// and returns how many.
    pub fn purge_events(&self, before: i64, batch: i64) -> Result<usize, StoreError> {
        self.with_conn(|conn, _| {
            let ids: Vec<i64> = audit_events::table
                .filter(audit_events::at.lt(before))
                .order(audit_events::id)
                .select(audit_events::id)
                .limit(batch)
                .load(conn)?;
            if ids.is_empty() {
                return Ok(0);
            }
            diesel::delete(audit_events::table.filter(audit_events::id.eq_any(&ids))).execute(conn)
        })
    }
}

impl EventRow {
    fn into_event(self) -> Result<Event, StoreError> {
        let kind = EventKind::parse(&self.event).ok_or_else(|| {
            StoreError::Other(format!("audit event {} has a corrupt kind", self.id).into())
        })?;
        Ok(Event {
            id: self.id,
            kind,
            at: self.at,
            actor: Actor::from_stored(&self.actor),
            client_id: self.client_id,
            token_id: self.token_id,
        })
    }
}
