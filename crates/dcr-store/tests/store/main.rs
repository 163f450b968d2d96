//! The store suite: every test runs once on SQLite and once on the real
//! Postgres, each time on a fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use dcr_core::{
    BcryptCost, ClientCredentials, ClientId, ClientMetadata, RegisteredClient, Registration,
    RegistrationPolicy,
};
use dcr_store::test_support::TestDatabase;
use dcr_store::{ClientFilter, DatabaseUrl, ListCursor, Store, StoreConfig, StoreError};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

/// Runs each listed test on both backends.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&dcr_store::test_support::TestDatabase::sqlite()); } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(&dcr_store::test_support::TestDatabase::postgres()); } )*
        }
    };
}

on_both_backends!(
    migrations_run_up_down_up,
    migrations_are_a_noop_when_nothing_is_pending,
    system_user_exists_after_migrations,
    public_client_round_trips,
    confidential_client_stores_only_a_verifiable_hash,
    every_metadata_member_round_trips,
    rows_stored_under_older_rules_still_load_list_and_hide_private_keys,
    unknown_client_is_not_found,
    duplicate_client_id_is_a_conflict,
    concurrent_inserts_all_land,
    batch_insert_stores_every_client,
    batch_insert_is_all_or_nothing,
    writer_stores_every_submitted_client,
    writer_reports_each_callers_own_outcome,
    list_filters_names_case_insensitively_with_literal_wildcards,
    list_filters_software_id_exactly,
    list_filters_by_the_exact_redirect_host,
    list_filters_by_status,
    list_pages_oldest_first_without_gaps_or_repeats,
    list_cursors_round_trip_and_refuse_garbage,
    set_active_disables_and_enables,
    delete_client_removes_it_once,
    delete_client_authorized_needs_the_current_token_digest,
    a_client_disabled_meanwhile_is_neither_replaced_nor_deleted_by_its_token,
    replace_credentials_swaps_the_secret_only,
    touch_last_used_records_the_latest_check,
    replace_client_needs_the_current_token_digest,
    an_update_keeping_the_secret_leaves_a_rotated_secret_alone,
    rotation_does_not_give_a_public_client_a_secret,
    closing_refuses_new_work_in_every_clone,
);

fn register(body: serde_json::Value, seed: u64) -> Registration {
    let policy = RegistrationPolicy::default();
    let metadata = ClientMetadata::from_request(&body, &policy).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    Registration::issue(
        metadata,
        &policy,
        1_790_000_000,
        BcryptCost::new(4).unwrap(),
        &mut rng,
    )
    .unwrap()
}

fn public_body() -> serde_json::Value {
    json!({
        "client_name": "Claude Code (memory)",
        "redirect_uris": ["http://localhost:52413/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none"
    })
}

fn count_users(db: &TestDatabase) -> i64 {
    use diesel::prelude::*;
    let mut conn: dcr_store::AnyConnection = match db.url() {
        DatabaseUrl::Postgres(url) => {
            dcr_store::AnyConnection::Postgresql(diesel::PgConnection::establish(url).unwrap())
        }
        DatabaseUrl::Sqlite(path) => {
            dcr_store::AnyConnection::Sqlite(diesel::SqliteConnection::establish(path).unwrap())
        }
    };
    diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM users WHERE id = '{}'",
        dcr_store::SYSTEM_USER_ID
    ))
    .get_result::<Count>(&mut conn)
    .map(|row| row.n)
    .unwrap_or(-1)
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn migrations_run_up_down_up(db: &TestDatabase) {
    let store = db.store();
    assert_eq!(store.revert_all_migrations().unwrap(), 2);
    assert!(matches!(store.count_clients(), Err(StoreError::Other(_))));
    assert_eq!(store.run_migrations().unwrap().len(), 2);
    assert_eq!(store.count_clients().unwrap(), 0);
}

fn migrations_are_a_noop_when_nothing_is_pending(db: &TestDatabase) {
    let store = db.store();
    assert!(store.run_migrations().unwrap().is_empty());
}

fn system_user_exists_after_migrations(db: &TestDatabase) {
    let _store = db.store();
    assert_eq!(count_users(db), 1);
}

fn public_client_round_trips(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1);
    assert!(registration.secret.is_none());
    store.insert_client(&registration.client).unwrap();
    let found = store.find_client(&registration.client.client_id).unwrap();
    assert_eq!(found, registration.client);
    assert_eq!(found.credentials, ClientCredentials::Public);
}

fn confidential_client_stores_only_a_verifiable_hash(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_post");
    let registration = register(body, 2);
    let secret = registration.secret.as_ref().unwrap();
    store.insert_client(&registration.client).unwrap();
    let found = store.find_client(&registration.client.client_id).unwrap();
    let ClientCredentials::Confidential { secret_hash, .. } = &found.credentials else {
        panic!("a confidential client came back public");
    };
    assert!(secret_hash.as_stored().starts_with("$2b$04$"));
    assert_ne!(secret_hash.as_stored(), secret.expose());
    assert!(secret_hash.verify(secret.expose()));
    assert!(!secret_hash.verify("not-the-secret"));
}

