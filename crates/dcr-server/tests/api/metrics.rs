//! `GET /metrics` on the admin listener: Prometheus text format, read here
//! by the format's grammar, with the counts of what the test did.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

on_both_backends!(metrics_count_what_happened_in_prometheus_text);

/// One sample: its name with labels as written, and its value.
type Samples = HashMap<String, f64>;

/// Reads the text exposition format (version 0.0.4) strictly: every line a
/// `# HELP`, a `# TYPE` before its samples, or a sample of a declared family
/// whose value is a number; every name prefixed `dcr_`.
fn parse_prometheus_text(text: &str) -> Samples {
    let mut declared: HashMap<String, String> = HashMap::new();
    let mut samples = Samples::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            assert!(name.starts_with("dcr_"), "{line}");
            assert!(!help.is_empty(), "{line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            declared.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment: {line}");
        let (series, value) = line.rsplit_once(' ').unwrap();
        let name = series.split('{').next().unwrap();
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':'),
            "{line}"
        );
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| declared.get(*base).is_some_and(|kind| kind == "histogram"))
            })
            .unwrap_or(name);
        assert!(declared.contains_key(family), "no TYPE for {line}");
        if let Some(labels) = series.strip_prefix(name)
            && !labels.is_empty()
        {
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            for pair in labels[1..labels.len() - 1].split("\",") {
                let (key, quoted) = pair.split_once('=').unwrap();
                assert!(quoted.starts_with('"'), "{line}");
                assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
            }
        }
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        assert!(
            samples.insert(series.to_owned(), value).is_none(),
            "twice: {line}"
        );
    }
    samples
}

async fn scrape(app: &TestApp) -> Samples {
    let response = app
        .client
        .get(format!("{}/metrics", app.admin_address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    parse_prometheus_text(&response.text().await.unwrap())
}

async fn metrics_count_what_happened_in_prometheus_text(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.limits.rate_limit =
            dcr_server::config::RateSetting(Some("3/hour".parse().unwrap()));
    })
    .await;
    let registered = app.register(&fixture("claude_ai")).await;
    let id = registered["client_id"].as_str().unwrap();
    let secret = registered["client_secret"].as_str().unwrap();
    let invalid = app.post_register(&json!({"redirect_uris": "nope"})).await;
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    app.register(&fixture("claude_code")).await;
    // The fourth registration from this address is over the limit.
    let limited = app.post_register(&fixture("cursor")).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.verify(id, Some(secret)).await["valid"], true);
    assert_eq!(app.verify(id, Some("wrong")).await["valid"], false);
    // The body form is the same call, counted alike.
    let by_body = app
        .client
        .post(format!("{}/admin/verify", app.admin_address))
        .json(&json!({ "client_id": id, "client_secret": "wrong" }))
        .send()
        .await
        .unwrap();
    assert_eq!(by_body.status(), StatusCode::OK);
    let read = app
        .request(Method::GET, &format!("/register/{id}"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::UNAUTHORIZED);
    let disabled = app
        .client
        .post(format!("{}/admin/clients/{id}/disable", app.admin_address))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), StatusCode::OK);

    let samples = scrape(&app).await;
    let value = |series: &str| {
        *samples
            .get(series)
            .unwrap_or_else(|| panic!("{series} missing: {samples:#?}"))
    };
    assert_eq!(value(r#"dcr_registrations_total{outcome="created"}"#), 2.0);
    assert_eq!(value(r#"dcr_registrations_total{outcome="invalid"}"#), 1.0);
    assert_eq!(
        value(r#"dcr_registrations_total{outcome="rate_limited"}"#),
        1.0
    );
    assert_eq!(
        value(r#"dcr_rejections_total{reason="rate_limited",status="429"}"#),
        1.0
    );
    assert_eq!(value(r#"dcr_verifications_total{outcome="valid"}"#), 1.0);
    assert_eq!(value(r#"dcr_verifications_total{outcome="invalid"}"#), 2.0);
    assert_eq!(
        value(r#"dcr_management_requests_total{operation="read",outcome="unauthorized"}"#),
        1.0
    );
    assert_eq!(value(r#"dcr_clients{state="active"}"#), 1.0);
    assert_eq!(value(r#"dcr_clients{state="disabled"}"#), 1.0);
    // Two registrations written, three verifies read, one at a time.
    assert_eq!(value("dcr_registration_batch_size_sum"), 2.0);
    assert_eq!(value(r#"dcr_registration_batch_size_bucket{le="1"}"#), 2.0);
    assert_eq!(value("dcr_client_read_batch_size_sum"), 3.0);
    assert_eq!(value("dcr_client_read_batch_size_count"), 3.0);
    assert_eq!(value("dcr_db_pool_max_connections"), 8.0);
    assert!(value("dcr_db_pool_checkouts_total") > 0.0);
    // One confidential registration and one uncached verify hashed.
    assert_eq!(
        value(r#"dcr_hashing_seconds_count{pool="registration"}"#),
        1.0
    );
    assert!(value(r#"dcr_hashing_seconds_count{pool="verify"}"#) >= 1.0);
    assert_eq!(
        value(r#"dcr_hashing_queue_depth{pool="registration"}"#),
        0.0
    );
    assert_eq!(
        value(
            r#"dcr_http_request_duration_seconds_count{listener="public",method="POST",route="/register",status="201"}"#
        ),
        2.0
    );
    assert!(
        samples
            .keys()
            .any(|series| series.starts_with("dcr_build_info{version="))
    );
    // An unknown path is one label, whatever it was.
    app.get("/whatever/secret-looking-path").await;
    let samples = scrape(&app).await;
    assert!(
        samples
            .keys()
            .all(|series| !series.contains("secret-looking"))
    );
    assert!(
        samples
            .keys()
            .any(|series| series.contains(r#"route="unmatched""#))
    );
}
