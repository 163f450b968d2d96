//! `dcr-server clients ...`: the admin operations from a shell, straight in
//! the database, beside a running server that sees every change at once.

use std::collections::HashSet;
use std::path::Path;

use dcr_store::test_support::TestDatabase;
use serde_json::{Map, Value, json};

use crate::process::{
    Output, ScratchDir, Server, claude_ai_body, claude_code_body, member_names, registered_ago,
    shell,
};

const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789-abcdefghijklmnop";

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

/// The running server's credential check.
async fn verify(server: &Server, client_id: &str, body: &Value) -> bool {
    let response = reqwest::Client::new()
        .post(server.admin(&format!("/admin/clients/{client_id}/verify")))
        .bearer_auth(ADMIN_TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    answer["valid"].as_bool().unwrap()
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
    assert!(verify(&server, &claude_id, &right).await);
    clients(&dir.0, &env, &["disable", &claude_id]).success();
    assert_eq!(
        clients(&dir.0, &env, &["show", &claude_id, "--json"]).json()["active"],
        false
    );
    assert!(!verify(&server, &claude_id, &right).await);
    assert_eq!(filtered(&["--status", "disabled"]), set(&[&claude_id]));
    assert_eq!(
        filtered(&["--status", "active"]),
        set(&[&code_id, &billing_id])
    );
    let enabled = clients(&dir.0, &env, &["enable", &claude_id, "--json"]).json();
    assert_eq!(enabled["active"], true);
    assert!(verify(&server, &claude_id, &right).await);
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
    assert!(!verify(&server, &claude_id, &right).await);
    assert!(verify(&server, &claude_id, &json!({ "client_secret": new_secret })).await);
    let output = clients(&dir.0, &env, &["rotate-secret", &claude_id]);
    let text = output.success();
    let third = text
        .lines()
        .find_map(|line| line.strip_prefix("client_secret:"))
        .unwrap_or_else(|| panic!("no client_secret line: {text}"))
        .trim()
        .to_owned();
    assert!(verify(&server, &claude_id, &json!({ "client_secret": third })).await);
    assert!(!verify(&server, &claude_id, &json!({ "client_secret": new_secret })).await);
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
    assert!(!verify(&server, &claude_id, &json!({ "client_secret": third })).await);
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

/// A client that is not there, or an id that cannot be one: a failure exit
/// and a message that names it. Bad listing arguments fail too.
#[test]
fn commands_on_unknown_clients_fail_with_a_message() {
    let database = TestDatabase::postgres();
    let dir = ScratchDir::new();
    let env = environment(&database);

    // The CLI applies the migrations itself: no server has run here.
    let output = clients(&dir.0, &env, &["list"]);
    assert!(
        output.success().contains("0 client(s)"),
        "{}",
        output.stdout
    );
    let document = clients(&dir.0, &env, &["list", "--json"]).json();
    assert_eq!(document, json!({ "clients": [], "next_cursor": null }));

    for command in ["show", "disable", "enable", "delete", "rotate-secret"] {
        for id in ["6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60", "not-a-client-id"] {
            let output = clients(&dir.0, &env, &[command, id]);
            assert_eq!(output.status.code(), Some(1), "{command} {id}");
            assert!(
                output
                    .failure()
                    .contains(&format!("no client has the client_id {id}")),
                "{command} {id}: {}",
                output.stderr
            );
            assert!(
                output.stdout.is_empty(),
                "{command} {id}: {}",
                output.stdout
            );
        }
    }

    // The message does not depend on the log filter.
    let mut quiet = env.clone();
    quiet.push(("DCR_LOG", "off".into()));
    let output = clients(&dir.0, &quiet, &["show", "not-a-client-id"]);
    assert!(
        output
            .failure()
            .contains("no client has the client_id not-a-client-id"),
        "DCR_LOG=off: {:?}",
        output.stderr
    );

    for args in [
        &["list", "--limit", "0"][..],
        &["list", "--limit", "1001"],
        &["list", "--limit", "many"],
        &["list", "--cursor", "garbage"],
        &["list", "--status", "enabled"],
        &["show"],
        &["frobnicate"],
    ] {
        let output = clients(&dir.0, &env, args);
        assert!(!output.failure().is_empty(), "{args:?} says why");
    }
}

/// `clients prune`: the dry run lists what the lifetimes say has expired, the
/// real run deletes exactly that.
#[test]
fn prune_deletes_the_clients_past_their_lifetime() {
    let database = TestDatabase::sqlite();
    let store = database.store();
    let now = dcr_server::clock::unix_now();
    let old = registered_ago(&store, 10 * 86_400, "Claude Code (memory)", 1);
    let recent = registered_ago(&store, 60, "Claude Code (memory)", 2);
    let dir = ScratchDir::new();
    let mut env = environment(&database);
    env.push(("DCR_UNUSED_CLIENT_TTL_SECS", "86400".into()));
    env.push(("DCR_IDLE_CLIENT_TTL_SECS", "0".into()));

    // Until a verify call or a used report arms the never-used rule, it
    // deletes nothing, and both runs say why (on stderr, beside the result).
    let unarmed = clients(&dir.0, &env, &["prune", "--dry-run", "--json"]);
    assert_eq!(
        unarmed.json(),
        json!({ "dry_run": true, "would_delete": [] })
    );
    for args in [
        &["prune", "--dry-run"][..],
        &["prune"],
        &["prune", "--json"],
    ] {
        let output = clients(&dir.0, &env, args);
        assert!(output.success().contains('0'), "{}", output.stdout);
        for words in [
            "deletes nothing yet",
            "POST /admin/clients/{client_id}/used",
        ] {
            assert!(output.stderr.contains(words), "{}", output.stderr);
        }
    }
    assert!(store.find_client(&old).is_ok());
    // Armed two days ago: the rule applies as before.
    store.arm_unused_purge(now - 2 * 86_400).unwrap();

    let dry = clients(&dir.0, &env, &["prune", "--dry-run", "--json"]).json();
    let would_delete = dry["would_delete"].as_array().unwrap();
    assert_eq!(would_delete.len(), 1, "{dry}");
    assert_eq!(would_delete[0]["client_id"], old.to_string(), "{dry}");
    assert_eq!(would_delete[0]["reason"], "never_used", "{dry}");
    assert!(store.find_client(&old).is_ok(), "a dry run deletes nothing");

    let done = clients(&dir.0, &env, &["prune", "--json"]).json();
    assert_eq!(done, json!({ "dry_run": false, "deleted": 1 }));
    assert!(store.find_client(&old).is_err());
    assert!(store.find_client(&recent).is_ok());
}

/// A server whose never-used rule would delete clients but is not armed
/// says so at start-up, with the fix; armed, or with the rule off, it does
/// not.
#[test]
fn an_unarmed_server_warns_at_start_up() {
    const WARNING: &str = "the never-used rule (DCR_UNUSED_CLIENT_TTL_SECS) deletes nothing yet";
    let database = TestDatabase::sqlite();
    let dir = ScratchDir::new();
    let env = environment(&database);

    let unarmed = Server::start(&dir.0, &env);
    let logs = unarmed.logs();
    assert!(logs.contains(WARNING), "{logs}");
    assert!(
        logs.contains("POST /admin/clients/{client_id}/used"),
        "{logs}"
    );
    drop(unarmed);

    let mut off = env.clone();
    off.push(("DCR_UNUSED_CLIENT_TTL_SECS", "0".into()));
    let logs = Server::start(&dir.0, &off).logs();
    assert!(!logs.contains(WARNING), "{logs}");

    database.store().arm_unused_purge(1_800_000_000).unwrap();
    let logs = Server::start(&dir.0, &env).logs();
    assert!(!logs.contains(WARNING), "{logs}");
}

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

/// `clients disable|enable|events` take a URL client id too, as the admin
/// API does: the decision is stored, whatever the document says now.
#[test]
fn url_client_ids_are_disabled_from_the_shell() {
    let database = TestDatabase::sqlite();
    // The shell's commands open only an existing SQLite file.
    database.store();
    let dir = ScratchDir::new();
    let env = environment(&database);
    let url = "https://agent.example.com/oauth/client.json";
    let disabled = clients(&dir.0, &env, &["disable", url, "--json"]).json();
    assert_eq!(
        disabled,
        json!({"client_id": url, "active": false, "source": "metadata_document"})
    );
    assert!(!database.store().url_client_active(url).unwrap());
    clients(&dir.0, &env, &["enable", url]).success();
    assert!(database.store().url_client_active(url).unwrap());
    let events = clients(&dir.0, &env, &["events", url, "--json"]).json();
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["disabled", "enabled"]);
    let refused = clients(&dir.0, &env, &["disable", "http://agent.example.com/c"]);
    assert!(refused.failure().contains("https"), "{}", refused.stderr);
}

mod rotate;
