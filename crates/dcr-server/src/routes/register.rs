//! `POST /register` (RFC 7591 section 3).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::{ClientMetadata, Provenance, RegisteredVia, Registration};
use rand::rngs::OsRng;

use crate::clock::unix_now;
use crate::error::ApiError;
use crate::routes::json_body::read_json;
use crate::routes::no_store;
use crate::state::AppState;

pub async fn register(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // Before anything is read: a refused request costs nothing else.
    state
        .rate_limiter
        .admit(&request)
        .map_err(ApiError::RateLimited)?;
    let client_address = state.rate_limiter.client_of(&request);
    let document = read_json(&request, payload, state.max_body_bytes).await?;
    let metadata = ClientMetadata::from_request(&document, &state.policy)?;

    let now = unix_now();
    let cost = state.bcrypt_cost;
    let policy = state.policy.clone();
    let registration = if metadata.token_endpoint_auth_method.needs_secret() {
        state
            .hashing
            .run(move || Registration::issue(metadata, &policy, now, cost, &mut OsRng))
            .await?
    } else {
        Registration::issue(metadata, &policy, now, cost, &mut OsRng)
    }
    .map_err(|err| ApiError::internal("issuing credentials", err))?;

    let mut registration = registration;
    registration.client.provenance = Provenance {
        address: client_address.map(|address| address.to_string()),
        user_agent: request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| Provenance::user_agent(value.as_bytes())),
        via: RegisteredVia::Open,
    };

    // The answer is ready before the write, but goes out only once the row
    // is committed: nothing is acknowledged that is not stored.
    let client_id = registration.client.client_id;
    let client_name = registration.client.metadata.client_name.clone();
    let auth_method = registration.client.metadata.token_endpoint_auth_method;
    let client_uri = state.client_uri(&request, &client_id);
    let body = registration.management_response_body(&client_uri);
    let (stored_tx, stored_rx) = tokio::sync::oneshot::channel();
    state
        .writer
        .submit(registration.client, move |outcome| {
            // The client may have gone away meanwhile; its row is kept anyway.
            let _ = stored_tx.send(outcome);
        })
        .map_err(|_| {
            log::warn!("registration write queue full; shedding load");
            // The writers drain thousands a second: the line clears at once.
            ApiError::Busy {
                retry_after_secs: 1,
            }
        })?;
    stored_rx
        .await
        .map_err(|err| ApiError::internal("waiting for the registration write", err))??;
    // One line per registration: who and from where, never a secret. The
    // name is shown quoted and escaped; it holds no control character.
    log::info!(
        "registered client {client_id} {:?} ({auth_method}) from {}",
        client_name.as_deref().unwrap_or(""),
        client_address.map_or_else(
            || "an unknown address".to_owned(),
            |address| address.to_string()
        ),
    );

    Ok(no_store(HttpResponse::Created()).json(body))
}
