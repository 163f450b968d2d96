//! `POST /register` (RFC 7591 section 3).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::{ClientMetadata, Registration};
use futures_util::StreamExt as _;
use rand::rngs::OsRng;

use crate::error::ApiError;
use crate::startup::AppState;

pub async fn register(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_json(&request)?;
    let limit = state.max_body_bytes;
    let body = read_body(payload, limit).await?;
    let document: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|err| ApiError::MalformedJson(json_error_position(&err)))?;
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
    .map_err(|err| {
        log::error!("could not issue credentials: {err}");
        ApiError::Internal
    })?;

    // The answer is ready before the write, but goes out only once the row
    // is committed: nothing is acknowledged that is not stored.
    let body = registration.response_body();
    let (stored_tx, stored_rx) = tokio::sync::oneshot::channel();
    state
        .writer
        .submit(registration.client, move |outcome| {
            // The client may have gone away meanwhile; its row is kept anyway.
            let _ = stored_tx.send(outcome);
        })
        .map_err(|_| {
            log::warn!("registration write queue full; shedding load");
            ApiError::Busy
        })?;
    stored_rx.await.map_err(|_| ApiError::Internal)??;

    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .json(body))
}

/// RFC 7591 section 3.1: the request is JSON, sent as `application/json`
/// (parameters such as `charset=utf-8` are fine).
fn require_json(request: &HttpRequest) -> Result<(), ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// Most bytes read and thrown away after a body turned out too large. Closing
/// the connection while the client is still sending makes many HTTP clients
/// report a broken pipe instead of the 413; reading on a little lets them see
/// it, and the cap keeps a hostile client from holding the worker.
const MAX_DISCARDED_BYTES: usize = 1024 * 1024;

/// Reads at most `limit` bytes, whatever the headers claimed.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| match err {
            actix_web::error::PayloadError::Overflow => ApiError::PayloadTooLarge { limit },
            _ => ApiError::UnreadableBody,
        })?;
        if body.len() + chunk.len() > limit {
            let mut discarded = body.len() + chunk.len();
            while discarded <= MAX_DISCARDED_BYTES {
                match payload.next().await {
                    Some(Ok(chunk)) => discarded += chunk.len(),
                    _ => break,
                }
            }
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Where JSON parsing stopped, without echoing any of the input.
fn json_error_position(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match err.classify() {
        Category::Eof => "it ends early",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected data",
        Category::Io => "unreadable",
    };
    format!("{what} at line {} column {}", err.line(), err.column())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
