//! docker-compose.yml's configuration, proven without a Docker engine: the dcr
//! service's environment, read from the compose file, starts the real binary
//! against the local Postgres (only the database host and the port differ).

use serde_json::Value;

use dcr_store::test_support::TestDatabase;

use crate::process::{ScratchDir, Server, claude_ai_body, claude_code_body};

/// The `environment:` map of the `dcr` service in docker-compose.yml.
fn compose_environment() -> Vec<(String, String)> {
    let compose = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docker-compose.yml"
    ))
    .expect("docker-compose.yml exists");
    let mut in_dcr = false;
    let mut in_environment = false;
    let mut env = Vec::new();
    for line in compose.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match indent {
            2 => in_dcr = text == "dcr:",
            4 => in_environment = in_dcr && text == "environment:",
            6 if in_environment => {
                let (key, value) = text.split_once(':').expect("KEY: value lines");
                let value = value.trim().trim_matches('"').to_owned();
                env.push((key.trim().to_owned(), value));
            }
            _ => {}
        }
    }
    assert!(
        !env.is_empty(),
        "docker-compose.yml gives the dcr service an environment"
    );
    env
}

#[tokio::test]
async fn the_compose_environment_serves_on_postgres() {
    let database = TestDatabase::postgres();
    let dir = ScratchDir::new();
    let mut env: Vec<(&str, String)> = Vec::new();
    let compose = compose_environment();
    // The published listener faces a network: it must know its URL.
    let setting = |name: &str| {
        compose
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let bind: std::net::SocketAddr = setting("DCR_BIND").unwrap().parse().unwrap();
    assert!(
        bind.ip().is_loopback() || setting("DCR_PUBLIC_URL").is_some(),
        "compose binds {bind} without DCR_PUBLIC_URL: dcr would refuse to start"
    );
    for (key, value) in &compose {
        let value = match key.as_str() {
            // The compose network's `postgres` host is the local server here.
            "DCR_DATABASE_URL" => {
                assert!(
                    value.starts_with("postgres://"),
                    "compose uses Postgres: {value}"
                );
                database.url_string()
            }
            // Any free port instead of the published 8080.
            "DCR_BIND" => "127.0.0.1:0".to_owned(),
            _ => value.clone(),
        };
        env.push((key.as_str(), value));
    }
    let server = Server::start(&dir.0, &env);
    let client = reqwest::Client::new();
    for body in [claude_code_body(), claude_ai_body()] {
        let response = client
            .post(server.url("/register"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", server.logs());
        let registered: Value = response.json().await.unwrap();
        assert_eq!(
            registered["token_endpoint_auth_method"],
            body["token_endpoint_auth_method"]
        );
    }
    assert_eq!(database.store().count_clients().unwrap(), 2);
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}
