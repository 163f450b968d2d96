//! `POST /register` (RFC 7591 section 3).

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::registration::{self, Admitted};
use dcr_core::{
    ClientId, ClientMetadata, Provenance, RegisteredClient, Registration, RegistrationPolicy,
};
use dcr_store::StoredToken;
use rand::rngs::OsRng;
use serde_json::{Map, Value};

use crate::clock::unix_now;
use crate::config::RegistrationMode;
use crate::http::bearer::bearer_token;
use crate::http::error::{ApiError, Outcome};
use crate::http::json_body::read_json;
use crate::http::no_store;
use crate::observability::request_log::{LoggedClient, Registered};
use crate::public::decision::{Decided, Rules, active_token, decide, looks_like_token};
use crate::state::{AppState, ConfigurationEndpoint, find_in_store, through_queue, with_store};

pub async fn register(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // Before anything is read: a refused request costs nothing else.
    let client_address = state.proxies.client_address(&request);
    state
        .rate_limiter
        .admit(client_address)
        .map_err(ApiError::RateLimited)?;
    let endpoint = state.configuration_endpoint(&request)?;
    let token = presented_token(&request, &state).await?;
    let document = read_json(&request, payload, state.max_body_bytes).await?;
    let Decided {
        admitted: Admitted { metadata, narrowed },
        statement_issuer,
    } = decide(
        document,
        Rules::of(&state),
        token.as_ref().map(|token| &token.policy),
        unix_now(),
    )?;
    let mut provenance = provenance(&request, client_address, token.as_ref());
    provenance.software_statement_issuer = statement_issuer;
    // A client vouched for by a statement is its registrant's alone: never
    // handed to a later registration of the same metadata without one.
    let dedup = registration::dedup_key(state.dedup_public, provenance.via, &metadata)
        .filter(|_| provenance.software_statement_issuer.is_none());
    if let Some(fingerprint) = &dedup
        && let Some(response) = answer_duplicate(&state, fingerprint, &metadata).await?
    {
        return Ok(response);
    }
    let policy = narrowed.map_or_else(|| state.policy.clone(), Arc::new);
    let (mut client, body) = issue(&state, metadata, policy, dedup.is_some(), &endpoint).await?;
    client.provenance = provenance;

    // The answer is ready before the write, but goes out only once the row
    // is committed: nothing is acknowledged that is not stored.
    let logged = LoggedClient {
        client_id: client.client_id,
        registered: Registered::New {
            client_name: client.metadata.client_name.clone(),
            auth_method: client.metadata.token_endpoint_auth_method,
        },
    };
    match token {
        Some(token) => {
            // Spending a use and storing the client are one transaction; the
            // token may have been spent or revoked since it was checked.
            find_in_store(&state, move |store| {
                store.insert_client_with_token(&client, &token.id)
            })
            .await?
            .ok_or(ApiError::InvalidInitialAccessToken)?;
        }
        None => store_through_writer(&state, client).await?,
    }
    if let Some(fingerprint) = dedup {
        remember_shared(&state, fingerprint, logged.client_id).await;
    }
    Ok(created(body, logged))
}

fn provenance(
    request: &HttpRequest,
    client_address: Option<IpAddr>,
    token: Option<&StoredToken>,
) -> Provenance {
    Provenance::of_registration(
        client_address.map(|address| address.to_string()),
        request
            .headers()
            .get(header::USER_AGENT)
            .map(|value| value.as_bytes()),
        token.map(|token| token.id.clone()),
    )
}

/// The client and its registration response. A client that later
/// registrants of this metadata will be handed (`shared`) has no
/// registration access token: none of them manages everyone's client.
async fn issue(
    state: &AppState,
    metadata: ClientMetadata,
    policy: Arc<RegistrationPolicy>,
    shared: bool,
    endpoint: &ConfigurationEndpoint,
) -> Result<(RegisteredClient, Map<String, Value>), ApiError> {
    let now = unix_now();
    let shared = shared
        .then(|| RegisteredClient::issue_shared(metadata.clone(), now, &mut OsRng))
        .flatten();
    if let Some(client) = shared {
        let body = client.response_body(None);
        return Ok((client, body));
    }
    let registration = issue_managed(state, metadata, policy, now).await?;
    let client_uri = endpoint.client_uri(&registration.client.client_id);
    let body = registration.management_response_body(&client_uri);
    Ok((registration.client, body))
}

