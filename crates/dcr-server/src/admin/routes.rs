//! The admin listener's API: what must never face the internet. Operators
//! list and manage clients; the token endpoint checks a client's credentials.
//! Every request here has passed `admin_guard` (the bearer token, or the
//! loopback rules without one): no handler checks it again. The token
//! endpoint's calls are in `verify` (credentials, uses) and `lookup` (the
//! authorization endpoint's question).

use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::{ClientId, RegisteredClient};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::admin::listing::{ListQuery, ListRequest, ListingError, Status};
use crate::admin::url_clients;
use crate::cimd::UrlClients;
use crate::clock::unix_now;
use crate::http::error::ApiError;

use crate::admin::views::{self, admin_view, event_view};
use crate::http::no_store;
use crate::state::AppState;
use crate::state::with_store;

mod lookup;
mod verify;

pub use lookup::lookup;
pub use verify::{used, used_by_body, verify, verify_by_body};

/// The admin API's listing query (see `listing` for its rules).
#[derive(Debug, Deserialize)]
struct ListParams {
    limit: Option<usize>,
    cursor: Option<String>,
    name: Option<String>,
    software_id: Option<String>,
    redirect_host: Option<String>,
    status: Option<String>,
}

/// `GET /admin/clients`: oldest first, with a cursor for the next page.
pub async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // Read here rather than by the `web::Query` extractor, whose rejection
    // is plain text, not the JSON error every answer here is.
    let params = web::Query::<ListParams>::from_query(request.query_string())
        .map_err(|_| {
            ApiError::InvalidRequest(
                "the query string does not parse: limit must be a whole number from 1 to 1000",
            )
        })?
        .into_inner();
    let status = params
        .status
        .as_deref()
        .map(Status::parse)
        .transpose()
        .map_err(listing_error)?
        .unwrap_or_default();
    let ListRequest {
        filter,
        limit,
        cursor,
    } = ListQuery {
        name: params.name,
        software_id: params.software_id,
        redirect_host: params.redirect_host,
        status,
        limit: params.limit,
        cursor: params.cursor,
    }
    .check()
    .map_err(listing_error)?;
    let page = with_store(&state, move |store| {
        store.list_clients(&filter, limit, cursor.as_ref())
    })
    .await?;
    let clients: Vec<Value> = page
        .clients
        .iter()
        .map(|client| Value::Object(admin_view(client)))
        .collect();
    Ok(no_store(HttpResponse::Ok()).json(json!({
        "clients": clients,
        "next_cursor": page.next.map(|cursor| cursor.to_string()),
    })))
}

/// `GET /admin/clients/{client_id}`.
pub async fn show(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if UrlClients::looks_like_url(&path) {
        return url_clients::show(&state, &path).await;
    }
    let client = find(&state, &path).await?;
    Ok(no_store(HttpResponse::Ok()).json(client_view(&state, &client)))
}

/// A registered client as the admin API shows one: with its consent
/// signals.
fn client_view(state: &AppState, client: &RegisteredClient) -> Map<String, Value> {
    views::client_view(client, &state.consent.known_clients, unix_now())
}

/// `POST /admin/clients/{client_id}/disable`: the client stops passing
/// credential checks until it is enabled again.
pub async fn disable(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    set_active(path, state, false).await
}

/// `POST /admin/clients/{client_id}/enable`.
pub async fn enable(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    set_active(path, state, true).await
}

async fn set_active(
    path: web::Path<String>,
    state: web::Data<AppState>,
    active: bool,
) -> Result<HttpResponse, ApiError> {
    if UrlClients::looks_like_url(&path) {
        return url_clients::set_active(&state, &path, active).await;
    }
    let client_id = parse_id(&path)?;
    let client = with_store(&state, move |store| {
        store.set_active(&client_id, active, &dcr_core::Occasion::admin(unix_now()))?;
        store.find_client(&client_id)
    })
    .await
    .map_err(not_found_is_404)?;
    Ok(no_store(HttpResponse::Ok()).json(client_view(&state, &client)))
}

