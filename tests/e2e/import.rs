//! `dcr-server import`: a database built the way the Next.js + libSQL
//! registration endpoint builds it, copied into dcr's store; every client
//! keeps its id and its secret, whatever hash stored it.

use diesel::{Connection as _, RunQueryDsl as _, SqliteConnection};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::process::{ScratchDir, Server, run};

const SYSTEM_USER: &str = "5b0c9b0e-2f3f-4d8e-9e55-6f4f7a0c1d11";
const CLAUDE_AI: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const HASHED_SHA256: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const CLAUDE_CODE: &str = "6ecd8c99-4036-403d-bf84-cf8400f67836";
const DISABLED: &str = "3f333df6-90a4-4fda-8dd3-9485d27cee36";
const DANGEROUS: &str = "e4eaaaf2-d142-11e1-b3e4-080027620cdd";

/// The endpoint's schema, as its migrations create it, and one row per case.
fn build_legacy_database(path: &std::path::Path) {
    let mut conn = SqliteConnection::establish(&path.display().to_string()).unwrap();
    let bcrypt_2a = bcrypt::hash_with_salt("secret-claude-ai", 4, [3; 16])
        .unwrap()
        .format_for_version(bcrypt::Version::TwoA);
    let sha256_hex: String = Sha256::digest(b"secret-sha256")
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let statements = vec![
        "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL, created_at TEXT NOT NULL DEFAULT (datetime('now')))".to_owned(),
        "CREATE TABLE oauth_clients (client_id TEXT PRIMARY KEY, client_secret_hash TEXT NOT NULL, name TEXT NOT NULL, redirect_uris TEXT NOT NULL, allowed_scopes TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT (datetime('now')), created_by TEXT NOT NULL REFERENCES users(id), is_active INTEGER NOT NULL DEFAULT 1, metadata TEXT)".to_owned(),
        format!("INSERT INTO users VALUES ('{SYSTEM_USER}', 'system@mcp-memory.internal', '2025-05-01T09:00:00.000Z')"),
        row(CLAUDE_AI, &bcrypt_2a, "Claude", r#"["https://claude.ai/api/mcp/auth_callback"]"#, r#"["mcp:tools","mcp:resources"]"#, "2025-06-01T12:34:56.789Z", 1,
            r#"{"auto_registered":true,"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"client_secret_post","user_agent":"Claude-User (claude.ai)"}"#),
        row(HASHED_SHA256, &sha256_hex, "Some Agent", r#"["https://agent.example.com/callback"]"#, "[]", "2025-06-02 08:00:00", 1,
            r#"{"token_endpoint_auth_method":"client_secret_basic"}"#),
        row(CLAUDE_CODE, &sha256_hex, "Claude Code (memory)", r#"["http://localhost:52413/callback"]"#, "[]", "2025-06-03T10:00:00Z", 1,
            r#"{"auto_registered":true,"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"token_endpoint_auth_method":"none","user_agent":"claude-code/1.0.30"}"#),
        row(DISABLED, &sha256_hex, "Old Client", r#"["https://old.example.com/cb"]"#, "[]", "2025-06-04T10:00:00Z", 0,
            r#"{"token_endpoint_auth_method":"none"}"#),
        row(DANGEROUS, &sha256_hex, "Evil", r#"["javascript:alert(1)"]"#, "[]", "2025-06-05T10:00:00Z", 1, r#"{"token_endpoint_auth_method":"none"}"#),
        row("mcp-client-1", &sha256_hex, "Short Id", r#"["https://x.example.com/cb"]"#, "[]", "2025-06-06T10:00:00Z", 1, r#"{"token_endpoint_auth_method":"none"}"#),
        row("a8098c1a-f86e-11da-bd1a-00112444be1e", &sha256_hex, "Broken", r#"["https://x.example.com/cb"]"#, "[]", "2025-06-07T10:00:00Z", 1, "{not json"),
    ];
    for statement in statements {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    client_id: &str,
    hash: &str,
    name: &str,
    redirect_uris: &str,
    scopes: &str,
    created_at: &str,
    active: u8,
    metadata: &str,
) -> String {
    let quote = |text: &str| text.replace('\'', "''");
    format!(
        "INSERT INTO oauth_clients VALUES ('{}', '{}', '{}', '{}', '{}', '{}', '{SYSTEM_USER}', {active}, '{}')",
        quote(client_id),
        quote(hash),
        quote(name),
        quote(redirect_uris),
        quote(scopes),
        quote(created_at),
        quote(metadata)
    )
}

fn import(dir: &ScratchDir, env: &[(&str, String)], extra: &[&str]) -> Value {
    let mut args = vec!["import", "--from", "legacy.db", "--json"];
    args.extend_from_slice(extra);
    let (status, output) = run(&dir.0, &args, env);
    assert!(status.success(), "{output}");
    let line = output
        .lines()
        .find(|line| line.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON report: {output}"));
    serde_json::from_str(line).unwrap()
}

async fn admin_get(server: &Server, path: &str) -> Value {
    reqwest::Client::new()
        .get(server.admin(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn clients_of_the_nextjs_endpoint_keep_their_ids_and_secrets() {
    let dir = ScratchDir::new();
    build_legacy_database(&dir.0.join("legacy.db"));
    let env = [
        (
            "DCR_DATABASE_URL",
            dir.0.join("dcr.sqlite3").display().to_string(),
        ),
        ("DCR_BIND", "127.0.0.1:0".to_owned()),
        ("DCR_ADMIN_BIND", "127.0.0.1:0".to_owned()),
        ("DCR_BCRYPT_COST", "4".to_owned()),
        ("DCR_UNUSED_CLIENT_TTL_SECS", "86400".to_owned()),
    ];

    let dry = import(&dir, &env, &["--dry-run", "--create"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["imported"].as_array().unwrap().len(), 4, "{dry}");
    let skipped: Vec<&str> = dry["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|skip| skip["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        vec![
            DANGEROUS,
            "mcp-client-1",
            "a8098c1a-f86e-11da-bd1a-00112444be1e"
        ]
    );
    for skip in dry["skipped"].as_array().unwrap() {
        assert!(!skip["reason"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        dry["notes"],
        json!([
            {"client_id": CLAUDE_CODE, "note": dcr_server::admin::import::NOTE_PUBLIC_WITH_SECRET},
            {"client_id": DISABLED, "note": dcr_server::admin::import::NOTE_PUBLIC_WITH_SECRET},
        ])
    );

    let done = import(&dir, &env, &[]);
    assert_eq!(done["imported"], dry["imported"]);
    let again = import(&dir, &env, &[]);
    assert_eq!(again["imported"], json!([]), "a second run changes nothing");
    assert_eq!(again["already_present"], dry["imported"]);

    // Nothing is past its lifetime: the clocks start at the import, also
    // in a deployment whose never-used rule was armed long before it.
    let store = dcr_store::Store::open(&dcr_store::StoreConfig::new(
        dcr_store::DatabaseUrl::Sqlite(dir.0.join("dcr.sqlite3").display().to_string()),
    ))
    .unwrap();
    store.arm_unused_purge(0).unwrap();
    drop(store);
    let (status, output) = run(&dir.0, &["clients", "prune", "--dry-run", "--json"], &env);
    assert!(status.success(), "{output}");
    assert!(
        output.contains(r#"{"dry_run":true,"would_delete":[]}"#),
        "{output}"
    );

    let server = Server::start(&dir.0, &env);
    assert!(
        server
            .is_valid(
                None,
                CLAUDE_AI,
                &json!({"client_secret": "secret-claude-ai"})
            )
            .await
    );
    assert!(
        !server
            .is_valid(None, CLAUDE_AI, &json!({"client_secret": "wrong"}))
            .await
    );
    assert!(
        server
            .is_valid(
                None,
                HASHED_SHA256,
                &json!({"client_secret": "secret-sha256"})
            )
            .await
    );
    assert!(server.is_valid(None, CLAUDE_CODE, &json!({})).await);
    assert!(
        !server
            .is_valid(
                None,
                CLAUDE_CODE,
                &json!({"client_secret": "secret-sha256"})
            )
            .await
    );
    assert!(
        !server.is_valid(None, DISABLED, &json!({})).await,
        "imported disabled"
    );

    let view = admin_get(&server, &format!("/admin/clients/{CLAUDE_AI}")).await;
    assert_eq!(view["client_id_issued_at"], 1_748_781_296);
    assert_eq!(view["scope"], "mcp:tools mcp:resources");
    assert_eq!(view["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(view["registered_from"]["via"], "imported");
    assert_eq!(
        view["registered_from"]["user_agent"],
        "Claude-User (claude.ai)"
    );
    assert_eq!(view["consent"]["source"], "imported");
    let events = admin_get(&server, &format!("/admin/clients/{CLAUDE_AI}/events")).await;
    assert_eq!(events["events"][0]["event"], "imported");
}
