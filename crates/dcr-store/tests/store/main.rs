//! The store suite: every test runs once on SQLite and once on the real
//! Postgres, each time on a fresh database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use dcr_core::{
    BcryptCost, ClientCredentials, ClientId, ClientMetadata, RegisteredClient, Registration,
    RegistrationPolicy,
};
use dcr_store::test_support::TestDatabase;
use dcr_store::{DatabaseUrl, Store, StoreConfig, StoreError};
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
    unknown_client_is_not_found,
    duplicate_client_id_is_a_conflict,
    concurrent_inserts_all_land,
    batch_insert_stores_every_client,
    batch_insert_is_all_or_nothing,
    writer_stores_every_submitted_client,
    writer_reports_each_callers_own_outcome,
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
