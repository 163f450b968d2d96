//! `POST /admin/cimd/check`: a document checked rule by rule as verify
//! would check it, for its author; nothing cached or recorded.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::documents::{DocumentServer, answer, document, ok};
use super::{spawn_cimd_app, verify_url};
use crate::helpers::*;

async fn check(app: &TestApp, url: &str) -> Value {
    let (status, report) = admin_json(
        app,
        Method::POST,
        "/admin/cimd/check",
        Some(json!({ "client_id": url })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

/// The rules' results in order, and the failed rule's detail.
fn results(report: &Value) -> (Vec<(String, String)>, Option<String>) {
    let rules = report["rules"].as_array().unwrap();
    let results = rules
        .iter()
        .map(|rule| {
            (
                rule["rule"].as_str().unwrap().to_owned(),
                rule["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let detail = rules
        .iter()
        .find_map(|rule| rule["detail"].as_str().map(str::to_owned));
    (results, detail)
}

pub(super) async fn a_document_is_checked_rule_by_rule_without_the_cache(backend: Backend) {
    let documents = DocumentServer::start().await;
    let app = spawn_cimd_app(backend, |_| {}).await;
    let good = documents.url("/good");
    let mut cached = ok(document(&good));
    cached
        .headers
        .push(("Cache-Control".into(), "max-age=600".into()));
    documents.serve("/good", cached);

    let report = check(&app, &good).await;
    assert_eq!(report["accepted"], true, "{report}");
    assert_eq!(report["ttl_secs"], 600);
    assert_eq!(report["client"]["client_name"], "Example Agent");
    assert_eq!(report["consent"]["source"], "metadata_document");
    let (rules, detail) = results(&report);
    assert_eq!(rules.len(), 11);
    assert!(
        rules.iter().all(|(_, result)| result == "pass"),
        "{rules:?}"
    );
    assert_eq!(detail, None);

    // No cache: each check fetches, and so does the verify after them.
    check(&app, &good).await;
    assert_eq!(documents.hits("/good"), 2);
    assert_eq!(verify_url(&app, &good, None).await["valid"], true);
    assert_eq!(documents.hits("/good"), 3);

    let wrong_id = documents.url("/wrong-id");
    documents.serve("/wrong-id", ok(document(&documents.url("/other"))));
    let secret = documents.url("/secret");
    let mut with_secret = document(&secret);
    with_secret["client_secret"] = json!("s3cr3t-that-is-never-echoed");
    documents.serve("/secret", ok(with_secret));
    let bad_redirect = documents.url("/bad-redirect");
    let mut with_bad_redirect = document(&bad_redirect);
    with_bad_redirect["redirect_uris"] = json!(["http://evil.example/cb"]);
    documents.serve("/bad-redirect", ok(with_bad_redirect));
    let big = documents.url("/big");
    let mut oversize = document(&big);
    oversize["client_name"] = json!("x".repeat(6000));
    documents.serve("/big", ok(oversize));
    let not_json = documents.url("/not-json");
    documents.serve("/not-json", answer(200, &[], b"<html>"));
    let cases = [
        (wrong_id.as_str(), "client_id_matches"),
        (secret.as_str(), "no_secret"),
        (bad_redirect.as_str(), "metadata"),
        (big.as_str(), "size"),
        (not_json.as_str(), "json_object"),
        (documents.url("/missing").leak(), "status_200"),
        ("https://10.0.0.7/client.json", "url"),
        ("http://example.com/client.json", "url"),
        ("not a url", "url"),
    ];
    for (url, failing) in cases {
        let report = check(&app, url).await;
        assert_eq!(report["accepted"], false, "{url}: {report}");
        assert_eq!(report["ttl_secs"], Value::Null);
        assert!(report.get("client").is_none());
        let (rules, detail) = results(&report);
        let at = rules.iter().position(|(rule, _)| rule == failing).unwrap();
        for (index, (rule, result)) in rules.iter().enumerate() {
            let expected = match index.cmp(&at) {
                std::cmp::Ordering::Less => "pass",
                std::cmp::Ordering::Equal => "fail",
                std::cmp::Ordering::Greater => "not_checked",
            };
            assert_eq!(result, expected, "{url}: {rule}");
        }
        let detail = detail.unwrap();
        assert!(!detail.contains("s3cr3t"), "{detail}");
    }
    // Checks record nothing: the metrics saw only the verify's fetch.
    let metrics = app.metrics_text().await;
    let fetches: Vec<&str> = metrics
        .lines()
        .filter(|line| line.starts_with("dcr_cimd_fetches_total{"))
        .collect();
    assert_eq!(fetches.len(), 1, "{fetches:?}");
    assert!(fetches[0].ends_with(" 1"), "{fetches:?}");

    // A body without a client_id string is the admin API's 400.
    let (status, _) = admin_json(&app, Method::POST, "/admin/cimd/check", Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

pub(super) async fn a_server_without_url_client_ids_says_so(backend: Backend) {
    let app = spawn_cimd_app(backend, |settings| {
        settings.cimd.cimd = dcr_server::config::BoolArg(false);
    })
    .await;
    let report = check(&app, "https://agent.example.com/client.json").await;
    assert_eq!(report["accepted"], false);
    let (rules, detail) = results(&report);
    assert_eq!(rules[0], ("enabled".to_owned(), "fail".to_owned()));
    assert!(detail.unwrap().contains("DCR_CIMD=off"));
}
