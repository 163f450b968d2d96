//! URL client ids through the body forms: `POST /admin/verify` answers as
//! the path form, and `POST /admin/lookup` fetches the document as verify
//! does and says why a URL is no usable client.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::documents::{DocumentServer, answer, document, ok};
use super::{admin_url, spawn_cimd_app, verify_url};
use crate::helpers::*;

async fn verify_by_body(app: &TestApp, url: &str, secret: Option<&str>) -> Value {
    let mut body = json!({ "client_id": url });
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret);
    }
    let (status, answer) = admin_json(app, Method::POST, "/admin/verify", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{url}: {answer}");
    answer
}

async fn lookup(app: &TestApp, url: &str) -> Value {
    let (status, answer) = admin_json(
        app,
        Method::POST,
        "/admin/lookup",
        Some(json!({ "client_id": url })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{url}: {answer}");
    answer
}

fn unusable(reason: &str) -> Value {
    json!({ "usable": false, "reason": reason })
}

pub(super) async fn url_clients_answer_the_body_forms_and_the_lookup(backend: Backend) {
    let documents = DocumentServer::start().await;
    let app = spawn_cimd_app(backend, |_| {}).await;
    let good = documents.serve_document("/good");

    let verified = verify_by_body(&app, &good, None).await;
    assert_eq!(verified["valid"], true, "{verified}");
    assert_eq!(verified, verify_url(&app, &good, None).await);
    assert_eq!(
        lookup(&app, &good).await,
        json!({
            "usable": true,
            "client": verified["client"],
            "redirect_uri_rule": dcr_core::REDIRECT_URI_RULE,
            "consent": verified["consent"],
        })
    );
    assert_eq!(
        documents.hits("/good"),
        1,
        "lookup and verify share the cache"
    );
    let with_secret = verify_by_body(&app, &good, Some("guess")).await;
    assert_eq!(with_secret, json!({ "valid": false }));
    assert_eq!(with_secret, verify_url(&app, &good, Some("guess")).await);

    let wrong_id = documents.url("/wrong-id");
    documents.serve("/wrong-id", ok(document(&documents.url("/other"))));
    let missing = documents.url("/missing");
    let slow = documents.url("/slow");
    let mut late = ok(document(&slow));
    late.delay = Duration::from_secs(2);
    documents.serve("/slow", late);
    let server_error = documents.url("/down");
    documents.serve("/down", answer(503, &[], b""));
    let cases = [
        (wrong_id.as_str(), "invalid_document"),
        (missing.as_str(), "document_unavailable"),
        (slow.as_str(), "document_unavailable"),
        (server_error.as_str(), "document_unavailable"),
        // URLs that are never a client here: not fetched at all.
        ("https://10.0.0.7/client.json", "unknown_client"),
        ("http://example.com/client.json", "unknown_client"),
        ("https://example.com", "unknown_client"),
    ];
    for (url, reason) in cases {
        assert_eq!(lookup(&app, url).await, unusable(reason), "{url}");
        let by_body = verify_by_body(&app, url, None).await;
        assert_eq!(by_body, json!({ "valid": false }), "{url}");
        assert_eq!(by_body, verify_url(&app, url, None).await, "{url}");
    }

    let (status, _) = admin_url(&app, reqwest::Method::POST, &good, "/disable").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lookup(&app, &good).await, unusable("disabled"));
    assert_eq!(
        verify_by_body(&app, &good, None).await,
        json!({ "valid": false })
    );

    let off = spawn_cimd_app(backend, |settings| {
        settings.cimd.cimd = dcr_server::config::BoolArg(false);
    })
    .await;
    let other = documents.serve_document("/other-client");
    assert_eq!(lookup(&off, &other).await, unusable("unknown_client"));
    assert_eq!(documents.hits("/other-client"), 0);
}
