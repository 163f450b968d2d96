//! The source schema of `dcr-server import`, as docs/import.md gives it:
//! both of its `CREATE TABLE` versions import, and a database that lacks
//! columns is refused with every missing one named at once.

use diesel::{Connection as _, RunQueryDsl as _, SqliteConnection};
use serde_json::Value;

use crate::process::{ScratchDir, shell};

const CLIENT_ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const SHA256_OF_SECRET: &str = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";

/// The ```sql blocks of docs/import.md, in order.
fn documented_schemas() -> Vec<String> {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/import.md"))
            .unwrap();
    docs.split("```sql\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_owned())
        .collect()
}

fn source_database(path: &std::path::Path, schema: &str) {
    let mut conn = SqliteConnection::establish(&path.display().to_string()).unwrap();
    for statement in schema.split(';').filter(|s| !s.trim().is_empty()) {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }
}

fn import(dir: &ScratchDir, source: &str) -> crate::process::Output {
    let env = [
        (
            "DCR_DATABASE_URL",
            dir.0.join("dcr.sqlite3").display().to_string(),
        ),
        ("DCR_BCRYPT_COST", "4".to_owned()),
    ];
    shell(
        &dir.0,
        &env,
        "import",
        &["--from", source, "--json", "--create"],
    )
}

#[test]
fn both_documented_schemas_import() {
    let schemas = documented_schemas();
    assert_eq!(
        schemas.len(),
        2,
        "as the endpoint creates it, and the least"
    );
    assert!(schemas[0].contains("CREATE TABLE users"));
    assert!(!schemas[1].contains("users") && !schemas[1].contains("created_by"));
    for (n, schema) in schemas.iter().enumerate() {
        let dir = ScratchDir::new();
        let source = dir.0.join("old.db");
        source_database(&source, schema);
        let mut conn = SqliteConnection::establish(&source.display().to_string()).unwrap();
        if n == 0 {
            diesel::sql_query(
                "INSERT INTO users (id, email) VALUES ('u1', 'system@mcp-memory.internal')",
            )
            .execute(&mut conn)
            .unwrap();
        }
        let created_by = if n == 0 { ", created_by" } else { "" };
        let user = if n == 0 { ", 'u1'" } else { "" };
        diesel::sql_query(format!(
            "INSERT INTO oauth_clients (client_id, client_secret_hash, name, redirect_uris, allowed_scopes, created_at, is_active, metadata{created_by}) \
             VALUES ('{CLIENT_ID}', '{SHA256_OF_SECRET}', 'Documented', '[\"https://app.example.com/cb\"]', '[]', '2025-06-01T12:00:00Z', 1, '{{\"token_endpoint_auth_method\":\"client_secret_basic\"}}'{user})"
        ))
        .execute(&mut conn)
        .unwrap();
        drop(conn);
        let output = import(&dir, "old.db");
        let report: Value = output.json();
        assert_eq!(
            report["imported"],
            serde_json::json!([CLIENT_ID]),
            "schema {n}: {report}"
        );
        assert_eq!(
            report["skipped"],
            serde_json::json!([]),
            "schema {n}: {report}"
        );
    }
}

#[test]
fn every_missing_column_is_named_in_one_message() {
    let dir = ScratchDir::new();
    source_database(
        &dir.0.join("partial.db"),
        "CREATE TABLE oauth_clients (client_id TEXT, NAME TEXT, redirect_uris TEXT, created_at TEXT, is_active INTEGER)",
    );
    source_database(&dir.0.join("other.db"), "CREATE TABLE something (id TEXT)");

    let partial = import(&dir, "partial.db");
    assert_eq!(partial.status.code(), Some(1));
    let error = partial.failure();
    assert!(
        error.contains("without the columns client_secret_hash, allowed_scopes, metadata:"),
        "{error}"
    );
    assert!(error.contains("docs/import.md"), "{error}");

    let other = import(&dir, "other.db");
    assert!(
        other
            .failure()
            .contains("other.db has no oauth_clients table"),
        "{}",
        other.stderr
    );
    assert!(other.stdout.is_empty());
}
