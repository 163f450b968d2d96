//! The admin listener's API: what must never face the internet. Operators
//! list and manage clients; the token endpoint checks a client's credentials.
//! Every request here has passed `admin_guard` (the bearer token, or the
//! loopback rules without one): no handler checks it again. The token
//! endpoint's calls are in `verify` (credentials, uses) and `lookup` (the
//! authorization endpoint's question).

use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::RegisteredClient;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::admin::listing::{ListQuery, ListingError, Status};
use crate::admin::operations::clients::{self, Activated, DEFAULT_EVENTS, MAX_EVENTS};
use crate::admin::operations::{ClientRef, on_store};
use crate::admin::views::{
    self, admin_view, event_view, url_admin_view, url_consent_view, url_state_view,
};
use crate::clock::unix_now;
use crate::http::error::ApiError;
use crate::http::no_store;
use crate::state::AppState;

mod cimd_check;
mod lookup;
mod validate;
mod verify;

pub use cimd_check::cimd_check;
pub use lookup::lookup;
pub use validate::validate;
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
    let asked = ListQuery {
        name: params.name,
        software_id: params.software_id,
        redirect_host: params.redirect_host,
        status,
        limit: params.limit,
        cursor: params.cursor,
    }
    .check()
    .map_err(listing_error)?;
    let page = on_store(&state, move |store| clients::list(store, &asked)).await?;
    let views: Vec<Value> = page
        .clients
        .iter()
        .map(|client| Value::Object(admin_view(client)))
        .collect();
    Ok(no_store(HttpResponse::Ok()).json(json!({
        "clients": views,
        "next_cursor": page.next.map(|cursor| cursor.to_string()),
    })))
}

/// `GET /admin/clients/{client_id}`; for a URL client id, the document as
/// validated, or why there is none (`404`, with the reason: the operator
/// asked).
pub async fn show(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let client = ClientRef::parse(&path)?;
    if let ClientRef::Url(raw) = &client {
        let (client, active) = clients::show_url_client(&state.url_clients, raw, async |url| {
            on_store(&state, move |store| clients::url_client_active(store, &url)).await
        })
        .await?;
        let consent = url_consent_view(&client, &state.consent.known_clients, unix_now());
        return Ok(no_store(HttpResponse::Ok()).json(url_admin_view(&client, active, consent)));
    }
    let client = on_store(&state, move |store| clients::show(store, &client)).await?;
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
    let client = ClientRef::parse(&path)?;
    let allow_http_loopback = state.url_clients.allows_http_loopback();
    let activated = on_store(&state, move |store| {
        clients::set_active(store, &client, active, allow_http_loopback)
    })
    .await?;
    let view = match activated {
        Activated::Registered(client) => client_view(&state, &client),
        Activated::Url { url, active } => url_state_view(&url, active),
    };
    Ok(no_store(HttpResponse::Ok()).json(view))
}

/// `DELETE /admin/clients/{client_id}`.
pub async fn delete(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let client = ClientRef::parse(&path)?;
    on_store(&state, move |store| clients::delete(store, &client)).await?;
    Ok(no_store(HttpResponse::NoContent()).finish())
}

#[derive(Debug, Deserialize)]
struct EventParams {
    limit: Option<i64>,
    cursor: Option<String>,
}

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
    let client = ClientRef::parse(&path)?;
    let page = on_store(&state, move |store| {
        clients::events_page(store, &client, after, limit)
    })
    .await?;
    let views: Vec<Value> = page.events.iter().map(event_view).collect();
    Ok(no_store(HttpResponse::Ok()).json(json!({
        "events": views,
        "next_cursor": page.next_cursor.map(|id| id.to_string()),
    })))
}

fn listing_error(err: ListingError) -> ApiError {
    ApiError::InvalidRequest(err.message())
}
