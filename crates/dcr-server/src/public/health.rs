use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::http::error::ApiError;
use crate::observability::metrics::Scrape;
use crate::state::AppState;
use crate::state::with_store;

/// Liveness: the process answers. Touches nothing shared, so it stays fast
/// while registrations keep the database and the hashing threads busy.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Readiness: the database answers a query and takes writes. A replica
/// whose pool reaches only a standby (or a read-only server) is not ready;
/// the check drops the read-only connections it meets, so it recovers by
/// itself once a writable primary answers. One query per probe, no cache.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    with_store(&state, |store| store.ping_writable()).await?;
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
        batches: state.writer.batch_sizes(),
        reads: state.reader.batch_sizes(),
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(text)
}

/// The OpenAPI 3.1 document of both listeners, `docs/openapi.yaml`: written
/// in JSON (which is YAML), so it is served as it is.
pub const OPENAPI: &str = include_str!("../../../../docs/openapi.yaml");

/// `GET /openapi.json` on the admin listener.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::OPENAPI;

    /// The document is JSON (so it is served as it is), OpenAPI 3.1, and
    /// describes both listeners' routes.
    #[test]
    fn the_openapi_document_is_json_and_names_every_route() {
        let document: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let paths = document["paths"].as_object().unwrap();
        for path in [
            "/register",
            "/register/{client_id}",
            "/.well-known/oauth-authorization-server",
            "/healthz",
            "/readyz",
            "/admin/clients",
            "/admin/clients/{client_id}",
            "/admin/clients/{client_id}/disable",
            "/admin/clients/{client_id}/enable",
            "/admin/clients/{client_id}/rotate-secret",
            "/admin/clients/{client_id}/verify",
            "/admin/clients/{client_id}/used",
            "/admin/clients/{client_id}/events",
            "/admin/verify",
            "/admin/used",
            "/admin/lookup",
            "/admin/initial-access-tokens",
            "/admin/initial-access-tokens/{id}",
            "/metrics",
            "/openapi.json",
        ] {
            assert!(
                paths.contains_key(path),
                "{path} is not in docs/openapi.yaml"
            );
        }
    }
}
