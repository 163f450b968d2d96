//! `POST /admin/clients/{client_id}/rotate-secret`: a new secret, shown once.
//! The old one stops working at once, or after `keep_old_for` seconds (see
//! dcr-core's `client::rotation`). The CLI's `clients rotate-secret` is the
//! other door to the same operation (`operations::rotation`).

use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::Overlap;
use serde_json::Value;

use crate::admin::operations::rotation::{
    RotationRules, new_secret, rotation_subject, store_rotation,
};
use crate::admin::operations::{ClientRef, on_store};
use crate::admin::views::rotation_view;
use crate::clock::unix_now;
use crate::http::error::ApiError;
use crate::http::json_body::read_optional_admin_json;
use crate::http::no_store;
use crate::state::AppState;

const BAD_BODY: &str = "the body must be empty or a JSON object whose only member is keep_old_for, a whole number of seconds from 0 to 2592000 (30 days)";

/// The operation's steps, the hashing on the hashing pool.
pub async fn rotate_secret(
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let document = read_optional_admin_json(&request, payload, state.max_body_bytes).await?;
    let overlap = overlap_of(document)?;
    let client = ClientRef::parse(&path)?;
    let subject = on_store(&state, move |store| rotation_subject(store, &client)).await?;
    let client_id = subject.client_id;
    let policy = state.policy.clone();
    let hashing = state.secret_hashing;
    let now = unix_now();
    let rotation = state
        .hashing
        .run(move || {
            let rules = RotationRules {
                policy: &policy,
                hashing,
            };
            new_secret(&subject, rules, now, overlap)
        })
        .await??;
    let rotation = on_store(&state, move |store| {
        store_rotation(store, &client_id, &rotation).map(|()| rotation)
    })
    .await?;
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