/// `DELETE /admin/clients/{client_id}`.
pub async fn delete(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if UrlClients::looks_like_url(&path) {
        return Err(ApiError::InvalidRequest(
            "a URL client id is not stored, so it cannot be deleted: disable it instead",
        ));
    }
    let client_id = parse_id(&path)?;
    with_store(&state, move |store| {
        store.delete_client(&client_id, &dcr_core::Occasion::admin(unix_now()))
    })
    .await
    .map_err(not_found_is_404)?;
    Ok(no_store(HttpResponse::NoContent()).finish())
}

#[derive(Debug, Deserialize)]
struct EventParams {
    limit: Option<i64>,
    cursor: Option<String>,
}

const DEFAULT_EVENTS: i64 = 100;
const MAX_EVENTS: i64 = 1000;

/// `GET /admin/clients/{client_id}/events`: what happened to a client, oldest
/// first, also after it was deleted (until `DCR_AUDIT_RETENTION_SECS`).
pub async fn events(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    const BAD_QUERY: &str = "the query string does not parse: limit must be a whole number from 1 to 1000, and cursor the next_cursor of a previous page";
    let params = web::Query::<EventParams>::from_query(request.query_string())
        .map_err(|_| ApiError::InvalidRequest(BAD_QUERY))?
        .into_inner();
    let limit = params.limit.unwrap_or(DEFAULT_EVENTS);
    if !(1..=MAX_EVENTS).contains(&limit) {
        return Err(ApiError::InvalidRequest(BAD_QUERY));
    }
    let after = params
        .cursor
        .map(|cursor| cursor.parse::<i64>())
        .transpose()
        .map_err(|_| ApiError::InvalidRequest(BAD_QUERY))?;
    // A URL client id's trail holds its disabling and enabling.
    let (key, client_id) = if UrlClients::looks_like_url(&path) {
        (path.into_inner(), None)
    } else {
        let client_id = parse_id(&path)?;
        (client_id.to_string(), Some(client_id))
    };
    let (events, exists) = with_store(&state, move |store| {
        let events = store.client_events(&key, after, limit)?;
        let registered = |client_id: &ClientId| {
            store
                .find_client(client_id)
                .map(|_| true)
                .or_else(|err| match err {
                    dcr_store::StoreError::NotFound => Ok(false),
                    other => Err(other),
                })
        };
        let exists = !events.is_empty()
            || after.is_some()
            || client_id.as_ref().map_or(Ok(true), registered)?;
        Ok((events, exists))
    })
    .await?;
    if !exists {
        return Err(ApiError::ClientNotFound);
    }
    let full_page = i64::try_from(events.len()).unwrap_or(i64::MAX) == limit;
    let next_cursor = full_page
        .then(|| events.last().map(|event| event.id.to_string()))
        .flatten();
    let views: Vec<Value> = events.iter().map(event_view).collect();
    Ok(no_store(HttpResponse::Ok()).json(json!({
        "events": views,
        "next_cursor": next_cursor,
    })))
}

pub(super) async fn find(
    state: &AppState,
    raw_client_id: &str,
) -> Result<RegisteredClient, ApiError> {
    let client_id = parse_id(raw_client_id)?;
    with_store(state, move |store| store.find_client(&client_id))
        .await
        .map_err(not_found_is_404)
}

fn listing_error(err: ListingError) -> ApiError {
    ApiError::InvalidRequest(err.message())
}

fn parse_id(raw: &str) -> Result<ClientId, ApiError> {
    ClientId::parse(raw).map_err(|_| ApiError::ClientNotFound)
}

pub(super) fn not_found_is_404(err: ApiError) -> ApiError {
    match err {
        ApiError::NoSuchRow => ApiError::ClientNotFound,
        other => other,
    }
}