fn every_metadata_member_round_trips(db: &TestDatabase) {
    let store = db.store();
    let registration = register(
        json!({
            "client_name": "Inspector \u{1F50E} ünïcode",
            "client_name#fr": "Inspecteur",
            "client_name#ja-Jpan-JP": "インスペクター",
            "logo_uri#fr": "https://example.com/fr/logo.png",
            "client_uri": "https://github.com/modelcontextprotocol/inspector",
            "logo_uri": "https://example.com/logo.png",
            "tos_uri": "https://example.com/tos",
            "policy_uri": "https://example.com/policy",
            "redirect_uris": [
                "http://localhost:6274/oauth/callback",
                "http://localhost:6274/oauth/callback/debug",
                "com.example.app:/oauth2redirect"
            ],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "openid profile mcp:tools",
            "contacts": ["ops@example.com", "dev@example.com"],
            "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "abc", "y": "def"}]},
            "software_id": "com.example.inspector",
            "software_version": "1.2.3",
            "application_type": "native"
        }),
        3,
    );
    store.insert_client(&registration.client).unwrap();
    let found: RegisteredClient = store.find_client(&registration.client.client_id).unwrap();
    assert_eq!(found.metadata, registration.client.metadata);
    assert_eq!(
        found.metadata.to_json(),
        registration.client.metadata.to_json()
    );
    assert_eq!(found.issued_at, 1_790_000_000);
    assert!(found.active);
}

