//! URL client ids (Client ID Metadata Documents): a local HTTP server
//! serves documents (good, wrong client_id, redirects, oversize, slow), and
//! the verify call and the admin view answer for them. Plain http on
//! loopback is the development exception (DCR_CIMD_ALLOW_HTTP_LOOPBACK);
//! everything else about the fetch is as in production.

mod body_forms;
mod check;
pub(crate) mod documents;
mod fairness;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use body_forms::url_clients_answer_the_body_forms_and_the_lookup;
use check::{
    a_document_is_checked_rule_by_rule_without_the_cache, a_server_without_url_client_ids_says_so,
};
use documents::{DocumentServer, answer, document, ok};

on_both_backends!(
    a_document_is_a_client_for_verify_and_the_admin_view,
    documents_that_break_a_rule_are_no_client,
    lookups_share_one_fetch_and_failures_are_cached_briefly,
    an_operator_disables_a_url_client_like_a_registered_one,
    operator_policy_turns_url_client_ids_off_or_narrows_their_hosts,
    url_clients_answer_the_body_forms_and_the_lookup,
    a_document_is_checked_rule_by_rule_without_the_cache,
    a_server_without_url_client_ids_says_so,
);

async fn spawn_cimd_app(
    backend: Backend,
    configure: impl FnOnce(&mut dcr_server::Settings),
) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.cimd.cimd_allow_http_loopback = dcr_server::config::BoolArg(true);
        settings.cimd.cimd_timeout_ms = 500;
        settings.cimd.cimd_min_ttl_secs = 1;
        configure(settings);
    })
    .await
}

/// The path segment of a URL client id.
pub(crate) fn encoded(url: &str) -> String {
    url.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The verify call for a URL client id: the helpers' call, with the URL
/// percent-encoded as its path segment.
async fn verify_url(app: &TestApp, url: &str, secret: Option<&str>) -> Value {
    app.verify(&encoded(url), secret).await
}

async fn admin_url(
    app: &TestApp,
    method: reqwest::Method,
    url: &str,
    suffix: &str,
) -> (StatusCode, Value) {
    let response = app
        .client
        .request(
            method,
            format!(
                "{}/admin/clients/{}{suffix}",
                app.admin_address,
                encoded(url)
            ),
        )
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_document_is_a_client_for_verify_and_the_admin_view(backend: Backend) {
    let documents = DocumentServer::start().await;
    let app = spawn_cimd_app(backend, |settings| {
        settings.discovery.authorization_endpoint =
            Some("https://as.example.com/authorize".parse().unwrap());
        settings.discovery.token_endpoint = Some("https://as.example.com/token".parse().unwrap());
    })
    .await;
    let url = documents.serve_document("/agent/client.json");

    let answer = verify_url(&app, &url, None).await;
    assert_eq!(answer["valid"], true, "{answer}");
    assert_eq!(answer["client"]["client_id"], url.as_str());
    assert_eq!(answer["client"]["client_name"], "Example Agent");
    assert_eq!(answer["client"]["token_endpoint_auth_method"], "none");
    let consent = &answer["consent"];
    assert_eq!(consent["source"], "metadata_document");
    assert_eq!(consent["verified_host"], "127.0.0.1");
    assert_eq!(consent["loopback_only"], true);
    assert_eq!(consent["redirect_hosts"], json!(["127.0.0.1"]));
    // A client without a secret presenting one is refused.
    let with_secret = verify_url(&app, &url, Some("guess")).await;
    assert_eq!(with_secret, json!({"valid": false}));

    let (status, view) = admin_url(&app, reqwest::Method::GET, &url, "").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["source"], "metadata_document");
    assert_eq!(view["active"], true);
    assert_eq!(view["redirect_uris"], json!(["http://127.0.0.1/callback"]));

    let discovery: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["client_id_metadata_document_supported"], true);
    // Neither delete nor rotate applies to a URL.
    let (status, _) = admin_url(&app, reqwest::Method::DELETE, &url, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = admin_url(&app, reqwest::Method::POST, &url, "/rotate-secret").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Nor a used report: a URL client is not stored, so it has no lifetime;
    // and its verify, valid above, arms no purge of registered clients.
    let (status, _) = admin_url(&app, reqwest::Method::POST, &url, "/used").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.unused_purge_armed_at().unwrap(), None);
}

