//! A burst of confidential registrations: bcrypt runs on a bounded pool, so
//! past its queue the server answers 503 with `Retry-After` at once, and
//! liveness stays fast meanwhile.
//!
//! On SQLite only: the hashing pool does not depend on the store, and the
//! DCR_QUEUE_MAX_WAIT_MS these tests need (150 ms, under one cost-12 hash:
//! about 0.2 s measured, 0.82 s estimated) also bounds each database write,
//! which a Postgres round trip on a loaded test machine can exceed (the
//! setup registration then gets 503 `temporarily_unavailable`). Even a
//! SQLite write can miss it while the whole suite loads the machine: at
//! 50 ms, the one registration a burst admitted was once answered 503 by
//! its write, so the limit is no tighter than it must be, and the setup
//! registrations retry a 503, as a client would.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::helpers::{Backend, TestApp, fixture, header, spawn_app_with};

/// A registration the test needs before its burst: a 503 (the 150 ms wait
/// for the database or the hashing pool missed on a loaded machine) is
/// retried, as RFC 9110 section 15.6.4 lets a client, a bounded number of
/// times.
async fn register_before_the_burst(app: &TestApp) -> serde_json::Map<String, Value> {
    for _ in 0..20 {
        let response = app.post_register(&fixture("claude_ai")).await;
        if response.status() != StatusCode::SERVICE_UNAVAILABLE {
            let status = response.status();
            let text = response.text().await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "registration refused: {text}");
            return serde_json::from_str(&text).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the setup registration got 503 twenty times");
}

#[tokio::test]
async fn a_burst_past_the_hashing_queue_gets_503_with_retry_after() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        // Slow enough that the burst arrives while the first hash runs.
        settings.hashing.bcrypt_cost = 12;
        settings.hashing.bcrypt_threads = Some(1);
        settings.hashing.bcrypt_queue = 1;
    })
    .await;
    let mut requests = JoinSet::new();
    for _ in 0..10 {
        let request = app
            .client
            .post(app.url("/register"))
            .json(&fixture("claude_ai"));
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let retry_after = header(response.headers(), "retry-after").map(str::to_owned);
            let body: Value = response.json().await.unwrap();
            (status, retry_after, body)
        });
    }

    let started = Instant::now();
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "liveness waited {:?} behind hashing",
        started.elapsed()
    );

    let (mut created, mut busy) = (0, 0);
    while let Some(outcome) = requests.join_next().await {
        let (status, retry_after, body) = outcome.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(body["error"], "temporarily_unavailable", "{body}");
                assert!(body["error_description"].is_string(), "{body}");
                assert!(body.get("field").is_none(), "{body}");
                assert!(retry_after.is_some(), "a 503 says when to retry");
            }
            other => panic!("a burst gets 201 or 503, not {other}: {body}"),
        }
    }
    assert!(created >= 1, "none of the burst was registered");
    assert!(busy >= 1, "a queue of 1 took a burst of 10");
    assert_eq!(app.store.count_clients().unwrap(), created);
}

