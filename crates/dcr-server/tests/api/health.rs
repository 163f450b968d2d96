//! `GET /healthz` (liveness) and `GET /readyz` (readiness: the database
//! answers).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

on_both_backends!(liveness_answers_ok, readiness_answers_ok_with_a_database);

async fn liveness_answers_ok(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "status": "ok" }));
}

async fn readiness_answers_ok_with_a_database(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "status": "ready" }));
}
