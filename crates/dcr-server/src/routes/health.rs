use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::ApiError;
use crate::routes::with_store;
use crate::state::AppState;

/// Liveness: the process answers. Touches nothing shared, so it stays fast
/// while registrations keep the database and the hashing threads busy.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers a query.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    with_store(&state, |store| store.ping()).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