/// Admission by expected wait: once a hash has been timed, a request that
/// would wait longer than DCR_QUEUE_MAX_WAIT_MS is answered 503 at once,
/// however short the line is, with a Retry-After from the estimate.
#[tokio::test]
async fn a_wait_longer_than_allowed_is_refused_at_once() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.hashing.bcrypt_cost = 12;
        settings.hashing.bcrypt_threads = Some(1);
        settings.hashing.bcrypt_queue = 1000;
        // Under one cost-12 hash; no tighter (see the module's note).
        settings.hashing.queue_max_wait_ms = 150;
    })
    .await;
    // The first hash is timed (about 0.2 s at cost 12, more than 150 ms).
    register_before_the_burst(&app).await;
    let mut requests = JoinSet::new();
    for _ in 0..3 {
        let request = app
            .client
            .post(app.url("/register"))
            .json(&fixture("claude_ai"));
        requests.spawn(async move {
            let started = Instant::now();
            let response = request.send().await.unwrap();
            let status = response.status();
            let retry_after = header(response.headers(), "retry-after").map(str::to_owned);
            (status, retry_after, started.elapsed())
        });
    }
    let (mut created, mut refused) = (0, 0);
    while let Some(outcome) = requests.join_next().await {
        let (status, retry_after, _) = outcome.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                refused += 1;
                // About one hash ahead, rounded up to whole seconds: 1 on an
                // idle machine, more while other tests share the cores.
                let seconds: u64 = retry_after
                    .as_deref()
                    .and_then(|value| value.parse().ok())
                    .expect("a Retry-After of whole seconds");
                assert!((1..=3).contains(&seconds), "Retry-After {seconds}");
            }
            other => panic!("201 or 503, not {other}"),
        }
    }
    assert!(created >= 1, "the free thread takes one");
    assert!(
        refused >= 1,
        "a line with a 0.2 s wait admitted under a 150 ms limit"
    );
    assert_eq!(app.store.count_clients().unwrap(), created + 1);
}

/// Admission holds from the first request: before any hash has been timed,
/// a fresh server estimates from the configured cost, so a burst at start-up
/// is not all admitted into a line longer than DCR_QUEUE_MAX_WAIT_MS.
#[tokio::test]
async fn a_fresh_server_refuses_a_burst_longer_than_the_wait_allows() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.hashing.bcrypt_cost = 12;
        settings.hashing.bcrypt_threads = Some(1);
        settings.hashing.bcrypt_queue = 1000;
        // Under one cost-12 hash; no tighter (see the module's note).
        settings.hashing.queue_max_wait_ms = 150;
    })
    .await;
    let statuses = burst(&app, 4, |app| {
        app.client
            .post(app.url("/register"))
            .json(&fixture("claude_ai"))
    })
    .await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses.len() - created;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert!(created >= 1, "the free thread takes one");
    assert!(
        refused >= 1,
        "a fresh server admitted a burst of 4 cost-12 hashes on one thread under a 150 ms limit"
    );
    assert_eq!(
        app.store.count_clients().unwrap(),
        i64::try_from(created).unwrap()
    );
}

/// The verify call's own line holds from its first request too.
#[tokio::test]
async fn a_fresh_verify_line_refuses_a_burst_longer_than_the_wait_allows() {
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.hashing.bcrypt_cost = 12;
        settings.hashing.bcrypt_threads = Some(1);
        settings.hashing.verify_threads = Some(1);
        settings.hashing.bcrypt_queue = 1000;
        // Under one cost-12 hash; no tighter (see the module's note).
        settings.hashing.queue_max_wait_ms = 150;
        settings.hashing.verify_cache_size = 0;
    })
    .await;
    // Distinct clients, each with its right secret: each check runs bcrypt.
    let mut clients = Vec::new();
    for _ in 0..4 {
        let client = register_before_the_burst(&app).await;
        clients.push((
            client["client_id"].as_str().unwrap().to_owned(),
            client["client_secret"].as_str().unwrap().to_owned(),
        ));
    }
    let mut clients = clients.into_iter();
    let statuses = burst(&app, 4, move |app| {
        let (client_id, secret) = clients.next().unwrap();
        app.client
            .post(format!(
                "{}/admin/clients/{client_id}/verify",
                app.admin_address
            ))
            .json(&serde_json::json!({ "client_secret": secret }))
    })
    .await;
    let valid = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert!(valid >= 1, "the free thread takes one");
    assert!(
        valid < statuses.len(),
        "a fresh verify line admitted 4 cost-12 checks on one thread under a 150 ms limit"
    );
}

/// Sends `count` requests at once and returns their statuses.
async fn burst(
    app: &TestApp,
    count: usize,
    mut request: impl FnMut(&TestApp) -> reqwest::RequestBuilder,
) -> Vec<StatusCode> {
    let mut requests = JoinSet::new();
    for _ in 0..count {
        let request = request(app);
        requests.spawn(async move { request.send().await.unwrap().status() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = requests.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses
}
