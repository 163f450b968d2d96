//! What an operator does to one client: show it, disable or enable it,
//! delete it, read its audit trail; and list clients. For a URL client id,
//! disabling and enabling are recorded like a registered client's (whether
//! or not its document can be fetched now), and its trail holds them.

use std::sync::Arc;

use dcr_core::cimd::DocumentUrl;
use dcr_core::{ClientId, Event, Occasion, RegisteredClient};
use dcr_store::{ClientPage, Store};

use super::{ClientRef, OperationError, missing};
use crate::admin::listing::ListRequest;
use crate::cimd::{UrlClient, UrlClients};
use crate::clock::unix_now;

/// Events on a page when the caller names no limit.
pub const DEFAULT_EVENTS: i64 = 100;
/// The most events on one page.
pub const MAX_EVENTS: i64 = 1000;

/// The registered client `client` names. A URL client id's document is not
/// stored: it is fetched (`show_url_client`).
pub fn show(store: &Store, client: &ClientRef) -> Result<RegisteredClient, OperationError> {
    match client {
        ClientRef::Registered { id, raw } => store
            .find_client(id)
            .map_err(|err| missing(err, || OperationError::NoSuchClient(raw.clone()))),
        ClientRef::Url(raw) => Err(OperationError::NoSuchClient(raw.clone())),
    }
}

/// A URL client as the server sees it now: its document, fetched through
/// `url_clients` as the verify call fetches it, and whether it is enabled
/// (`recorded_state`: [`url_client_active`], run the caller's way); or why it
/// is no client now (URL client ids off, a refused host, a document that
/// cannot be fetched or is no registration).
pub async fn show_url_client(
    url_clients: &UrlClients,
    raw: &str,
    recorded_state: impl AsyncFnOnce(DocumentUrl) -> Result<bool, OperationError>,
) -> Result<(Arc<UrlClient>, bool), OperationError> {
    let url = url_clients
        .parse(raw)
        .map_err(OperationError::NoUrlClient)?;
    let active = recorded_state(url.clone()).await?;
    let client = url_clients
        .lookup(&url)
        .await
        .map_err(OperationError::NoUrlClient)?;
    Ok((client, active))
}

/// Whether the URL client id `url` is enabled (it is until disabled).
pub fn url_client_active(store: &Store, url: &DocumentUrl) -> Result<bool, OperationError> {
    Ok(store.url_client_active(url.as_str())?)
}

/// A client after `set_active`.
#[derive(Debug)]
pub enum Activated {
    Registered(Box<RegisteredClient>),
    /// A URL client id, as it is recorded, and its state now.
    Url {
        url: DocumentUrl,
        active: bool,
    },
}

/// Disables (`active` false) or enables a client. A URL client id is
/// recorded as it is normalised; `allow_http_loopback` is the operator's
/// `DCR_CIMD_ALLOW_HTTP_LOOPBACK`.
pub fn set_active(
    store: &Store,
    client: &ClientRef,
    active: bool,
    allow_http_loopback: bool,
) -> Result<Activated, OperationError> {
    let by = Occasion::admin(unix_now());
    match client {
        ClientRef::Registered { id, raw } => {
            let no_such_client = || OperationError::NoSuchClient(raw.clone());
            store
                .set_active(id, active, &by)
                .map_err(|err| missing(err, no_such_client))?;
            let found = store
                .find_client(id)
                .map_err(|err| missing(err, no_such_client))?;
            Ok(Activated::Registered(Box::new(found)))
        }
        ClientRef::Url(raw) => {
            let url =
                DocumentUrl::parse(raw, allow_http_loopback).map_err(OperationError::NotAUrl)?;
            store.set_url_client_active(url.as_str(), active, &by)?;
            Ok(Activated::Url { url, active })
        }
    }
}

/// Deletes a registered client for good (its trail stays, until
/// `DCR_AUDIT_RETENTION_SECS`). Returns the id deleted.
pub fn delete(store: &Store, client: &ClientRef) -> Result<ClientId, OperationError> {
    let client_id = *client
        .registered("a URL client id is not stored, so it cannot be deleted: disable it instead")?;
    store
        .delete_client(&client_id, &Occasion::admin(unix_now()))
        .map_err(|err| missing(err, || OperationError::NoSuchClient(client.as_str().into())))?;
    Ok(client_id)
}

/// One page of a client's audit trail.
#[derive(Debug)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// The id of the page's last event when the page is full: where the
    /// next page starts.
    pub next_cursor: Option<i64>,
}

/// What happened to a client, oldest first, after the event `after`;
/// also after it was deleted. A registered client with no trail must at
/// least exist; a URL client id's trail may be empty (it is not stored).
pub fn events_page(
    store: &Store,
    client: &ClientRef,
    after: Option<i64>,
    limit: i64,
) -> Result<EventPage, OperationError> {
    let key = match client {
        ClientRef::Registered { id, .. } => id.to_string(),
        ClientRef::Url(raw) => raw.clone(),
    };
    let events = store.client_events(&key, after, limit)?;
    // No trail: a registered client must at least exist.
    if events.is_empty()
        && after.is_none()
        && let ClientRef::Registered { id, raw } = client
    {
        store
            .find_client(id)
            .map_err(|err| missing(err, || OperationError::NoSuchClient(raw.clone())))?;
    }
    let full_page = i64::try_from(events.len()).unwrap_or(i64::MAX) == limit;
    let next_cursor = full_page
        .then(|| events.last().map(|event| event.id))
        .flatten();
    Ok(EventPage {
        events,
        next_cursor,
    })
}

/// A page of clients, oldest first (see `listing` for the rules).
pub fn list(store: &Store, request: &ListRequest) -> Result<ClientPage, OperationError> {
    Ok(store.list_clients(&request.filter, request.limit, request.cursor.as_ref())?)
}
