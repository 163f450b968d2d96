use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::ApiError;
use crate::metrics::Scrape;
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

/// `GET /metrics` on the admin listener: Prometheus text format (behind the
/// admin gate like every admin path). Clients by state are counted now, in
/// one query; when the database does not answer, the rest is still served.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let clients = with_store(&state, |store| store.count_clients_by_state())
        .await
        .ok();
    let text = state.metrics.render(Scrape {
        hashing: [
            ("registration", &state.hashing),
            ("verify", state.verifier.hashing()),
        ],
        pool: state.store.pool_status(),
        clients,
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(text)
}