async fn documents_that_break_a_rule_are_no_client(backend: Backend) {
    let documents = DocumentServer::start().await;
    let app = spawn_cimd_app(backend, |_| {}).await;
    let good = documents.serve_document("/good");
    let wrong_id = documents.url("/wrong-id");
    documents.serve("/wrong-id", ok(document(&documents.url("/other"))));
    let redirected = documents.url("/moved");
    documents.serve("/moved", answer(302, &[("Location", &good)], b""));
    let oversize = documents.url("/big");
    let mut big = document(&oversize);
    big["client_name"] = json!("x".repeat(6000));
    documents.serve("/big", ok(big));
    let slow = documents.url("/slow");
    let mut late = ok(document(&slow));
    late.delay = Duration::from_secs(2);
    documents.serve("/slow", late);
    let secret = documents.url("/secret");
    let mut with_secret = document(&secret);
    with_secret["token_endpoint_auth_method"] = json!("client_secret_basic");
    documents.serve("/secret", ok(with_secret));
    let not_json = documents.url("/not-json");
    documents.serve("/not-json", answer(200, &[], b"<html>"));
    let missing = documents.url("/missing");

    let refused = [
        wrong_id.as_str(),
        redirected.as_str(),
        oversize.as_str(),
        slow.as_str(),
        secret.as_str(),
        not_json.as_str(),
        missing.as_str(),
        // Not fetched at all: private addresses, no https, no path.
        "https://10.0.0.7/client.json",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/client.json",
        "http://example.com/client.json",
        "https://example.com",
    ];
    for url in refused {
        let started = Instant::now();
        assert_eq!(
            verify_url(&app, url, None).await,
            json!({"valid": false}),
            "{url}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{url} took {:?}",
            started.elapsed()
        );
        let (status, body) = admin_url(&app, reqwest::Method::GET, url, "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{url}: {body}");
        assert_eq!(body["error"], "not_found");
    }
    assert_eq!(documents.hits("/good"), 0, "the redirect was not followed");
    let (_, body) = admin_url(&app, reqwest::Method::GET, &wrong_id, "").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("client_id"),
        "{body}"
    );
}

async fn lookups_share_one_fetch_and_failures_are_cached_briefly(backend: Backend) {
    let documents = DocumentServer::start().await;
    let app = spawn_cimd_app(backend, |settings| {
        settings.cimd.cimd_min_ttl_secs = 300;
    })
    .await;
    let url = documents.url("/burst");
    let mut slowish = ok(document(&url));
    slowish.delay = Duration::from_millis(200);
    documents.serve("/burst", slowish);
    let verifies = (0..20).map(|_| verify_url(&app, &url, None));
    for answer in futures_util::future::join_all(verifies).await {
        assert_eq!(answer["valid"], true);
    }
    assert_eq!(
        documents.hits("/burst"),
        1,
        "a burst of lookups made one fetch"
    );
    verify_url(&app, &url, None).await;
    assert_eq!(documents.hits("/burst"), 1, "then the cache answers");

    // A failure is remembered for at most 30 seconds (here the minimum TTL
    // is higher, so 30): the fixed document is not seen at once.
    let broken = documents.url("/broken");
    assert_eq!(verify_url(&app, &broken, None).await["valid"], false);
    documents.serve_document("/broken");
    assert_eq!(verify_url(&app, &broken, None).await["valid"], false);
    assert_eq!(documents.hits("/broken"), 1);

    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains("dcr_cimd_fetches_total{outcome=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("dcr_cimd_fetches_total{outcome=\"status\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("dcr_cimd_cache_hits_total 21"),
        "{metrics}"
    );
}

async fn an_operator_disables_a_url_client_like_a_registered_one(backend: Backend) {
    let documents = DocumentServer::start().await;
    let app = spawn_cimd_app(backend, |_| {}).await;
    let url = documents.serve_document("/disable-me");
    assert_eq!(verify_url(&app, &url, None).await["valid"], true);
    let (status, body) = admin_url(&app, reqwest::Method::POST, &url, "/disable").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    assert_eq!(verify_url(&app, &url, None).await, json!({"valid": false}));
    let (_, view) = admin_url(&app, reqwest::Method::GET, &url, "").await;
    assert_eq!(view["active"], false);
    admin_url(&app, reqwest::Method::POST, &url, "/enable").await;
    assert_eq!(verify_url(&app, &url, None).await["valid"], true);
    let (status, events) = admin_url(&app, reqwest::Method::GET, &url, "/events").await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["disabled", "enabled"]);
}

async fn operator_policy_turns_url_client_ids_off_or_narrows_their_hosts(backend: Backend) {
    let documents = DocumentServer::start().await;
    let off = spawn_cimd_app(backend, |settings| {
        settings.cimd.cimd = dcr_server::config::BoolArg(false);
    })
    .await;
    let url = documents.serve_document("/c");
    assert_eq!(verify_url(&off, &url, None).await, json!({"valid": false}));
    assert_eq!(documents.hits("/c"), 0);
    let blocked = spawn_cimd_app(backend, |settings| {
        settings.cimd.cimd_blocked_hosts = Some(dcr_server::config::ListArg(vec![
            "127.0.0.1".parse().unwrap(),
        ]));
    })
    .await;
    assert_eq!(
        verify_url(&blocked, &url, None).await,
        json!({"valid": false})
    );
    assert_eq!(documents.hits("/c"), 0);
    let allowed_elsewhere = spawn_cimd_app(backend, |settings| {
        settings.cimd.cimd_allowed_hosts = Some(dcr_server::config::ListArg(vec![
            "*.example.com".parse().unwrap(),
        ]));
    })
    .await;
    assert_eq!(
        verify_url(&allowed_elsewhere, &url, None).await,
        json!({"valid": false})
    );
    assert_eq!(documents.hits("/c"), 0);
}