/// Rules added for hostile input apply to requests. A row stored before them,
/// with what they now refuse, still loads, lists and shows; key material it
/// may hold is never read back.
fn rows_stored_under_older_rules_still_load_list_and_hide_private_keys(db: &TestDatabase) {
    use diesel::prelude::*;
    let store = db.store();
    let old = json!({
        "client_name": "Old\u{202E}txt.exe",
        "redirect_uris": ["myapp://cb", "http://localhost:3000/cb"],
        "grant_types": ["authorization_code", "client_credentials"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
        "client_uri": "http://localhost:3000",
        "logo_uri": "https://10.0.0.1/logo.png",
        "contacts": ["ops\u{200B}@example.com"],
        "jwks": {"keys": [{"kty": "RSA", "n": "0vx7", "e": "AQAB"}]}
    });
    assert!(ClientMetadata::from_request(&old, &RegistrationPolicy::default()).is_err());
    let mut client = register(public_body(), 17).client;
    client.metadata = ClientMetadata::from_stored(&old).unwrap();
    store.insert_client(&client).unwrap();
    // What an older version could have written into the JSON column: a key
    // with its private half.
    let mut conn: dcr_store::AnyConnection = match db.url() {
        DatabaseUrl::Postgres(url) => {
            dcr_store::AnyConnection::Postgresql(diesel::PgConnection::establish(url).unwrap())
        }
        DatabaseUrl::Sqlite(path) => {
            dcr_store::AnyConnection::Sqlite(diesel::SqliteConnection::establish(path).unwrap())
        }
    };
    let stored_metadata: String = diesel::sql_query(format!(
        "SELECT metadata AS text FROM oauth_clients WHERE client_id = '{}'",
        client.client_id
    ))
    .get_result::<Text>(&mut conn)
    .unwrap()
    .text;
    let with_private_key = stored_metadata.replace(
        r#""kty":"RSA""#,
        r#""kty":"RSA","d":"private-exponent","p":"prime""#,
    );
    assert_ne!(with_private_key, stored_metadata);
    diesel::sql_query(format!(
        "UPDATE oauth_clients SET metadata = '{}' WHERE client_id = '{}'",
        with_private_key.replace('\'', "''"),
        client.client_id
    ))
    .execute(&mut conn)
    .unwrap();

    let found = store.find_client(&client.client_id).unwrap();
    assert_eq!(found.metadata, client.metadata);
    assert_eq!(
        found.metadata.client_name.as_deref(),
        Some("Old\u{202E}txt.exe")
    );
    let shown = serde_json::Value::Object(found.metadata.to_json()).to_string();
    assert!(!shown.contains("private-exponent") && !shown.contains("prime"));
    let page = store
        .list_clients(&ClientFilter::default(), 10, None)
        .unwrap();
    assert_eq!(page.clients.len(), 1);
    assert_eq!(page.clients[0].metadata, client.metadata);
    // The credential check refuses it: a public client with a grant that
    // needs client authentication.
    assert!(!found.verify_credentials(None, 1_790_000_001));
}

#[derive(diesel::QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

fn unknown_client_is_not_found(db: &TestDatabase) {
    let store = db.store();
    let unknown = ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap();
    assert!(matches!(
        store.find_client(&unknown),
        Err(StoreError::NotFound)
    ));
}

fn duplicate_client_id_is_a_conflict(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 4);
    store.insert_client(&registration.client).unwrap();
    assert!(matches!(
        store.insert_client(&registration.client),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.count_clients().unwrap(), 1);
}

fn concurrent_inserts_all_land(db: &TestDatabase) {
    let store = db.store();
    let threads: Vec<_> = (0..24)
        .map(|seed| {
            let store = store.clone();
            std::thread::spawn(move || {
                store.insert_client(&register(public_body(), 100 + seed).client)
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap().unwrap();
    }
    assert_eq!(store.count_clients().unwrap(), 24);
}

#[test]
fn unreachable_postgres_is_unavailable_not_a_hang() {
    let mut config = StoreConfig::new(
        DatabaseUrl::parse("postgres://postgres@127.0.0.1:1/nowhere?connect_timeout=1").unwrap(),
    );
    config.acquire_timeout = Duration::from_millis(500);
    let store = Store::open(&config).unwrap();
    assert!(matches!(store.ping(), Err(StoreError::Unavailable(_))));
    assert!(matches!(
        store.count_clients(),
        Err(StoreError::Unavailable(_))
    ));
}

#[test]
fn database_urls_pick_their_backend() {
    let cases = [
        ("postgres://u@h/db", Some("postgres")),
        ("postgresql://u@h/db", Some("postgres")),
        ("sqlite://dcr.sqlite3", Some("sqlite")),
        ("sqlite:///var/lib/dcr/dcr.sqlite3", Some("sqlite")),
        ("sqlite:dcr.sqlite3", Some("sqlite")),
        ("dcr.sqlite3", Some("sqlite")),
        ("/var/lib/dcr/dcr.sqlite3", Some("sqlite")),
        ("", None),
        ("sqlite://", None),
        ("mysql://u@h/db", None),
    ];
    for (raw, expected) in cases {
        let parsed = DatabaseUrl::parse(raw).ok().map(|url| url.backend_name());
        assert_eq!(parsed, expected, "{raw}");
    }
    assert_eq!(
        DatabaseUrl::parse("sqlite:///var/lib/dcr/dcr.sqlite3").unwrap(),
        DatabaseUrl::Sqlite("/var/lib/dcr/dcr.sqlite3".into())
    );
}

#[test]
fn debug_output_hides_the_database_password() {
    let url = DatabaseUrl::parse("postgres://dcr:hunter2@db:5432/dcr").unwrap();
    let shown = format!("{url:?} {url}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

/// A Postgres restart or failover kills every pooled connection; the next
/// calls must succeed on fresh connections, without an error and without a
/// duplicate row.
#[test]
fn postgres_connections_killed_under_the_pool_are_replaced() {
    use diesel::prelude::*;
    let db = TestDatabase::postgres();
    let store = db.store();
    // Fill the pool with idle connections.
    let warm: Vec<_> = (0..4)
        .map(|seed| {
            let store = store.clone();
            std::thread::spawn(move || {
                store.insert_client(&register(public_body(), 200 + seed).client)
            })
        })
        .collect();
    for thread in warm {
        thread.join().unwrap().unwrap();
    }
    let DatabaseUrl::Postgres(url) = db.url() else {
        unreachable!()
    };
    let name = url.rsplit('/').next().unwrap().to_owned();
    let mut admin =
        diesel::PgConnection::establish(&dcr_store::test_support::postgres_admin_url()).unwrap();
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .execute(&mut admin)
    .unwrap();

    let registration = register(public_body(), 300);
    store.insert_client(&registration.client).unwrap();
    store.ping().unwrap();
    assert_eq!(
        store.find_client(&registration.client.client_id).unwrap(),
        registration.client
    );
    assert_eq!(store.count_clients().unwrap(), 5);
}

fn batch_insert_stores_every_client(db: &TestDatabase) {
    let store = db.store();
    let public = register(public_body(), 400);
    let mut confidential_body = public_body();
    confidential_body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let confidential = register(confidential_body, 401);
    let third = register(public_body(), 402);
    store
        .insert_clients(&[&public.client, &confidential.client, &third.client])
        .unwrap();
    for registration in [&public, &confidential, &third] {
        let found = store.find_client(&registration.client.client_id).unwrap();
        assert_eq!(found, registration.client);
    }
}

fn batch_insert_is_all_or_nothing(db: &TestDatabase) {
    let store = db.store();
    let existing = register(public_body(), 410);
    store.insert_client(&existing.client).unwrap();
    let fresh = register(public_body(), 411);
    assert!(matches!(
        store.insert_clients(&[&fresh.client, &existing.client]),
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.find_client(&fresh.client.client_id),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.count_clients().unwrap(), 1);
}

fn submit_and_wait(
    writer: &dcr_store::ClientWriter,
    clients: Vec<RegisteredClient>,
) -> Vec<Result<(), StoreError>> {
    let receivers: Vec<_> = clients
        .into_iter()
        .map(|client| {
            let (reply, outcome) = std::sync::mpsc::channel();
            writer
                .submit(client, move |result| {
                    let _ = reply.send(result);
                })
                .unwrap();
            outcome
        })
        .collect();
    receivers
        .into_iter()
        .map(|outcome| outcome.recv_timeout(Duration::from_secs(30)).unwrap())
        .collect()
}

fn writer_stores_every_submitted_client(db: &TestDatabase) {
    let store = db.store();
    let writer = dcr_store::ClientWriter::start(&store, 2, 1024).unwrap();
    let clients: Vec<RegisteredClient> = (0..150)
        .map(|seed| register(public_body(), 500 + seed).client)
        .collect();
    let expected = clients.clone();
    for outcome in submit_and_wait(&writer, clients) {
        outcome.unwrap();
    }
    assert_eq!(store.count_clients().unwrap(), 150);
    for client in expected {
        assert_eq!(store.find_client(&client.client_id).unwrap(), client);
    }
}

fn writer_reports_each_callers_own_outcome(db: &TestDatabase) {
    let store = db.store();
    let existing = register(public_body(), 700).client;
    store.insert_client(&existing).unwrap();
    let writer = dcr_store::ClientWriter::start(&store, 1, 1024).unwrap();
    let mut clients: Vec<RegisteredClient> = (0..20)
        .map(|seed| register(public_body(), 701 + seed).client)
        .collect();
    clients.insert(10, existing);
    let outcomes = submit_and_wait(&writer, clients);
    for (index, outcome) in outcomes.iter().enumerate() {
        if index == 10 {
            assert!(
                matches!(outcome, Err(StoreError::Conflict(_))),
                "{outcome:?}"
            );
        } else {
            assert!(outcome.is_ok(), "client {index}: {outcome:?}");
        }
    }
    assert_eq!(store.count_clients().unwrap(), 21);
}

#[test]
fn a_full_writer_queue_sheds_load() {
    let db = TestDatabase::sqlite();
    let store = db.store();
    // No writer thread can keep up with a queue of one while we hold the
    // SQLite write lock: the second submission finds the queue full.
    use diesel::prelude::*;
    let DatabaseUrl::Sqlite(path) = db.url() else {
        unreachable!()
    };
    let mut blocker = diesel::SqliteConnection::establish(path).unwrap();
    diesel::sql_query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .unwrap();
    let writer = dcr_store::ClientWriter::start(&store, 1, 1).unwrap();
    let mut full = false;
    for seed in 0..8 {
        if writer
            .submit(register(public_body(), 800 + seed).client, |_| {})
            .is_err()
        {
            full = true;
            break;
        }
    }
    diesel::sql_query("ROLLBACK").execute(&mut blocker).unwrap();
    assert!(full, "a bounded queue must refuse work once full");
}

/// A registration issued at `now` (Unix seconds), for ordering tests.
fn register_at(body: serde_json::Value, seed: u64, now: i64) -> Registration {
    let policy = RegistrationPolicy::default();
    let metadata = ClientMetadata::from_request(&body, &policy).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    Registration::issue(
        metadata,
        &policy,
        now,
        BcryptCost::new(4).unwrap(),
        &mut rng,
    )
    .unwrap()
}

/// Stores a public client with this name and these redirect URIs.
fn insert_named(store: &Store, name: Option<&str>, redirect_uris: &[&str], seed: u64) -> ClientId {
    let mut body = json!({
        "redirect_uris": redirect_uris,
        "token_endpoint_auth_method": "none"
    });
    if let Some(name) = name {
        body["client_name"] = json!(name);
    }
    let client = register(body, seed).client;
    store.insert_client(&client).unwrap();
    client.client_id
}

/// Every client matching `filter`, one page of up to 1000.
fn listed(store: &Store, filter: &ClientFilter) -> std::collections::HashSet<ClientId> {
    let page = store.list_clients(filter, 1000, None).unwrap();
    assert!(page.next.is_none());
    page.clients
        .into_iter()
        .map(|client| client.client_id)
        .collect()
}

fn ids<const N: usize>(ids: [&ClientId; N]) -> std::collections::HashSet<ClientId> {
    ids.into_iter().cloned().collect()
}

fn by_name(name: &str) -> ClientFilter {
    ClientFilter {
        name_contains: Some(name.to_owned()),
        ..ClientFilter::default()
    }
}

fn list_filters_names_case_insensitively_with_literal_wildcards(db: &TestDatabase) {
    let store = db.store();
    let cb = ["https://app.example/cb"];
    let claude = insert_named(&store, Some("Claude"), &cb, 1);
    let code = insert_named(&store, Some("Claude Code (memory)"), &cb, 2);
    let percent = insert_named(&store, Some("100% Agent"), &cb, 3);
    let hundred = insert_named(&store, Some("100 Agent"), &cb, 4);
    let underscore = insert_named(&store, Some("under_score"), &cb, 5);
    let lookalike = insert_named(&store, Some("underXscore"), &cb, 6);
    let backslash = insert_named(&store, Some(r"back\slash"), &cb, 7);
    let nameless = insert_named(&store, None, &cb, 8);

    let cases = [
        ("claude", ids([&claude, &code])),
        ("CLAUDE", ids([&claude, &code])),
        ("cLaUdE cOdE", ids([&code])),
        ("(MEMORY)", ids([&code])),
        ("%", ids([&percent])),
        ("0% a", ids([&percent])),
        ("100", ids([&percent, &hundred])),
        ("_", ids([&underscore])),
        ("r_s", ids([&underscore])),
        ("underXscore", ids([&lookalike])),
        (r"\", ids([&backslash])),
        (r"k\s", ids([&backslash])),
        ("nobody", ids([])),
    ];
    for (name, expected) in cases {
        assert_eq!(listed(&store, &by_name(name)), expected, "name {name:?}");
    }
    // No name filter: every client, the nameless one included.
    assert!(listed(&store, &ClientFilter::default()).contains(&nameless));
    assert_eq!(store.count_clients().unwrap(), 8);
}

fn list_filters_software_id_exactly(db: &TestDatabase) {
    let store = db.store();
    let mut inserted = Vec::new();
    for (seed, software_id) in [
        (1, Some("com.example.agent")),
        (2, Some("com.example.agent2")),
        (3, None),
    ] {
        let mut body = public_body();
        if let Some(software_id) = software_id {
            body["software_id"] = json!(software_id);
        }
        let client = register(body, seed).client;
        store.insert_client(&client).unwrap();
        inserted.push(client.client_id);
    }
    let filter = |software_id: &str| ClientFilter {
        software_id: Some(software_id.to_owned()),
        ..ClientFilter::default()
    };
    assert_eq!(
        listed(&store, &filter("com.example.agent")),
        ids([&inserted[0]])
    );
    assert_eq!(
        listed(&store, &filter("com.example.agent2")),
        ids([&inserted[1]])
    );
    assert_eq!(listed(&store, &filter("com.example")), ids([]));
    assert_eq!(listed(&store, &filter("COM.EXAMPLE.AGENT")), ids([]));
}

fn list_filters_by_the_exact_redirect_host(db: &TestDatabase) {
    let store = db.store();
    let claude = insert_named(
        &store,
        None,
        &["https://claude.ai/api/mcp/auth_callback"],
        1,
    );
    let lookalikes = insert_named(
        &store,
        None,
        &[
            "https://notclaude.ai/cb",
            "https://claude.ai.evil.example/cb",
            "https://app.example/claude.ai/cb",
        ],
        2,
    );
    let mixed_case = insert_named(&store, None, &["https://Agents.Example/cb"], 3);
    let loopback = insert_named(
        &store,
        None,
        &[
            "http://127.0.0.1:33418",
            "http://localhost:6274/oauth/callback",
        ],
        4,
    );
    let cursor = insert_named(
        &store,
        None,
        &["cursor://anysphere.cursor-retrieval/oauth/user-memory/callback"],
        5,
    );
    let wildcard_like = insert_named(&store, None, &["https://a_b.example/cb"], 6);

    let by_host = |host: &str| ClientFilter {
        redirect_host: Some(host.to_owned()),
        ..ClientFilter::default()
    };
    let cases = [
        ("claude.ai", ids([&claude])),
        ("CLAUDE.AI", ids([&claude])),
        ("notclaude.ai", ids([&lookalikes])),
        ("claude.ai.evil.example", ids([&lookalikes])),
        ("app.example", ids([&lookalikes])),
        ("agents.example", ids([&mixed_case])),
        ("Agents.Example", ids([&mixed_case])),
        ("127.0.0.1", ids([&loopback])),
        ("localhost", ids([&loopback])),
        ("anysphere.cursor-retrieval", ids([&cursor])),
        ("a_b.example", ids([&wildcard_like])),
        ("aXb.example", ids([])),
        ("ai", ids([])),
        ("example", ids([])),
        ("33418", ids([])),
    ];
    for (host, expected) in cases {
        assert_eq!(listed(&store, &by_host(host)), expected, "host {host:?}");
    }
}

fn list_filters_by_status(db: &TestDatabase) {
    let store = db.store();
    let cb = ["https://app.example/cb"];
    let on = insert_named(&store, Some("on"), &cb, 1);
    let off = insert_named(&store, Some("off"), &cb, 2);
    store.set_active(&off, false).unwrap();
    let status = |active| ClientFilter {
        active,
        ..ClientFilter::default()
    };
    assert_eq!(listed(&store, &status(Some(true))), ids([&on]));
    assert_eq!(listed(&store, &status(Some(false))), ids([&off]));
    assert_eq!(listed(&store, &status(None)), ids([&on, &off]));
    // Filters combine.
    let off_named_on = ClientFilter {
        name_contains: Some("on".into()),
        active: Some(false),
        ..ClientFilter::default()
    };
    assert_eq!(listed(&store, &off_named_on), ids([]));
}

/// Walks every page of `filter` with pages of `limit`; returns the clients in
/// order and the size of each page.
fn walk(store: &Store, filter: &ClientFilter, limit: usize) -> (Vec<ClientId>, Vec<usize>) {
    let mut walked = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<ListCursor> = None;
    loop {
        let page = store.list_clients(filter, limit, cursor.as_ref()).unwrap();
        assert!(page.clients.len() <= limit);
        sizes.push(page.clients.len());
        walked.extend(page.clients.into_iter().map(|client| client.client_id));
        // Cursors travel as text between pages.
        match page.next {
            Some(next) => cursor = Some(ListCursor::parse(&next.to_string()).unwrap()),
            None => break,
        }
        assert!(sizes.len() <= 100, "the walk never ends");
    }
    (walked, sizes)
}

fn list_pages_oldest_first_without_gaps_or_repeats(db: &TestDatabase) {
    let store = db.store();
    // Inserted out of order, several in the same second.
    let times = [
        1_790_000_300,
        1_790_000_100,
        1_790_000_200,
        1_790_000_100,
        1_790_000_100,
        1_790_000_400,
        1_790_000_200,
    ];
    let mut expected: Vec<(i64, String, ClientId)> = Vec::new();
    for (seed, at) in (0u64..).zip(times) {
        let mut body = public_body();
        if seed % 2 == 0 {
            body["redirect_uris"] = json!(["https://even.example/cb"]);
        }
        let client = register_at(body, 900 + seed, at).client;
        store.insert_client(&client).unwrap();
        expected.push((at, client.client_id.to_string(), client.client_id));
    }
    expected.sort();
    let expected: Vec<ClientId> = expected.into_iter().map(|(_, _, id)| id).collect();

    let all = ClientFilter::default();
    // A cursor only when more rows follow: an exactly full last page is the
    // last one, never followed by an empty page.
    for (limit, sizes) in [
        (3, vec![3, 3, 1]),
        (7, vec![7]),
        (6, vec![6, 1]),
        (1, vec![1, 1, 1, 1, 1, 1, 1]),
        (1000, vec![7]),
    ] {
        let (walked, pages) = walk(&store, &all, limit);
        assert_eq!(walked, expected, "limit {limit}");
        assert_eq!(pages, sizes, "limit {limit}");
    }

    // A redirect-host filter holds on every page, even when the rows that
    // fill a page in SQL are not all its matches.
    let even = ClientFilter {
        redirect_host: Some("even.example".into()),
        ..ClientFilter::default()
    };
    let expected_even: Vec<ClientId> = expected
        .iter()
        .filter(|id| {
            store.find_client(id).unwrap().metadata.redirect_uris[0].as_str()
                == "https://even.example/cb"
        })
        .cloned()
        .collect();
    assert_eq!(expected_even.len(), 4);
    for limit in [1, 2, 3, 1000] {
        let (walked, _) = walk(&store, &even, limit);
        assert_eq!(walked, expected_even, "limit {limit}");
    }

    // Deleting the client a cursor points after loses nothing else.
    let first = store.list_clients(&all, 3, None).unwrap();
    store.delete_client(&expected[2]).unwrap();
    let rest = store.list_clients(&all, 1000, first.next.as_ref()).unwrap();
    let rest: Vec<ClientId> = rest
        .clients
        .into_iter()
        .map(|client| client.client_id)
        .collect();
    assert_eq!(rest, expected[3..]);
}

fn list_cursors_round_trip_and_refuse_garbage(db: &TestDatabase) {
    let store = db.store();
    for seed in 0..3 {
        store
            .insert_client(&register(public_body(), 950 + seed).client)
            .unwrap();
    }
    let page = store
        .list_clients(&ClientFilter::default(), 2, None)
        .unwrap();
    let next = page.next.unwrap();
    assert_eq!(ListCursor::parse(&next.to_string()).unwrap(), next);
    for garbage in [
        "",
        "garbage",
        "1790000000",
        "1790000000.",
        "1790000000.not-a-uuid",
        "soon.6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60",
        ".6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60",
    ] {
        assert!(ListCursor::parse(garbage).is_err(), "{garbage:?}");
    }
}

fn set_active_disables_and_enables(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1000);
    store.insert_client(&registration.client).unwrap();
    let id = &registration.client.client_id;
    store.set_active(id, false).unwrap();
    let found = store.find_client(id).unwrap();
    assert!(!found.active);
    // Nothing else changed.
    assert_eq!(
        RegisteredClient {
            active: true,
            ..found
        },
        registration.client
    );
    store.set_active(id, false).unwrap();
    assert!(!store.find_client(id).unwrap().active);
    store.set_active(id, true).unwrap();
    assert_eq!(store.find_client(id).unwrap(), registration.client);

    let unknown = ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap();
    assert!(matches!(
        store.set_active(&unknown, false),
        Err(StoreError::NotFound)
    ));
}

fn delete_client_removes_it_once(db: &TestDatabase) {
    let store = db.store();
    let gone = register(public_body(), 1010).client;
    let kept = register(public_body(), 1011).client;
    store.insert_clients(&[&gone, &kept]).unwrap();
    store.delete_client(&gone.client_id).unwrap();
    assert!(matches!(
        store.find_client(&gone.client_id),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_client(&gone.client_id),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_client(&kept.client_id).unwrap(), kept);
    assert_eq!(store.count_clients().unwrap(), 1);
}

fn replace_credentials_swaps_the_secret_only(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let registration = register(body, 1020);
    store.insert_client(&registration.client).unwrap();
    let old = registration.secret.as_ref().unwrap().expose().to_owned();
    let client = store.find_client(&registration.client.client_id).unwrap();
    let policy = RegistrationPolicy {
        secret_lifetime_secs: 3600,
        ..RegistrationPolicy::default()
    };
    let (new, credentials) = client
        .rotate_secret(
            &policy,
            1_790_000_500,
            BcryptCost::new(4).unwrap(),
            &mut StdRng::seed_from_u64(1021),
        )
        .unwrap();
    store
        .replace_credentials(&client.client_id, &credentials)
        .unwrap();

    let found = store.find_client(&client.client_id).unwrap();
    let ClientCredentials::Confidential {
        secret_hash,
        secret_expires_at,
    } = &found.credentials
    else {
        panic!("a rotated client stays confidential");
    };
    assert!(secret_hash.verify(new.expose()));
    assert!(!secret_hash.verify(&old));
    assert_eq!(*secret_expires_at, 1_790_000_500 + 3600);
    // Metadata, token, state and times are untouched.
    assert_eq!(
        RegisteredClient {
            credentials: registration.client.credentials.clone(),
            ..found
        },
        registration.client
    );

    let unknown = ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap();
    assert!(matches!(
        store.replace_credentials(&unknown, &credentials),
        Err(StoreError::NotFound)
    ));
}

fn touch_last_used_records_the_latest_check(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1030);
    store.insert_client(&registration.client).unwrap();
    let id = &registration.client.client_id;
    assert_eq!(store.find_client(id).unwrap().last_used_at, None);
    store.touch_last_used(id, 1_790_000_600).unwrap();
    assert_eq!(
        store.find_client(id).unwrap().last_used_at,
        Some(1_790_000_600)
    );
    store.touch_last_used(id, 1_790_000_700).unwrap();
    let found = store.find_client(id).unwrap();
    assert_eq!(found.last_used_at, Some(1_790_000_700));
    assert_eq!(
        RegisteredClient {
            last_used_at: None,
            ..found
        },
        registration.client
    );
    // A use of a client that is gone is nothing to record, and creates nothing.
    let unknown = ClientId::parse("6f1c2a5e-3b8d-4c1e-9f0a-1b2c3d4e5f60").unwrap();
    store.touch_last_used(&unknown, 1_790_000_800).unwrap();
    assert_eq!(store.count_clients().unwrap(), 1);
}

fn replace_client_needs_the_current_token_digest(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_post");
    let registration = register(body, 1040);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let original_digest = registration.access_token.digest();
    // State an RFC 7592 update must leave alone. (A disabled client is not
    // updated at all: see
    // a_client_disabled_meanwhile_is_neither_replaced_nor_deleted_by_its_token.)
    store.touch_last_used(&id, 1_790_000_900).unwrap();
    let before = store.find_client(&id).unwrap();

    let policy = RegistrationPolicy::default();
    let mut changed_body = public_body();
    changed_body["token_endpoint_auth_method"] = json!("client_secret_post");
    changed_body["client_name"] = json!("Renamed");
    changed_body["scope"] = json!("mcp:tools");
    let metadata = ClientMetadata::from_request(&changed_body, &policy).unwrap();
    let update = before
        .update(
            metadata.clone(),
            &policy,
            1_790_001_000,
            BcryptCost::new(4).unwrap(),
            &mut StdRng::seed_from_u64(1041),
        )
        .unwrap();

    // A wrong digest changes nothing.
    let wrong = dcr_core::TokenDigest::of("not-the-registration-token");
    assert!(matches!(
        store.replace_client(&update.client, &wrong, dcr_store::SecretChange::Replace),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_client(&id).unwrap(), before);

    // The current digest wins, once.
    store
        .replace_client(
            &update.client,
            &original_digest,
            dcr_store::SecretChange::Replace,
        )
        .unwrap();
    let after = store.find_client(&id).unwrap();
    assert_eq!(after.metadata, metadata);
    assert_eq!(after.registration_token, Some(update.access_token.digest()));
    // The digest is what the store must have swapped.
    let digest = after.registration_token.as_ref().unwrap();
    assert!(digest.matches(update.access_token.expose()));
    assert!(!digest.matches(registration.access_token.expose()));
    assert_eq!(after.credentials, before.credentials);
    assert_eq!(after.issued_at, before.issued_at);
    assert!(after.active);
    assert_eq!(after.last_used_at, Some(1_790_000_900));

    // A second update authorized by the old token loses: the row keeps the
    // first update.
    let second = before
        .update(
            registration.client.metadata.clone(),
            &policy,
            1_790_001_100,
            BcryptCost::new(4).unwrap(),
            &mut StdRng::seed_from_u64(1042),
        )
        .unwrap();
    assert!(matches!(
        store.replace_client(
            &second.client,
            &original_digest,
            dcr_store::SecretChange::Replace
        ),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_client(&id).unwrap(), after);

    // A deleted client cannot be updated back into existence.
    store.delete_client(&id).unwrap();
    assert!(matches!(
        store.replace_client(
            &update.client,
            &update.access_token.digest(),
            dcr_store::SecretChange::Replace
        ),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.count_clients().unwrap(), 0);
}

fn delete_client_authorized_needs_the_current_token_digest(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1050);
    store.insert_client(&registration.client).unwrap();
    let id = &registration.client.client_id;
    let wrong = dcr_core::TokenDigest::of("not-the-registration-token");
    assert!(matches!(
        store.delete_client_authorized(id, &wrong),
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_client(id).unwrap(), registration.client);
    let digest = registration.access_token.digest();
    store.delete_client_authorized(id, &digest).unwrap();
    assert!(matches!(store.find_client(id), Err(StoreError::NotFound)));
    assert!(matches!(
        store.delete_client_authorized(id, &digest),
        Err(StoreError::NotFound)
    ));
}

/// An operator disables a client between the RFC 7592 handler's read and its
/// write: the write, conditioned on the client being enabled, changes nothing.
fn a_client_disabled_meanwhile_is_neither_replaced_nor_deleted_by_its_token(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 1060);
    store.insert_client(&registration.client).unwrap();
    let id = &registration.client.client_id;
    let digest = registration.access_token.digest();
    store.set_active(id, false).unwrap();
    let mut renamed = registration.client.clone();
    renamed.metadata.client_name = Some("Renamed".into());
    assert!(matches!(
        store.replace_client(&renamed, &digest, dcr_store::SecretChange::Keep),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_client_authorized(id, &digest),
        Err(StoreError::NotFound)
    ));
    let found = store.find_client(id).unwrap();
    assert_eq!(found.metadata, registration.client.metadata);
    store.set_active(id, true).unwrap();
    store
        .replace_client(&renamed, &digest, dcr_store::SecretChange::Keep)
        .unwrap();
    assert_eq!(
        store
            .find_client(id)
            .unwrap()
            .metadata
            .client_name
            .as_deref(),
        Some("Renamed")
    );
}

/// An operator rotates the secret while a client's update (which keeps its
/// secret) is in flight: the update must not write back the old secret.
fn an_update_keeping_the_secret_leaves_a_rotated_secret_alone(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let registration = register(body.clone(), 1100);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let policy = RegistrationPolicy::default();
    let cost = BcryptCost::new(4).unwrap();

    body["client_name"] = json!("Renamed");
    let metadata = ClientMetadata::from_request(&body, &policy).unwrap();
    let update = registration
        .client
        .update(
            metadata,
            &policy,
            1_790_000_100,
            cost,
            &mut StdRng::seed_from_u64(1101),
        )
        .unwrap();
    assert!(!update.secret_replaced);

    let (rotated, credentials) = registration
        .client
        .rotate_secret(
            &policy,
            1_790_000_050,
            cost,
            &mut StdRng::seed_from_u64(1102),
        )
        .unwrap();
    store.replace_credentials(&id, &credentials).unwrap();

    store
        .replace_client(
            &update.client,
            &registration.access_token.digest(),
            dcr_store::SecretChange::Keep,
        )
        .unwrap();
    let stored = store.find_client(&id).unwrap();
    assert_eq!(stored.metadata.client_name.as_deref(), Some("Renamed"));
    assert_eq!(stored.credentials, credentials, "the rotated secret stays");
    assert!(stored.secret_matches(rotated.expose()));
    assert!(!stored.secret_matches(registration.secret.as_ref().unwrap().expose()));
}

/// A rotation racing an update that made the client public must not give it
/// a secret back (that would also break the table's public-client rule).
fn rotation_does_not_give_a_public_client_a_secret(db: &TestDatabase) {
    let store = db.store();
    let mut body = public_body();
    body["token_endpoint_auth_method"] = json!("client_secret_basic");
    let registration = register(body, 1110);
    store.insert_client(&registration.client).unwrap();
    let id = registration.client.client_id;
    let policy = RegistrationPolicy::default();
    let cost = BcryptCost::new(4).unwrap();
    let (_, credentials) = registration
        .client
        .rotate_secret(
            &policy,
            1_790_000_050,
            cost,
            &mut StdRng::seed_from_u64(1111),
        )
        .unwrap();

    let public = ClientMetadata::from_request(&public_body(), &policy).unwrap();
    let update = registration
        .client
        .update(
            public,
            &policy,
            1_790_000_100,
            cost,
            &mut StdRng::seed_from_u64(1112),
        )
        .unwrap();
    assert!(update.secret_replaced);
    store
        .replace_client(
            &update.client,
            &registration.access_token.digest(),
            dcr_store::SecretChange::Replace,
        )
        .unwrap();

    assert!(matches!(
        store.replace_credentials(&id, &credentials),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.find_client(&id).unwrap().credentials,
        ClientCredentials::Public
    );
}

fn closing_refuses_new_work_in_every_clone(db: &TestDatabase) {
    let store = db.store();
    let registration = register(public_body(), 400);
    store.insert_client(&registration.client).unwrap();
    let clone = store.clone();

    assert!(store.close(Duration::from_secs(5)), "nothing was under way");

    assert!(matches!(
        clone.find_client(&registration.client.client_id),
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(store.ping(), Err(StoreError::Unavailable(_))));
    assert!(matches!(
        store.insert_client(&register(public_body(), 401).client),
        Err(StoreError::Unavailable(_))
    ));
    // Closing ends this process's use of the data, not the data.
    assert_eq!(db.store().count_clients().unwrap(), 1);
}

/// A process exits right after closing its store, so closing must wait for
/// the statements still running and leave no session open on the server.
#[test]
fn closing_waits_for_running_statements_and_leaves_no_postgres_session() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    let db = TestDatabase::postgres();
    let store = db.store();
    let registration = register(public_body(), 402);
    store.insert_client(&registration.client).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| store.count_clients().unwrap());
        }
    });
    let DatabaseUrl::Postgres(url) = db.url() else {
        unreachable!()
    };
    let mut observer = diesel::PgConnection::establish(url).unwrap();
    assert!(
        other_sessions(&mut observer, "") > 0,
        "the pool holds connections"
    );

    observer
        .batch_execute("BEGIN; LOCK TABLE oauth_clients IN ACCESS EXCLUSIVE MODE;")
        .unwrap();
    let blocked = std::thread::spawn({
        let store = store.clone();
        let client_id = registration.client.client_id;
        move || store.set_active(&client_id, false)
    });
    wait_until("the update waits for the lock", || {
        other_sessions(&mut observer, "AND wait_event_type = 'Lock'") == 1
    });

    assert!(
        !store.close(Duration::from_millis(200)),
        "close reported nothing under way while an UPDATE was running"
    );
    observer.batch_execute("COMMIT;").unwrap();
    blocked
        .join()
        .unwrap()
        .expect("work that started before the close finishes");
    assert!(store.close(Duration::from_secs(5)));

    wait_until("every pooled session has ended", || {
        other_sessions(&mut observer, "") == 0
    });
    assert!(
        !db.store()
            .find_client(&registration.client.client_id)
            .unwrap()
            .active
    );
}

/// Sessions on this database other than the caller's, narrowed by `and`.
fn other_sessions(conn: &mut diesel::PgConnection, and: &str) -> i64 {
    use diesel::prelude::*;
    diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() {and}"
    ))
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

/// Polls `condition` until it holds; a test that waits for another process
/// (here, the Postgres server) cannot be told when it happens.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
