//! docker-compose.yml's configuration, proven without a Docker engine: the dcr
//! service's environment, read from the compose file, starts the real binary
//! against the local Postgres (only the database host and the port differ).

use serde_json::Value;

use dcr_store::test_support::TestDatabase;

use crate::process::{ScratchDir, Server, claude_ai_body, claude_code_body, run};

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

/// `KEY=value` lines of .env.example, which stands in for the operator's .env.
fn example_env_file() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.env.example"))
        .expect(".env.example exists beside docker-compose.yml");
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (key, value) = line.split_once('=').expect("KEY=value lines");
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// A compose value with `${NAME...}` replaced from the env file, as compose
/// interpolates it.
fn interpolate(value: &str, env_file: &[(String, String)]) -> String {
    let Some(reference) = value
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
    else {
        return value.to_owned();
    };
    let name = reference.split([':', '-', '?']).next().unwrap_or_default();
    env_file
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| panic!("{name} is in neither the environment nor .env.example"))
}

#[test]
fn the_admin_port_is_published_on_loopback_only() {
    let compose = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docker-compose.yml"
    ))
    .unwrap();
    let admin_port = compose_environment()
        .into_iter()
        .find(|(key, _)| key == "DCR_ADMIN_BIND")
        .map(|(_, bind)| bind.rsplit(':').next().unwrap().to_owned())
        .expect("compose sets DCR_ADMIN_BIND");
    let published: Vec<&str> = compose
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("- \"") && line.contains(&format!(":{admin_port}\"")))
        .collect();
    assert!(!published.is_empty(), "the admin port is published");
    for line in published {
        assert!(line.starts_with("- \"127.0.0.1:"), "{line}");
    }
    assert!(compose.contains(r#"test: ["CMD", "dcr-server", "healthcheck"]"#));
}

/// The dcr service's environment as compose gives it, with `env_file`
/// standing in for the operator's .env, on `database_url` and free ports.
fn service_environment(database_url: &str, env_file: &[(String, String)]) -> Vec<(String, String)> {
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
    let mut env = Vec::new();
    for (key, value) in &compose {
        let value = match key.as_str() {
            // The compose network's `postgres` host is the local server here.
            "DCR_DATABASE_URL" => {
                assert!(
                    value.starts_with("postgres://"),
                    "compose uses Postgres: {value}"
                );
                database_url.to_owned()
            }
            // Any free ports instead of the published 8080 and 9090.
            "DCR_BIND" | "DCR_ADMIN_BIND" => "127.0.0.1:0".to_owned(),
            _ => interpolate(value, env_file),
        };
        env.push((key.clone(), value));
    }
    env
}

/// Copied as it is, .env.example does not start the stack: its admin token
/// is a placeholder everyone knows, and dcr says how to make a real one
/// (without repeating the placeholder).
#[test]
fn the_example_admin_token_is_refused() {
    let dir = ScratchDir::new();
    let env_file = example_env_file();
    let placeholder = interpolate("${DCR_ADMIN_TOKEN}", &env_file);
    // Refused before any database is opened.
    let env = service_environment("postgres://dcr@127.0.0.1:1/dcr", &env_file);
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let (status, output) = run(&dir.0, &[], &env);
    assert_eq!(status.code(), Some(2), "{output}");
    assert!(output.contains("DCR_ADMIN_TOKEN"), "{output}");
    assert!(output.contains("openssl rand -base64 32"), "{output}");
    assert!(!output.contains(&placeholder), "{output}");
}

#[tokio::test]
async fn the_compose_environment_serves_on_postgres() {
    let database = TestDatabase::postgres();
    let dir = ScratchDir::new();
    // The operator's .env: .env.example with a token of their own, as
    // `openssl rand -base64 32` makes one.
    let env_file: Vec<(String, String)> = example_env_file()
        .into_iter()
        .map(|(key, value)| match key.as_str() {
            "DCR_ADMIN_TOKEN" => (
                key,
                "R2Vuj8Dq0rY1bW5nZlQxT3hKc9Vd7uPmA4sE6iLgN0o=".to_owned(),
            ),
            _ => (key, value),
        })
        .collect();
    let env = service_environment(&database.url_string(), &env_file);
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
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
    // The admin API wants the token from the env file.
    let token = interpolate("${DCR_ADMIN_TOKEN}", &env_file);
    let listed = client
        .get(server.admin("/admin/clients"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let refused = client
        .get(server.admin("/admin/clients"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    // Discovery is published with the example authorization server.
    let discovery = client
        .get(server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(discovery.status(), 200, "{}", server.logs());
}
