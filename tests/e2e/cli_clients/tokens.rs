//! Initial access tokens from a shell: `tokens create|list|show|revoke`, and
//! the start-up notice for entries written the way earlier releases did.

use dcr_store::test_support::TestDatabase;
use serde_json::{Value, json};

use super::{clients, environment};
use crate::process::{ScratchDir, Server, claude_code_body, shell};

/// A token whose `redirect_uri_hosts` holds a single label without a colon
/// (how earlier releases wrote a private-use scheme) is named at start-up
/// with the fix; a scheme written with its colon, or a host, is not.
#[test]
fn tokens_with_an_earlier_scheme_entry_are_named_at_start_up() {
    const WARNING: &str = "in redirect_uri_hosts: a host only since this release";
    let database = TestDatabase::sqlite();
    let dir = ScratchDir::new();
    let env = environment(&database);
    drop(Server::start(&dir.0, &env));
    let create = |entry: &str| {
        shell(
            &dir.0,
            &env,
            "tokens",
            &["create", "--redirect-host", entry, "--json"],
        )
        .json()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let clean = [create("cursor:"), create("app.example.com")];
    let logs = Server::start(&dir.0, &env).logs();
    assert!(!logs.contains(WARNING), "{logs}");

    let earlier = create("cursor");
    let logs = Server::start(&dir.0, &env).logs();
    let warning = logs
        .lines()
        .find(|line| line.contains(WARNING))
        .unwrap_or_else(|| panic!("no warning in {logs}"));
    assert!(warning.contains(&earlier), "{warning}");
    assert!(warning.contains("(cursor:)"), "{warning}");
    assert!(clean.iter().all(|id| !logs.contains(id.as_str())), "{logs}");
}

/// `tokens create|list|show|revoke` beside a server in token mode: the token
/// printed once registers a client there, until it is revoked; the client's
/// events name it.
#[tokio::test]
async fn tokens_commands_issue_list_and_revoke() {
    let database = TestDatabase::postgres();
    let dir = ScratchDir::new();
    let mut env = environment(&database);
    env.push(("DCR_REGISTRATION", "token".into()));
    let server = Server::start(&dir.0, &env);

    let created = shell(
        &dir.0,
        &env,
        "tokens",
        &[
            "create",
            "--max-uses",
            "2",
            "--description",
            "partner",
            "--redirect-host",
            "localhost",
            "--auth-method",
            "none",
            "--json",
        ],
    )
    .json();
    let token = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["policy"]["redirect_uri_hosts"],
        json!(["localhost"])
    );

    let http = reqwest::Client::new();
    let register_with = |token: String| {
        http.post(server.url("/register"))
            .bearer_auth(token)
            .json(&claude_code_body())
            .send()
    };
    let response = register_with(token.clone()).await.unwrap();
    assert_eq!(response.status(), 201);
    let client_id = response.json::<Value>().await.unwrap()["client_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let listed = shell(&dir.0, &env, "tokens", &["list", "--json"]).json();
    assert_eq!(listed["tokens"][0]["id"], id.as_str());
    assert_eq!(listed["tokens"][0]["uses"], 1);
    assert!(!listed.to_string().contains(&token));
    let table = shell(&dir.0, &env, "tokens", &["list"]);
    assert!(table.success().contains(&id) && table.success().contains("1/2"));

    let revoked = shell(&dir.0, &env, "tokens", &["revoke", &id, "--json"]).json();
    assert_eq!(revoked["state"], "revoked");
    assert_eq!(register_with(token).await.unwrap().status(), 401);

    let events = clients(&dir.0, &env, &["events", &client_id, "--json"]).json();
    assert_eq!(events["events"][0]["event"], "registered");
    assert_eq!(events["events"][0]["initial_access_token"], id.as_str());
    let table = clients(&dir.0, &env, &["events", &client_id]);
    assert!(table.success().contains("registered"));

    let refused = shell(
        &dir.0,
        &env,
        "tokens",
        &["create", "--grant-type", "password"],
    );
    assert!(
        refused.failure().contains("--grant-type"),
        "{}",
        refused.stderr
    );
    let unknown = shell(
        &dir.0,
        &env,
        "tokens",
        &["revoke", "iat_000000000000000000000000"],
    );
    assert!(unknown.failure().contains("no initial access token"));
}

/// `tokens create --software-statement-issuer`: only an issuer of
/// DCR_SOFTWARE_STATEMENT_ISSUERS, named by its flag when refused; the
/// token's policy carries it.
#[test]
fn tokens_may_require_a_trusted_software_statement_issuer() {
    const ISSUER: &str = "https://registry.example.com";
    let database = TestDatabase::sqlite();
    let dir = ScratchDir::new();
    let mut env = environment(&database);
    drop(Server::start(&dir.0, &env));
    let create = |env: &[(&str, String)], issuer: &str| {
        shell(
            &dir.0,
            env,
            "tokens",
            &["create", "--software-statement-issuer", issuer, "--json"],
        )
    };
    let refused = create(&env, ISSUER);
    assert!(
        refused.failure().contains("--software-statement-issuer"),
        "{}",
        refused.stderr
    );
    let keys = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dcr-core/tests/data/statements/public.jwks.json"
    );
    let issuers = dir.0.join("issuers.json");
    std::fs::write(&issuers, json!({ ISSUER: keys }).to_string()).unwrap();
    env.push((
        "DCR_SOFTWARE_STATEMENT_ISSUERS",
        issuers.display().to_string(),
    ));
    let created = create(&env, ISSUER).json();
    assert_eq!(created["policy"]["software_statement_issuer"], ISSUER);
    let other = create(&env, "https://other.example");
    assert!(other.failure().contains("--software-statement-issuer"));
}
