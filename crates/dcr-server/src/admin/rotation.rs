//! `POST /admin/clients/{client_id}/rotate-secret`: a new secret, shown once.
//! The old one stops working at once, or after `keep_old_for` seconds (see
//! dcr-core's `client::rotation`). The CLI's `clients rotate-secret` is the
//! other door to the same operation: core's rotation, then the store's
//! compare-and-swap.

use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::{Overlap, RotateError};
use dcr_store::StoreError;
use rand::rngs::OsRng;
use serde_json::Value;

use crate::admin::routes::{find, not_found_is_404};
use crate::admin::views::rotation_view;
use crate::cimd::UrlClients;
use crate::clock::unix_now;
use crate::http::error::ApiError;
use crate::http::json_body::read_optional_admin_json;
use crate::http::no_store;
use crate::state::AppState;
use crate::state::with_store;

/// Of two rotations started from one secret, the second to store finds it
/// gone: its secret, never stored, must not be shown as if it worked.
const ROTATED_MEANWHILE: &str = "the secret changed while this rotation ran (another rotation or an update): nothing was stored; read the client and rotate again if needed";

const BAD_BODY: &str = "the body must be empty or a JSON object whose only member is keep_old_for, a whole number of seconds from 0 to 2592000 (30 days)";

pub async fn rotate_secret(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let document = read_optional_admin_json(&request, payload, state.max_body_bytes).await?;
    let overlap = overlap_of(document)?;
    if UrlClients::looks_like_url(&path) {
        return Err(ApiError::InvalidRequest(
            "a URL client id has no secret; there is none to rotate",
        ));
    }
    let client = find(&state, &path).await?;
    let client_id = client.client_id;
    let policy = state.policy.clone();
    let hashing = state.secret_hashing;
    let now = unix_now();
    let rotation = state
        .hashing
        .run(move || client.rotate_secret(&policy, now, overlap, hashing, &mut OsRng))
        .await?
        .map_err(|err| match err {
            RotateError::NotConfidential => ApiError::InvalidRequest(
                "this client authenticates without a secret; there is none to rotate",
            ),
            RotateError::Hash(err) => ApiError::internal("hashing a new secret", err),
        })?;
    let (replaces, credentials) = (rotation.replaces.clone(), rotation.credentials.clone());
    let stored = with_store(&state, move |store| {
        let by = dcr_core::Occasion::admin(unix_now());
        match store.rotate_secret(&client_id, &replaces, &credentials, &by) {
            Err(StoreError::Conflict(_)) => Ok(false),
            other => other.map(|()| true),
        }
    })
    .await
    .map_err(not_found_is_404)?;
    if !stored {
        return Err(ApiError::Conflict(ROTATED_MEANWHILE));
    }
    Ok(no_store(HttpResponse::Ok()).json(rotation_view(&client_id, &rotation)))
}

/// `keep_old_for` from the body: absent (or no body), the old secret stops
/// at once.
fn overlap_of(document: Option<Value>) -> Result<Overlap, ApiError> {
    let Some(document) = document else {
        return Ok(Overlap::NONE);
    };
    let Value::Object(members) = document else {
        return Err(ApiError::InvalidRequest(BAD_BODY));
    };
    let mut overlap = Overlap::NONE;
    for (name, value) in members {
        overlap = match (name.as_str(), value.as_u64()) {
            ("keep_old_for", Some(secs)) => {
                Overlap::from_secs(secs).map_err(|_| ApiError::InvalidRequest(BAD_BODY))?
            }
            _ => return Err(ApiError::InvalidRequest(BAD_BODY)),
        };
    }
    Ok(overlap)
}
