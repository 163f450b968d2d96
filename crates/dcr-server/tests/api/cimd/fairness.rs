//! A host serving documents a byte at a time, flooded with fresh URLs, must
//! not starve the URL clients of other hosts: fetches take turns fairly
//! between hosts, a slow one is cut when others wait, and a host whose
//! fetches keep failing is refused without a fetch for a while.
//!
//! On SQLite only: URL clients are fetched and kept in memory, never in the
//! store, and these tests are timed to the tenth of a second.

use std::time::{Duration, Instant};

use super::documents::{DocumentServer, document, ok};
use super::{spawn_cimd_app, verify_url};
use crate::helpers::*;

/// A document that takes 0.2 s a byte: far longer than any timeout here.
fn trickling(server: &DocumentServer, path: &str) -> String {
    let url = server.url(path);
    let mut answer = ok(document(&url));
    answer.trickle = Some(Duration::from_millis(200));
    server.serve(path, answer);
    url
}

async fn until_fetched(server: &DocumentServer, paths: &[String], at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while paths.iter().map(|path| server.hits(path)).sum::<usize>() < at_least {
        assert!(
            Instant::now() < deadline,
            "the flood never reached the host"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// 64 verifies in flight for distinct URLs on one trickling host; a valid
/// URL client on another host is still fetched and valid at once, and
/// afterwards a fresh path on the failing host is refused without a fetch.
#[tokio::test]
async fn a_flooded_slow_host_starves_no_other_host() {
    let slow = DocumentServer::start_on("127.0.0.2").await;
    let good = DocumentServer::start().await;
    let app = spawn_cimd_app(Backend::Sqlite, |settings| {
        settings.cimd.cimd_min_ttl_secs = 60;
    })
    .await;
    let paths: Vec<String> = (0..64).map(|i| format!("/flood/{i}")).collect();
    let urls: Vec<String> = paths.iter().map(|path| trickling(&slow, path)).collect();
    let flood = futures_util::future::join_all(urls.iter().map(|url| {
        let (client, address) = (app.client.clone(), app.admin_address.clone());
        let path = format!("{address}/admin/clients/{}/verify", super::encoded(url));
        tokio::spawn(async move { client.post(path).json(&serde_json::json!({})).send().await })
    }));
    let flood = tokio::spawn(flood);
    // Every turn the slow host may have is taken, and the rest wait.
    until_fetched(&slow, &paths, 4).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let url = good.serve_document("/agent.json");
    let started = Instant::now();
    let answer = verify_url(&app, &url, None).await;
    assert_eq!(answer["valid"], true, "{answer}");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );

    flood.await.unwrap();
    let fresh = trickling(&slow, "/fresh-path");
    let started = Instant::now();
    assert_eq!(verify_url(&app, &fresh, None).await["valid"], false);
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!(
        slow.hits("/fresh-path"),
        0,
        "the failing host was not asked"
    );
    let fetched: usize = paths.iter().map(|path| slow.hits(path)).sum();
    assert!(
        fetched <= 8,
        "the failing host was asked for {fetched} documents"
    );
}

/// Both turns are held by slow documents on other hosts: the valid client
/// waits only until they have had half the timeout, then they are cut.
#[tokio::test]
async fn a_slow_document_holds_its_turn_for_half_the_timeout_while_others_wait() {
    let slow_a = DocumentServer::start_on("127.0.0.2").await;
    let slow_b = DocumentServer::start_on("127.0.0.3").await;
    let good = DocumentServer::start().await;
    let app = spawn_cimd_app(Backend::Sqlite, |settings| {
        settings.cimd.cimd_timeout_ms = 3000;
        settings.cimd.cimd_max_fetches = 2;
    })
    .await;
    let (a, b) = (trickling(&slow_a, "/a"), trickling(&slow_b, "/b"));
    let held = tokio::spawn({
        let app_client = app.client.clone();
        let admin = app.admin_address.clone();
        async move {
            let verify = |url: String| {
                app_client
                    .post(format!(
                        "{admin}/admin/clients/{}/verify",
                        super::encoded(&url)
                    ))
                    .json(&serde_json::json!({}))
                    .send()
            };
            futures_util::future::join(verify(a), verify(b)).await
        }
    });
    until_fetched(&slow_a, &["/a".to_owned()], 1).await;
    until_fetched(&slow_b, &["/b".to_owned()], 1).await;

    let url = good.serve_document("/agent.json");
    let started = Instant::now();
    let answer = verify_url(&app, &url, None).await;
    assert_eq!(answer["valid"], true, "{answer}");
    assert!(
        started.elapsed() < Duration::from_millis(2100),
        "took {:?}",
        started.elapsed()
    );
    let (a, b) = held.await.unwrap();
    for cut in [a.unwrap(), b.unwrap()] {
        let body: serde_json::Value = cut.json().await.unwrap();
        assert_eq!(body["valid"], false, "{body}");
    }
}
