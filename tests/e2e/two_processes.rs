//! Replicas: two dcr-server processes on one Postgres database, as behind a
//! load balancer. Whatever one process did, the other sees at once; no state
//! lives in a process.

use std::collections::HashSet;

use dcr_store::test_support::TestDatabase;
use reqwest::Client;
use serde_json::{Map, Value, json};

use crate::process::{ADMIN_TOKEN, ScratchDir, Server, claude_ai_body, claude_code_body};

/// Starts two processes on `database` at the same time: both apply the
/// migrations at start-up, under Postgres' advisory lock.
fn start_two(database: &TestDatabase, a: &ScratchDir, b: &ScratchDir) -> (Server, Server) {
    let env = [
        ("DCR_DATABASE_URL", database.url_string()),
        ("DCR_BIND", "127.0.0.1:0".into()),
        ("DCR_BCRYPT_COST", "4".into()),
        ("DCR_ADMIN_TOKEN", ADMIN_TOKEN.into()),
    ];
    std::thread::scope(|scope| {
        let first = scope.spawn(|| Server::start(&a.0, &env));
        let second = scope.spawn(|| Server::start(&b.0, &env));
        (first.join().unwrap(), second.join().unwrap())
    })
}

async fn json_of(response: reqwest::Response, status: u16) -> Map<String, Value> {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual.as_u16(), status, "body: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn read(http: &Client, server: &Server, client_id: &str, token: &str) -> reqwest::Response {
    http.get(server.url(&format!("/register/{client_id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Registered through A; read, updated and verified through B; the token the
/// update replaced stops working on A.
#[tokio::test]
async fn a_client_registered_on_one_process_is_managed_through_the_other() {
    let database = TestDatabase::postgres();
    let (dir_a, dir_b) = (ScratchDir::new(), ScratchDir::new());
    let (a, b) = start_two(&database, &dir_a, &dir_b);
    assert_ne!(a.base_url, b.base_url);
    assert_ne!(a.admin_url, b.admin_url);
    let http = Client::new();

    let response = http
        .post(a.url("/register"))
        .json(&claude_ai_body())
        .send()
        .await
        .unwrap();
    let registered = json_of(response, 201).await;
    let id = registered["client_id"].as_str().unwrap().to_owned();
    let secret = registered["client_secret"].as_str().unwrap().to_owned();
    let token = registered["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        registered["registration_client_uri"],
        a.url(&format!("/register/{id}"))
    );

    // Read through B (RFC 7592 section 2.1): the same registration, no secret.
    let mut read_on_b = json_of(read(&http, &b, &id, &token).await, 200).await;
    assert_eq!(
        read_on_b.remove("registration_client_uri"),
        Some(json!(b.url(&format!("/register/{id}"))))
    );
    let mut expected = registered.clone();
    expected.remove("client_secret");
    expected.remove("registration_client_uri");
    assert_eq!(read_on_b, expected);

    // Update through B (RFC 7592 section 2.2): a new token, the same secret.
    let mut update = claude_ai_body();
    update["client_id"] = json!(id);
    update["client_name"] = json!("Claude (renamed on B)");
    update["scope"] = json!("mcp:tools");
    let response = http
        .put(b.url(&format!("/register/{id}")))
        .bearer_auth(&token)
        .json(&update)
        .send()
        .await
        .unwrap();
    let updated = json_of(response, 200).await;
    assert_eq!(updated["client_name"], "Claude (renamed on B)");
    assert!(updated.get("client_secret").is_none(), "the secret is kept");
    let new_token = updated["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_token, token);

    // The replaced token fails on A, for reads and updates alike.
    let response = read(&http, &a, &id, &token).await;
    assert_eq!(response.status(), 401);
    assert!(
        response
            .headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let response = http
        .put(a.url(&format!("/register/{id}")))
        .bearer_auth(&token)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let read_on_a = json_of(read(&http, &a, &id, &new_token).await, 200).await;
    assert_eq!(read_on_a["client_name"], "Claude (renamed on B)");
    assert_eq!(read_on_a["scope"], "mcp:tools");

    // Verified through B (and A) with the secret issued by A.
    let right = json!({ "client_secret": secret });
    for server in [&b, &a] {
        let answer = server.verify(Some(ADMIN_TOKEN), &id, &right).await;
        assert_eq!(answer["valid"], true, "{answer:?}");
        assert_eq!(answer["client"]["client_name"], "Claude (renamed on B)");
        assert_eq!(answer["client"]["scope"], "mcp:tools");
    }
    let answer = b
        .verify(Some(ADMIN_TOKEN), &id, &json!({ "client_secret": "wrong" }))
        .await;
    assert_eq!(Value::Object(answer), json!({ "valid": false }));
    // The use B recorded is what A's admin API shows.
    let response = http
        .get(a.admin(&format!("/admin/clients/{id}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let shown = json_of(response, 200).await;
    assert!(shown["last_used_at"].is_i64(), "{shown:?}");

    // Disabled through A's admin API: B's check refuses at once.
    let response = http
        .post(a.admin(&format!("/admin/clients/{id}/disable")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer = b.verify(Some(ADMIN_TOKEN), &id, &right).await;
    assert_eq!(Value::Object(answer), json!({ "valid": false }));
    // Its registration access token opens nothing on B either.
    assert_eq!(read(&http, &b, &id, &new_token).await.status(), 401);
    let response = http
        .delete(a.url(&format!("/register/{id}")))
        .bearer_auth(&new_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // Enabled through B's admin API: the token works on A again, and deletes
    // the client (RFC 7592 section 2.3), gone for B.
    let response = http
        .post(b.admin(&format!("/admin/clients/{id}/enable")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = http
        .delete(a.url(&format!("/register/{id}")))
        .bearer_auth(&new_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(read(&http, &b, &id, &new_token).await.status(), 401);
}

/// Registrations through both processes at once all land, each with its own
/// client_id, and each process lists them all.
#[tokio::test]
async fn concurrent_registrations_on_both_processes_all_land() {
    let database = TestDatabase::postgres();
    let (dir_a, dir_b) = (ScratchDir::new(), ScratchDir::new());
    let (a, b) = start_two(&database, &dir_a, &dir_b);
    let http = Client::new();

    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..20 {
        let url = if index % 2 == 0 {
            a.url("/register")
        } else {
            b.url("/register")
        };
        let body = if index % 3 == 0 {
            claude_ai_body()
        } else {
            claude_code_body()
        };
        let http = http.clone();
        tasks.spawn(async move {
            let response = http.post(url).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            body["client_id"].as_str().unwrap().to_owned()
        });
    }
    let mut registered = HashSet::new();
    while let Some(id) = tasks.join_next().await {
        assert!(
            registered.insert(id.unwrap()),
            "a client_id was issued twice"
        );
    }
    assert_eq!(registered.len(), 20);

    for server in [&a, &b] {
        let response = http
            .get(server.admin("/admin/clients"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        let page = json_of(response, 200).await;
        let listed: HashSet<String> = page["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|client| client["client_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed, registered);
    }
}

/// An initial access token with `max_uses` spent through both processes at
/// once (`DCR_REGISTRATION=token`): exactly `max_uses` registrations land,
/// whichever process they reached.
#[tokio::test]
async fn two_processes_cannot_overspend_an_initial_access_token() {
    let database = TestDatabase::postgres();
    let (dir_a, dir_b) = (ScratchDir::new(), ScratchDir::new());
    let env = [
        ("DCR_DATABASE_URL", database.url_string()),
        ("DCR_BIND", "127.0.0.1:0".into()),
        ("DCR_BCRYPT_COST", "4".into()),
        ("DCR_ADMIN_TOKEN", ADMIN_TOKEN.into()),
        ("DCR_REGISTRATION", "token".into()),
    ];
    let (a, b) = std::thread::scope(|scope| {
        let first = scope.spawn(|| Server::start(&dir_a.0, &env));
        let second = scope.spawn(|| Server::start(&dir_b.0, &env));
        (first.join().unwrap(), second.join().unwrap())
    });
    let http = Client::new();
    let response = http
        .post(a.admin("/admin/initial-access-tokens"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"max_uses": 5, "description": "two replicas"}))
        .send()
        .await
        .unwrap();
    let created = json_of(response, 201).await;
    let token = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();

    let attempts = (0..20).map(|attempt| {
        let server = if attempt % 2 == 0 { &a } else { &b };
        http.post(server.url("/register"))
            .bearer_auth(&token)
            .json(&claude_code_body())
            .send()
    });
    let responses = futures_util::future::join_all(attempts).await;
    let mut statuses = Vec::new();
    for response in responses {
        statuses.push(response.unwrap().status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        15,
        "{statuses:?}"
    );

    // Both processes see the token spent.
    for server in [&a, &b] {
        let response = http
            .get(server.admin(&format!("/admin/initial-access-tokens/{id}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        let shown = json_of(response, 200).await;
        assert_eq!(shown["uses"], 5);
        assert_eq!(shown["state"], "used_up");
    }
}