/// Only a shortcut for later registrations: failing to remember it costs a
/// duplicate, never this registration.
async fn remember_shared(state: &AppState, fingerprint: String, client_id: ClientId) {
    let remembered = with_store(state, move |store| {
        store.remember_public_client(&fingerprint, &client_id)
    })
    .await;
    if let Err(err) = remembered {
        log::warn!("could not remember public client {client_id} for DCR_DEDUP_PUBLIC: {err}");
    }
}

/// `201 Created` with a client's registration (RFC 7591 section 3.2.1);
/// what it registered goes to the request's log line.
fn created(body: Map<String, Value>, logged: LoggedClient) -> HttpResponse {
    let mut response = no_store(HttpResponse::Created()).json(body);
    response.extensions_mut().insert(Outcome("created"));
    response.extensions_mut().insert(logged);
    response
}

/// `DCR_DEDUP_PUBLIC`: the client that registrations of exactly this
/// metadata share, answered as its registration (RFC 7591 section 3.2.1).
/// It has no registration access token, so there is none to hand out (see
/// [`dcr_store::Store::answer_public_duplicate`] for which clients qualify
/// and how their lifetime restarts).
async fn answer_duplicate(
    state: &AppState,
    fingerprint: &str,
    metadata: &ClientMetadata,
) -> Result<Option<HttpResponse>, ApiError> {
    let (fingerprint, wanted) = (fingerprint.to_owned(), metadata.clone());
    let now = unix_now();
    let found = with_store(state, move |store| {
        store.answer_public_duplicate(&fingerprint, &wanted, now)
    })
    .await?;
    Ok(found.map(|client| {
        let logged = LoggedClient {
            client_id: client.client_id,
            registered: Registered::Shared,
        };
        created(client.response_body(None), logged)
    }))
}

/// A client with its registration access token, and its secret when its
/// method needs one: bcrypt on its own threads; a SHA-256 hash costs
/// microseconds.
async fn issue_managed(
    state: &AppState,
    metadata: ClientMetadata,
    policy: Arc<RegistrationPolicy>,
    now: i64,
) -> Result<Registration, ApiError> {
    let hashing = state.secret_hashing;
    let slow = metadata.token_endpoint_auth_method.needs_secret() && hashing.is_slow();
    let issue = move || Registration::issue(metadata, &policy, now, hashing, &mut OsRng);
    if slow {
        state.hashing.run(issue).await?
    } else {
        issue()
    }
    .map_err(|err| ApiError::internal("issuing credentials", err))
}

/// Open registrations go through the group-commit writers. The HTTP client
/// may go away meanwhile; a row a writer had taken is kept anyway.
async fn store_through_writer(state: &AppState, client: RegisteredClient) -> Result<(), ApiError> {
    through_queue(state, |deadline, reply| {
        state.writer.submit_by(client, deadline, reply)
    })
    .await
}

/// The initial access token of a registration (RFC 7591 section 3), if one
/// is presented: it must be active, whatever the mode. Without one, open
/// mode registers anonymously and token mode refuses. An `Authorization`
/// header of another scheme is not a token: open mode ignores it.
async fn presented_token(
    request: &HttpRequest,
    state: &AppState,
) -> Result<Option<StoredToken>, ApiError> {
    let presented = bearer_token(request.headers());
    let raw = match (presented, state.registration) {
        (Some(raw), _) => raw,
        (None, RegistrationMode::Token) => return Err(ApiError::InvalidInitialAccessToken),
        (None, RegistrationMode::Open) if claims_bearer(request) => {
            // A bearer credential that does not parse is a mistake to report,
            // not a reason to register anonymously.
            return Err(ApiError::InvalidInitialAccessToken);
        }
        (None, RegistrationMode::Open) => return Ok(None),
    };
    active_initial_access_token(state, raw.to_owned())
        .await
        .map(Some)
}

/// The active initial access token `raw`, or `invalid_token`. Nothing is
/// spent: the registration spends a use when it stores its client.
pub(crate) async fn active_initial_access_token(
    state: &AppState,
    raw: String,
) -> Result<StoredToken, ApiError> {
    // Not even shaped like one: no database round trip.
    if !looks_like_token(&raw) {
        return Err(ApiError::InvalidInitialAccessToken);
    }
    let now = unix_now();
    with_store(state, move |store| active_token(store, &raw, now))
        .await?
        .ok_or(ApiError::InvalidInitialAccessToken)
}

fn claims_bearer(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.as_bytes().get(..6))
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case(b"bearer"))
}
