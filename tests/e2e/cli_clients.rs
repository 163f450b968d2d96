//! `dcr-server clients ...`: the admin operations from a shell, straight in
//! the database, beside a running server that sees every change at once.
//! One submodule per concern; the helpers they share are here.

mod cimd_check;
mod errors;
mod prune;
mod rotate;
mod tokens;
mod url_client_ids;
mod validate;

use std::collections::HashSet;
use std::path::Path;

use dcr_store::test_support::TestDatabase;
use serde_json::{Map, Value, json};

use crate::process::{
    ADMIN_TOKEN, Output, ScratchDir, Server, claude_ai_body, claude_code_body, member_names, shell,
};

/// Runs `dcr-server clients ARGS` with exactly `env` (plus PATH).
fn clients(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    shell(dir, env, "clients", args)
}

fn environment(database: &TestDatabase) -> Vec<(&'static str, String)> {
    vec![
        ("DCR_DATABASE_URL", database.url_string()),
        ("DCR_BIND", "127.0.0.1:0".into()),
        ("DCR_BCRYPT_COST", "4".into()),
        ("DCR_ADMIN_TOKEN", ADMIN_TOKEN.into()),
    ]
}

async fn register(server: &Server, body: &Value) -> Map<String, Value> {
    let response = reqwest::Client::new()
        .post(server.url("/register"))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// The running server's admin view of a client, for comparison with the CLI.
async fn admin_show(server: &Server, client_id: &str) -> Value {
    let response = reqwest::Client::new()
        .get(server.admin(&format!("/admin/clients/{client_id}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn id_of(value: &Map<String, Value>) -> String {
    value["client_id"].as_str().unwrap().to_owned()
}

fn listed_ids(document: &Value) -> Vec<String> {
    document["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|client| client["client_id"].as_str().unwrap().to_owned())
        .collect()
}

/// The registration a server made, then every `clients` subcommand on it,
/// each change visible to the server at once.
#[tokio::test]
async fn clients_commands_manage_what_the_server_registered() {
    let database = TestDatabase::postgres();
    let dir = ScratchDir::new();
    let env = environment(&database);
    let server = Server::start(&dir.0, &env);
    let claude = register(&server, &claude_ai_body()).await;
    let code = register(&server, &claude_code_body()).await;
    let billing = register(
        &server,
        &json!({
            "client_name": "Billing Agent",
            "software_id": "com.example.billing",
            "redirect_uris": ["https://billing.example/cb"],
            "token_endpoint_auth_method": "none"
        }),
    )
    .await;
    let (claude_id, code_id, billing_id) = (id_of(&claude), id_of(&code), id_of(&billing));
    let secret = claude["client_secret"].as_str().unwrap().to_owned();
    let all: HashSet<String> = [&claude_id, &code_id, &billing_id]
        .into_iter()
        .cloned()
        .collect();

    // A table by default.
    let output = clients(&dir.0, &env, &["list"]);
    let table = output.success();
    let header = table.lines().next().unwrap();
    for column in [
        "CLIENT_ID",
        "NAME",
        "AUTH_METHOD",
        "STATUS",
        "CREATED",
        "LAST_USED",
    ] {
        assert!(header.contains(column), "{column} missing: {table}");
    }
    for (id, name) in [
        (&claude_id, "Claude"),
        (&code_id, "Claude Code (memory)"),
        (&billing_id, "Billing Agent"),
    ] {
        let row = table
            .lines()
            .find(|line| line.starts_with(id.as_str()))
            .unwrap_or_else(|| panic!("no row for {id}: {table}"));
        assert!(row.contains(name), "{row}");
        assert!(row.contains("active"), "{row}");
        assert!(row.contains("never"), "never used yet: {row}");
    }
    assert!(table.contains("client_secret_post"), "{table}");
    assert!(table.contains("3 client(s)"), "{table}");
    assert!(!table.contains(&secret));

    // --json for scripts.
    let document = clients(&dir.0, &env, &["list", "--json"]).json();
    assert_eq!(document["next_cursor"], Value::Null);
    assert_eq!(
        listed_ids(&document).into_iter().collect::<HashSet<_>>(),
        all
    );
    for client in document["clients"].as_array().unwrap() {
        assert_eq!(client["active"], true);
        assert!(client.get("client_secret").is_none());
        assert!(client.get("registration_access_token").is_none());
    }

    // Filters.
    let filtered = |args: &[&str]| -> HashSet<String> {
        let mut full = vec!["list", "--json"];
        full.extend_from_slice(args);
        listed_ids(&clients(&dir.0, &env, &full).json())
            .into_iter()
            .collect()
    };
    let set = |ids: &[&String]| ids.iter().map(|id| (*id).clone()).collect::<HashSet<_>>();
    assert_eq!(
        filtered(&["--name", "CLAUDE"]),
        set(&[&claude_id, &code_id])
    );
    assert_eq!(
        filtered(&["--software-id", "com.example.billing"]),
        set(&[&billing_id])
    );
    assert_eq!(
        filtered(&["--redirect-host", "claude.ai"]),
        set(&[&claude_id])
    );
    assert_eq!(
        filtered(&["--redirect-host", "localhost"]),
        set(&[&code_id])
    );

    // Pages: a cursor printed by one run is taken by the next.
    let first = clients(&dir.0, &env, &["list", "--limit", "2", "--json"]).json();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = clients(
        &dir.0,
        &env,
        &["list", "--limit", "2", "--cursor", &cursor, "--json"],
    )
    .json();
    assert_eq!(second["next_cursor"], Value::Null);
    let mut paged = listed_ids(&first);
    paged.extend(listed_ids(&second));
    assert_eq!(paged.len(), 3);
    assert_eq!(paged.into_iter().collect::<HashSet<_>>(), all);
    let output = clients(&dir.0, &env, &["list", "--limit", "2"]);
    assert!(
        output
            .success()
            .contains(&format!("more: --cursor {cursor}")),
        "{}",
        output.stdout
    );

    // show: the same view as the admin API.
    let mut shown = clients(&dir.0, &env, &["show", &claude_id, "--json"]).json();
    let mut from_api = admin_show(&server, &claude_id).await;
    // Seconds since registration: the two reads may straddle a second.
    for view in [&mut shown, &mut from_api] {
        view["consent"]
            .as_object_mut()
            .expect("consent signals")
            .remove("age_secs");
    }
    assert_eq!(shown, from_api);
    assert_eq!(shown["client_name"], "Claude");
    assert_eq!(shown["last_used_at"], Value::Null);
    let output = clients(&dir.0, &env, &["show", &claude_id]);
    let text = output.success();
    for (key, value) in [
        ("client_id", claude_id.as_str()),
        ("client_name", "Claude"),
        ("token_endpoint_auth_method", "client_secret_post"),
        ("active", "true"),
        ("last_used_at", "-"),
    ] {
        assert!(
            text.lines().any(|line| {
                let mut words = line.split_whitespace();
                words.next() == Some(key) && words.next() == Some(value)
            }),
            "no line `{key} {value}`: {text}"
        );
    }
    assert!(!text.contains(&secret));

    // disable / enable, seen by the server's credential check.
    let right = json!({ "client_secret": secret });
    assert!(server.is_valid(Some(ADMIN_TOKEN), &claude_id, &right).await);
    clients(&dir.0, &env, &["disable", &claude_id]).success();
    assert_eq!(
        clients(&dir.0, &env, &["show", &claude_id, "--json"]).json()["active"],
        false
    );
    assert!(!server.is_valid(Some(ADMIN_TOKEN), &claude_id, &right).await);
    assert_eq!(filtered(&["--status", "disabled"]), set(&[&claude_id]));
    assert_eq!(
        filtered(&["--status", "active"]),
        set(&[&code_id, &billing_id])
    );
    let enabled = clients(&dir.0, &env, &["enable", &claude_id, "--json"]).json();
    assert_eq!(enabled["active"], true);
    assert!(server.is_valid(Some(ADMIN_TOKEN), &claude_id, &right).await);
    let shown = clients(&dir.0, &env, &["show", &claude_id, "--json"]).json();
    assert!(
        shown["last_used_at"].is_i64(),
        "the server's check is recorded: {shown}"
    );

    // rotate-secret: the old secret stops working on the server.
    let rotated = clients(&dir.0, &env, &["rotate-secret", &claude_id, "--json"]).json();
    let keys = member_names(&rotated);
    assert_eq!(
        keys,
        HashSet::from(["client_id", "client_secret", "client_secret_expires_at"])
    );
    assert_eq!(rotated["client_id"], claude_id.as_str());
    assert_eq!(rotated["client_secret_expires_at"], 0);
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(!server.is_valid(Some(ADMIN_TOKEN), &claude_id, &right).await);
    assert!(
        server
            .is_valid(
                Some(ADMIN_TOKEN),
                &claude_id,
                &json!({ "client_secret": new_secret })
            )
            .await
    );
    let output = clients(&dir.0, &env, &["rotate-secret", &claude_id]);
    let text = output.success();
    let third = text
        .lines()
        .find_map(|line| line.strip_prefix("client_secret:"))
        .unwrap_or_else(|| panic!("no client_secret line: {text}"))
        .trim()
        .to_owned();
    assert!(
        server
            .is_valid(
                Some(ADMIN_TOKEN),
                &claude_id,
                &json!({ "client_secret": third })
            )
            .await
    );
    assert!(
        !server
            .is_valid(
                Some(ADMIN_TOKEN),
                &claude_id,
                &json!({ "client_secret": new_secret })
            )
            .await
    );
    let output = clients(&dir.0, &env, &["rotate-secret", &code_id]);
    assert!(
        output.failure().contains("cannot rotate"),
        "{}",
        output.stderr
    );

    // delete: gone for the server too.
    let output = clients(&dir.0, &env, &["delete", &claude_id]);
    assert!(
        output
            .success()
            .contains(&format!("deleted client {claude_id}"))
    );
    let output = clients(&dir.0, &env, &["show", &claude_id]);
    assert!(
        output
            .failure()
            .contains(&format!("no client has the client_id {claude_id}")),
        "{}",
        output.stderr
    );
    assert!(
        !server
            .is_valid(
                Some(ADMIN_TOKEN),
                &claude_id,
                &json!({ "client_secret": third })
            )
            .await
    );
    let response = reqwest::Client::new()
        .get(server.url(&format!("/register/{claude_id}")))
        .bearer_auth(claude["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let deleted = clients(&dir.0, &env, &["delete", &billing_id, "--json"]).json();
    assert_eq!(deleted, json!({ "client_id": billing_id, "deleted": true }));
    assert_eq!(filtered(&[]), set(&[&code_id]));
}
