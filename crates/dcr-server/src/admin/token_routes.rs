//! Initial access tokens on the admin listener (RFC 7591 section 3): an
//! operator issues them (the token is shown once), lists, shows and revokes
//! them. Registration spends them (`routes::register`).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use dcr_core::TokenRequest;
use dcr_core::software_statement;
use serde_json::{Value, json};

use crate::admin::operations::{on_store, tokens};
use crate::admin::views::token_view;
use crate::clock::unix_now;
use crate::http::error::ApiError;
use crate::http::json_body::read_admin_json;
use crate::http::no_store;
use crate::state::AppState;

/// `POST /admin/initial-access-tokens`: `201` with the token, the only time
/// it is shown, beside what describes it.
pub async fn create(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let document = read_admin_json(&request, payload, state.max_body_bytes).await?;
    let asked = TokenRequest::from_json(&document, &state.policy)
        .and_then(|asked| {
            software_statement::check_token_issuer(
                &asked.policy,
                &state.software_statements.issuers,
            )?;
            Ok(asked)
        })
        .map_err(|err| ApiError::Metadata(err).on_admin_api())?;
    let now = unix_now();
    let (token, stored) = on_store(&state, move |store| tokens::create(store, asked, now)).await?;
    log::info!("created initial access token {}", stored.id);
    let mut view = token_view(&stored, now);
    view.insert("token".into(), token.expose().into());
    Ok(no_store(HttpResponse::Created())
        .insert_header((
            header::LOCATION,
            format!("/admin/initial-access-tokens/{}", stored.id),
        ))
        .json(Value::Object(view)))
}

/// `GET /admin/initial-access-tokens`: every token, newest first.
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let listed = on_store(&state, tokens::list).await?;
    let now = unix_now();
    let views: Vec<Value> = listed
        .iter()
        .map(|token| Value::Object(token_view(token, now)))
        .collect();
    Ok(no_store(HttpResponse::Ok()).json(json!({ "tokens": views })))
}

/// `GET /admin/initial-access-tokens/{id}`.
pub async fn show(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = on_store(&state, move |store| tokens::show(store, &path)).await?;
    Ok(no_store(HttpResponse::Ok()).json(token_view(&token, unix_now())))
}

/// `DELETE /admin/initial-access-tokens/{id}`: the token authorizes no more
/// registrations; the clients it created stay. It stays listed, as revoked.
pub async fn revoke(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let now = unix_now();
    let token = on_store(&state, move |store| tokens::revoke(store, &path, now)).await?;
    log::info!("revoked initial access token {}", token.id);
    Ok(no_store(HttpResponse::Ok()).json(token_view(&token, now)))
}
