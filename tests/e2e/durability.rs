//! A `201` is a stored client: the server killed with SIGKILL in the middle
//! of concurrent registrations (batches of the group-commit writers in
//! flight), then started again on the same database, has every client it
//! acknowledged, each with its `registered` event. On both backends.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use dcr_store::test_support::TestDatabase;
use reqwest::Client;
use serde_json::Value;

use crate::process::{ADMIN_TOKEN, ScratchDir, Server, claude_code_body};

/// Registrations from 16 connections until the server dies: the ids of the
/// answers that were `201`.
async fn register_until_killed(server: &Server) -> Vec<String> {
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let killed = Arc::new(AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (http, url, killed) = (http.clone(), server.url("/register"), killed.clone());
        tasks.spawn(async move {
            let mut acknowledged = Vec::new();
            while !killed.load(Ordering::Relaxed) {
                // A connection cut by the kill is no answer: nothing was
                // acknowledged.
                let Ok(response) = http.post(&url).json(&claude_code_body()).send().await else {
                    break;
                };
                if response.status() != 201 {
                    continue;
                }
                let Ok(body) = response.json::<Value>().await else {
                    break;
                };
                acknowledged.push(body["client_id"].as_str().unwrap().to_owned());
            }
            acknowledged
        });
    }
    // Long enough for many batches, then the kill lands among them.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.signal("KILL");
    killed.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    while let Some(ids) = tasks.join_next().await {
        acknowledged.extend(ids.unwrap());
    }
    acknowledged
}

/// Every acknowledged client is there after the restart, with its event.
async fn every_acknowledged_client_is_stored(restarted: &Server, acknowledged: &[String]) {
    let http = Client::new();
    for client_id in acknowledged {
        let shown = http
            .get(restarted.admin(&format!("/admin/clients/{client_id}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(shown.status(), 200, "acknowledged client {client_id} lost");
        let events: Value = http
            .get(restarted.admin(&format!("/admin/clients/{client_id}/events")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let kinds: Vec<&str> = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| event["event"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["registered"], "the events of {client_id}");
    }
}

async fn killed_mid_batch_loses_no_acknowledged_client(env: &[(&str, String)], dir: &ScratchDir) {
    let server = Server::start(&dir.0, env);
    let acknowledged = register_until_killed(&server).await;
    drop(server);
    assert!(
        acknowledged.len() > 50,
        "too few registrations before the kill to mean anything: {}",
        acknowledged.len()
    );
    let restarted = Server::start(&dir.0, env);
    every_acknowledged_client_is_stored(&restarted, &acknowledged).await;
}

fn env(database_url: Option<String>) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("DCR_BIND", "127.0.0.1:0".to_owned()),
        ("DCR_ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
        ("DCR_RATE_LIMIT", "off".to_owned()),
        ("DCR_RATE_LIMIT_GLOBAL", "off".to_owned()),
    ];
    env.extend(database_url.map(|url| ("DCR_DATABASE_URL", url)));
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_on_sqlite_loses_no_acknowledged_registration() {
    let dir = ScratchDir::new();
    killed_mid_batch_loses_no_acknowledged_client(&env(None), &dir).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_on_postgres_loses_no_acknowledged_registration() {
    let database = TestDatabase::postgres();
    let dir = ScratchDir::new();
    killed_mid_batch_loses_no_acknowledged_client(&env(Some(database.url_string())), &dir).await;
}
