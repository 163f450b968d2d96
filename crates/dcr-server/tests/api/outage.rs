//! A database outage: the server answers 503 with `Retry-After` (not a hang,
//! not a 500), stays alive, and recovers by itself when the database returns
//! or takes writes again.

use std::time::{Duration, Instant};

use dcr_core::ClientId;
use dcr_store::test_support::postgres_admin_sql;
use dcr_store::{Store, StoreConfig};
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, assert_error, fixture, header, spawn_app_with};

/// How long the application waits for a connection in these tests.
const DATABASE_TIMEOUT: Duration = Duration::from_millis(500);

#[tokio::test]
async fn postgres_outage_is_503_and_registration_recovers_without_a_restart() {
    let app = spawn_app_with(Backend::Postgres, |settings| {
        settings.database.database_timeout_ms =
            u64::try_from(DATABASE_TIMEOUT.as_millis()).unwrap();
    })
    .await;
    // The pool holds live connections when the database goes away.
    app.register(&fixture("claude_code")).await;
    let name = app.db.postgres_name();

    postgres_admin_sql(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"));

    assert_unavailable_but_alive(&app, DATABASE_TIMEOUT * 6).await;

    postgres_admin_sql(&format!("CREATE DATABASE \"{name}\""));
    Store::open(&StoreConfig::new(app.db.url().clone()))
        .unwrap()
        .run_migrations()
        .unwrap();

    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let public = app.register(&fixture("claude_code")).await;
    let confidential = app.register(&fixture("claude_ai")).await;

    // Read back through a new pool: this test is about the server's.
    let store = app.db.store();
    for registered in [public, confidential] {
        let client_id = ClientId::parse(registered["client_id"].as_str().unwrap()).unwrap();
        store.find_client(&client_id).unwrap();
    }
    assert_eq!(store.count_clients().unwrap(), 2);
}

/// A Postgres restart or failover kills every session: the pooled connections
/// are dead, yet the next requests must not fail for it.
#[tokio::test]
async fn killed_database_sessions_cost_no_request_an_error() {
    let app = spawn_app_with(Backend::Postgres, |settings| {
        settings.database.database_timeout_ms =
            u64::try_from(DATABASE_TIMEOUT.as_millis()).unwrap();
    })
    .await;
    app.register(&fixture("claude_ai")).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let name = app.db.postgres_name();

    postgres_admin_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ));

    app.register(&fixture("claude_code")).await;
    app.register(&fixture("claude_ai")).await;
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    assert_eq!(app.db.store().count_clients().unwrap(), 3);
}

/// A failover as a replica sees it: its database turns read-only (the pool
/// lands on a standby), then writable again (a primary is back). Until then
/// registrations answer 503 at once and the replica is not ready; after,
/// both recover within seconds, with no restart.
#[tokio::test]
async fn a_read_only_database_is_503_and_not_ready_until_it_takes_writes() {
    let app = spawn_app_with(Backend::Postgres, |settings| {
        settings.database.database_timeout_ms =
            u64::try_from(DATABASE_TIMEOUT.as_millis()).unwrap();
    })
    .await;
    app.register(&fixture("claude_code")).await;

    app.db.set_read_only(true);
    // Well under DCR_QUEUE_MAX_WAIT_MS (2 s by default).
    assert_unavailable_but_alive(&app, Duration::from_secs(2)).await;

    app.db.set_read_only(false);
    let back = Instant::now();
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let registered = app.register(&fixture("claude_ai")).await;
    assert!(
        back.elapsed() < Duration::from_secs(3),
        "recovery took {:?}",
        back.elapsed()
    );
    let client_id = ClientId::parse(registered["client_id"].as_str().unwrap()).unwrap();
    let store = app.db.store();
    store.find_client(&client_id).unwrap();
    assert_eq!(store.count_clients().unwrap(), 2);
}

/// New sessions on database `name` are read-only (as on a standby) or not,
/// and the open ones are ended, as a failover ends them.
/// Registrations (public and confidential) and `/readyz` answer 503 with
/// `Retry-After`, each registration within `bound`; `/healthz` still 200.
async fn assert_unavailable_but_alive(app: &TestApp, bound: Duration) {
    for body in [fixture("claude_code"), fixture("claude_ai")] {
        let started = Instant::now();
        let response = app.post_register(&body).await;
        let (headers, _) = assert_error(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            None,
        )
        .await;
        assert_retry_after(&headers);
        assert!(
            started.elapsed() < bound,
            "the 503 took {:?}",
            started.elapsed()
        );
    }
    let (headers, _) = assert_error(
        app.get("/readyz").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        None,
    )
    .await;
    assert_retry_after(&headers);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

fn assert_retry_after(headers: &reqwest::header::HeaderMap) {
    let retry_after = header(headers, "retry-after").expect("a 503 says when to retry");
    let seconds: u64 = retry_after.parse().expect("Retry-After in whole seconds");
    assert!((1..=120).contains(&seconds), "Retry-After: {seconds}");
}
