//! The binary on a libpq multi-host URL, as a replica is configured in
//! front of a primary and its standby: it connects past a dead host, and
//! while no host takes writes (as between a primary's death and a standby's
//! promotion) it answers 503 at once and is not ready, then recovers alone.

use std::time::{Duration, Instant};

use dcr_store::test_support::TestDatabase;

use crate::process::{ScratchDir, Server, claude_code_body};

async fn register_status(http: &reqwest::Client, server: &Server) -> reqwest::Response {
    http.post(server.url("/register"))
        .json(&claude_code_body())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_multi_host_url_finds_the_writable_host_and_waits_out_a_failover() {
    let database = TestDatabase::postgres();
    let url = url::Url::parse(&database.url_string()).unwrap();
    // A dead host first: libpq tries the hosts in turn and keeps the first
    // that takes writes.
    let multi_host = format!(
        "postgres://{}@127.0.0.1:1,{}:{}{}?target_session_attrs=read-write",
        url.username(),
        url.host_str().unwrap(),
        url.port().unwrap_or(5432),
        url.path()
    );
    let dir = ScratchDir::new();
    let server = Server::start(
        &dir.0,
        &[
            ("DCR_DATABASE_URL", multi_host.clone()),
            ("DCR_BIND", "127.0.0.1:0".into()),
            ("DCR_BCRYPT_COST", "4".into()),
            ("DCR_DATABASE_TIMEOUT_MS", "500".into()),
        ],
    );
    assert!(
        server.logs().contains(&format!("database: {multi_host}")),
        "the log names the URL as given:\n{}",
        server.logs()
    );
    let http = reqwest::Client::new();
    assert_eq!(register_status(&http, &server).await.status(), 201);
    let ready = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    // No host takes writes: libpq refuses every host for
    // target_session_attrs=read-write, so the pool has no connection to give.
    database.set_read_only(true);
    let started = Instant::now();
    let refused = register_status(&http, &server).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    // Under DCR_QUEUE_MAX_WAIT_MS (2 s by default).
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let not_ready = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(not_ready.status(), 503);
    let alive = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), 200);

    database.set_read_only(false);
    let back = Instant::now();
    let ready = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(register_status(&http, &server).await.status(), 201);
    assert!(
        back.elapsed() < Duration::from_secs(3),
        "{:?}",
        back.elapsed()
    );
    assert_eq!(database.store().count_clients().unwrap(), 2);
}
