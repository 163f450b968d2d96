//! `dcr-server clients validate FILE|-`: the dry run of a registration from
//! a shell, with no database unless the body names an initial access token,
//! printing what `POST /admin/validate` answers and exiting 1 on a body
//! registration would refuse.

use std::io::Write;
use std::process::{Command, Stdio};

use dcr_store::test_support::TestDatabase;
use serde_json::{Value, json};

use super::{clients, environment};
use crate::process::{BINARY, ScratchDir, Server, claude_code_body, shell};

fn verdict_of(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|err| panic!("validate prints one JSON document ({err}): {stdout}"))
}

/// A CI step with no database at all: a SQLite URL whose file is not there
/// stays not there.
#[test]
fn a_body_is_judged_without_a_database() {
    let dir = ScratchDir::new();
    let database = dir.0.join("never.db");
    let env = [
        (
            "DCR_DATABASE_URL",
            format!("sqlite://{}", database.display()),
        ),
        ("DCR_RESERVED_NAMES", "refuse".to_owned()),
    ];
    let file = dir.0.join("body.json");
    std::fs::write(&file, claude_code_body().to_string()).unwrap();
    let output = clients(&dir.0, &env, &["validate", file.to_str().unwrap()]);
    let verdict = verdict_of(output.success());
    assert_eq!(verdict["valid"], true);
    assert_eq!(verdict["client"]["client_name"], "Claude Code (memory)");
    assert_eq!(verdict["client"]["token_endpoint_auth_method"], "none");
    assert_eq!(verdict["consent"]["loopback_only"], true);
    assert!(verdict["client"].get("client_id").is_none());

    let refused = [
        (
            json!({"redirect_uris": ["http://evil.example/cb"]}),
            "invalid_redirect_uri",
        ),
        // DCR_RESERVED_NAMES is the server's: the same refusal.
        (
            json!({"client_name": "Claude", "redirect_uris": ["https://evil.example/cb"]}),
            "invalid_client_metadata",
        ),
    ];
    for (body, error) in refused {
        std::fs::write(&file, body.to_string()).unwrap();
        let output = clients(&dir.0, &env, &["validate", file.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
        let verdict = verdict_of(&output.stdout);
        assert_eq!(verdict["valid"], false);
        assert_eq!(verdict["error"], error, "{verdict}");
        assert!(
            output.stderr.contains("the body is not valid"),
            "{}",
            output.stderr
        );
    }
    std::fs::write(&file, "{\"redirect_uris\": [").unwrap();
    let output = clients(&dir.0, &env, &["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        verdict_of(&output.stdout)["error"],
        "invalid_client_metadata"
    );

    let missing = clients(&dir.0, &env, &["validate", "no-such-file.json"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        missing.stderr.contains("cannot read no-such-file.json"),
        "{}",
        missing.stderr
    );
    let create = clients(
        &dir.0,
        &env,
        &["validate", "--create", file.to_str().unwrap()],
    );
    assert_eq!(create.status.code(), Some(1));
    assert!(
        create.stderr.contains("--create does not apply"),
        "{}",
        create.stderr
    );
    assert!(!database.exists(), "a dry run created the database");
}

#[test]
fn a_body_is_read_from_standard_input() {
    let dir = ScratchDir::new();
    let mut child = Command::new(BINARY)
        .current_dir(&dir.0)
        .args(["clients", "validate", "-"])
        .env_clear()
        .env(
            "DCR_DATABASE_URL",
            format!("sqlite://{}", dir.0.join("none.db").display()),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(claude_code_body().to_string().as_bytes())
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        verdict_of(&String::from_utf8_lossy(&output.stdout))["valid"],
        true
    );
}

/// A body that names a token is judged under its policy, read from the
/// database; the token keeps its uses.
#[test]
fn a_named_token_is_read_from_the_database_and_not_spent() {
    let database = TestDatabase::sqlite();
    let dir = ScratchDir::new();
    let env = environment(&database);
    drop(Server::start(&dir.0, &env));
    let created = shell(
        &dir.0,
        &env,
        "tokens",
        &[
            "create",
            "--redirect-host",
            "*.partner.example",
            "--max-uses",
            "1",
            "--json",
        ],
    )
    .json();
    let token = created["token"].as_str().unwrap();
    let file = dir.0.join("body.json");
    let mut body = json!({
        "client_name": "Partner",
        "redirect_uris": ["https://app.partner.example/callback"],
        "initial_access_token": token,
    });
    std::fs::write(&file, body.to_string()).unwrap();
    for _ in 0..2 {
        let output = clients(&dir.0, &env, &["validate", file.to_str().unwrap()]);
        assert_eq!(verdict_of(output.success())["valid"], true);
    }
    body["redirect_uris"] = json!(["https://evil.example/callback"]);
    std::fs::write(&file, body.to_string()).unwrap();
    let output = clients(&dir.0, &env, &["validate", file.to_str().unwrap()]);
    assert_eq!(verdict_of(&output.stdout)["error"], "invalid_redirect_uri");
    body["initial_access_token"] = json!("dcr_iat_not-a-real-token");
    std::fs::write(&file, body.to_string()).unwrap();
    let output = clients(&dir.0, &env, &["validate", file.to_str().unwrap()]);
    assert_eq!(verdict_of(&output.stdout)["error"], "invalid_token");

    let id = created["id"].as_str().unwrap();
    let shown = shell(&dir.0, &env, "tokens", &["show", id, "--json"]).json();
    assert_eq!(shown["uses"], 0, "{shown}");
}
