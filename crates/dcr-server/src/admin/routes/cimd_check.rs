//! `POST /admin/cimd/check` `{"client_id": URL}`: a client metadata
//! document checked rule by rule as verify would check it (`cimd::check`),
//! for a client author or an operator; nothing cached or recorded.

use actix_web::{HttpRequest, HttpResponse, web};

use super::verify::read_client_id_body;
use crate::admin::views::cimd_check_view;
use crate::clock::unix_now;
use crate::http::error::ApiError;
use crate::http::no_store;
use crate::state::AppState;

/// Always `200` with the report, accepted or not.
pub async fn cimd_check(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let client_id = read_client_id_body(&request, payload, &state).await?;
    let report = state.url_clients.check(&client_id).await;
    let view = cimd_check_view(&report, &state.consent.known_clients, unix_now());
    Ok(no_store(HttpResponse::Ok()).json(view))
}
