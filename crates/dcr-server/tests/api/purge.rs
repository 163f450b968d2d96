//! The background purge: a client never used within
//! DCR_UNUSED_CLIENT_TTL_SECS goes; one the token endpoint verified stays.
//! The never-used rule applies once armed: here the verify arms it.

use std::time::{Duration, Instant};

use crate::helpers::*;

on_both_backends!(clients_never_used_are_purged_in_the_background);

async fn clients_never_used_are_purged_in_the_background(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.lifetimes.unused_client_ttl_secs = 1;
        settings.lifetimes.purge_interval_secs = 1;
    })
    .await;
    let unused = app.register(&fixture("claude_code")).await;
    let used = app.register(&fixture("cursor")).await;
    let unused_id = unused["client_id"].as_str().unwrap();
    let used_id = used["client_id"].as_str().unwrap();
    assert_eq!(app.verify(used_id, None).await["valid"], true);
    // The first valid verify armed the never-used rule.
    assert!(app.store.unused_purge_armed_at().unwrap().is_some());

    // Waits for the purge (every second, for clients older than a second),
    // with a deadline far beyond it.
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.store.count_clients().unwrap() > 1 {
        assert!(Instant::now() < deadline, "nothing was purged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let kept = app
        .store
        .list_clients(&Default::default(), 10, None)
        .unwrap();
    assert_eq!(kept.clients.len(), 1);
    assert_eq!(kept.clients[0].client_id.to_string(), used_id);
    assert_eq!(app.verify(unused_id, None).await["valid"], false);
}
