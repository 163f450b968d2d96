//! The token endpoint's calls: the credential check (`verify`) and the
//! report of a use (`used`). Each has two forms that answer alike: the
//! client id in the body (`POST /admin/verify`, `POST /admin/used`), for
//! token endpoints, and in the path (`/admin/clients/{client_id}/...`), for
//! operators. A client id in the body is only ever a client id; one built
//! into a path by a program that took it from a request can name another
//! admin route (`<victim>/disable?`), so programs use the body form.

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::RegisteredClient;
use serde::Deserialize;
use serde_json::Value;

use crate::admin::operations::{ClientRef, clients, on_store};
use crate::admin::views::enforcement_view;
use crate::admin::{invalid, url_clients, valid};
use crate::clock::unix_now;
use crate::http::error::ApiError;
use crate::http::json_body::read_admin_json;
use crate::http::no_store;
use crate::state::{AppState, read_client};

#[derive(Deserialize)]
struct VerifyRequest {
    /// The body form's client id; the path form ignores it, as it ignored
    /// every unknown member before the body form existed.
    client_id: Option<Value>,
    client_secret: Option<String>,
    /// The end client's address, as the token endpoint saw it: what failed
    /// credentials are charged to. Read by `client_address`.
    client_address: Option<Value>,
}

/// Shows whether a secret was presented, never the secret.
impl std::fmt::Debug for VerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("client_address", &self.client_address)
            .finish()
    }
}

impl VerifyRequest {
    /// `client_address`: an IPv4 or IPv6 address exactly as `IpAddr` writes
    /// one (no port, brackets, zone or leading zeros), or absent (`null`).
    fn client_address(&self) -> Result<Option<IpAddr>, ApiError> {
        const MALFORMED: &str =
            "client_address must be an IPv4 or IPv6 address, without port or brackets";
        match &self.client_address {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(raw)) => raw
                .parse()
                .map(Some)
                .map_err(|_| ApiError::InvalidRequest(MALFORMED)),
            Some(_) => Err(ApiError::InvalidRequest(MALFORMED)),
        }
    }
}

/// The verify body, read as an object: serde would also read `["secret"]`
/// into the struct.
async fn read_verify_request(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    shape: &'static str,
) -> Result<VerifyRequest, ApiError> {
    // Every member kept: `client_address` is no registration metadata.
    let document = read_admin_json(request, payload, state.max_body_bytes).await?;
    Some(document)
        .filter(Value::is_object)
        .and_then(|document| serde_json::from_value(document).ok())
        .ok_or(ApiError::InvalidRequest(shape))
}

/// The body form's `client_id`: a string, whatever it holds. It is looked
/// up, never parsed into a route.
pub(super) fn body_client_id(client_id: Option<&Value>) -> Result<&str, ApiError> {
    match client_id {
        Some(Value::String(client_id)) => Ok(client_id),
        _ => Err(ApiError::InvalidRequest(
            "client_id is required in the body, as a string",
        )),
    }
}

/// A body that holds only a client id (`/admin/used`, `/admin/lookup`):
/// a JSON object whose `client_id` is a string.
pub(super) async fn read_client_id_body(
    request: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<String, ApiError> {
    let document = read_admin_json(request, payload, state.max_body_bytes).await?;
    let Value::Object(members) = document else {
        return Err(ApiError::InvalidRequest(
            "the body must be a JSON object with a client_id string",
        ));
    };
    body_client_id(members.get("client_id")).map(str::to_owned)
}

/// `POST /admin/verify`: the credential check with the client id in the
/// body; answers exactly as the path form.
pub async fn verify_by_body(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let presented = read_verify_request(
        &request,
        payload,
        &state,
        "the body must be a JSON object with a client_id string, an optional client_secret string and an optional client_address string",
    )
    .await?;
    let client_id = body_client_id(presented.client_id.as_ref())?.to_owned();
    check(&request, &state, &client_id, &presented).await
}

/// `POST /admin/clients/{client_id}/verify`: the token endpoint passes on the
/// credentials it received. Shaped like RFC 7662 introspection: `valid`, and
/// for a valid client what the token endpoint must enforce. An invalid answer
/// carries no reason that would help a guesser, and is the same for an id
/// no client has: its failure counts against the end client's address
/// (`client_address`, else this request's own) like any other.
pub async fn verify(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let presented = read_verify_request(
        &request,
        payload,
        &state,
        "the body must be a JSON object with an optional client_secret string and an optional client_address string",
    )
    .await?;
    check(&request, &state, &path, &presented).await
}

/// The verify call of both forms, for the client id `raw`.
async fn check(
    request: &HttpRequest,
    state: &AppState,
    raw: &str,
    presented: &VerifyRequest,
) -> Result<HttpResponse, ApiError> {
    let address = match presented.client_address()? {
        Some(address) => Some(address),
        None => state.proxies.client_address(request),
    };
    let client = match ClientRef::parse(raw) {
        Ok(ClientRef::Url(raw)) => {
            return url_clients::verify(state, &raw, presented.client_secret.is_some()).await;
        }
        Ok(client) => registered(state, client).await?,
        Err(_) => None,
    };
    let accepted = state
        .verifier
        .verify(
            client.as_ref(),
            presented.client_secret.as_deref(),
            address,
            unix_now(),
        )
        .await?;
    let Some(client) = client.filter(|_| accepted) else {
        return Ok(invalid());
    };
    Ok(valid(
        enforcement_view(&client),
        state.consent_memo.view(&client, unix_now()),
    ))
}

/// `POST /admin/used` `{"client_id": ...}`: the used report with the client
/// id in the body; answers exactly as the path form.
pub async fn used_by_body(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let client_id = read_client_id_body(&request, payload, &state).await?;
    record_use(&state, &client_id).await
}

/// `POST /admin/clients/{client_id}/used`: a token endpoint that checks a
/// client's credentials itself reports that the client was used. Recorded
/// as a valid verify records it: the last use (at most once per
/// `DCR_LAST_USED_RESOLUTION_SECS`) and the arming of the never-used rule;
/// nothing else. A disabled client's use counts too: the lifetimes ignore
/// the disabled state, and a recent last use shows the operator that the
/// token endpoint still accepts the client.
pub async fn used(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    record_use(&state, &path).await
}

/// The used report of both forms, for the client id `raw`.
async fn record_use(state: &AppState, raw: &str) -> Result<HttpResponse, ApiError> {
    let client = ClientRef::parse(raw)?;
    if let ClientRef::Url(_) = client {
        return Err(ApiError::InvalidRequest(
            "a URL client id is not stored and has no lifetime: there is no use to record",
        ));
    }
    let client = on_store(state, move |store| clients::show(store, &client)).await?;
    state
        .verifier
        .record_use(&client, unix_now())
        .await
        .map_err(ApiError::from)?;
    Ok(no_store(HttpResponse::NoContent()).finish())
}

/// The registered client `client` names, if there is one (the verify call
/// and the lookup answer alike for a client that is not there), read with
/// the other calls of the moment in one query.
pub(super) async fn registered(
    state: &AppState,
    client: ClientRef,
) -> Result<Option<RegisteredClient>, ApiError> {
    match client {
        ClientRef::Registered { id, .. } => read_client(state, id).await,
        ClientRef::Url(_) => Ok(None),
    }
}
